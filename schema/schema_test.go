package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/reposync/reposync/internal/golden"
)

func load(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(JSON, &doc); err != nil {
		t.Fatalf("schema is not valid JSON: %v", err)
	}
	return doc
}

func TestSchemaCompilesAsDraft2020(t *testing.T) {
	doc := load(t)
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", doc["$schema"])
	}
	if doc["$id"] != URL {
		t.Errorf("$id = %v, want %s", doc["$id"], URL)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(URL, bytes.NewReader(JSON)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile(URL); err != nil {
		t.Fatalf("compile: %v", err)
	}
}

// TestEveryPropertyDocumentedAndClosed walks the schema: every object schema
// with fixed properties forbids others, and every property, definition and
// map value has a description (editors show it as hover help).
func TestEveryPropertyDocumentedAndClosed(t *testing.T) {
	doc := load(t)
	var problems []string
	var walk func(ptr string, s map[string]any)
	walk = func(ptr string, s map[string]any) {
		if props, ok := s["properties"].(map[string]any); ok {
			if s["additionalProperties"] != false {
				problems = append(problems, ptr+": has properties but does not set additionalProperties: false")
			}
			for name, p := range props {
				ps, _ := p.(map[string]any)
				if d, _ := ps["description"].(string); strings.TrimSpace(d) == "" {
					problems = append(problems, ptr+"/properties/"+name+": no description")
				}
				walk(ptr+"/properties/"+name, ps)
			}
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(ptr+"/additionalProperties", ap)
		}
		if it, ok := s["items"].(map[string]any); ok {
			walk(ptr+"/items", it)
		}
	}
	walk("", doc)
	defs, _ := doc["$defs"].(map[string]any)
	for name, d := range defs {
		ds, _ := d.(map[string]any)
		if desc, _ := ds["description"].(string); strings.TrimSpace(desc) == "" {
			problems = append(problems, "/$defs/"+name+": no description")
		}
		walk("/$defs/"+name, ds)
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestConstraints checks the exact constraints the spec format promises.
func TestConstraints(t *testing.T) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource(URL, bytes.NewReader(JSON)); err != nil {
		t.Fatal(err)
	}
	sub := func(def string) *jsonschema.Schema {
		s, err := c.Compile(URL + "#/$defs/" + def)
		if err != nil {
			t.Fatalf("compile %s: %v", def, err)
		}
		return s
	}
	tests := []struct {
		def   string
		value any
		ok    bool
	}{
		{"hexId", "0b234373cf3f4b04ab2d8a245155e12b", true},
		{"hexId", "0B234373CF3F4B04AB2D8A245155E12B", false},
		{"hexId", "0b234373cf3f4b04ab2d8a245155e12", false},
		{"hexId", "0b234373cf3f4b04ab2d8a245155e12bb", false},
		{"hexId", "0b234373cf3f4b04ab2d8a245155e12g", false},
		{"int32Id", json.Number("1"), true},
		{"int32Id", json.Number("2147483647"), true},
		{"int32Id", json.Number("0"), false},
		{"int32Id", json.Number("2147483648"), false},
		{"int32Id", "12", false},
		{"role", "viewer", true},
		{"role", "developer", true},
		{"role", "admin", true},
		{"role", "owner", false},
		{"pushRulePath", "/config/*", true},
		{"pushRulePath", "config/*", false},
		{"pushRulePath", "/", false},
		{"pushRulePath", "/" + strings.Repeat("a", 255), true},
		{"pushRulePath", "/" + strings.Repeat("a", 256), false},
		{"groupPath", "payments/api", true},
		{"groupPath", "payments//api", false},
		{"groupPath", "/payments", false},
		{"groupPath", "payments/", false},
		{"groupPath", "payments/../x", false},
		{"repositoryPath", "gateway", true},
		{"gitAuth", map[string]any{"repo_type": "bitbucket", "user": "u", "password_env": "PW"}, true},
		{"gitAuth", map[string]any{"repo_type": "gitlab", "user": "u", "password_env": "PW"}, false},
		{"gitAuth", map[string]any{"repo_type": "bitbucket", "user": "u", "password_env": "PW", "password": "x"}, false},
		{"gitAuth", map[string]any{"repo_type": "bitbucket", "user": "u", "password_env": "not a name"}, false},
		{"userPin", map[string]any{}, false},
		{"userPin", map[string]any{"id": json.Number("5")}, true},
		{"repositoryPattern", "payments/**", true},
		{"repositoryPattern", "!payments/sandbox/**", true},
		{"repositoryPattern", "/payments", false},
		{"expires", "2027-01-31", true},
		{"expires", "2027-1-31", false},
		{"expires", "2027-13-01", false},
		{"expires", "2027-01-31T00:00:00Z", false},
		{"memberGrant", map[string]any{"role": "developer", "expires": "2027-01-31", "reason": "TICKET-123"}, true},
		{"memberGrant", map[string]any{"expires": "2027-01-31"}, false},
		{"memberGrant", map[string]any{"role": "owner"}, false},
		{"memberGrant", map[string]any{"role": "admin", "until": "2027-01-31"}, false},
		{"memberGroupGrant", map[string]any{"name": "auditors", "expires": "2027-01-31"}, true},
		{"memberGroupGrant", map[string]any{"name": "a/b"}, false},
		{"userGrant", map[string]any{"name": "bob", "reason": ""}, false},
		{"roleGrant", map[string]any{"name": "Project manager", "reason": "why"}, true},
		{"members", map[string]any{"alice": "admin", "bob": map[string]any{"role": "viewer", "expires": "2027-01-31"}}, true},
		{"members", map[string]any{"alice": json.Number("40")}, false},
		{"memberGroupList", []any{"leads", map[string]any{"name": "auditors", "expires": "2027-01-31"}}, true},
		{"memberGroupList", []any{"leads", []any{"x"}}, false},
		{"pushRule", map[string]any{"users": []any{"alice", map[string]any{"name": "bob", "expires": "2027-01-31"}}}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.def, tt.value), func(t *testing.T) {
			err := sub(tt.def).Validate(tt.value)
			if (err == nil) != tt.ok {
				t.Errorf("Validate(%v) error = %v, want ok=%v", tt.value, err, tt.ok)
			}
		})
	}
}

// TestSpecDocUpToDate fails when docs/spec.md no longer matches the schema;
// `make docs` (or `go test ./schema -update`) rewrites it.
func TestSpecDocUpToDate(t *testing.T) {
	doc, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Top-level keys", "`version`", "`password_env`", "### `repositories.<repository path>.push_rules.<path>`"} {
		if !strings.Contains(doc, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
	golden.Check(t, "../docs/spec.md", []byte(doc))
}
