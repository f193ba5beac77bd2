package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// GroupUserGroup is a member group attached to (ListGroupUserGroups) or
// attachable to (ListGroupAddableUserGroups) a repository group. UserGroupID
// is the 32-char id Associate… takes.
type GroupUserGroup struct {
	UserGroupID string `json:"user_group_id"`
	Name        string `json:"name"`
}

// ListGroupUserGroups lists the member groups attached to a repository group.
func (c *Client) ListGroupUserGroups(ctx context.Context, groupID int64) ([]GroupUserGroup, error) {
	return listAll[GroupUserGroup](ctx, c, get("ListGroupUserGroups", svcRepo,
		"/v4/groups/"+itoa(groupID)+"/user-groups", url.Values{}))
}

// ListGroupAddableUserGroups lists the project's member groups not yet
// attached to a group: the way to find the 32-char id of one to attach.
func (c *Client) ListGroupAddableUserGroups(ctx context.Context, groupID int64, projectID string) ([]GroupUserGroup, error) {
	return listAll[GroupUserGroup](ctx, c, get("ListGroupAddableUserGroups", svcRepo,
		"/v4/groups/"+itoa(groupID)+"/user-groups/addable-list", url.Values{"project_id": {projectID}}))
}

// AssociateFailure is a user AssociateGroupUserGroup could not add.
type AssociateFailure struct {
	IAMID   string   `json:"iam_id"`
	Message []string `json:"message"`
}

// AssociateResult is what reposync reads of AssociateGroupUserGroup's
// answer: the users it could not add.
type AssociateResult struct {
	Failure []AssociateFailure `json:"failure"`
}

// AssociateGroupUserGroup attaches a member group to a repository group
// (201). An already attached member group answers 409 CH_23_51308
// (IsAlreadyExists).
// Users listed under "failure" come back as an *Error of kind KindPartial.
func (c *Client) AssociateGroupUserGroup(ctx context.Context, projectID string, groupID int64, userGroupID string) (AssociateResult, error) {
	cl := &call{op: "AssociateGroupUserGroup", method: http.MethodPost, svc: svcRepo,
		path: "/v4/" + seg(projectID) + "/groups/" + itoa(groupID) + "/user-group/" + seg(userGroupID)}
	var out AssociateResult
	if _, err := c.getJSON(ctx, cl, &out); err != nil {
		return out, err
	}
	if len(out.Failure) > 0 {
		e := c.answerError(cl, KindPartial, nil)
		e.Status = http.StatusCreated
		e.Message = fmt.Sprintf("%d users not added", len(out.Failure))
		for _, f := range out.Failure {
			e.Failures = append(e.Failures, Failure{ID: c.redact(f.IAMID), Message: c.redact(strings.Join(f.Message, "; "))})
		}
		return out, e
	}
	return out, nil
}

// AssociateRepositoryUserGroup attaches a member group to a repository (200;
// 409 CH_23_51308 when already attached: IsAlreadyExists). A {"status":
// "error"} answer is an error too.
func (c *Client) AssociateRepositoryUserGroup(ctx context.Context, projectID string, repoID int64, userGroupID string) error {
	cl := &call{op: "AssociateRepositoryUserGroup", method: http.MethodPost, svc: svcRepo,
		path: "/v4/" + seg(projectID) + "/repositories/" + itoa(repoID) + "/user-group/" + seg(userGroupID)}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	// 2xx: only an explicit {"status": "error"} is a failure; an undecodable
	// body does not turn an accepted write into one.
	var out struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(resp.body, &out)
	if out.Status != "" && out.Status != "success" {
		u, _ := c.url(cl)
		e := c.newError(cl, u, resp, KindHTTP, nil)
		e.Message = fmt.Sprintf("status %q", out.Status)
		return e
	}
	return nil
}

// RepositoryUserGroup is a member group attached to a repository.
type RepositoryUserGroup struct {
	UserGroupName string `json:"user_group_name"`
	UserGroupID   string `json:"user_group_id"`
}

// ListRepositoryUserGroups lists the member groups attached to a repository.
func (c *Client) ListRepositoryUserGroups(ctx context.Context, repoID int64) ([]RepositoryUserGroup, error) {
	return listAll[RepositoryUserGroup](ctx, c, get("ListRepositoryUserGroups", svcRepo,
		"/v4/repositories/"+itoa(repoID)+"/user-groups", url.Values{}))
}

// ProtectedRefsUserGroup carries the integer member-group id that file push
// rules take in user_team_ids.
type ProtectedRefsUserGroup struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ListProjectProtectedRefsUserGroups lists a project's member groups with
// their integer ids.
func (c *Client) ListProjectProtectedRefsUserGroups(ctx context.Context, projectID string) ([]ProtectedRefsUserGroup, error) {
	return listAll[ProtectedRefsUserGroup](ctx, c, get("ListProjectProtectedRefsUserGroups", svcRepo,
		"/v4/projects/"+seg(projectID)+"/protected-refs/user-groups", url.Values{}))
}
