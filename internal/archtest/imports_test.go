package archtest

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/reposync/reposync"

// allowed lists, for every package of the module, the module packages its
// non-test code may import directly (docs/architecture.md, "Packages"). A package
// missing from this table fails the test, so every new package gets a rule.
var allowed = map[string][]string{
	"cmd/reposync":            {"internal/cli", "internal/iostreams"},
	"internal/cli":            {"*"},
	"internal/iostreams":      {},
	"internal/state":          {},
	"internal/api":            {},
	"internal/sim":            {},
	"internal/spec":           {"internal/state", "schema"},
	"internal/plan":           {"internal/state"},
	"internal/plan/render":    {"internal/plan", "internal/state"},
	"internal/apply":          {"internal/plan", "internal/state"},
	"internal/remote":         {"internal/api", "internal/state", "internal/plan"},
	"internal/doctor":         {"internal/api", "internal/state"},
	"internal/access":         {"internal/state", "internal/plan/render"},
	"internal/archtest":       {},
	"internal/golden":         {},
	"internal/bench/gen":      {},
	"internal/bench/profiled": {"internal/cli", "internal/iostreams"},
	"schema":                  {},
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestImportDirections(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps=false", "-json", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rules, ok := allowed[rel]
		if !ok {
			t.Errorf("package %s has no import rule: add it to allowed in %s", rel, "internal/archtest/imports_test.go")
			continue
		}
		if len(rules) == 1 && rules[0] == "*" {
			continue
		}
		ok2 := map[string]bool{}
		for _, r := range rules {
			ok2[r] = true
		}
		var bad []string
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if r := strings.TrimPrefix(imp, module+"/"); !ok2[r] {
				bad = append(bad, r)
			}
		}
		sort.Strings(bad)
		if len(bad) > 0 {
			t.Errorf("%s imports %s; allowed: %v", rel, strings.Join(bad, ", "), rules)
		}
	}
	if seen < 4 {
		t.Fatalf("go list returned only %d packages; the test is not looking at the module", seen)
	}
}

// TestRuleTableCatchesViolations proves the checker is not vacuous: a made-up
// import of api by spec must be reported as forbidden.
func TestRuleTableCatchesViolations(t *testing.T) {
	rules := allowed["internal/spec"]
	for _, r := range rules {
		if r == "internal/api" {
			t.Fatal("spec must not be allowed to import api")
		}
	}
	for _, leaf := range []string{"internal/api", "internal/state", "internal/iostreams", "internal/sim"} {
		if len(allowed[leaf]) != 0 {
			t.Errorf("%s must import no other internal package, rule says %v", leaf, allowed[leaf])
		}
	}
}
