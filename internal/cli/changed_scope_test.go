package cli

import (
	"strings"
	"testing"
)

// TestCompareSpecsSeesScopeEdits: a scope: block decides what its file's
// policies select and which unlisted groups are managed, so editing it
// changes the plan even where no entry changed.
func TestCompareSpecsSeesScopeEdits(t *testing.T) {
	const base = `version: 1
scope:
  repositories: ["payments/**"]
  owners: ["@acme/payments"]
groups:
  payments/api: {}
policies:
  readers:
    repositories: ["payments/api/**"]
    members: {alice: viewer}
`
	old := loadSpecText(t, base)
	for _, tc := range []struct {
		name, body string
		repos      string
		everything string
	}{
		{name: "owners", body: strings.Replace(base, "@acme/payments", "@acme/payments-leads", 1)},
		{name: "max_role", body: strings.Replace(base, "  owners:", "  max_role: developer\n  owners:", 1)},
		{name: "patterns", body: strings.Replace(base, `["payments/**"]`, `["payments/api/**"]`, 1), everything: "which unlisted groups are managed"},
		{name: "unscoped", body: strings.Replace(strings.Replace(base, "scope:\n  repositories: [\"payments/**\"]\n  owners: [\"@acme/payments\"]\n", "", 1), "groups:\n  payments/api: {}\n", "", 1), everything: "whether groups are managed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scope, note, err := compareSpecs(old, loadSpecText(t, tc.body), "base")
			if err != nil {
				t.Fatal(err)
			}
			if tc.everything != "" {
				if scope != nil || !strings.Contains(note, tc.everything) {
					t.Errorf("scope %+v, note %q; want everything because of %s", scope, note, tc.everything)
				}
				return
			}
			if scope == nil {
				t.Fatalf("planning everything: %s", note)
			}
			if got := strings.Join(scope.Repositories, ","); got != tc.repos {
				t.Errorf("repositories = %q, want %q", got, tc.repos)
			}
		})
	}
	// Without groups, a scope edit reaches the policies of the file.
	noGroups := strings.Replace(base, "groups:\n  payments/api: {}\n", "", 1)
	old = loadSpecText(t, noGroups)
	scope, note, err := compareSpecs(old, loadSpecText(t, strings.Replace(noGroups, `["payments/**"]`, `["payments/api/**"]`, 1)), "base")
	if err != nil || scope == nil {
		t.Fatalf("scope %v, note %q, err %v", scope, note, err)
	}
	if got := strings.Join(scope.Repositories, ","); got != "payments/api/**" {
		t.Errorf("repositories = %q, want the scoped policy's patterns", got)
	}
}
