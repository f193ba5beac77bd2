package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// corpusSources reads every YAML file of the invalid and valid corpora.
func corpusSources(t testing.TB) []source {
	t.Helper()
	var srcs []source
	for _, pattern := range []string{"../../testdata/invalid/*/*.yaml", "../../testdata/invalid/*/*/*.yaml", "../../testdata/valid/*/*.yaml", "../../examples/*/*.yaml", "../../examples/*/*/*.yaml"} {
		names, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			srcs = append(srcs, source{name: name, rel: filepath.Base(name), data: data})
		}
	}
	if len(srcs) < 40 {
		t.Fatalf("found %d corpus files, want at least 40", len(srcs))
	}
	return srcs
}

// TestDescribeReadsNoMessageText proves that diagnostics come from the
// validator's structured error (keyword and instance locations), the schema
// and the instance, never from the validator's message text: scrubbing every
// message changes no diagnostic of the corpus.
func TestDescribeReadsNoMessageText(t *testing.T) {
	sch, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for _, src := range corpusSources(t) {
		doc, _ := parseDocument(DefaultOptions(), src)
		if doc == nil {
			continue
		}
		var ve *jsonschema.ValidationError
		if !errors.As(sch.Validate(jsonValue(doc.root)), &ve) {
			continue
		}
		failures++
		var want, got Diagnostics
		for _, leaf := range leaves(ve) {
			want = append(want, describe(doc, leaf)...)
			leaf.Message = "scrubbed"
			got = append(got, describe(doc, leaf)...)
		}
		if diff := cmp.Diff(want.Sort(), got.Sort()); diff != "" {
			t.Errorf("%s: diagnostics depend on the validator's message text (-want +got):\n%s", src.name, diff)
		}
	}
	if failures < 20 {
		t.Errorf("only %d corpus files fail the schema; the test would prove little", failures)
	}
}

// A password_env that is not a variable name is most likely the password
// itself: no diagnostic may repeat it.
func TestPasswordEnvValueIsNotEchoed(t *testing.T) {
	const secret = "s3cr3t P@ss!"
	body := "version: 1\ngit_auths:\n  ci: {repo_type: github, user: bot, password_env: \"" + secret + "\"}\n"
	_, diags := loadSources(DefaultOptions(), []source{{name: "x.yaml", rel: "x.yaml", data: []byte(body)}})
	if !diags.HasErrors() {
		t.Fatal("want an error for a password_env that is not a variable name")
	}
	for _, d := range diags {
		if strings.Contains(d.String(), "P@ss") {
			t.Errorf("a diagnostic repeats the value: %s", d)
		}
	}
}
