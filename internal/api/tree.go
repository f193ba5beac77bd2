package api

import (
	"context"
	"net/url"
)

// TreeItem is one child in ListProjectSubgroupsAndRepositories /
// ListGroupSubgroupsAndRepositories (SubgroupAndProjectBaseDto,
// docs/api-reference.md §4.5). DescendantType decides what ID means: "group"
// or "project" (a repository). Build paths from Path along the walk (parent
// path + Path); FullPath may carry a namespace prefix (§18.4) and is a
// cross-check only.
type TreeItem struct {
	DescendantType string `json:"descendant_type"`
	ID             int64  `json:"id"`
	UUID           string `json:"uuid,omitempty"`
	Name           string `json:"name"`
	Path           string `json:"path"`
	FullPath       string `json:"full_path"`
	Description    string `json:"description"`
	Visibility     string `json:"visibility"`
	Archived       bool   `json:"archived"`
}

// Descendant types of TreeItem.
const (
	DescendantGroup      = "group"
	DescendantRepository = "project"
)

// TreeQuery selects what the tree lists return beyond the defaults.
type TreeQuery struct {
	// Archived sends archived=true (docs/api-reference.md §4.5; the default,
	// false, leaves archived repositories out, so a group holding only
	// archived repositories looks empty). Whether the answer then also
	// holds the children that are not archived is not documented:
	// ListGroupSubgroupsAndRepositoriesIncludingArchived asks both ways.
	Archived bool
	// ServerOrder sends neither order_by nor sort, so the items come in the
	// server's default order (updated_at, newest first: §4.5). Only for
	// looking at that order (reposync doctor, docs/api-assumptions.md A21):
	// paged in it, an item changed meanwhile can be listed twice and another
	// missed.
	ServerOrder bool
}

// values is the query of a tree list. Unless ServerOrder, it asks for
// order_by=id and sort=asc: in the default order (update time, newest first:
// docs/api-reference.md §4.5, §18.4) an item edited while the list is paged
// would move to the front and shift an unread item to a page already read;
// ids only grow, so in id order a new item lands at the end instead.
func (q TreeQuery) values() url.Values {
	v := url.Values{"order_by": {"id"}, "sort": {"asc"}}
	if q.ServerOrder {
		v = url.Values{}
	}
	if q.Archived {
		v.Set("archived", "true")
	}
	return v
}

// ListProjectSubgroupsAndRepositoriesWith lists the direct children
// (top-level groups and repositories) of a CodeArts project, every page; with
// TreeQuery{}, in id order and without archived repositories.
func (c *Client) ListProjectSubgroupsAndRepositoriesWith(ctx context.Context, projectID string, q TreeQuery) ([]TreeItem, error) {
	return listAll[TreeItem](ctx, c, get("ListProjectSubgroupsAndRepositories", svcRepo,
		"/v4/projects/"+seg(projectID)+"/subgroups-and-repositories", q.values()))
}

// ListGroupSubgroupsAndRepositoriesWith lists the direct children of a
// group, every page; with TreeQuery{}, in id order and without archived
// repositories.
func (c *Client) ListGroupSubgroupsAndRepositoriesWith(ctx context.Context, groupID int64, q TreeQuery) ([]TreeItem, error) {
	return listAll[TreeItem](ctx, c, get("ListGroupSubgroupsAndRepositories", svcRepo,
		"/v4/groups/"+itoa(groupID)+"/subgroups-and-repositories", q.values()))
}

// ListGroupSubgroupsAndRepositoriesIncludingArchived lists a group's direct
// children, archived repositories included: the check that a group is
// really empty before deleting it. Two listings (default and archived=true),
// merged: the default listing's items in their order, then the archived
// listing's items not seen yet. Whether archived=true also returns the other
// children is not documented; the union is right either way.
func (c *Client) ListGroupSubgroupsAndRepositoriesIncludingArchived(ctx context.Context, groupID int64) ([]TreeItem, error) {
	out, err := c.ListGroupSubgroupsAndRepositoriesWith(ctx, groupID, TreeQuery{})
	if err != nil {
		return nil, err
	}
	archived, err := c.ListGroupSubgroupsAndRepositoriesWith(ctx, groupID, TreeQuery{Archived: true})
	if err != nil {
		return nil, err
	}
	type key struct {
		kind string
		id   int64
	}
	seen := make(map[key]bool, len(out))
	for _, it := range out {
		seen[key{it.DescendantType, it.ID}] = true
	}
	for _, it := range archived {
		if k := (key{it.DescendantType, it.ID}); !seen[k] {
			seen[k] = true
			out = append(out, it)
		}
	}
	return out, nil
}
