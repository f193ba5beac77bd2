package sim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRoleChecks runs one write of each scope as each kind of caller and
// checks which the role checks (permissions.go) deny, with the denial's
// code and shape, and the tree lists' flag about the caller.
func TestRoleChecks(t *testing.T) {
	fx := loadTestFixture(t)
	bob := buildIndex(fx).userByName["bob"].IAMID
	ledger := hexID("repository", "payments/ledger")
	// The writes: a legacy member write, a v4 push rule write, a group write.
	writes := []struct{ name, method, path, body string }{
		{"SetRepoRole gateway", "PUT", "/v1/repositories/" + gwUUID + "/members/" + bob, `{"role":30}`},
		{"AddRepoMembers ledger", "POST", "/v1/repositories/" + ledger + "/members", `{"users":[{"id":"` + bob + `","name":"bob","role":30}]}`},
		{"CreateFilePushPermission gateway", "POST", "/v4/repositories/12345/file-push-permissions", `{"path":"/probe/*"}`},
		{"CreateGroup", "POST", "/v4/" + testProject + "/groups", `{"name":"fresh"}`},
	}
	// alice created both repositories, whoever the caller is.
	const alice = "  user: alice\n"
	creators := []string{"    uuid: 8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60\n", "    uuid: 8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60\n    creator: alice\n",
		"    members: {bob: viewer}\n", "    members: {bob: viewer}\n    creator: alice\n"}
	cases := []struct {
		name, extra string
		edits       []string
		denied      []bool // per write
		admin       float64
	}{
		{name: "the creator (member_sync)", denied: []bool{false, false, false, false}},
		{name: "a developer and viewer", edits: []string{alice, "  user: bob\n"}, denied: []bool{true, true, true, false}},
		{name: "a project manager", edits: []string{alice, "  user: bob\n"}, extra: "project_members: [{user: bob, role: Project manager}]\n",
			denied: []bool{false, false, false, false}, admin: 1},
		{name: "a project manager, not synced", edits: []string{alice, "  user: bob\n"},
			extra: "project_members: [{user: bob, role: Project manager}]\nbehaviour: {member_sync: false}\n", denied: []bool{false, false, false, false}, admin: 1},
		// carol reaches both repositories through the member group payments-leads.
		{name: "an inherited member", edits: []string{alice, "  user: carol\n"}, denied: []bool{true, true, true, false}},
		{name: "a synced O&M manager (level 40)", edits: []string{alice, "  user: carol\n"}, extra: "project_members: [{user: carol, role: O&M manager}]\n",
			denied: []bool{false, false, false, false}},
		{name: "no project member", edits: []string{alice, "  tenant_admin: false\n"}, denied: []bool{true, true, true, true}},
		{name: "a tenant administrator", edits: []string{alice, "  user: bob\n  tenant_admin: true\n"}, denied: []bool{false, false, false, false}, admin: 1},
		{name: "no user: the account (default)", edits: []string{alice, ""}, denied: []bool{false, false, false, false}, admin: 1},
		{name: "role_checks false", edits: []string{alice, "  user: bob\n"}, extra: "behaviour: {role_checks: false}\n", denied: []bool{false, false, false, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, hs, _ := newServerWith(t, basicWith(t, tc.extra, append(append([]string{}, creators...), tc.edits...)...), Options{})
			tree := call(t, hs, "token", "GET", "/v4/projects/"+testProject+"/subgroups-and-repositories", "")
			items, _ := tree.json(t).([]any)
			if len(items) == 0 {
				t.Fatalf("tree: %s", tree.body)
			}
			if got := items[0].(map[string]any)["is_project_admin"]; got != tc.admin {
				t.Errorf("tree is_project_admin = %v, want %v", got, tc.admin)
			}
			var got []bool
			for _, w := range writes {
				r := call(t, hs, "token", w.method, w.path, w.body)
				got = append(got, r.status == http.StatusForbidden)
				if r.status != http.StatusForbidden {
					if r.status >= 300 {
						t.Errorf("%s: status %d: %s", w.name, r.status, r.body)
					}
					continue
				}
				code := pick(r.json(t), "error_code")
				if strings.HasPrefix(w.path, "/v1/") {
					code = pick(r.json(t), "status", "error.code")
					if diff := cmp.Diff(obj{"status": "failed", "error": obj{"code": "CH.004403"}}, code); diff != "" {
						t.Errorf("%s: legacy denial (-want +got):\n%s", w.name, diff)
					}
				} else if diff := cmp.Diff(obj{"error_code": "CH.004403"}, code); diff != "" {
					t.Errorf("%s: denial (-want +got):\n%s", w.name, diff)
				}
			}
			if diff := cmp.Diff(tc.denied, got); diff != "" {
				t.Errorf("denied per write %v (-want +got):\n%s", writes, diff)
			}
		})
	}
}
