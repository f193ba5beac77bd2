package remote

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// The reads of `reposync access`, only what the question needs: for one
// repository, the groups on its path (one listing each) and its lists; for
// one user, what AccessRequest.User says; else every repository's lists.
// No name lookups, as the lists carry names and ids; only the project's
// member setting, which says the members CodeArts syncs.

// WalkTo reads the part of the project tree on the way to one repository:
// the project's top level and each group on the path, one listing each.
// The repository is in the result, without its details; when it is not in
// the project, the error names the first group missing, if any, with a
// did-you-mean among the paths at the level that failed.
func (c *Client) WalkTo(ctx context.Context, repoPath string) (*state.Live, error) {
	live, err := c.Walk(ctx, WalkRequest{Reach: func(group string) bool { return strings.HasPrefix(repoPath, group+"/") }})
	if err != nil || live.Repositories[repoPath] != nil {
		return live, err
	}
	for p := state.ParentPath(repoPath); p != ""; p = state.ParentPath(p) {
		if live.Groups[p] == nil && (state.ParentPath(p) == "" || live.Groups[state.ParentPath(p)] != nil) {
			return nil, fmt.Errorf("repository %s is not in project %s: it has no group %s%s", repoPath, c.project, p,
				state.DidYouMean(p, slices.Sorted(maps.Keys(live.Groups))))
		}
	}
	return nil, fmt.Errorf("repository %s is not in project %s (archived repositories are not listed)%s", repoPath, c.project,
		state.DidYouMean(repoPath, slices.Sorted(maps.Keys(live.Repositories))))
}

// AccessRequest says which repositories an access question is about.
type AccessRequest struct {
	Repositories []string
	// User, when set, limits the reads to that user's access: every
	// repository's members, then, only where the user is one (a push rule's
	// grant is no access without a membership), the push rules, and the
	// legacy member list for a direct member whose v4 role reposync does
	// not know.
	User string
	// Groups reads the member groups attached to the groups above the
	// repositories: paths to access whose members no API lists.
	Groups bool
}

// ReadAccess reads the details req needs into live, concurrently, bounded
// by the client's concurrency.
func (c *Client) ReadAccess(ctx context.Context, live *state.Live, req AccessRequest) error {
	repos := slices.Compact(slices.Sorted(slices.Values(req.Repositories)))
	details := make([]repoDetail, len(repos))
	for _, p := range repos {
		if live.Repositories[p] == nil {
			return fmt.Errorf("internal error: repository %s is not in the tree", p)
		}
	}
	rs := c.newReads()
	var sync api.ProjectMemberSetting
	rs.add("ShowProjectMemberSetting", func(ctx context.Context) (err error) {
		sync, err = c.api.ShowProjectMemberSetting(ctx, c.project)
		return wrap(err, "read the member setting of project %s", c.project)
	})
	groups := map[string]*[]api.GroupUserGroup{}
	for i, p := range repos {
		r, d := live.Repositories[p], &details[i]
		if req.User == "" {
			c.addRepoReads(rs, p, r, d, everyList, nil)
		} else {
			// The members first; then, where the user is one, the push rules.
			c.addRepoReads(rs, p, r, d, listMembers, func() {
				at := slices.IndexFunc(d.members, func(m api.RepositoryMember) bool { return m.UserName == req.User })
				if at < 0 {
					return
				}
				lists := listRules
				if _, known := state.RoleForName(d.members[at].RepositoryRoleName); d.members[at].Direct() && !known {
					lists |= listLegacy
				}
				c.addRepoReads(rs, p, r, d, lists, nil)
			})
		}
		for g := state.ParentPath(p); req.Groups && g != "" && groups[g] == nil; g = state.ParentPath(g) {
			groups[g] = c.addGroupRead(rs, live.Groups[g])
		}
	}
	if err := rs.run(ctx, c.concurrency); err != nil {
		return err
	}
	for g, list := range groups {
		live.Groups[g].MemberGroups = sortedNames(*list, func(m api.GroupUserGroup) string { return m.Name })
	}
	for i, p := range repos {
		fillRepository(live.Repositories[p], details[i], everyList, live, sync)
	}
	return nil
}

// UserNames lists the names of the project's users (for a did-you-mean
// when a name asked about is none of them).
func (c *Client) UserNames(ctx context.Context) ([]string, error) {
	users, err := c.api.ListProductPermissionResourcesGrantedUsers(ctx, c.project)
	if err != nil {
		return nil, wrap(err, "list the users of project %s", c.project)
	}
	return sortedNames(users, func(u api.GrantedUser) string { return u.Name }), nil
}
