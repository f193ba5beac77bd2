package api

import (
	"context"
	"net/url"
)

// GrantedUser is a CodeArts project member as CodeArts Repo sees it
// (GrantedUsersDto, §9.2): ID is the numeric user id, IAMID (and Username)
// the IAM user id, Name the login name.
type GrantedUser struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	IAMID    string `json:"iam_id"`
}

// ListProductPermissionResourcesGrantedUsers lists a project's users with
// both id kinds; every page.
func (c *Client) ListProductPermissionResourcesGrantedUsers(ctx context.Context, projectID string) ([]GrantedUser, error) {
	return listAll[GrantedUser](ctx, c, get("ListProductPermissionResourcesGrantedUsers", svcRepo,
		"/v4/projects/"+seg(projectID)+"/members", url.Values{}))
}
