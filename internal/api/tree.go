package api

import (
	"context"
	"net/url"
)

// TreeItem is one child in ListProjectSubgroupsAndRepositories /
// ListGroupSubgroupsAndRepositories (SubgroupAndProjectBaseDto, REFERENCE
// §4.5). DescendantType decides what ID means: "group" or "project"
// (a repository).
type TreeItem struct {
	DescendantType  string `json:"descendant_type"`
	ID              int64  `json:"id"`
	UUID            string `json:"uuid,omitempty"`
	Name            string `json:"name"`
	Path            string `json:"path"`
	FullName        string `json:"full_name"`
	FullPath        string `json:"full_path"`
	GroupLevel      int64  `json:"group_level"`
	Description     string `json:"description"`
	ProjectID       string `json:"project_id"`
	ProjectName     string `json:"project_name"`
	Visibility      string `json:"visibility"`
	VisibilityLevel int64  `json:"visibility_level"`
	SubgroupCount   int64  `json:"subgroup_count"`
	ProjectCount    int64  `json:"project_count"`
	Archived        bool   `json:"archived"`
}

// Descendant types of TreeItem.
const (
	DescendantGroup      = "group"
	DescendantRepository = "project"
)

// ListProjectSubgroupsAndRepositories lists the direct children (top-level
// groups and repositories) of a CodeArts project, every page.
func (c *Client) ListProjectSubgroupsAndRepositories(ctx context.Context, projectID string) ([]TreeItem, error) {
	return listAll[TreeItem](ctx, c, get("ListProjectSubgroupsAndRepositories", svcRepo,
		"/v4/projects/"+seg(projectID)+"/subgroups-and-repositories", url.Values{}))
}

// ListGroupSubgroupsAndRepositories lists the direct children of a group,
// every page.
func (c *Client) ListGroupSubgroupsAndRepositories(ctx context.Context, groupID int64) ([]TreeItem, error) {
	return listAll[TreeItem](ctx, c, get("ListGroupSubgroupsAndRepositories", svcRepo,
		"/v4/groups/"+itoa(groupID)+"/subgroups-and-repositories", url.Values{}))
}
