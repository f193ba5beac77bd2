package api

import (
	"context"
	"net/http"
	"net/url"
)

// PushRuleUser is a user named by a file push rule (RepositoryUserDto):
// ID is the numeric user id, Username the IAM user id.
type PushRuleUser struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// PushRuleTeam is a member group named by a file push rule (integer id).
type PushRuleTeam struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// PushRuleRole is a role named by a file push rule. RelatedRoleID is the
// role id requests take (the role's own id is a record id).
type PushRuleRole struct {
	Name          string `json:"name"`
	RelatedRoleID string `json:"related_role_id"`
}

// PushRuleAction is one action of a rule as the server returns it.
type PushRuleAction struct {
	Action    string         `json:"action"`
	Enable    bool           `json:"enable"`
	Users     []PushRuleUser `json:"users"`
	UserTeams []PushRuleTeam `json:"user_teams"`
	Roles     []PushRuleRole `json:"roles"`
}

// FilePushPermission is a file push rule (RepositoryFilePushPermissionDto).
type FilePushPermission struct {
	ID      int64            `json:"id"`
	Path    string           `json:"path"`
	Actions []PushRuleAction `json:"actions"`
}

// PushActionBody is one action of a rule in a request
// (FilePushPermissionActionBodyDto). Empty lists are sent as [] so that
// "nobody may push" is stated, never left out.
type PushActionBody struct {
	Action         string   `json:"action"`
	Enable         bool     `json:"enable"`
	UserIDs        []int64  `json:"user_ids"`
	UserTeamIDs    []int64  `json:"user_team_ids"`
	RelatedRoleIDs []string `json:"related_role_ids"`
}

// NewFilePushPermission is CreateFilePushPermission's body.
type NewFilePushPermission struct {
	Path    string           `json:"path"`
	Actions []PushActionBody `json:"actions"`
}

// FilePushPermissionUpdate is one rule of a batch update; ID targets it.
type FilePushPermissionUpdate struct {
	ID      int64            `json:"id"`
	Path    string           `json:"path"`
	Actions []PushActionBody `json:"actions"`
}

func normActions(a []PushActionBody) []PushActionBody {
	out := make([]PushActionBody, len(a))
	for i, x := range a {
		x.UserIDs = orEmpty(x.UserIDs)
		x.UserTeamIDs = orEmpty(x.UserTeamIDs)
		x.RelatedRoleIDs = orEmpty(x.RelatedRoleIDs)
		out[i] = x
	}
	return out
}

// orEmpty is s, or an empty slice for nil: a list in a request body is sent
// as [], never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func pushPath(repoID int64) string {
	return "/v4/repositories/" + itoa(repoID) + "/file-push-permissions"
}

// ListRepositoryFilePushPermissions lists a repository's file push rules
// (no X-Total: pages until a short page).
func (c *Client) ListRepositoryFilePushPermissions(ctx context.Context, repoID int64) ([]FilePushPermission, error) {
	return listAll[FilePushPermission](ctx, c, get("ListRepositoryFilePushPermissions", svcRepo, pushPath(repoID), url.Values{}))
}

// CreateFilePushPermission creates one rule and returns it.
func (c *Client) CreateFilePushPermission(ctx context.Context, repoID int64, p NewFilePushPermission) (FilePushPermission, error) {
	p.Actions = normActions(p.Actions)
	var out FilePushPermission
	_, err := c.getJSON(ctx, &call{op: "CreateFilePushPermission", method: http.MethodPost, svc: svcRepo,
		path: pushPath(repoID), body: p}, &out)
	return out, err
}

// BatchUpdateRepositoryFilePushPermissions replaces the given rules in one
// call and returns the resulting rules. Send complete lists: whether the
// server merges or replaces them is undocumented (docs/api-reference.md
// §8.3).
func (c *Client) BatchUpdateRepositoryFilePushPermissions(ctx context.Context, repoID int64, rules []FilePushPermissionUpdate) ([]FilePushPermission, error) {
	perms := make([]FilePushPermissionUpdate, len(rules))
	for i, r := range rules {
		r.Actions = normActions(r.Actions)
		perms[i] = r
	}
	var out []FilePushPermission
	_, err := c.getJSON(ctx, &call{op: "BatchUpdateRepositoryFilePushPermissions", method: http.MethodPut, svc: svcRepo,
		path: pushPath(repoID), body: map[string]any{"permissions": perms}}, &out)
	return out, err
}

// BatchDeleteRepositoryFilePushPermissions deletes rules by id in one call
// (204, no body).
func (c *Client) BatchDeleteRepositoryFilePushPermissions(ctx context.Context, repoID int64, ids []int64) error {
	_, err := c.do(ctx, &call{op: "BatchDeleteRepositoryFilePushPermissions", method: http.MethodPost, svc: svcRepo,
		path: pushPath(repoID) + "/batch-delete", body: map[string][]int64{"ids": orEmpty(ids)}})
	return err
}
