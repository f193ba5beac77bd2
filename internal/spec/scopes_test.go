package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// errorLines are the error diagnostics of a load, as text, with dir cut.
func errorLines(ds Diagnostics, dir string) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, strings.ReplaceAll(d.String(), dir+string(filepath.Separator), ""))
		}
	}
	return out
}

// TestScopeOfACaseTwin: a new file whose path differs from a scoped one
// only in letter case reads like the scoped file (and is that file on a
// case-insensitive checkout), yet would be unscoped: an error. The files
// are written here, not kept in testdata, so that a checkout on a
// case-insensitive file system stays whole.
func TestScopeOfACaseTwin(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"reposync.yaml":       "version: 1\nscopes:\n  teams/payments.yaml: {repositories: [\"payments/**\"], max_role: developer}\n",
		"teams/payments.yaml": "version: 1\nrepositories:\n  payments/api/gateway:\n    members: {alice: developer}\n",
	})
	if err := os.WriteFile(filepath.Join(dir, "teams", "Payments.yaml"), []byte("version: 1\nrepositories:\n  platform/infra/terraform:\n    members: {mallory: admin}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "teams", "payments.yaml")); strings.Contains(string(data), "mallory") {
		t.Skip("a case-insensitive file system: the twin is the scoped file itself")
	}
	d, diags := Load(dir)
	want := []string{filepath.Join("teams", "Payments.yaml") + ": error: the path differs only in letter case from the scoped `teams/payments.yaml` (scope declared at reposync.yaml:3:3): rename the file"}
	if diff := cmp.Diff(want, errorLines(diags, dir)); d != nil || diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestScopeKeysBelowSeveralRoots: with several PATH arguments each file is
// keyed below the one it was found under; a key that names files below
// two of them is an error naming both, never a guess.
func TestScopeKeysBelowSeveralRoots(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a/reposync.yaml": "version: 1\nscopes:\n  team.yaml: {repositories: [\"payments/**\"], max_role: viewer}\n",
		"a/team.yaml":     "version: 1\nrepositories:\n  payments/api/gateway:\n    members: {alice: viewer}\n",
		"b/team.yaml":     "version: 1\nrepositories:\n  platform/infra/terraform:\n    members: {mallory: admin}\n",
	})
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	_, diags := Load(a, b)
	want := []string{"a/reposync.yaml:3:3: error: scopes[\"team.yaml\"]: names 2 spec files, a/team.yaml and b/team.yaml, below different PATH arguments: pass the one spec directory"}
	if diff := cmp.Diff(want, errorLines(diags, dir)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// One root: the key is the path below it.
	d, diags := Load(a)
	if diags.HasErrors() || d.Scopes[filepath.Join(a, "team.yaml")] == nil {
		t.Errorf("one root: scopes %v, diagnostics %v", d.Scopes, diags)
	}
	// A file given as PATH is keyed by its base name.
	d, diags = Load(filepath.Join(a, "reposync.yaml"), filepath.Join(a, "team.yaml"))
	if diags.HasErrors() || d.Scopes[filepath.Join(a, "team.yaml")] == nil {
		t.Errorf("files as PATH: scopes %v, diagnostics %v", d.Scopes, diags)
	}
}
