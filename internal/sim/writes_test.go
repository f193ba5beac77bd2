package sim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestContractWrites runs a sequence of writes, each checked for its status,
// body and its effect (a read after it, or the write counter).
func TestContractWrites(t *testing.T) {
	fx := loadTestFixture(t)
	idx := buildIndex(fx)
	bob, carol, dave := idx.userByName["bob"], idx.userByName["carol"], idx.userByName["dave"]
	auditors := idx.mgByName["auditors"]
	ledger := idx.repoByPath["payments/ledger"]
	steps := []struct {
		name, method, path, body string
		keys                     []string
		wantStatus               int
		want                     any
		write                    bool // a successful state change
	}{
		{"create group", "POST", "/v4/" + testProject + "/groups", `{"name":"platform","visibility":"private","description":"p"}`,
			[]string{"id", "name", "full_name", "visibility"}, 201, obj{"id": 103.0, "name": "platform", "full_name": ns + " / platform", "visibility": "private"}, true},
		{"create subgroup", "POST", "/v4/" + testProject + "/groups", `{"name":"tools","parent_id":103}`,
			[]string{"id", "full_name", "visibility"}, 201, obj{"id": 104.0, "full_name": ns + " / platform / tools", "visibility": "public"}, true},
		{"duplicate name under parent", "POST", "/v4/" + testProject + "/groups", `{"name":"tools","parent_id":103}`,
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"parent id as string", "POST", "/v4/" + testProject + "/groups", `{"name":"x","parent_id":"103"}`,
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"bad group name", "POST", "/v4/" + testProject + "/groups", `{"name":"a/b"}`,
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"unknown parent", "POST", "/v4/" + testProject + "/groups", `{"name":"x","parent_id":999}`,
			[]string{"error_code"}, 404, obj{"error_code": "CH.000404"}, false},
		{"delete non-empty group", "DELETE", "/v4/" + testProject + "/groups/103", "",
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"delete group", "DELETE", "/v4/" + testProject + "/groups/104", "", nil, 202, "Group 'tools' was scheduled for deletion.", true},
		{"delete gone group", "DELETE", "/v4/" + testProject + "/groups/104", "", []string{"error_code"}, 404, obj{"error_code": "CH.000404"}, false},
		{"delete malformed group id", "DELETE", "/v4/" + testProject + "/groups/x", "", []string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"associate group member group", "POST", "/v4/" + testProject + "/groups/103/user-group/" + auditors.ID, "",
			[]string{"success", "failure"}, 201, obj{"success": arr{obj{"id": "1003", "iam_id": dave.IAMID, "name": "dave"}, obj{"id": "9124", "iam_id": aliceIAM, "name": "alice"}}, "failure": arr{}}, true},
		{"associate group again", "POST", "/v4/" + testProject + "/groups/103/user-group/" + auditors.ID, "",
			[]string{"error_code", "error_msg"}, 409, obj{"error_code": "CH_23_51308", "error_msg": "The member group has been added."}, false},
		{"associate unknown member group", "POST", "/v4/" + testProject + "/groups/103/user-group/" + strings.Repeat("0", 32), "",
			[]string{"error_code"}, 404, obj{"error_code": "CH.000404"}, false},
		{"associate repository member group", "POST", "/v4/" + testProject + "/repositories/2000/user-group/" + auditors.ID, "",
			nil, 200, obj{"status": "success"}, true},
		{"associate repository again", "POST", "/v4/" + testProject + "/repositories/2000/user-group/" + auditors.ID, "",
			[]string{"error_code"}, 409, obj{"error_code": "CH_23_51308"}, false},
		{"add members", "POST", "/v1/repositories/" + ledger.UUID + "/members", `{"users":[{"id":"` + carol.IAMID + `","name":"carol","role":40}]}`,
			nil, 200, obj{"status": "success", "error": nil, "result": arr{obj{"id": carol.IAMID, "name": "carol", "message": "add user success", "status": "success"}}}, true},
		{"add member bad role", "POST", "/v1/repositories/" + ledger.UUID + "/members", `{"users":[{"id":"` + dave.IAMID + `","name":"dave","role":50}]}`,
			[]string{"status"}, 400, obj{"status": "failed"}, false},
		{"set role", "PUT", "/v1/repositories/" + ledger.UUID + "/members/" + bob.IAMID, `{"role":40}`,
			nil, 200, obj{"status": "success", "result": obj{}, "error": nil}, true},
		{"set role string", "PUT", "/v1/repositories/" + ledger.UUID + "/members/" + bob.IAMID, `{"role":"40"}`,
			[]string{"status"}, 400, obj{"status": "failed"}, false},
		{"set role bad level", "PUT", "/v1/repositories/" + ledger.UUID + "/members/" + bob.IAMID, `{"role":10}`,
			[]string{"status"}, 400, obj{"status": "failed"}, false},
		{"set role inherited", "PUT", "/v1/repositories/" + ledger.UUID + "/members/" + dave.IAMID, `{"role":40}`,
			nil, 400, obj{"status": "failed", "result": nil, "error": obj{"code": "DEV.CH.10003", "message": "member " + dave.IAMID + " is inherited through auditors and cannot be changed on the repository"}}, false},
		{"delete inherited member", "DELETE", "/v1/repositories/" + ledger.UUID + "/members/" + dave.IAMID, "",
			[]string{"status"}, 400, obj{"status": "failed"}, false},
		{"delete member", "DELETE", "/v1/repositories/" + ledger.UUID + "/members/" + bob.IAMID, "",
			[]string{"status"}, 200, obj{"status": "success"}, true},
		{"delete member again", "DELETE", "/v1/repositories/" + ledger.UUID + "/members/" + bob.IAMID, "",
			[]string{"status"}, 404, obj{"status": "failed"}, false},
		{"create push rule", "POST", "/v4/repositories/2000/file-push-permissions",
			`{"path":"/deploy/**","actions":[{"action":"push","enable":true,"user_ids":[9124],"user_team_ids":[200]}]}`,
			[]string{"id", "path"}, 200, obj{"id": 6.0, "path": "/deploy/**"}, true},
		{"push rule relative path", "POST", "/v4/repositories/2000/file-push-permissions", `{"path":"deploy"}`,
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"push rule too long", "POST", "/v4/repositories/2000/file-push-permissions", `{"path":"/` + strings.Repeat("a", 256) + `"}`,
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"push rule unknown user", "POST", "/v4/repositories/2000/file-push-permissions", `{"path":"/z","actions":[{"action":"push","user_ids":[5]}]}`,
			[]string{"error_code"}, 400, obj{"error_code": "CH.010001"}, false},
		{"update push rules", "PUT", "/v4/repositories/2000/file-push-permissions",
			`{"permissions":[{"id":6,"path":"/deploy/**","actions":[{"action":"push","enable":false,"related_role_ids":["6115a3ddd9044e288c558d1ae827a732"]}]}]}`,
			[]string{"id", "actions"}, 200, arr{obj{"id": 6.0, "actions": arr{obj{"action": "push", "enable": false, "users": arr{}, "user_teams": arr{},
				"roles": arr{obj{"id": 1.0, "name": "project-manager", "related_role_id": "6115a3ddd9044e288c558d1ae827a732"}}}}}}, true},
		{"update rule of other repository", "PUT", "/v4/repositories/2000/file-push-permissions", `{"permissions":[{"id":5}]}`,
			[]string{"error_code"}, 404, obj{"error_code": "CH.000404"}, false},
		{"batch delete", "POST", "/v4/repositories/2000/file-push-permissions/batch-delete", `{"ids":[6]}`, nil, 204, nil, true},
		{"batch delete unknown", "POST", "/v4/repositories/2000/file-push-permissions/batch-delete", `{"ids":[6]}`,
			[]string{"error_code"}, 404, obj{"error_code": "CH.000404"}, false},
		{"create git auth", "POST", "/v1/" + testIAM + "/git/auths/github/password", `{"name":"gh","user":"octo","password":"pw"}`,
			[]string{"authorization"}, 200, obj{"authorization": obj{"name": "gh", "repo_type": "github", "repo_host": "https://api.github.com",
				"repo_home": "https://api.github.com/octo", "repo_user": "octo", "avartar": "", "token_type": "password",
				"create_time": float64(t0.UnixMilli()), "update_time": float64(t0.UnixMilli()), "status": 0.0}}, true},
		{"create git auth bad type", "POST", "/v1/" + testIAM + "/git/auths/gitlab/password", `{"name":"gl","user":"octo","password":"pw"}`,
			[]string{"error_code"}, 400, obj{"error_code": "SVCSTG.REPO.0400"}, false},
		{"delete git auth", "DELETE", "/v1/" + testIAM + "/git/auths/pass1", "", nil, 204, nil, true},
		{"delete git auth again", "DELETE", "/v1/" + testIAM + "/git/auths/pass1", "", []string{"error_code"}, 404, obj{"error_code": "SVCSTG.REPO.0404"}, false},
	}
	s, hs, _ := newTestServer(t, Options{})
	writes := 0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := call(t, hs, "aksk", st.method, st.path, st.body)
			if r.status != st.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, st.wantStatus, r.body)
			}
			if st.want == nil {
				if len(r.body) != 0 {
					t.Errorf("body %q, want none", r.body)
				}
			} else {
				got := r.json(t)
				if st.keys != nil {
					got = pick(got, st.keys...)
				}
				if diff := cmp.Diff(st.want, got); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
			}
			if st.write {
				writes++
			}
			if got := s.Stats().Writes; got != writes {
				t.Errorf("writes = %d, want %d", got, writes)
			}
		})
	}
	t.Run("effects visible in reads", func(t *testing.T) {
		r := call(t, hs, "token", "GET", "/v4/repositories/2000/members", "")
		want := arr{ // alice (credentials.user) created every repository: member_sync
			obj{"user_name": "alice", "member_source": "", "repository_role_name": "Administrator"},
			obj{"user_name": "carol", "member_source": "", "repository_role_name": "Administrator"},
			obj{"user_name": "dave", "member_source": "auditors", "repository_role_name": "Developer"},
		}
		if diff := cmp.Diff(want, pick(r.json(t), "user_name", "member_source", "repository_role_name")); diff != "" {
			t.Errorf("members (-want +got):\n%s", diff)
		}
		r = call(t, hs, "token", "GET", "/v4/groups/103/user-groups", "")
		if diff := cmp.Diff(arr{obj{"name": "auditors"}}, pick(r.json(t), "name")); diff != "" {
			t.Errorf("group member groups (-want +got):\n%s", diff)
		}
	})
}

func TestIAMLogin(t *testing.T) {
	tests := []struct {
		name, body string
		wantStatus int
	}{
		{"ok", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ci-bot","password":"ci-bot-pass","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, 201},
		{"wrong password", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ci-bot","password":"x","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, 401},
		{"wrong domain", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ci-bot","password":"ci-bot-pass","domain":{"name":"other"}}}},"scope":{"project":{"name":"cn-north-4"}}}}`, 401},
		{"no scope", `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ci-bot","password":"ci-bot-pass","domain":{"name":"acme"}}}}}}`, 400},
		{"not json", `{`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hs, _ := newTestServer(t, Options{})
			r := call(t, hs, "", "POST", "/v3/auth/tokens?nocatalog=true", tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			tok := r.header.Get("X-Subject-Token")
			if tt.wantStatus != 201 {
				if tok != "" {
					t.Errorf("token issued on failure")
				}
				return
			}
			want := obj{"user": obj{"id": s.idx.userByName["bob"].IAMID, "name": "ci-bot", "domain": obj{"id": hexID("domain", "acme"), "name": "acme"}},
				"project": obj{"id": testIAM, "name": "cn-north-4", "domain": obj{"id": hexID("domain", "acme"), "name": "acme"}}}
			if diff := cmp.Diff(want, pick(r.json(t).(map[string]any)["token"], "user", "project")); diff != "" {
				t.Errorf("token body (-want +got):\n%s", diff)
			}
			req, _ := http.NewRequest("GET", hs.URL+"/v4/repositories/12345", nil)
			req.Header.Set("X-Auth-Token", tok)
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("issued token rejected: %d", resp.StatusCode)
			}
		})
	}
}
