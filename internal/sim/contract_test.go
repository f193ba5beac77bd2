package sim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pick keeps only keys of a JSON object, or of every object in a JSON array;
// "a.b" keeps key b of the object under a.
func pick(v any, keys ...string) any {
	switch x := v.(type) {
	case []any:
		out := []any{}
		for _, e := range x {
			out = append(out, pick(e, keys...))
		}
		return out
	case map[string]any:
		out := map[string]any{}
		nested := map[string][]string{}
		for _, k := range keys {
			if outer, inner, ok := strings.Cut(k, "."); ok {
				nested[outer] = append(nested[outer], inner)
				continue
			}
			if val, ok := x[k]; ok {
				out[k] = val
			}
		}
		for outer, inner := range nested {
			if val, ok := x[outer]; ok {
				out[outer] = pick(val, inner...)
			}
		}
		return out
	}
	return v
}

type obj = map[string]any
type arr = []any

const (
	gwUUID   = "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60"
	aliceIAM = "87b3dc2019f04ee788cb635eb26154ca"
)

// ns is the test project's namespace, which full paths carry by default
// (behaviour full_path_namespace).
var ns = hexID("namespace", testProject)

func TestContractReads(t *testing.T) {
	fx := loadTestFixture(t)
	idx := buildIndex(fx)
	bob, carol, dave := idx.userByName["bob"], idx.userByName["carol"], idx.userByName["dave"]
	auditors := idx.mgByName["auditors"]
	tests := []struct {
		name       string
		path       string
		keys       []string
		wantStatus int
		want       any
		wantTotal  string
	}{
		{name: "project children", path: "/v4/projects/" + testProject + "/subgroups-and-repositories",
			keys: []string{"descendant_type", "id", "full_path", "uuid"}, wantStatus: 200,
			want: arr{obj{"descendant_type": "group", "id": 100.0, "full_path": ns + "/payments"}, obj{"descendant_type": "group", "id": 102.0, "full_path": ns + "/empty"}}},
		{name: "group children", path: "/v4/groups/100/subgroups-and-repositories",
			keys: []string{"descendant_type", "id", "full_path", "uuid", "parent_id"}, wantStatus: 200,
			want: arr{obj{"descendant_type": "group", "id": 101.0, "full_path": ns + "/payments/api", "parent_id": 100.0},
				obj{"descendant_type": "project", "id": 2000.0, "full_path": ns + "/payments/ledger", "uuid": hexID("repository", "payments/ledger")}}},
		{name: "group children paged", path: "/v4/groups/100/subgroups-and-repositories?offset=1&limit=1",
			keys: []string{"id"}, wantStatus: 200, want: arr{obj{"id": 2000.0}}},
		{name: "limit too big", path: "/v4/groups/100/subgroups-and-repositories?limit=101",
			keys: []string{"error_code"}, wantStatus: 400, want: obj{"error_code": "CH.010001"}},
		{name: "limit zero", path: "/v4/groups/100/subgroups-and-repositories?limit=0",
			keys: []string{"error_code"}, wantStatus: 400, want: obj{"error_code": "CH.010001"}},
		{name: "unknown group", path: "/v4/groups/999/subgroups-and-repositories",
			keys: []string{"error_code"}, wantStatus: 404, want: obj{"error_code": "CH.000404"}},
		{name: "malformed group id", path: "/v4/groups/abc/subgroups-and-repositories",
			keys: []string{"error_code"}, wantStatus: 400, want: obj{"error_code": "CH.010001"}},
		{name: "show group", path: "/v4/" + testProject + "/groups/101",
			keys: []string{"id", "name", "full_name", "ancestor_ids", "ancestor_names", "project_id", "parent_id"}, wantStatus: 200,
			want: obj{"id": 101.0, "name": "api", "full_name": ns + " / payments / api", "ancestor_ids": arr{100.0}, "ancestor_names": arr{"payments"},
				"project_id": testProject, "parent_id": 100.0}},
		{name: "show group wrong project", path: "/v4/" + testIAM + "/groups/101",
			keys: []string{"error_code"}, wantStatus: 404, want: obj{"error_code": "CH.000404"}},
		{name: "group user groups", path: "/v4/groups/100/user-groups",
			keys: []string{"user_group_id", "name", "member_count"}, wantStatus: 200,
			want: arr{obj{"user_group_id": "2bde30f6f7834db7af487450a9d155c5", "name": "payments-leads", "member_count": 1.0}}},
		{name: "addable user groups", path: "/v4/groups/100/user-groups/addable-list?project_id=" + testProject,
			keys: []string{"user_group_id", "name"}, wantStatus: 200,
			want: arr{obj{"user_group_id": auditors.ID, "name": "auditors"}}},
		{name: "addable needs project_id", path: "/v4/groups/100/user-groups/addable-list",
			keys: []string{"error_code"}, wantStatus: 400, want: obj{"error_code": "CH.010001"}},
		{name: "show repository", path: "/v4/repositories/12345",
			keys: []string{"id", "uuid", "path_with_namespace", "ancestor_ids"}, wantStatus: 200,
			want: obj{"id": 12345.0, "uuid": gwUUID, "path_with_namespace": ns + "/payments/api/gateway", "ancestor_ids": arr{100.0, 101.0}}},
		{name: "unknown repository", path: "/v4/repositories/77",
			keys: []string{"error_code"}, wantStatus: 404, want: obj{"error_code": "CH.000404"}},
		{name: "v4 members with sources", path: "/v4/repositories/12345/members",
			keys: []string{"user_id", "user_iam_id", "user_name", "repository_role_name", "member_source", "member_group_source", "repository_role_Id"}, wantStatus: 200, wantTotal: "4",
			want: arr{
				obj{"user_id": 9124.0, "user_iam_id": aliceIAM, "user_name": "alice", "repository_role_name": "Administrator", "member_source": "", "member_group_source": "", "repository_role_Id": repoRoleID(40)},
				obj{"user_id": float64(bob.ID), "user_iam_id": bob.IAMID, "user_name": "bob", "repository_role_name": "Developer", "member_source": "", "member_group_source": "", "repository_role_Id": repoRoleID(30)},
				obj{"user_id": float64(carol.ID), "user_iam_id": carol.IAMID, "user_name": "carol", "repository_role_name": "Developer", "member_source": "payments-leads", "member_group_source": ns + "/payments", "repository_role_Id": repoRoleID(30)},
				obj{"user_id": float64(dave.ID), "user_iam_id": dave.IAMID, "user_name": "dave", "repository_role_name": "Developer", "member_source": "auditors", "member_group_source": "", "repository_role_Id": repoRoleID(30)},
			}},
		{name: "v4 members paged keeps total", path: "/v4/repositories/12345/members?offset=3&limit=2",
			keys: []string{"user_name"}, wantStatus: 200, wantTotal: "4", want: arr{obj{"user_name": "dave"}}},
		{name: "legacy members direct only", path: "/v1/repositories/" + gwUUID + "/members",
			keys: []string{"status", "result"}, wantStatus: 200,
			want: obj{"status": "success", "result": obj{"total": 2.0, "users": arr{
				obj{"user_id": aliceIAM, "name": "alice", "email": "", "description": "", "domain_id": hexID("domain", simTenant), "domain_name": simTenant, "role": 40.0, "enabled": "true"},
				obj{"user_id": bob.IAMID, "name": "bob", "email": "", "description": "", "domain_id": hexID("domain", simTenant), "domain_name": simTenant, "role": 30.0, "enabled": "true"},
			}}}},
		{name: "legacy page size too big", path: "/v1/repositories/" + gwUUID + "/members?page_size=101",
			keys: []string{"status"}, wantStatus: 400, want: obj{"status": "failed"}},
		{name: "legacy page index too big", path: "/v1/repositories/" + gwUUID + "/members?page_index=9223372036854775807",
			keys: []string{"status"}, wantStatus: 400, want: obj{"status": "failed"}},
		{name: "legacy page index past the members", path: "/v1/repositories/" + gwUUID + "/members?page_index=2147483647",
			keys: []string{"result.users"}, wantStatus: 200, want: obj{"result": obj{"users": arr{}}}},
		{name: "legacy unknown uuid", path: "/v1/repositories/" + hexID("x", "y") + "/members",
			keys: []string{"status"}, wantStatus: 404, want: obj{"status": "failed"}},
		{name: "repository user groups", path: "/v4/repositories/12345/user-groups",
			keys: []string{"user_group_name", "user_group_id", "user_count"}, wantStatus: 200, wantTotal: "1",
			want: arr{obj{"user_group_name": "auditors", "user_group_id": auditors.ID, "user_count": "2"}}},
		{name: "project teams", path: "/v4/projects/" + testProject + "/protected-refs/user-groups?search=aud",
			keys: []string{"id", "name"}, wantStatus: 200, wantTotal: "1", want: arr{obj{"id": 200.0, "name": "auditors"}}},
		{name: "push rules", path: "/v4/repositories/12345/file-push-permissions", keys: []string{"id", "path", "actions"}, wantStatus: 200,
			want: arr{obj{"id": 5.0, "path": "/config/*", "actions": arr{obj{"action": "push", "enable": true,
				"users":      arr{obj{"id": 9124.0, "name": "alice", "username": aliceIAM, "state": "active", "nick_name": "alice", "tenant_name": simTenant}},
				"user_teams": arr{obj{"id": 247.0, "name": "payments-leads"}},
				"roles":      arr{obj{"id": 1.0, "name": "project-manager", "related_role_id": "6115a3ddd9044e288c558d1ae827a732"}}}}}}},
		{name: "project users", path: "/v4/projects/" + testProject + "/members?limit=2", keys: []string{"id", "name", "iam_id", "username"},
			wantStatus: 200, want: arr{obj{"id": 9124.0, "name": "alice", "iam_id": aliceIAM, "username": aliceIAM},
				obj{"id": float64(bob.ID), "name": "bob", "iam_id": bob.IAMID, "username": bob.IAMID}}},
		{name: "member setting", path: "/v4/projects/" + testProject + "/member-setting", keys: []string{"role_sync"}, wantStatus: 200,
			want: obj{"role_sync": arr{obj{"id": 1.0, "role_id": "6115a3ddd9044e288c558d1ae827a732", "role_sync_enabled": true, "role_name": "project-manager",
				"role_type": "custom", "created_at": simCreatedAt, "updated_at": simCreatedAt}}}},
		{name: "git auths", path: "/v1/" + testIAM + "/git/auths", keys: []string{"count", "authorizations"}, wantStatus: 200,
			want: obj{"count": 1.0, "authorizations": arr{obj{"name": "pass1", "repo_type": "bitbucket", "repo_host": "https://api.bitbucket.org",
				"repo_home": "https://api.bitbucket.org/bucket-ljn", "repo_user": "bucket-ljn", "avartar": "", "token_type": "password",
				"create_time": 1735689600000.0, "update_time": 1735689600000.0, "status": 0.0}}}},
		{name: "git auths wrong project", path: "/v1/" + testProject + "/git/auths", keys: []string{"error_code"}, wantStatus: 404,
			want: obj{"error_code": "SVCSTG.REPO.0404"}},
	}
	_, hs, _ := newTestServer(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, auth := range []string{"token", "aksk"} {
				r := call(t, hs, auth, "GET", tt.path, "")
				if r.status != tt.wantStatus {
					t.Fatalf("%s: status %d, want %d: %s", auth, r.status, tt.wantStatus, r.body)
				}
				if diff := cmp.Diff(tt.want, pick(r.json(t), tt.keys...)); diff != "" {
					t.Errorf("%s: body (-want +got):\n%s", auth, diff)
				}
				if got := r.header.Get("X-Total"); got != tt.wantTotal {
					t.Errorf("%s: X-Total %q, want %q", auth, got, tt.wantTotal)
				}
			}
		})
	}
}

func TestUnauthenticatedCountsUnderOperation(t *testing.T) {
	s, hs, _ := newTestServer(t, Options{})
	r := call(t, hs, "", "GET", "/v4/repositories/12345/members", "")
	if r.status != http.StatusUnauthorized {
		t.Fatalf("status %d", r.status)
	}
	if diff := cmp.Diff(obj{"error_code": "APIG.0301"}, pick(r.json(t), "error_code")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := s.Stats().Calls["ListMembers"]; got != 1 {
		t.Errorf("calls[ListMembers] = %d, want 1", got)
	}
}
