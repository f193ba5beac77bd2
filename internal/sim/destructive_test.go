package sim

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The behaviours under which a careless client deletes or demotes what it
// was not asked to (docs/api-assumptions.md A44-A47): each test runs the
// steps with a state file and checks that it holds what they did.

const syncedMembers = `project_members:
  - {user: carol, role: Project manager}
  - {user: dave, role: O&M manager, level: 35}
  - {user: bob, role: Committer}
`

// runReplayed runs steps on fx with a state file, then checks that the
// state on disk is the one in memory.
func runReplayed(t *testing.T, fx *Fixture, steps []step) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state.yaml")
	s, hs, _ := newServerWith(t, fx, Options{StatePath: state})
	runSteps(t, hs, steps)
	got, err := LoadFixture(diskImage(t, state))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Snapshot(), got); diff != "" {
		t.Errorf("state on disk (-memory +disk):\n%s", diff)
	}
}

func TestSyncMarker(t *testing.T) {
	ledger := hexID("repository", "payments/ledger")
	idx := buildIndex(loadTestFixture(t))
	carol, dave := idx.userByName["carol"].IAMID, idx.userByName["dave"].IAMID
	keys := []string{"user_name", "repository_role_name", "project_role_name", "is_Project_admin", "member_source_id"}
	row := func(name, role, projectRole string, admin int, sourceID string) obj {
		return obj{"user_name": name, "repository_role_name": role, "project_role_name": projectRole,
			"is_Project_admin": float64(admin), "member_source_id": sourceID}
	}
	setting := obj{"sync_enabled": true, "role_sync": arr{
		obj{"role_name": "project-manager", "role_sync_enabled": true},
		obj{"role_name": "Project manager", "role_sync_enabled": true},
		obj{"role_name": "O&M manager", "role_sync_enabled": true},
		obj{"role_name": "Committer", "role_sync_enabled": true},
	}}
	settingKeys := []string{"sync_enabled", "role_sync.role_name", "role_sync.role_sync_enabled"}
	failed := obj{"status": "failed", "error": obj{"code": "DEV.CH.10004"}}
	t.Run("project", func(t *testing.T) {
		runReplayed(t, basicWith(t, "behaviour: {sync_marker: project}\n"+syncedMembers), []step{
			{name: "synced rows carry the project", path: "/v4/repositories/" + "2000" + "/members?search=carol", keys: keys,
				want: arr{row("carol", "Project manager", "Project manager", 1, testProject)}},
			{name: "the member setting syncs the project members' roles", path: "/v4/projects/" + testProject + "/member-setting",
				keys: settingKeys, want: setting},
			{name: "a synced member cannot be removed", method: "DELETE", path: "/v1/repositories/" + ledger + "/members/" + dave,
				wantStatus: 400, keys: []string{"status", "error.code"}, want: failed},
		})
	})
	t.Run("none", func(t *testing.T) {
		runReplayed(t, basicWith(t, "behaviour: {sync_marker: none}\n"+syncedMembers), []step{
			{name: "synced rows look direct", path: "/v4/repositories/2000/members", keys: keys, want: arr{
				row("alice", "Administrator", "", 0, ""),
				row("bob", "Viewer", "Committer", 0, ""),
				row("carol", "Project manager", "Project manager", 1, ""),
				row("dave", "O&M manager", "O&M manager", 0, ""),
			}},
			{name: "the member setting still names the synced roles", path: "/v4/projects/" + testProject + "/member-setting",
				keys: settingKeys, want: setting},
			{name: "a synced member can be removed", method: "DELETE", path: "/v1/repositories/" + ledger + "/members/" + dave,
				keys: []string{"status"}, want: obj{"status": "success"}},
			{name: "and is gone from both lists", path: "/v4/repositories/2000/members?search=dave", want: arr{}},
			{name: "legacy", path: "/v1/repositories/" + ledger + "/members?subject=dave", keys: []string{"result.total"},
				want: obj{"result": obj{"total": 0.0}}},
			{name: "but not from another repository", path: "/v4/repositories/12345/members?search=dave", keys: keys,
				want: arr{row("dave", "O&M manager", "O&M manager", 0, "")}},
			{name: "a synced member can be demoted", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + carol,
				body: `{"role":20}`, keys: []string{"status"}, want: obj{"status": "success"}},
			{name: "and becomes a direct viewer", path: "/v4/repositories/2000/members?search=carol", keys: keys,
				want: arr{row("carol", "Viewer", "Project manager", 1, "")}},
			{name: "the creator still cannot", method: "DELETE", path: "/v1/repositories/" + ledger + "/members/" + aliceIAM,
				wantStatus: 400, keys: []string{"error.code"}, want: obj{"error": obj{"code": "DEV.CH.10005"}}},
		})
	})
	t.Run("member_sync off: the sync is off", func(t *testing.T) {
		runReplayed(t, basicWith(t, "behaviour: {member_sync: false, role_checks: false}\n"+syncedMembers), []step{
			{name: "setting", path: "/v4/projects/" + testProject + "/member-setting", keys: []string{"sync_enabled"},
				want: obj{"sync_enabled": false}},
		})
	})
}

func TestLegacyMemberID(t *testing.T) {
	ledger := hexID("repository", "payments/ledger")
	idx := buildIndex(loadTestFixture(t))
	bob, dave := idx.userByName["bob"].IAMID, idx.userByName["dave"].IAMID
	own := func(repo, user string) string { return hexID("repository_member", repo+"/"+user) }
	notFound := obj{"status": "failed", "error": obj{"code": "DEV.CH.10002"}}
	t.Run("iam", func(t *testing.T) {
		runReplayed(t, basicWith(t, "behaviour: {legacy_member_id: iam}\n"), []step{
			{name: "the legacy id is the IAM id", path: "/v1/repositories/" + ledger + "/members", keys: []string{"result.users.user_id"},
				want: obj{"result": obj{"users": arr{obj{"user_id": aliceIAM}, obj{"user_id": bob}}}}},
			{name: "SetRepoRole takes it", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + bob, body: `{"role":30}`,
				keys: []string{"status"}, want: obj{"status": "success"}},
		})
	})
	t.Run("own", func(t *testing.T) {
		runReplayed(t, basicWith(t, "behaviour: {legacy_member_id: own}\n"), []step{
			{name: "the legacy id is the membership's", path: "/v1/repositories/" + ledger + "/members", keys: []string{"result.users.user_id", "result.users.name"},
				want: obj{"result": obj{"users": arr{obj{"user_id": own(ledger, "alice"), "name": "alice"}, obj{"user_id": own(ledger, "bob"), "name": "bob"}}}}},
			{name: "the v4 list still has the IAM id", path: "/v4/repositories/2000/members?search=bob", keys: []string{"user_iam_id"},
				want: arr{obj{"user_iam_id": bob}}},
			{name: "SetRepoRole refuses the IAM id", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + bob, body: `{"role":30}`,
				wantStatus: 404, keys: []string{"status", "error.code"}, want: notFound},
			{name: "DeleteRepoMember too", method: "DELETE", path: "/v1/repositories/" + ledger + "/members/" + bob,
				wantStatus: 404, keys: []string{"status", "error.code"}, want: notFound},
			{name: "and another repository's id of the same user", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + own(gwUUID, "bob"),
				body: `{"role":30}`, wantStatus: 404, keys: []string{"status", "error.code"}, want: notFound},
			{name: "SetRepoRole takes the legacy id", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + own(ledger, "bob"),
				body: `{"role":30}`, keys: []string{"status"}, want: obj{"status": "success"}},
			{name: "AddRepoMembers takes the IAM id", method: "POST", path: "/v1/repositories/" + ledger + "/members",
				body: `{"users":[{"id":"` + dave + `","name":"dave","role":20}]}`, keys: []string{"result.status"},
				want: obj{"result": arr{obj{"status": "success"}}}},
			{name: "DeleteRepoMember takes the legacy id", method: "DELETE", path: "/v1/repositories/" + ledger + "/members/" + own(ledger, "dave"),
				keys: []string{"status"}, want: obj{"status": "success"}},
			{name: "the result", path: "/v1/repositories/" + ledger + "/members", keys: []string{"result.users.name", "result.users.role"},
				want: obj{"result": obj{"users": arr{obj{"name": "alice", "role": 40.0}, obj{"name": "bob", "role": 30.0}}}}},
		})
	})
}

func TestRefuseItems(t *testing.T) {
	ledger := hexID("repository", "payments/ledger")
	idx := buildIndex(loadTestFixture(t))
	carol, dave := idx.userByName["carol"].IAMID, idx.userByName["dave"].IAMID
	auditors := idx.mgByName["auditors"].ID
	refusal := "the user cannot be added (refused: behaviour.refuse_items)"
	runReplayed(t, basicWith(t, "behaviour: {refuse_items: [dave]}\n"), []step{
		{name: "AddRepoMembers refuses the named user inside 200", method: "POST", path: "/v1/repositories/" + ledger + "/members",
			body: `{"users":[{"id":"` + dave + `","name":"dave","role":20},{"id":"` + carol + `","name":"carol","role":20}]}`,
			keys: []string{"status", "result.name", "result.status", "result.message"}, want: obj{"status": "success", "result": arr{
				obj{"name": "dave", "status": "failed", "message": refusal},
				obj{"name": "carol", "status": "success", "message": "add user success"}}}},
		{name: "and adds the others", path: "/v1/repositories/" + ledger + "/members", keys: []string{"result.users.name"},
			want: obj{"result": obj{"users": arr{obj{"name": "alice"}, obj{"name": "bob"}, obj{"name": "carol"}}}}},
		{name: "AssociateGroupUserGroup lists them under failure", method: "POST",
			path: "/v4/" + testProject + "/groups/102/user-group/" + auditors, wantStatus: 201,
			want: obj{"success": arr{}, "failure": arr{obj{"iam_id": dave, "message": arr{refusal}}}}},
		{name: "and attaches nothing", path: "/v4/groups/102/user-groups", want: arr{}},
		{name: "a member group without them attaches", method: "POST",
			path: "/v4/" + testProject + "/groups/102/user-group/2bde30f6f7834db7af487450a9d155c5", wantStatus: 201,
			keys: []string{"success.name", "failure"}, want: obj{"success": arr{obj{"name": "carol"}}, "failure": arr{}}},
	})
}
