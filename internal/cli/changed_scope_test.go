package cli

import (
	"cmp"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// writeFiles writes files (name -> content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadSpecDir writes files (name -> YAML) into a directory and loads it.
func loadSpecDir(t *testing.T, files map[string]string) *state.Desired {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	d, diags := spec.Load(dir)
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return d
}

// TestCompareSpecsSeesScopeEdits: the scope of a file, under `scopes:` in
// another, decides what the file's policies select, which unlisted groups
// are managed, and what the file may grant or take away (max_role), so
// editing it changes the plan even where no entry of the file changed.
func TestCompareSpecsSeesScopeEdits(t *testing.T) {
	const platform = "version: 1\nscopes:\n  team.yaml: {repositories: [\"payments/**\"], owners: [\"@acme/payments\"]}\n"
	const team = `version: 1
groups:
  payments/api: {}
policies:
  readers:
    repositories: ["payments/api/**"]
    members: {alice: viewer}
`
	old := loadSpecDir(t, map[string]string{"reposync.yaml": platform, "team.yaml": team})
	noGroups := strings.Replace(team, "groups:\n  payments/api: {}\n", "", 1)
	for _, tc := range []struct {
		name, platform, team string
		repos, everything    string
	}{
		{name: "owners", platform: strings.Replace(platform, "@acme/payments", "@acme/payments-leads", 1)},
		{name: "max_role", platform: strings.Replace(platform, "owners:", "max_role: developer, owners:", 1), repos: "payments/**"},
		{name: "patterns", platform: strings.Replace(platform, `["payments/**"]`, `["payments/api/**"]`, 1), everything: "which unlisted groups are managed"},
		{name: "unscoped", platform: "version: 1\n", team: noGroups, everything: "whether groups are managed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := loadSpecDir(t, map[string]string{"reposync.yaml": tc.platform, "team.yaml": cmp.Or(tc.team, team)})
			checkCompareSpecs(t, old, now, tc.repos, "", false, tc.everything)
		})
	}
	// Without groups, a scope edit reaches the policies of the file, and
	// every repository the scope reaches before or after; so does giving a
	// file a scope, or taking it away.
	was := loadSpecDir(t, map[string]string{"reposync.yaml": platform, "team.yaml": noGroups})
	for _, tc := range []struct{ name, platform, repos string }{
		{"narrowed", strings.Replace(platform, `["payments/**"]`, `["payments/api/**"]`, 1), "payments/**,payments/api/**"},
		{"taken away", "version: 1\n", "payments/**,payments/api/**"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := loadSpecDir(t, map[string]string{"reposync.yaml": tc.platform, "team.yaml": noGroups})
			checkCompareSpecs(t, was, now, tc.repos, "", false, "")
			checkCompareSpecs(t, now, was, tc.repos, "", false, "")
		})
	}
}
