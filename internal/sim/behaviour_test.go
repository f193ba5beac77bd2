package sim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// step is one request of a behaviour test and the part of its answer checked.
type step struct {
	name, method, path, body string
	keys                     []string // nil: the whole body
	wantStatus               int
	want                     any
}

// runSteps sends the steps in order with the static token.
func runSteps(t *testing.T, hs *httptest.Server, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			method := st.method
			if method == "" {
				method = "GET"
			}
			r := call(t, hs, "token", method, st.path, st.body)
			want := st.wantStatus
			if want == 0 {
				want = 200
			}
			if r.status != want {
				t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
			}
			if st.want == nil {
				return
			}
			got := r.json(t)
			if st.keys != nil {
				got = pick(got, st.keys...)
			}
			if diff := cmp.Diff(st.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFullPathNamespace(t *testing.T) {
	ns := hexID("namespace", testProject)
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("full_path_namespace=%v", on), func(t *testing.T) {
			fx := basicWith(t, fmt.Sprintf("behaviour: {full_path_namespace: %v}\n", on),
				"  - path: payments/ledger\n", "  - path: top\n  - path: payments/ledger\n")
			_, hs, _ := newServerWith(t, fx, Options{})
			fp := func(path string) string {
				if on {
					return ns + "/" + path
				}
				return path
			}
			fn := func(path string) string { return strings.ReplaceAll(fp(path), "/", " / ") }
			item := func(name, path string) obj {
				return obj{"name": name, "path": name, "full_path": fp(path), "full_name": fn(path)}
			}
			topNS := obj{"id": 0.0, "name": "", "path": "", "full_path": "", "full_name": "", "kind": "", "parent_id": 0.0}
			if on {
				topNS = obj{"id": 0.0, "name": ns, "path": ns, "full_path": ns, "full_name": ns, "kind": "group", "parent_id": 0.0}
			}
			runSteps(t, hs, []step{
				{name: "project children", path: "/v4/projects/" + testProject + "/subgroups-and-repositories",
					keys: []string{"name", "path", "full_path", "full_name"},
					want: arr{item("payments", "payments"), item("empty", "empty"), item("top", "top")}},
				{name: "group children", path: "/v4/groups/100/subgroups-and-repositories",
					keys: []string{"name", "path", "full_path", "full_name"},
					want: arr{item("api", "payments/api"), item("ledger", "payments/ledger")}},
				{name: "show group", path: "/v4/" + testProject + "/groups/101",
					keys: []string{"name", "full_path", "full_name", "ancestor_names"},
					want: obj{"name": "api", "full_path": fp("payments/api"), "full_name": fn("payments/api"), "ancestor_names": arr{"payments"}}},
				{name: "show repository", path: "/v4/repositories/12345",
					keys: []string{"name", "path", "path_with_namespace", "name_with_namespace", "namespace"},
					want: obj{"name": "gateway", "path": "gateway", "path_with_namespace": fp("payments/api/gateway"),
						"name_with_namespace": fn("payments/api/gateway"), "namespace": obj{"id": 101.0, "name": "api", "path": "api",
							"full_path": fp("payments/api"), "full_name": fn("payments/api"), "kind": "group", "parent_id": 100.0}}},
				{name: "show repository at the root", path: "/v4/repositories/2000",
					keys: []string{"path", "path_with_namespace", "namespace"},
					want: obj{"path": "top", "path_with_namespace": fp("top"), "namespace": topNS}},
				{name: "member inherited from a group", path: "/v4/repositories/12345/members?search=carol",
					keys: []string{"user_name", "member_group_source"}, want: arr{obj{"user_name": "carol", "member_group_source": fp("payments")}}},
				{name: "create group", method: "POST", path: "/v4/" + testProject + "/groups", body: `{"name":"x","parent_id":101}`, wantStatus: 201,
					keys: []string{"name", "full_path", "full_name"}, want: obj{"name": "x", "full_path": fp("payments/api/x"), "full_name": fn("payments/api/x")}},
			})
		})
	}
	t.Run("namespace set in the fixture", func(t *testing.T) {
		own := strings.Repeat("5e", 16)
		_, hs, _ := newServerWith(t, basicWith(t, "behaviour: {full_path_namespace: true}\nnamespace: "+own+"\n"), Options{})
		runSteps(t, hs, []step{{name: "show group", path: "/v4/" + testProject + "/groups/100", keys: []string{"full_path", "full_name"},
			want: obj{"full_path": own + "/payments", "full_name": own + " / payments"}}})
	})
}

func TestMemberSync(t *testing.T) {
	const members = `project_members:
  - {user: carol, role: Project manager}
  - {user: dave, role: O&M manager, level: 35}
  - {user: bob, role: Committer}
`
	ledger := hexID("repository", "payments/ledger")
	fx := loadTestFixture(t)
	idx := buildIndex(fx)
	bob, carol, dave := idx.userByName["bob"].IAMID, idx.userByName["carol"].IAMID, idx.userByName["dave"].IAMID
	pmRole := hexID("role", "Project manager")
	rowKeys := []string{"user_name", "repository_role_name", "repository_role_Id", "project_role_name", "is_Project_admin",
		"is_repo_creator", "member_source", "member_group_source", "member_source_id"}
	row := func(name, role, roleID, projectRole string, admin, creator int, source, groupSource, sourceID string) obj {
		return obj{"user_name": name, "repository_role_name": role, "repository_role_Id": roleID, "project_role_name": projectRole,
			"is_Project_admin": float64(admin), "is_repo_creator": float64(creator), "member_source": source,
			"member_group_source": groupSource, "member_source_id": sourceID}
	}
	legacy := func(levels ...any) obj {
		users := arr{}
		for i := 0; i < len(levels); i += 2 {
			users = append(users, obj{"name": levels[i], "role": float64(levels[i+1].(int))})
		}
		return obj{"total": float64(len(users)), "users": users}
	}
	failed := func(code string) obj { return obj{"status": "failed", "error": obj{"code": code}} }
	addBoth := `{"users":[{"id":"` + carol + `","name":"carol","role":30},{"id":"` + aliceIAM + `","name":"alice","role":30}]}`
	tests := []struct {
		name, extra string
		edits       []string
		steps       []step
	}{
		{name: "member_sync=true", extra: "behaviour: {member_sync: true}\n" + members, steps: []step{
			{name: "v4 members: direct rows win, the creator flagged, project members synced",
				path: "/v4/repositories/12345/members", keys: rowKeys, want: arr{
					row("alice", "Administrator", repoRoleID(40), "", 0, 1, "", "", ""),
					row("bob", "Developer", repoRoleID(30), "Committer", 0, 0, "", "", ""),
					row("carol", "Project manager", pmRole, "Project manager", 1, 0, "", "", testProject),
					row("dave", "O&M manager", hexID("role", "O&M manager"), "O&M manager", 0, 0, "", "", testProject),
				}},
			{name: "v4 members: the creator added where not a member",
				path: "/v4/repositories/2000/members?search=alice", keys: rowKeys, want: arr{
					row("alice", "Administrator", repoRoleID(40), "", 0, 1, "", "", "")}},
			{name: "show repository counts them", path: "/v4/repositories/2000", keys: []string{"member_count", "creator_id"},
				want: obj{"member_count": 4.0, "creator_id": 9124.0}},
			{name: "show group counts them", path: "/v4/" + testProject + "/groups/100", keys: []string{"members_count"},
				want: obj{"members_count": 3.0}},
			{name: "demote the creator (not a direct member)", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + aliceIAM,
				body: `{"role":20}`, wantStatus: 400, keys: []string{"status", "error.code"}, want: failed("DEV.CH.10005")},
			{name: "remove the creator (a direct member)", method: "DELETE", path: "/v1/repositories/" + gwUUID + "/members/" + aliceIAM,
				wantStatus: 400, keys: []string{"status", "error.code"}, want: failed("DEV.CH.10005")},
			{name: "change a synced member", method: "PUT", path: "/v1/repositories/" + gwUUID + "/members/" + carol,
				body: `{"role":20}`, wantStatus: 400, keys: []string{"status", "error.code"}, want: failed("DEV.CH.10004")},
			{name: "remove a synced member", method: "DELETE", path: "/v1/repositories/" + ledger + "/members/" + dave,
				wantStatus: 400, keys: []string{"status", "error.code"}, want: failed("DEV.CH.10004")},
			{name: "a project member's direct row can change", method: "PUT", path: "/v1/repositories/" + gwUUID + "/members/" + bob,
				body: `{"role":40}`, keys: []string{"status"}, want: obj{"status": "success"}},
			{name: "adding the synced and the creator: already members", method: "POST", path: "/v1/repositories/" + ledger + "/members",
				body: addBoth, keys: []string{"result"}, want: obj{"result": arr{
					obj{"id": carol, "name": "carol", "message": "user is already a member", "status": "failed"},
					obj{"id": aliceIAM, "name": "alice", "message": "user is already a member", "status": "failed"}}}},
		}},
		// Without member_sync alice is not the creator, so these cases of
		// the member model turn the role checks (TestRoleChecks) off.
		{name: "member_sync=false", extra: "behaviour: {member_sync: false, full_path_namespace: false, role_checks: false}\n" + members, steps: []step{
			{name: "v4 members as without project members", path: "/v4/repositories/12345/members", keys: rowKeys, want: arr{
				row("alice", "Administrator", repoRoleID(40), "", 0, 0, "", "", ""),
				row("bob", "Developer", repoRoleID(30), "", 0, 0, "", "", ""),
				row("carol", "Developer", repoRoleID(30), "", 0, 0, "payments-leads", "payments", "100"),
				row("dave", "Developer", repoRoleID(30), "", 0, 0, "auditors", "", idx.mgByName["auditors"].ID),
			}},
			{name: "no creator row", path: "/v4/repositories/2000/members?search=alice", keys: rowKeys, want: arr{}},
			{name: "show repository", path: "/v4/repositories/2000", keys: []string{"member_count"}, want: obj{"member_count": 2.0}},
			{name: "show group", path: "/v4/" + testProject + "/groups/100", keys: []string{"members_count"}, want: obj{"members_count": 1.0}},
			{name: "change an inherited member", method: "PUT", path: "/v1/repositories/" + gwUUID + "/members/" + carol,
				body: `{"role":20}`, wantStatus: 400, keys: []string{"status", "error.code"}, want: failed("DEV.CH.10003")},
			{name: "add members", method: "POST", path: "/v1/repositories/" + ledger + "/members",
				body: addBoth, keys: []string{"result"}, want: obj{"result": arr{
					obj{"id": carol, "name": "carol", "message": "add user success", "status": "success"},
					obj{"id": aliceIAM, "name": "alice", "message": "add user success", "status": "success"}}}},
		}},
		{name: "member_sync=false, explicit creator", extra: "behaviour: {member_sync: false, role_checks: false}\n",
			edits: []string{"    members: {bob: viewer}\n", "    members: {bob: viewer}\n    creator: bob\n"}, steps: []step{
				{name: "the creator's row is flagged and keeps its level", path: "/v4/repositories/2000/members?search=bob", keys: rowKeys,
					want: arr{row("bob", "Viewer", repoRoleID(20), "", 0, 1, "", "", "")}},
				{name: "and cannot be changed", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + bob,
					body: `{"role":40}`, wantStatus: 400, keys: []string{"status", "error.code"}, want: failed("DEV.CH.10005")},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hs, _ := newServerWith(t, basicWith(t, tt.extra, tt.edits...), Options{})
			runSteps(t, hs, tt.steps)
		})
	}
	t.Run("legacy member lists", func(t *testing.T) {
		for _, tt := range []struct {
			name, extra string
			path        string
			want        obj
		}{
			{"on: gateway", "behaviour: {member_sync: true}\n" + members, gwUUID, legacy("alice", 40, "bob", 30, "carol", 40, "dave", 35)},
			{"on: ledger", "behaviour: {member_sync: true}\n" + members, ledger, legacy("alice", 40, "bob", 20, "carol", 40, "dave", 35)},
			{"on: paged", "behaviour: {member_sync: true}\n" + members, ledger + "/members?page_index=2&page_size=3", obj{"total": 4.0, "users": arr{obj{"name": "dave", "role": 35.0}}}},
			{"off: gateway", "behaviour: {member_sync: false}\n" + members, gwUUID, legacy("alice", 40, "bob", 30)},
			{"off: ledger", "behaviour: {member_sync: false}\n" + members, ledger, legacy("bob", 20)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, hs, _ := newServerWith(t, basicWith(t, tt.extra), Options{})
				path := "/v1/repositories/" + tt.path
				if !strings.Contains(path, "/members") {
					path += "/members"
				}
				r := call(t, hs, "token", "GET", path, "")
				res := r.json(t).(map[string]any)["result"].(map[string]any)
				got := obj{"total": res["total"], "users": pick(res["users"], "name", "role")}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
	})
}

func TestBatchUpdate(t *testing.T) {
	fx := loadTestFixture(t)
	idx := buildIndex(fx)
	bobID := idx.userByName["bob"].ID
	body := fmt.Sprintf(`{"permissions":[{"id":5,"actions":[{"action":"push","enable":true,"user_ids":[9124,%d],"user_team_ids":[200]}]}]}`, bobID)
	names := func(users, teams, roles []string) any {
		toArr := func(ns []string) arr {
			out := arr{}
			for _, n := range ns {
				out = append(out, obj{"name": n})
			}
			return out
		}
		return arr{obj{"id": 5.0, "actions": arr{obj{"users": toArr(users), "user_teams": toArr(teams), "roles": toArr(roles)}}}}
	}
	keys := []string{"id", "actions.users.name", "actions.user_teams.name", "actions.roles.name"}
	tests := []struct {
		mode string
		want any
	}{
		{"replace", names([]string{"alice", "bob"}, []string{"auditors"}, nil)},
		{"merge", names([]string{"alice", "bob"}, []string{"auditors", "payments-leads"}, []string{"project-manager"})},
	}
	for _, tt := range tests {
		t.Run("batch_update="+tt.mode, func(t *testing.T) {
			_, hs, _ := newServerWith(t, basicWith(t, "behaviour: {batch_update: "+tt.mode+"}\n"), Options{})
			for _, path := range []string{"answer", "list"} {
				var r result
				if path == "answer" {
					r = call(t, hs, "token", "PUT", "/v4/repositories/12345/file-push-permissions", body)
				} else {
					r = call(t, hs, "token", "GET", "/v4/repositories/12345/file-push-permissions", "")
				}
				if r.status != 200 {
					t.Fatalf("%s: status %d: %s", path, r.status, r.body)
				}
				if diff := cmp.Diff(tt.want, pick(r.json(t), keys...)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", path, diff)
				}
			}
		})
	}
}

func TestRoleIDs(t *testing.T) {
	const pm = "6115a3ddd9044e288c558d1ae827a732" // project-manager's project role id
	related := hexID("related_role", "project-manager")
	update := func(id string) string {
		return `{"permissions":[{"id":5,"actions":[{"action":"push","enable":true,"related_role_ids":["` + id + `"]}]}]}`
	}
	roleKeys := []string{"actions.roles.name", "actions.roles.related_role_id"}
	roles := func(id string) arr {
		return arr{obj{"actions": arr{obj{"roles": arr{obj{"name": "project-manager", "related_role_id": id}}}}}}
	}
	tests := []struct {
		mode  string
		steps []step
	}{
		{"shared", []step{
			{name: "rules show the project role id", path: "/v4/repositories/12345/file-push-permissions", keys: roleKeys, want: roles(pm)},
			{name: "the project role id is accepted", method: "PUT", path: "/v4/repositories/12345/file-push-permissions", body: update(pm),
				keys: roleKeys, want: roles(pm)},
			{name: "another id is not", method: "PUT", path: "/v4/repositories/12345/file-push-permissions", body: update(related),
				wantStatus: 400, keys: []string{"error_code"}, want: obj{"error_code": "CH.010001"}},
			{name: "the role list agrees", path: "/v4/projects/" + testProject + "/member-setting", keys: []string{"role_sync.role_id"},
				want: obj{"role_sync": arr{obj{"role_id": pm}}}},
		}},
		{"distinct", []step{
			{name: "rules show an id of their own", path: "/v4/repositories/12345/file-push-permissions", keys: roleKeys, want: roles(related)},
			{name: "the project role id is accepted", method: "PUT", path: "/v4/repositories/12345/file-push-permissions", body: update(pm),
				keys: roleKeys, want: roles(related)},
			{name: "the related id read back is accepted", method: "PUT", path: "/v4/repositories/12345/file-push-permissions", body: update(related),
				keys: roleKeys, want: roles(related)},
			{name: "created rules too", method: "POST", path: "/v4/repositories/12345/file-push-permissions",
				body: `{"path":"/new","actions":[{"action":"push","related_role_ids":["` + pm + `"]}]}`,
				keys: []string{"actions.roles.related_role_id"}, want: obj{"actions": arr{obj{"roles": arr{obj{"related_role_id": related}}}}}},
			{name: "the role lists keep the project role id", path: "/v4/projects/" + testProject + "/member-setting", keys: []string{"role_sync.role_id"},
				want: obj{"role_sync": arr{obj{"role_id": pm}}}},
			{name: "an unknown id is refused", method: "PUT", path: "/v4/repositories/12345/file-push-permissions", body: update(strings.Repeat("0", 32)),
				wantStatus: 400, keys: []string{"error_code"}, want: obj{"error_code": "CH.010001"}},
		}},
	}
	for _, tt := range tests {
		t.Run("role_ids="+tt.mode, func(t *testing.T) {
			_, hs, _ := newServerWith(t, basicWith(t, "behaviour: {role_ids: "+tt.mode+"}\n"), Options{})
			runSteps(t, hs, tt.steps)
		})
	}
}

func TestPageCap(t *testing.T) {
	type page struct {
		Names []string
		Total string
	}
	tests := []struct {
		name  string
		cap   int
		path  string
		field string
		want  page
	}{
		{"no cap: the limit", 0, "/v4/repositories/12345/members?limit=3", "user_name", page{[]string{"alice", "bob", "carol"}, "4"}},
		{"no cap: default limit 20", 0, "/v4/repositories/12345/members", "user_name", page{[]string{"alice", "bob", "carol", "dave"}, "4"}},
		{"cap 2 under limit 3, total true", 2, "/v4/repositories/12345/members?limit=3", "user_name", page{[]string{"alice", "bob"}, "4"}},
		{"cap 2, second page by offset", 2, "/v4/repositories/12345/members?offset=2&limit=100", "user_name", page{[]string{"carol", "dave"}, "4"}},
		{"cap 2 above limit 1", 2, "/v4/repositories/12345/members?limit=1", "user_name", page{[]string{"alice"}, "4"}},
		{"cap 1 on a list without total", 1, "/v4/groups/100/subgroups-and-repositories?limit=10", "path", page{[]string{"api"}, ""}},
		{"cap 1 on project users", 1, "/v4/projects/" + testProject + "/members", "name", page{[]string{"alice"}, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, hs, _ := newServerWith(t, basicWith(t, fmt.Sprintf("behaviour: {page_cap: %d}\n", tt.cap)), Options{})
			r := call(t, hs, "token", "GET", tt.path, "")
			got := page{Names: []string{}, Total: r.header.Get("X-Total")}
			for _, it := range r.json(t).([]any) {
				got.Names = append(got.Names, it.(map[string]any)[tt.field].(string))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("legacy page_size", func(t *testing.T) {
		for _, tt := range []struct {
			cap       int
			query     string
			wantNames int
		}{{0, "", 2}, {1, "", 1}, {1, "?page_index=2&page_size=100", 1}, {5, "?page_size=1", 1}} {
			_, hs, _ := newServerWith(t, basicWith(t, fmt.Sprintf("behaviour: {page_cap: %d}\n", tt.cap)), Options{})
			r := call(t, hs, "token", "GET", "/v1/repositories/"+gwUUID+"/members"+tt.query, "")
			res := r.json(t).(map[string]any)["result"].(map[string]any)
			if got := len(res["users"].([]any)); got != tt.wantNames || res["total"] != 2.0 {
				t.Errorf("cap %d %s: %d users of total %v, want %d of 2", tt.cap, tt.query, got, res["total"], tt.wantNames)
			}
		}
	})
}

func TestDeleteGroup(t *testing.T) {
	groups := "/v4/" + testProject + "/groups"
	names := func(ns ...string) arr {
		out := arr{}
		for _, n := range ns {
			out = append(out, obj{"name": n})
		}
		return out
	}
	notFound := obj{"error_code": "CH.000404"}
	code := []string{"error_code"}
	tests := []struct {
		mode  string
		steps []step
	}{
		{"sync", []step{
			{name: "delete", method: "DELETE", path: groups + "/102", wantStatus: 202, want: "Group 'empty' was scheduled for deletion."},
			{name: "gone from show", path: groups + "/102", wantStatus: 404, keys: code, want: notFound},
			{name: "gone from the list", path: "/v4/projects/" + testProject + "/subgroups-and-repositories", keys: []string{"name"}, want: names("payments")},
			{name: "delete again", method: "DELETE", path: groups + "/102", wantStatus: 404, keys: code, want: notFound},
		}},
		{"async", []step{
			{name: "create a child", method: "POST", path: groups, body: `{"name":"c","parent_id":102}`, wantStatus: 201},
			{name: "delete the child", method: "DELETE", path: groups + "/103", wantStatus: 202, want: "Group 'c' was scheduled for deletion."},
			{name: "the parent is not empty yet", method: "DELETE", path: groups + "/102", wantStatus: 400, keys: code, want: obj{"error_code": "CH.010001"}},
			{name: "its name is still taken", method: "POST", path: groups, body: `{"name":"c","parent_id":102}`, wantStatus: 400, keys: code, want: obj{"error_code": "CH.010001"}},
			{name: "it cannot be a parent", method: "POST", path: groups, body: `{"name":"d","parent_id":103}`, wantStatus: 404, keys: code, want: notFound},
			{name: "no member group can be attached", method: "POST", path: "/v4/" + testProject + "/groups/103/user-group/2bde30f6f7834db7af487450a9d155c5", wantStatus: 404, keys: code, want: notFound},
			{name: "other reads do not count", path: "/v4/groups/103/user-groups", want: arr{}},
			{name: "deleting it again changes nothing", method: "DELETE", path: groups + "/103", wantStatus: 202, want: "Group 'c' was scheduled for deletion."},
			{name: "read 1: show", path: groups + "/103", keys: []string{"id", "name"}, want: obj{"id": 103.0, "name": "c"}},
			{name: "read 2: the parent's listing", path: "/v4/groups/102/subgroups-and-repositories", keys: []string{"name"}, want: names("c")},
			{name: "then it is gone", path: "/v4/groups/102/subgroups-and-repositories", keys: []string{"name"}, want: names()},
			{name: "from show too", path: groups + "/103", wantStatus: 404, keys: code, want: notFound},
			{name: "the parent can go", method: "DELETE", path: groups + "/102", wantStatus: 202},
			{name: "read 1 of the parent: the project listing", path: "/v4/projects/" + testProject + "/subgroups-and-repositories", keys: []string{"name"}, want: names("payments", "empty")},
			{name: "read 2 of the parent: show", path: groups + "/102", keys: []string{"name", "subgroup_count"}, want: obj{"name": "empty", "subgroup_count": 0.0}},
			{name: "the project listing without it", path: "/v4/projects/" + testProject + "/subgroups-and-repositories", keys: []string{"name"}, want: names("payments")},
			{name: "its name is free again", method: "POST", path: groups, body: `{"name":"empty"}`, wantStatus: 201},
		}},
		{"cascade", []step{
			{name: "an empty group", method: "DELETE", path: groups + "/102", wantStatus: 202, want: "Group 'empty' was scheduled for deletion."},
			{name: "a group that is not empty goes with its contents", method: "DELETE", path: groups + "/100", wantStatus: 202,
				want: "Group 'payments' was scheduled for deletion."},
			{name: "its sub-group", path: groups + "/101", wantStatus: 404, keys: code, want: notFound},
			{name: "the repositories in it", path: "/v4/repositories/12345", wantStatus: 404, keys: code, want: notFound},
			{name: "and right under it", path: "/v4/repositories/2000", wantStatus: 404, keys: code, want: notFound},
			{name: "the project is empty", path: "/v4/projects/" + testProject + "/subgroups-and-repositories", want: arr{}},
		}},
	}
	for _, tt := range tests {
		t.Run("delete_group="+tt.mode, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.yaml")
			s, hs, _ := newServerWith(t, basicWith(t, "behaviour: {delete_group: "+tt.mode+"}\n"), Options{StatePath: state})
			runSteps(t, hs, tt.steps)
			// The journal replays the deletions and the re-creation.
			got, err := LoadFixture(diskImage(t, state))
			if err != nil {
				t.Fatal(err)
			}
			// (cascade empties the lists, which come back empty, not nil)
			if diff := cmp.Diff(s.Snapshot(), got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("replayed state (-memory +replayed):\n%s", diff)
			}
		})
	}
}

func TestListOrder(t *testing.T) {
	// Group payments (100) holds groups api (101), alpha (120), zeta (150)
	// and repositories ledger (2000), beta (3000).
	edits := []string{
		"  - {path: payments/api}\n", "  - {path: payments/api}\n  - {path: payments/zeta, id: 150}\n  - {path: payments/alpha, id: 120}\n",
		"  - path: payments/ledger\n", "  - {path: payments/beta, id: 3000}\n  - path: payments/ledger\n",
	}
	auditors := hexID("member_group", "auditors")
	ledger := hexID("repository", "payments/ledger")
	list := "/v4/groups/100/subgroups-and-repositories"
	names := func(ns ...string) arr {
		out := arr{}
		for _, n := range ns {
			out = append(out, obj{"name": n})
		}
		return out
	}
	touchLedger := step{name: "change ledger", method: "PUT", path: "/v1/repositories/" + ledger + "/members/" + hexID("user", "bob"), body: `{"role":30}`}
	touchAlpha := step{name: "change alpha", method: "POST", path: "/v4/" + testProject + "/groups/120/user-group/" + auditors, wantStatus: 201}
	touchAPI := step{name: "change api", method: "POST", path: "/v4/" + testProject + "/groups/101/user-group/" + auditors, wantStatus: 201}
	bad := obj{"error_code": "CH.010001"}
	tests := []struct {
		order string
		steps []step
	}{
		{"id", []step{
			{name: "default: ascending id", path: list, keys: []string{"name"}, want: names("api", "alpha", "zeta", "ledger", "beta")},
			{name: "by name", path: list + "?order_by=name", keys: []string{"name"}, want: names("alpha", "api", "zeta", "beta", "ledger")},
			{name: "by name, descending", path: list + "?order_by=name&sort=desc", keys: []string{"name"}, want: names("zeta", "api", "alpha", "ledger", "beta")},
			{name: "by id, descending", path: list + "?order_by=id&sort=desc", keys: []string{"name"}, want: names("zeta", "alpha", "api", "beta", "ledger")},
			{name: "by created_at is by id", path: list + "?order_by=created_at", keys: []string{"name"}, want: names("api", "alpha", "zeta", "ledger", "beta")},
			{name: "by updated_at before any change: ties by id", path: list + "?order_by=updated_at", keys: []string{"name"}, want: names("api", "alpha", "zeta", "ledger", "beta")},
			touchLedger, touchAlpha,
			{name: "by updated_at, newest first", path: list + "?order_by=updated_at&sort=desc", keys: []string{"name", "updated_at_timestamp"}, want: arr{
				obj{"name": "alpha", "updated_at_timestamp": float64(simEpochMillis + 2000)}, obj{"name": "zeta", "updated_at_timestamp": float64(simEpochMillis)},
				obj{"name": "api", "updated_at_timestamp": float64(simEpochMillis)}, obj{"name": "ledger", "updated_at_timestamp": float64(simEpochMillis + 1000)},
				obj{"name": "beta", "updated_at_timestamp": float64(simEpochMillis)}}},
			{name: "the default is unchanged by edits", path: list, keys: []string{"name"}, want: names("api", "alpha", "zeta", "ledger", "beta")},
			{name: "unknown order_by", path: list + "?order_by=path", wantStatus: 400, keys: []string{"error_code"}, want: bad},
			{name: "unknown sort", path: list + "?sort=up", wantStatus: 400, keys: []string{"error_code"}, want: bad},
		}},
		{"updated", []step{
			{name: "default: newest first, ties by id descending", path: list, keys: []string{"name"}, want: names("zeta", "alpha", "api", "beta", "ledger")},
			{name: "page 1", path: list + "?limit=2", keys: []string{"name"}, want: names("zeta", "alpha")},
			touchAPI,
			{name: "page 2 after an edit repeats alpha", path: list + "?offset=2&limit=2", keys: []string{"name"}, want: names("alpha", "beta")},
			{name: "page 3, and api was never seen", path: list + "?offset=4&limit=2", keys: []string{"name"}, want: names("ledger")},
			{name: "an explicit order pages safely", path: list + "?order_by=id&sort=asc", keys: []string{"name"}, want: names("api", "alpha", "zeta", "ledger", "beta")},
			touchLedger,
			{name: "the project listing too", path: "/v4/projects/" + testProject + "/subgroups-and-repositories", keys: []string{"name"}, want: names("empty", "payments")},
			{name: "repositories newest first", path: list + "?offset=3", keys: []string{"name"}, want: names("ledger", "beta")},
		}},
	}
	for _, tt := range tests {
		t.Run("list_order="+tt.order, func(t *testing.T) {
			_, hs, _ := newServerWith(t, basicWith(t, "behaviour: {list_order: "+tt.order+"}\n", edits...), Options{})
			runSteps(t, hs, tt.steps)
		})
	}
}

// TestIDsNotReused: the id of a deleted group or push rule is never handed
// out again, also after a restart from the state file.
func TestIDsNotReused(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.yaml")
	_, hs, _ := newServerWith(t, loadTestFixture(t), Options{StatePath: state})
	runSteps(t, hs, []step{
		{name: "delete the newest group", method: "DELETE", path: "/v4/" + testProject + "/groups/102", wantStatus: 202},
		{name: "a new group gets a new id", method: "POST", path: "/v4/" + testProject + "/groups", body: `{"name":"n"}`, wantStatus: 201,
			keys: []string{"id"}, want: obj{"id": 103.0}},
		{name: "delete the newest rule", method: "POST", path: "/v4/repositories/12345/file-push-permissions/batch-delete", body: `{"ids":[5]}`, wantStatus: 204},
		{name: "a new rule gets a new id", method: "POST", path: "/v4/repositories/12345/file-push-permissions", body: `{"path":"/n"}`,
			keys: []string{"id"}, want: obj{"id": 6.0}},
		{name: "delete it too", method: "POST", path: "/v4/repositories/12345/file-push-permissions/batch-delete", body: `{"ids":[6]}`, wantStatus: 204},
		{name: "delete the new group", method: "DELETE", path: "/v4/" + testProject + "/groups/103", wantStatus: 202},
	})
	fx, err := LoadFixture(diskImage(t, state))
	if err != nil {
		t.Fatal(err)
	}
	_, hs2, _ := newServerWith(t, fx, Options{})
	runSteps(t, hs2, []step{
		{name: "after a restart: group", method: "POST", path: "/v4/" + testProject + "/groups", body: `{"name":"m"}`, wantStatus: 201,
			keys: []string{"id"}, want: obj{"id": 104.0}},
		{name: "after a restart: rule", method: "POST", path: "/v4/repositories/12345/file-push-permissions", body: `{"path":"/m"}`,
			keys: []string{"id"}, want: obj{"id": 7.0}},
	})
}

func TestArchivedRepositories(t *testing.T) {
	// empty (102) holds only an archived repository; payments (100) holds
	// ledger (archived) next to api.
	fx := basicWith(t, "", "  - path: payments/ledger\n", "  - {path: empty/old, archived: true}\n  - path: payments/ledger\n    archived: true\n")
	_, hs, _ := newServerWith(t, fx, Options{})
	names := func(ns ...string) arr {
		out := arr{}
		for _, n := range ns {
			out = append(out, obj{"name": n})
		}
		return out
	}
	list := "/v4/groups/100/subgroups-and-repositories"
	runSteps(t, hs, []step{
		{name: "default: groups and live repositories", path: list, keys: []string{"name"}, want: names("api")},
		{name: "archived=false is the default", path: list + "?archived=false", keys: []string{"name"}, want: names("api")},
		{name: "archived=true: archived repositories only", path: list + "?archived=true", keys: []string{"name", "archived", "descendant_type"},
			want: arr{obj{"name": "ledger", "archived": true, "descendant_type": "project"}}},
		{name: "a group with only archived repositories looks empty", path: "/v4/groups/102/subgroups-and-repositories", want: arr{}},
		{name: "but is not empty for DeleteGroup", method: "DELETE", path: "/v4/" + testProject + "/groups/102", wantStatus: 400,
			keys: []string{"error_code"}, want: obj{"error_code": "CH.010001"}},
		{name: "its count includes them", path: "/v4/projects/" + testProject + "/subgroups-and-repositories?order_by=name", keys: []string{"name", "project_count"},
			want: arr{obj{"name": "empty", "project_count": 1.0}, obj{"name": "payments", "project_count": 1.0}}},
		{name: "show repository", path: "/v4/repositories/2001", keys: []string{"path", "archived"}, want: obj{"path": "ledger", "archived": true}},
		{name: "bad archived value", path: list + "?archived=maybe", wantStatus: 400, keys: []string{"error_code"}, want: obj{"error_code": "CH.010001"}},
	})

	// archived_listing: all — archived=true lists every child, archived
	// repositories included; the default listing is unchanged.
	fx = basicWith(t, "behaviour: {archived_listing: all}\n", "  - path: payments/ledger\n", "  - path: payments/ledger\n    archived: true\n")
	_, hs, _ = newServerWith(t, fx, Options{})
	runSteps(t, hs, []step{
		{name: "all: default listing", path: list, keys: []string{"name"}, want: names("api")},
		{name: "all: archived=true lists every child", path: list + "?archived=true", keys: []string{"name", "archived"},
			want: arr{obj{"name": "api", "archived": false}, obj{"name": "ledger", "archived": true}}},
	})
}

const loginBody = `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ci-bot","password":"ci-bot-pass","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`

// login returns a token from IAM login and its expires_at.
func login(t *testing.T, hs *httptest.Server) (string, string) {
	t.Helper()
	r := call(t, hs, "", "POST", "/v3/auth/tokens", loginBody)
	if r.status != 201 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	return r.header.Get("X-Subject-Token"), r.json(t).(map[string]any)["token"].(map[string]any)["expires_at"].(string)
}

func TestTokenExpiry(t *testing.T) {
	tests := []struct {
		name        string
		ttl         string // credentials.token_ttl, "" = default
		wantExpires string
		steps       []time.Duration // clock advances before each call
		want        []string        // "200" or an error code
	}{
		{"default 24h", "", "2025-01-16T08:30:00.000000Z", []time.Duration{0, 24*time.Hour - time.Second, time.Second}, []string{"200", "200", "APIG.0307"}},
		{"token_ttl 1h", "1h", "2025-01-15T09:30:00.000000Z", []time.Duration{0, 59 * time.Minute, time.Minute, time.Hour}, []string{"200", "200", "APIG.0307", "APIG.0307"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edits []string
			if tt.ttl != "" {
				edits = []string{"  token: sim-token\n", "  token: sim-token\n  token_ttl: " + tt.ttl + "\n"}
			}
			_, hs, clk := newServerWith(t, basicWith(t, "", edits...), Options{})
			tok, expires := login(t, hs)
			if expires != tt.wantExpires {
				t.Errorf("expires_at %s, want %s", expires, tt.wantExpires)
			}
			var got []string
			for _, d := range tt.steps {
				clk.Add(d)
				req, _ := http.NewRequest("GET", hs.URL+"/v4/repositories/12345", nil)
				req.Header.Set("X-Auth-Token", tok)
				resp, err := hs.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					got = append(got, "200")
					continue
				}
				r := result{status: resp.StatusCode, body: b}
				got = append(got, fmt.Sprint(resp.StatusCode, " ", pick(r.json(t), "error_code").(map[string]any)["error_code"]))
			}
			want := []string{}
			for _, w := range tt.want {
				if w != "200" {
					w = "401 " + w
				}
				want = append(want, w)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// The static token never expires; a new login works again.
			if r := call(t, hs, "token", "GET", "/v4/repositories/12345", ""); r.status != 200 {
				t.Errorf("static token: %d", r.status)
			}
			tok2, _ := login(t, hs)
			req, _ := http.NewRequest("GET", hs.URL+"/v4/repositories/12345", nil)
			req.Header.Set("X-Auth-Token", tok2)
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("renewed token: %d", resp.StatusCode)
			}
		})
	}
}

func TestServiceStageContentType(t *testing.T) {
	auths := "/v1/" + testIAM + "/git/auths"
	tests := []struct {
		name, mode, method, path, contentType, body string
		wantStatus                                  int
		wantCode                                    string
	}{
		{"required: list without", "required", "GET", auths, "", "", 400, "SVCSTG.REPO.0415"},
		{"required: list with", "required", "GET", auths, "application/json", "", 200, ""},
		{"required: charset is fine", "required", "GET", auths, "application/json;charset=UTF-8", "", 200, ""},
		{"required: delete without", "required", "DELETE", auths + "/pass1", "", "", 400, "SVCSTG.REPO.0415"},
		{"required: create with text/plain", "required", "POST", auths + "/github/password", "text/plain", `{"name":"a","user":"u","password":"p"}`, 400, "SVCSTG.REPO.0415"},
		{"required: create with", "required", "POST", auths + "/github/password", "application/json", `{"name":"a","user":"u","password":"p"}`, 200, ""},
		{"required: not for CodeArts", "required", "GET", "/v4/repositories/12345", "", "", 200, ""},
		{"optional: list without", "optional", "GET", auths, "", "", 200, ""},
		{"optional: delete without", "optional", "DELETE", auths + "/pass1", "", "", 204, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hs, _ := newServerWith(t, basicWith(t, "behaviour: {servicestage_content_type: "+tt.mode+"}\n"), Options{})
			req, _ := http.NewRequest(tt.method, hs.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			signRequest(req, []byte(tt.body), t0, testAK, testSK)
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			if tt.wantCode != "" {
				r := result{status: resp.StatusCode, body: b}
				if diff := cmp.Diff(obj{"error_code": tt.wantCode}, pick(r.json(t), "error_code")); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				if s.Stats().Writes != 0 {
					t.Errorf("a refused request wrote")
				}
			}
		})
	}
}

// signDomain signs req as the SDK does with global (domain) credentials:
// X-Domain-Id instead of X-Project-Id.
func signDomain(req *http.Request, domain string) {
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	req.Header.Set("X-Domain-Id", domain)
	d := t0.UTC().Format(sdkDateLayout)
	req.Header.Set("X-Sdk-Date", d)
	h := map[string]string{"user-agent": req.Header.Get("User-Agent"), "x-domain-id": domain, "x-sdk-date": d}
	sig := Sign(testSK, req.Method, req.URL.EscapedPath(), req.URL.RawQuery, h, nil, d)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+testAK+", SignedHeaders=user-agent;x-domain-id;x-sdk-date, Signature="+sig)
}

func TestIdentityEndpoints(t *testing.T) {
	s, hs, clk := newServerWith(t, basicWith(t, "", "  token: sim-token\n", "  token: sim-token\n  token_ttl: 1h\n"), Options{})
	bob := s.idx.userByName["bob"].IAMID
	tok, _ := login(t, hs)
	domain := hexID("domain", simTenant)
	type answer struct {
		Status  int
		Subject string
		Body    any
	}
	do := func(t *testing.T, path, auth, subject string, keys ...string) answer {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		switch auth {
		case "token":
			req.Header.Set("X-Auth-Token", testToken)
		case "aksk":
			signRequest(req, nil, t0, testAK, testSK)
		case "domain":
			signDomain(req, domain)
		case "other domain":
			signDomain(req, strings.Repeat("d", 32))
		}
		if subject != "" {
			req.Header.Set("X-Subject-Token", subject)
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r := result{status: resp.StatusCode, body: b}
		body := r.json(t)
		if keys != nil {
			body = pick(body, keys...)
		}
		return answer{resp.StatusCode, resp.Header.Get("X-Subject-Token"), body}
	}
	validate := "/v3/auth/tokens"
	cred := "/v3.0/OS-CREDENTIAL/credentials/"
	tests := []struct {
		name, path, auth, subject string
		keys                      []string
		advance                   time.Duration
		want                      answer
	}{
		{"validate a login token", validate, "token", tok, []string{"token.user", "token.methods", "token.project.id", "token.expires_at"}, 0,
			answer{200, tok, obj{"token": obj{"user": obj{"id": bob, "name": "ci-bot", "domain": obj{"id": hexID("domain", "acme"), "name": "acme"}},
				"methods": arr{"password"}, "project": obj{"id": testIAM}, "expires_at": "2025-01-15T09:30:00.000000Z"}}}},
		{"validate the static token, signed with AK/SK", validate, "aksk", testToken, []string{"token.user", "token.methods"}, 0,
			answer{200, testToken, obj{"token": obj{"user": obj{"id": aliceIAM, "name": "alice", "domain": obj{"id": domain, "name": simTenant}},
				"methods": arr{"token"}}}}},
		{"validate an unknown token", validate, "token", "MIInope", []string{"error.code"}, 0, answer{404, "", obj{"error": obj{"code": 404.0}}}},
		{"validate without a subject", validate, "token", "", []string{"error.code"}, 0, answer{400, "", obj{"error": obj{"code": "1100"}}}},
		{"validate unauthenticated", validate, "", tok, []string{"error_code"}, 0, answer{401, "", obj{"error_code": "APIG.0301"}}},
		{"the access key's owner", cred + testAK, "aksk", "", nil, 0, answer{200, "", obj{"credential": obj{"user_id": aliceIAM, "access": testAK,
			"status": "active", "created_at": "2025-01-01T00:00:00.000000Z", "description": ""}}}},
		{"signed with X-Domain-Id", cred + testAK, "domain", "", []string{"credential.user_id"}, 0, answer{200, "", obj{"credential": obj{"user_id": aliceIAM}}}},
		{"signed with another domain", cred + testAK, "other domain", "", []string{"error_code"}, 0, answer{401, "", obj{"error_code": "APIG.0301"}}},
		{"an unknown access key", cred + "NOSUCHKEY", "token", "", []string{"error.code"}, 0, answer{404, "", obj{"error": obj{"code": 404.0}}}},
		{"X-Domain-Id is not enough off the IAM host", "/v4/repositories/12345", "domain", "", []string{"error_code"}, 0, answer{401, "", obj{"error_code": "APIG.0301"}}},
		{"an expired login token is unknown", validate, "token", tok, []string{"error.code"}, time.Hour, answer{404, "", obj{"error": obj{"code": 404.0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Add(tt.advance)
			if diff := cmp.Diff(tt.want, do(t, tt.path, tt.auth, tt.subject, tt.keys...)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDateHeaderFollowsTheClock(t *testing.T) {
	_, hs, clk := newTestServer(t, Options{})
	var got []string
	for _, path := range []string{"/v4/repositories/12345", "/v4/repositories/12345", "/v4/nothing", "/_sim/stats"} {
		got = append(got, call(t, hs, "token", "GET", path, "").header.Get("Date"))
		clk.Add(90 * time.Minute)
	}
	want := []string{"Wed, 15 Jan 2025 08:30:00 GMT", "Wed, 15 Jan 2025 10:00:00 GMT", "Wed, 15 Jan 2025 11:30:00 GMT", "Wed, 15 Jan 2025 13:00:00 GMT"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
