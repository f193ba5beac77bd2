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
		t.Run(tc.name, func(t *testing.T) { checkCompare(t, old, tc.body, tc.repos, "", false, tc.everything) })
	}
	// Without groups, a scope edit reaches the policies of the file.
	noGroups := strings.Replace(base, "groups:\n  payments/api: {}\n", "", 1)
	checkCompare(t, loadSpecText(t, noGroups), strings.Replace(noGroups, `["payments/**"]`, `["payments/api/**"]`, 1), "payments/api/**", "", false, "")
}
