package api

import (
	"context"
)

// Namespace is a repository's containing group in ShowRepository.
type Namespace struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	FullPath string `json:"full_path"`
	FullName string `json:"full_name"`
	Kind     string `json:"kind"`
	ParentID int64  `json:"parent_id"`
}

// Repository is ShowRepository's answer (fields relevant to sync, §5.2).
type Repository struct {
	ID                int64     `json:"id"`
	UUID              string    `json:"uuid"`
	Name              string    `json:"name"`
	Path              string    `json:"path"`
	PathWithNamespace string    `json:"path_with_namespace"`
	NameWithNamespace string    `json:"name_with_namespace"`
	ProjectID         string    `json:"project_id"`
	ProjectName       string    `json:"project_name"`
	Namespace         Namespace `json:"namespace"`
	AncestorIDs       []int64   `json:"ancestor_ids"`
	AncestorNames     []string  `json:"ancestor_names"`
	Visibility        string    `json:"visibility"`
	DefaultBranch     string    `json:"default_branch"`
	Archived          bool      `json:"archived"`
	CreatorID         int64     `json:"creator_id"`
	MemberCount       int64     `json:"member_count"`
}

// ShowRepository reads one repository by its integer id; it also converts
// the id to the UUID the legacy member API needs.
func (c *Client) ShowRepository(ctx context.Context, repoID int64) (Repository, error) {
	var out Repository
	_, err := c.getJSON(ctx, get("ShowRepository", svcRepo, "/v4/repositories/"+itoa(repoID), nil), &out)
	return out, err
}
