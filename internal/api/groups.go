package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// Group is what reposync reads of ShowGroup's answer
// (docs/api-reference.md §4.2): what the group still holds.
type Group struct {
	RepositoryCount int64 `json:"repository_count"`
	SubgroupCount   int64 `json:"subgroup_count"`
}

// CreateGroupRequest is CreateGroup's body. ParentID 0 creates the group
// directly under the project.
type CreateGroupRequest struct {
	Name        string `json:"name"`
	ParentID    int64  `json:"parent_id,omitempty"`
	Visibility  string `json:"visibility,omitempty"`
	Description string `json:"description,omitempty"`
}

// CreatedGroup is what reposync reads of CreateGroup's answer: the new
// group's id (its full_name may be any JSON value, an object in the SDK).
type CreatedGroup struct {
	ID int64 `json:"id"`
}

// CreateGroup creates a repository group (POST /v4/{project_id}/groups, 201).
func (c *Client) CreateGroup(ctx context.Context, projectID string, req CreateGroupRequest) (CreatedGroup, error) {
	var out CreatedGroup
	_, err := c.getJSON(ctx, &call{op: "CreateGroup", method: http.MethodPost, svc: svcRepo,
		path: "/v4/" + seg(projectID) + "/groups", body: req}, &out)
	return out, err
}

// ShowGroup reads one group.
func (c *Client) ShowGroup(ctx context.Context, projectID string, groupID int64) (Group, error) {
	var out Group
	_, err := c.getJSON(ctx, get("ShowGroup", svcRepo, "/v4/"+seg(projectID)+"/groups/"+itoa(groupID), nil), &out)
	return out, err
}

// DeleteGroup schedules a group's deletion (202) and returns the server's
// message, a bare JSON string. Deletion is asynchronous.
func (c *Client) DeleteGroup(ctx context.Context, projectID string, groupID int64) (string, error) {
	resp, err := c.do(ctx, &call{op: "DeleteGroup", method: http.MethodDelete, svc: svcRepo,
		path: "/v4/" + seg(projectID) + "/groups/" + itoa(groupID)})
	if err != nil {
		return "", err
	}
	// The deletion was accepted (2xx): a body that is not the documented JSON
	// string must not turn that into a failure.
	var msg string
	if json.Unmarshal(resp.body, &msg) != nil {
		msg = strings.TrimSpace(string(resp.body))
	}
	return msg, nil
}
