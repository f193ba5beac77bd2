package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	tProject    = "0b234373cf3f4b04ab2d8a245155e12b"
	tIAMProject = "5109940fad834a4eb3e408182d3b5786"
	tUUID       = "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60"
	tUserGroup  = "2bde30f6f7834db7af487450a9d155c5"
	tIAMUser    = "87b3dc2019f04ee788cb635eb26154ca"
	tRole       = "6115a3ddd9044e288c558d1ae827a732"
	tToken      = "tok-abc-123"
	tAK         = "SIMAK00000000000000000"
	tSK         = "SIMSKsecret000000000000000000000000000"
)

const (
	firstPage = "offset=0&limit=100"
	treeOrder = "order_by=id&sort=asc&"
)

type endpointCase struct {
	op         string
	method     string
	path       string
	query      string // expected query, "" for none
	body       string // expected JSON body, "" for none
	status     int
	respHeader map[string]string
	resp       string
	call       func(context.Context, *Client) (any, error)
	want       any
	wantErr    func(error) bool // the call must fail this way; want is then ignored
}

func endpointCases() []endpointCase {
	return []endpointCase{
		{
			op: "ListProjectSubgroupsAndRepositories", method: "GET",
			path: "/v4/projects/" + tProject + "/subgroups-and-repositories", query: treeOrder + firstPage, status: 200,
			resp: `[{"descendant_type":"group","id":100,"name":"payments","path":"payments","full_name":"Payments","full_path":"payments","group_level":1,"visibility":"private","visibility_level":0,"subgroup_count":1,"project_count":0,"unknown":"x"},
			        {"descendant_type":"project","id":12345,"uuid":"` + tUUID + `","name":"gw","path":"gw","full_path":"gw","project_id":"` + tProject + `","archived":false}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListProjectSubgroupsAndRepositoriesWith(ctx, tProject, TreeQuery{})
			},
			want: []TreeItem{
				{DescendantType: "group", ID: 100, Name: "payments", Path: "payments", FullPath: "payments", Visibility: "private"},
				{DescendantType: "project", ID: 12345, UUID: tUUID, Name: "gw", Path: "gw", FullPath: "gw"},
			},
		},
		{
			op: "ListGroupSubgroupsAndRepositories", method: "GET",
			path: "/v4/groups/100/subgroups-and-repositories", query: treeOrder + firstPage, status: 200,
			resp: `[{"descendant_type":"group","id":101,"full_path":"payments/api","group_level":2}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListGroupSubgroupsAndRepositoriesWith(ctx, 100, TreeQuery{})
			},
			want: []TreeItem{{DescendantType: "group", ID: 101, FullPath: "payments/api"}},
		},
		{
			op: "ListGroupSubgroupsAndRepositories archived", method: "GET",
			path: "/v4/groups/100/subgroups-and-repositories", query: "archived=true&" + treeOrder + firstPage, status: 200,
			resp: `[{"descendant_type":"project","id":7,"name":"Old","path":"old","full_path":"ns/payments/old","archived":true}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListGroupSubgroupsAndRepositoriesWith(ctx, 100, TreeQuery{Archived: true})
			},
			want: []TreeItem{{DescendantType: "project", ID: 7, Name: "Old", Path: "old", FullPath: "ns/payments/old", Archived: true}},
		},
		{
			op: "ListProjectSubgroupsAndRepositories archived", method: "GET",
			path: "/v4/projects/" + tProject + "/subgroups-and-repositories", query: "archived=true&" + treeOrder + firstPage, status: 200,
			resp: `[]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListProjectSubgroupsAndRepositoriesWith(ctx, tProject, TreeQuery{Archived: true})
			},
			want: []TreeItem(nil),
		},
		{
			op: "ListProjectSubgroupsAndRepositories server order", method: "GET",
			path: "/v4/projects/" + tProject + "/subgroups-and-repositories", query: firstPage, status: 200,
			resp: `[{"descendant_type":"group","id":101},{"descendant_type":"group","id":100}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListProjectSubgroupsAndRepositoriesWith(ctx, tProject, TreeQuery{ServerOrder: true})
			},
			want: []TreeItem{{DescendantType: "group", ID: 101}, {DescendantType: "group", ID: 100}},
		},
		{
			op: "ListGroupSubgroupsAndRepositories server order", method: "GET",
			path: "/v4/groups/100/subgroups-and-repositories", query: firstPage, status: 200,
			resp: `[]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListGroupSubgroupsAndRepositoriesWith(ctx, 100, TreeQuery{ServerOrder: true})
			},
			want: []TreeItem(nil),
		},
		{
			op: "ShowGroup", method: "GET", path: "/v4/" + tProject + "/groups/100", status: 200,
			resp: `{"id":100,"name":"payments","full_name":"acme / payments","description":"d","visibility":"private","project_id":"` + tProject + `","creator_id":9124,"ancestor_ids":[99],"ancestor_names":["acme"],"repository_count":2,"subgroup_count":1,"sum":{"open_merge_requests_count":1}}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.ShowGroup(ctx, tProject, 100) },
			want: Group{RepositoryCount: 2, SubgroupCount: 1},
		},
		{
			op: "ListGroupUserGroups", method: "GET", path: "/v4/groups/100/user-groups", query: firstPage, status: 200,
			resp: `[{"id":3,"user_group_id":"` + tUserGroup + `","name":"payments-leads","project_id":"` + tProject + `","member_count":4}]`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListGroupUserGroups(ctx, 100) },
			want: []GroupUserGroup{{UserGroupID: tUserGroup, Name: "payments-leads"}},
		},
		{
			op: "ListGroupAddableUserGroups", method: "GET", path: "/v4/groups/100/user-groups/addable-list",
			query: "project_id=" + tProject + "&" + firstPage, status: 200,
			resp: `[{"id":4,"user_group_id":"` + tUserGroup + `","name":"payments-leads","group_type":"custom"}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListGroupAddableUserGroups(ctx, 100, tProject)
			},
			want: []GroupUserGroup{{UserGroupID: tUserGroup, Name: "payments-leads"}},
		},
		{
			op: "ListMembers", method: "GET", path: "/v4/repositories/12345/members", query: firstPage, status: 200,
			respHeader: map[string]string{"X-Total": "1"},
			resp:       `[{"user_id":9124,"user_iam_id":"` + tIAMUser + `","user_name":"alice","repository_role_Id":"` + tRole + `","repository_role_name":"Admin","is_Project_admin":1,"member_source":"","member_source_id":"100"}]`,
			call:       func(ctx context.Context, c *Client) (any, error) { return c.ListMembers(ctx, 12345) },
			want:       []RepositoryMember{{UserID: 9124, UserIAMID: tIAMUser, UserName: "alice", RepositoryRoleID: tRole, RepositoryRoleName: "Admin", IsProjectAdmin: 1, MemberSourceID: "100"}},
		},
		{
			op: "ListRepoMembers", method: "GET", path: "/v1/repositories/" + tUUID + "/members", query: "page_index=1&page_size=100", status: 200,
			resp: `{"status":"success","result":{"total":1,"users":[{"user_id":"` + tIAMUser + `","name":"alice","role":40,"enabled":"true","domain_id":"d1","domain_name":"acme"}]},"error":null}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListRepoMembers(ctx, tUUID) },
			want: []LegacyMember{{UserID: tIAMUser, Name: "alice", Role: 40, DomainID: "d1"}},
		},
		{
			op: "ListRepositoryUserGroups", method: "GET", path: "/v4/repositories/12345/user-groups", query: firstPage, status: 200,
			respHeader: map[string]string{"X-Total": "1"},
			resp:       `[{"user_group_name":"payments-leads","user_group_id":"` + tUserGroup + `","project_id":"` + tProject + `","user_count":"4","description":""}]`,
			call:       func(ctx context.Context, c *Client) (any, error) { return c.ListRepositoryUserGroups(ctx, 12345) },
			want:       []RepositoryUserGroup{{UserGroupName: "payments-leads", UserGroupID: tUserGroup}},
		},
		{
			op: "ListProjectProtectedRefsUserGroups", method: "GET", path: "/v4/projects/" + tProject + "/protected-refs/user-groups", query: firstPage, status: 200,
			respHeader: map[string]string{"X-Total": "1"}, resp: `[{"id":247,"name":"payments-leads"}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListProjectProtectedRefsUserGroups(ctx, tProject)
			},
			want: []ProtectedRefsUserGroup{{ID: 247, Name: "payments-leads"}},
		},
		{
			op: "ListRepositoryFilePushPermissions", method: "GET", path: "/v4/repositories/12345/file-push-permissions", query: firstPage, status: 200,
			resp: `[{"id":5,"path":"/config/*","actions":[{"action":"push","enable":true,
			        "users":[{"id":9124,"name":"alice","username":"` + tIAMUser + `","state":"active"}],
			        "user_teams":[{"id":247,"name":"payments-leads"}],
			        "roles":[{"id":77,"name":"Project manager","related_role_id":"` + tRole + `","chinese_name":"x"}]}]}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListRepositoryFilePushPermissions(ctx, 12345)
			},
			want: []FilePushPermission{{ID: 5, Path: "/config/*", Actions: []PushRuleAction{{Action: "push", Enable: true,
				Users:     []PushRuleUser{{ID: 9124, Name: "alice", Username: tIAMUser}},
				UserTeams: []PushRuleTeam{{ID: 247, Name: "payments-leads"}},
				Roles:     []PushRuleRole{{Name: "Project manager", RelatedRoleID: tRole}}}}}},
		},
		{
			op: "ListProductPermissionResourcesGrantedUsers", method: "GET", path: "/v4/projects/" + tProject + "/members", query: firstPage, status: 200,
			resp: `[{"id":9124,"name":"alice","username":"` + tIAMUser + `","iam_id":"` + tIAMUser + `","nick_name":"Alice"}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListProductPermissionResourcesGrantedUsers(ctx, tProject)
			},
			want: []GrantedUser{{ID: 9124, Name: "alice", Username: tIAMUser, IAMID: tIAMUser}},
		},
		{
			op: "ShowProjectMemberSetting", method: "GET", path: "/v4/projects/" + tProject + "/member-setting", query: firstPage, status: 200,
			resp: `{"product_id":"p1","sync_enabled":true,"role_sync":[{"id":1,"role_id":"` + tRole + `","role_name":"Project manager","role_sync_enabled":true}]}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.ShowProjectMemberSetting(ctx, tProject) },
			want: ProjectMemberSetting{SyncEnabled: true, RoleSync: []RoleSync{{RoleID: tRole, RoleName: "Project manager", RoleSyncEnabled: true}}},
		},
		{
			op: "ListAuthorizations", method: "GET", path: "/v1/" + tIAMProject + "/git/auths", status: 200,
			resp: `{"authorizations":[{"name":"pass1","repo_type":"bitbucket","repo_host":"https://api.bitbucket.org","repo_user":"bucket-ljn","avartar":"https://a/x.png","token_type":"password","create_time":1700000000000,"update_time":1700000001000,"status":0,"tag":null}],"count":1}`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListAuthorizations(ctx, tIAMProject) },
			want: []Authorization{{Name: "pass1", RepoType: "bitbucket", RepoUser: "bucket-ljn"}},
		},
		// Writes.
		{
			op: "CreateGroup", method: "POST", path: "/v4/" + tProject + "/groups", status: 201,
			body: `{"name":"api","parent_id":100,"visibility":"private","description":"Payments API"}`,
			resp: `{"id":101,"name":"api","description":"Payments API","full_name":"0b234373cf3f4b04ab2d8a245155e12b / payments / api","visibility":"private"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateGroup(ctx, tProject, CreateGroupRequest{Name: "api", ParentID: 100, Visibility: "private", Description: "Payments API"})
			},
			want: CreatedGroup{ID: 101},
		},
		{
			op: "CreateGroup full_name an object", method: "POST", path: "/v4/" + tProject + "/groups", status: 201,
			body: `{"name":"api","parent_id":100,"visibility":"private"}`,
			resp: `{"id":101,"name":"api","full_name":{"names":["payments","api"]},"visibility":"private"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateGroup(ctx, tProject, CreateGroupRequest{Name: "api", ParentID: 100, Visibility: "private"})
			},
			want: CreatedGroup{ID: 101},
		},
		{
			op: "CreateGroup top level", method: "POST", path: "/v4/" + tProject + "/groups", status: 201,
			body: `{"name":"payments","visibility":"public"}`,
			resp: `{"id":100,"name":"payments","full_name":null,"visibility":"public"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateGroup(ctx, tProject, CreateGroupRequest{Name: "payments", Visibility: "public"})
			},
			want: CreatedGroup{ID: 100},
		},
		{
			op: "DeleteGroup", method: "DELETE", path: "/v4/" + tProject + "/groups/101", status: 202,
			resp: `"Group 'api' was scheduled for deletion."`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.DeleteGroup(ctx, tProject, 101) },
			want: "Group 'api' was scheduled for deletion.",
		},
		{
			op: "DeleteGroup plain text body", method: "DELETE", path: "/v4/" + tProject + "/groups/101", status: 202,
			resp: `scheduled`,
			call: func(ctx context.Context, c *Client) (any, error) { return c.DeleteGroup(ctx, tProject, 101) },
			want: "scheduled",
		},
		{
			op: "AssociateRepositoryUserGroup 201 empty body", method: "POST", path: "/v4/" + tProject + "/repositories/12345/user-group/" + tUserGroup, status: 201,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AssociateRepositoryUserGroup(ctx, tProject, 12345, tUserGroup)
			},
		},
		{
			op: "AssociateGroupUserGroup", method: "POST", path: "/v4/" + tProject + "/groups/100/user-group/" + tUserGroup, status: 201,
			resp: `{"success":[{"id":10091,"iam_id":"` + tIAMUser + `","name":"alice"},{"id":"10092","iam_id":"x","name":"bob"}],"failure":[]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AssociateGroupUserGroup(ctx, tProject, 100, tUserGroup)
			},
			want: AssociateResult{Failure: []AssociateFailure{}},
		},
		{
			op: "AssociateGroupUserGroup partial failure", method: "POST", path: "/v4/" + tProject + "/groups/100/user-group/" + tUserGroup, status: 201,
			resp: `{"success":[],"failure":[{"iam_id":"` + tIAMUser + `","message":["user disabled"]}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AssociateGroupUserGroup(ctx, tProject, 100, tUserGroup)
			},
			wantErr: func(err error) bool {
				e := asError(err)
				return e != nil && e.Kind == KindPartial && len(e.Failures) == 1 && e.Failures[0].Message == "user disabled"
			},
		},
		{
			op: "AssociateGroupUserGroup already attached", method: "POST", path: "/v4/" + tProject + "/groups/100/user-group/" + tUserGroup, status: 409,
			resp: `{"error_code":"CH_23_51308","error_msg":"The member group has been added."}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AssociateGroupUserGroup(ctx, tProject, 100, tUserGroup)
			},
			wantErr: func(err error) bool { e := asError(err); return IsAlreadyExists(err) && e.Code == "CH_23_51308" },
		},
		{
			op: "AssociateRepositoryUserGroup", method: "POST", path: "/v4/" + tProject + "/repositories/12345/user-group/" + tUserGroup, status: 200,
			resp: `{"status":"success"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AssociateRepositoryUserGroup(ctx, tProject, 12345, tUserGroup)
			},
		},
		{
			op: "AssociateRepositoryUserGroup status error", method: "POST", path: "/v4/" + tProject + "/repositories/12345/user-group/" + tUserGroup, status: 200,
			resp: `{"status":"error"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AssociateRepositoryUserGroup(ctx, tProject, 12345, tUserGroup)
			},
			wantErr: func(err error) bool { return asError(err) != nil },
		},
		{
			op: "AssociateRepositoryUserGroup already attached", method: "POST", path: "/v4/" + tProject + "/repositories/12345/user-group/" + tUserGroup, status: 409,
			resp: `{"error_code":"CH_23_51308","error_msg":"The member group has been added."}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AssociateRepositoryUserGroup(ctx, tProject, 12345, tUserGroup)
			},
			wantErr: IsAlreadyExists,
		},
		{
			op: "AssociateRepositoryUserGroup other conflict", method: "POST", path: "/v4/" + tProject + "/repositories/12345/user-group/" + tUserGroup, status: 409,
			resp: `{"error_code":"CH.009409","error_msg":"The repository is being transferred."}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.AssociateRepositoryUserGroup(ctx, tProject, 12345, tUserGroup)
			},
			wantErr: func(err error) bool { return IsConflict(err) && !IsAlreadyExists(err) },
		},
		{
			op: "AddRepoMembers", method: "POST", path: "/v1/repositories/" + tUUID + "/members", status: 200,
			body: `{"users":[{"id":"` + tIAMUser + `","name":"alice","role":40},{"id":"b","name":"bob","role":30}]}`,
			resp: `{"status":"success","result":[{"id":"` + tIAMUser + `","name":"alice","message":"add user success","status":"success"},{"id":"b","name":"bob","message":"ok","status":"success"}],"error":null}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddRepoMembers(ctx, tUUID, []NewRepoMember{{ID: tIAMUser, Name: "alice", Role: RoleAdmin}, {ID: "b", Name: "bob", Role: RoleDeveloper}})
			},
			want: []AddMemberResult{{ID: tIAMUser, Name: "alice", Message: "add user success", Status: "success"}, {ID: "b", Name: "bob", Message: "ok", Status: "success"}},
		},
		{
			op: "AddRepoMembers result as object", method: "POST", path: "/v1/repositories/" + tUUID + "/members", status: 200,
			body: `{"users":[{"id":"` + tIAMUser + `","name":"alice","role":20}]}`,
			resp: `{"status":"success","result":{"id":"` + tIAMUser + `","name":null,"message":"add user success","status":"success"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddRepoMembers(ctx, tUUID, []NewRepoMember{{ID: tIAMUser, Name: "alice", Role: RoleViewer}})
			},
			want: []AddMemberResult{{ID: tIAMUser, Message: "add user success", Status: "success"}},
		},
		{
			op: "AddRepoMembers per-user failure", method: "POST", path: "/v1/repositories/" + tUUID + "/members", status: 200,
			body: `{"users":[{"id":"` + tIAMUser + `","name":"alice","role":40}]}`,
			resp: `{"status":"success","result":[{"id":"` + tIAMUser + `","name":"alice","message":"user not in project","status":"failed"}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddRepoMembers(ctx, tUUID, []NewRepoMember{{ID: tIAMUser, Name: "alice", Role: RoleAdmin}})
			},
			wantErr: func(err error) bool {
				e := asError(err)
				return e != nil && e.Kind == KindPartial && cmp.Equal(e.Failures, []Failure{{ID: tIAMUser, Name: "alice", Message: "user not in project"}})
			},
		},
		{
			op: "AddRepoMembers legacy failed on 200", method: "POST", path: "/v1/repositories/" + tUUID + "/members", status: 200,
			body: `{"users":[{"id":"` + tIAMUser + `","name":"alice","role":40}]}`,
			resp: `{"status":"failed","error":{"code":"DEV.CH.10001","message":"Param invalid"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddRepoMembers(ctx, tUUID, []NewRepoMember{{ID: tIAMUser, Name: "alice", Role: RoleAdmin}})
			},
			wantErr: func(err error) bool {
				e := asError(err)
				return e != nil && e.Status == 200 && e.Code == "DEV.CH.10001" && e.Message == "Param invalid"
			},
		},
		{
			op: "SetRepoRole", method: "PUT", path: "/v1/repositories/" + tUUID + "/members/" + tIAMUser, status: 200,
			body: `{"role":30}`, resp: `{"status":"success","result":{},"error":null}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.SetRepoRole(ctx, tUUID, tIAMUser, RoleDeveloper)
			},
		},
		{
			op: "DeleteRepoMember", method: "DELETE", path: "/v1/repositories/" + tUUID + "/members/" + tIAMUser, status: 200,
			resp: `{"status":"success","result":{}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteRepoMember(ctx, tUUID, tIAMUser)
			},
		},
		{
			op: "DeleteRepoMember legacy failed", method: "DELETE", path: "/v1/repositories/" + tUUID + "/members/" + tIAMUser, status: 200,
			resp: `{"status":"failed","result":{},"error":{"code":"CH.000404","message":"member not found"}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteRepoMember(ctx, tUUID, tIAMUser)
			},
			wantErr: IsNotFound,
		},
		{
			op: "CreateFilePushPermission", method: "POST", path: "/v4/repositories/12345/file-push-permissions", status: 200,
			body: `{"path":"/deploy/**","actions":[{"action":"push","enable":true,"user_ids":[],"user_team_ids":[],"related_role_ids":[]}]}`,
			resp: `{"id":6,"path":"/deploy/**","actions":[{"action":"push","enable":true,"users":[],"user_teams":[],"roles":[]}]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateFilePushPermission(ctx, 12345, NewFilePushPermission{Path: "/deploy/**", Actions: []PushActionBody{{Action: "push", Enable: true}}})
			},
			want: FilePushPermission{ID: 6, Path: "/deploy/**", Actions: []PushRuleAction{{Action: "push", Enable: true, Users: []PushRuleUser{}, UserTeams: []PushRuleTeam{}, Roles: []PushRuleRole{}}}},
		},
		{
			op: "BatchUpdateRepositoryFilePushPermissions", method: "PUT", path: "/v4/repositories/12345/file-push-permissions", status: 200,
			body: `{"permissions":[{"id":5,"path":"/config/*","actions":[{"action":"push","enable":true,"user_ids":[9124],"user_team_ids":[247],"related_role_ids":["` + tRole + `"]}]}]}`,
			resp: `[{"id":5,"path":"/config/*","actions":[{"action":"push","enable":true,"users":[{"id":9124}],"user_teams":[{"id":247}],"roles":[{"id":1,"related_role_id":"` + tRole + `"}]}]}]`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.BatchUpdateRepositoryFilePushPermissions(ctx, 12345, []FilePushPermissionUpdate{{ID: 5, Path: "/config/*",
					Actions: []PushActionBody{{Action: "push", Enable: true, UserIDs: []int64{9124}, UserTeamIDs: []int64{247}, RelatedRoleIDs: []string{tRole}}}}})
			},
			want: []FilePushPermission{{ID: 5, Path: "/config/*", Actions: []PushRuleAction{{Action: "push", Enable: true,
				Users: []PushRuleUser{{ID: 9124}}, UserTeams: []PushRuleTeam{{ID: 247}}, Roles: []PushRuleRole{{RelatedRoleID: tRole}}}}}},
		},
		{
			op: "BatchDeleteRepositoryFilePushPermissions", method: "POST", path: "/v4/repositories/12345/file-push-permissions/batch-delete", status: 204,
			body: `{"ids":[5,6]}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.BatchDeleteRepositoryFilePushPermissions(ctx, 12345, []int64{5, 6})
			},
		},
		{
			op: "CreatePasswordAuth", method: "POST", path: "/v1/" + tIAMProject + "/git/auths/bitbucket/password", status: 200,
			body: `{"name":"pass1","user":"bucket-ljn","password":"hunter2-secret"}`,
			resp: `{"authorization":{"name":"pass1","repo_type":"bitbucket","repo_user":"bucket-ljn","avartar":"https://a/y.png","token_type":"password","create_time":1,"update_time":2,"status":0}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreatePasswordAuth(ctx, tIAMProject, "bitbucket", PasswordAuth{Name: "pass1", User: "bucket-ljn", Password: "hunter2-secret"})
			},
			want: Authorization{Name: "pass1", RepoType: "bitbucket", RepoUser: "bucket-ljn"},
		},
		{
			op: "CreatePasswordAuth error hides password", method: "POST", path: "/v1/" + tIAMProject + "/git/auths/bitbucket/password", status: 400,
			body: `{"name":"pass1","user":"bucket-ljn","password":"hunter2-secret"}`,
			resp: `{"error_code":"SVCSTG.REPO.0401","error_msg":"bad credentials hunter2-secret"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreatePasswordAuth(ctx, tIAMProject, "bitbucket", PasswordAuth{Name: "pass1", User: "bucket-ljn", Password: "hunter2-secret"})
			},
			wantErr: func(err error) bool {
				e := asError(err)
				return e != nil && e.Code == "SVCSTG.REPO.0401" && !strings.Contains(err.Error(), "hunter2")
			},
		},
		{
			op: "DeleteAuthorize", method: "DELETE", path: "/v1/" + tIAMProject + "/git/auths/pass1", status: 204,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.DeleteAuthorize(ctx, tIAMProject, "pass1")
			},
		},
	}
}

// TestEndpoints runs every endpoint against a fresh mux, once with a token
// and once with AK/SK (signature recomputed independently by the server).
func TestEndpoints(t *testing.T) {
	modes := []struct {
		name  string
		creds Credentials
		check func(*testing.T, *http.Request, []byte)
	}{
		{"token", Credentials{Token: tToken}, func(t *testing.T, r *http.Request, _ []byte) {
			if got := r.Header.Get("X-Auth-Token"); got != tToken {
				t.Errorf("X-Auth-Token = %q, want %q", got, tToken)
			}
			if got := r.Header.Get("Authorization"); got != "" {
				t.Errorf("unexpected Authorization %q", got)
			}
		}},
		{"aksk", Credentials{AccessKey: tAK, SecretKey: tSK, ProjectID: tIAMProject, SecurityToken: "sts-token"}, func(t *testing.T, r *http.Request, body []byte) {
			if err := verifySignature(r, body, tAK, tSK); err != nil {
				t.Errorf("signature: %v", err)
			}
			want := map[string]string{"X-Project-Id": tIAMProject, "X-Security-Token": "sts-token", "X-Sdk-Date": "20250115T083000Z", "X-Auth-Token": ""}
			for h, v := range want {
				if got := r.Header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
		}},
	}
	for _, mode := range modes {
		for _, tc := range endpointCases() {
			t.Run(mode.name+"/"+tc.op, func(t *testing.T) {
				srv, mux := newServer(t)
				hits := 0
				mux.HandleFunc(tc.method+" "+tc.path, func(w http.ResponseWriter, r *http.Request) {
					if off := r.URL.Query().Get("offset"); off != "" && off != "0" {
						// A short first page of a list without X-Total is
						// confirmed by asking for the next (paginate): it is
						// empty here, and its query is the first one's.
						q := r.URL.Query()
						q.Set("offset", "0")
						if diff := cmp.Diff(mustQuery(tc.query), q); diff != "" {
							t.Errorf("next page query (-want +got):\n%s", diff)
						}
						next := "[]"
						if !strings.HasPrefix(strings.TrimSpace(tc.resp), "[") {
							next = "{}"
						}
						answer(w, 200, "", next)
						return
					}
					hits++
					body := readBody(t, r)
					if r.URL.EscapedPath() != tc.path {
						t.Errorf("path %q, want %q", r.URL.EscapedPath(), tc.path)
					}
					if diff := cmp.Diff(mustQuery(tc.query), r.URL.Query()); diff != "" {
						t.Errorf("query (-want +got):\n%s", diff)
					}
					if tc.body == "" {
						if len(body) != 0 {
							t.Errorf("unexpected body %s", body)
						}
					} else {
						if diff := jsonDiff(tc.body, string(body)); diff != "" {
							t.Errorf("body (-want +got):\n%s", diff)
						}
						if ct := r.Header.Get("Content-Type"); ct != "application/json" {
							t.Errorf("Content-Type %q", ct)
						}
					}
					if ua := r.Header.Get("User-Agent"); ua != "reposync/test" {
						t.Errorf("User-Agent %q", ua)
					}
					mode.check(t, r, body)
					for k, v := range tc.respHeader {
						w.Header().Set(k, v)
					}
					if tc.resp != "" {
						w.Header().Set("Content-Type", "application/json")
					}
					w.WriteHeader(tc.status)
					_, _ = w.Write([]byte(tc.resp))
				})
				c := newClient(t, srv, newFakeClock(true), WithCredentials(mode.creds))
				got, err := tc.call(context.Background(), c)
				if hits != 1 {
					t.Errorf("server hit %d times, want 1", hits)
				}
				if tc.wantErr != nil {
					if err == nil || !tc.wantErr(err) {
						t.Fatalf("error %v does not match the expected kind", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if tc.want == nil {
					return
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestServiceStageContentType: every ServiceStage request carries
// Content-Type: application/json, unsigned; CodeArts GETs carry none.
func TestServiceStageContentType(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		status int
		resp   string
		call   func(context.Context, *Client) error
		wantCT string
	}{
		{"ListAuthorizations GET", "GET", "/v1/" + tIAMProject + "/git/auths", 200, `{"authorizations":[],"count":0}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.ListAuthorizations(ctx, tIAMProject)
				return err
			}, "application/json"},
		{"DeleteAuthorize DELETE", "DELETE", "/v1/" + tIAMProject + "/git/auths/pass1", 204, "",
			func(ctx context.Context, c *Client) error { return c.DeleteAuthorize(ctx, tIAMProject, "pass1") }, "application/json"},
		{"CreatePasswordAuth POST", "POST", "/v1/" + tIAMProject + "/git/auths/bitbucket/password", 200, `{"authorization":{"name":"a"}}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.CreatePasswordAuth(ctx, tIAMProject, "bitbucket", PasswordAuth{Name: "a", User: "u", Password: "p"})
				return err
			}, "application/json"},
		{"CodeArts GET", "GET", "/v4/repositories/1", 200, `{"id":1}`,
			func(ctx context.Context, c *Client) error { _, err := c.ShowRepository(ctx, 1); return err }, ""},
	}
	for _, tt := range tests {
		for _, creds := range []Credentials{{Token: tToken}, {AccessKey: tAK, SecretKey: tSK, ProjectID: tIAMProject}} {
			t.Run(tt.name+"/"+creds.String(), func(t *testing.T) {
				srv, mux := newServer(t)
				var hits int
				mux.HandleFunc(tt.method+" "+tt.path, func(w http.ResponseWriter, r *http.Request) {
					hits++
					body := readBody(t, r)
					if diff := cmp.Diff(tt.wantCT, r.Header.Get("Content-Type")); diff != "" {
						t.Errorf("Content-Type (-want +got):\n%s", diff)
					}
					if creds.AccessKey != "" {
						if err := verifySignature(r, body, tAK, tSK); err != nil {
							t.Errorf("signature: %v", err)
						}
						if strings.Contains(r.Header.Get("Authorization"), "content-type") {
							t.Errorf("Content-Type is signed: %s", r.Header.Get("Authorization"))
						}
					}
					w.WriteHeader(tt.status)
					_, _ = w.Write([]byte(tt.resp))
				})
				c := newClient(t, srv, newFakeClock(true), WithCredentials(creds))
				if err := tt.call(context.Background(), c); err != nil || hits != 1 {
					t.Fatalf("call: %v (%d requests)", err, hits)
				}
			})
		}
	}
}

// TestTreeIncludingArchived: a group is empty only if neither the default
// nor the archived listing shows a child; an item in both is listed once.
func TestTreeIncludingArchived(t *testing.T) {
	tests := []struct {
		name     string
		normal   string
		archived string
		want     []int64
	}{
		{"empty both ways", `[]`, `[]`, nil},
		{"only archived repositories", `[]`, `[{"descendant_type":"project","id":7,"archived":true}]`, []int64{7}},
		{"archived=true returns everything", `[{"descendant_type":"group","id":7}]`,
			`[{"descendant_type":"group","id":7},{"descendant_type":"project","id":7,"archived":true}]`, []int64{7, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var queries []string
			mux.HandleFunc("GET /v4/groups/100/subgroups-and-repositories", func(w http.ResponseWriter, r *http.Request) {
				queries = append(queries, r.URL.RawQuery)
				if r.URL.Query().Get("offset") != "0" {
					answer(w, 200, "", `[]`)
					return
				}
				if r.URL.Query().Get("archived") == "true" {
					answer(w, 200, "", tt.archived)
					return
				}
				answer(w, 200, "", tt.normal)
			})
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			items, err := c.ListGroupSubgroupsAndRepositoriesIncludingArchived(context.Background(), 100)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, it := range items {
				ids = append(ids, it.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			var archivedAsked bool
			for _, q := range queries {
				archivedAsked = archivedAsked || strings.Contains(q, "archived=true")
			}
			if !archivedAsked {
				t.Errorf("archived listing never asked for: %v", queries)
			}
		})
	}
}
