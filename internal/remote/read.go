package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Walk reads the project tree — groups and repositories, by path — without
// reading any repository's details. Each level of the tree is listed
// concurrently. reach says which groups to list the children of (nil: all
// of them): a plan of a few repositories walks only the groups on their
// way. Paths are built from the walk itself (the parent's path and the
// item's own `path`), never taken from `full_path`: the service may put a
// namespace in front of it (docs/api-assumptions.md), which is only
// cross-checked.
func (c *Client) Walk(ctx context.Context, reach func(group string) bool) (*state.Live, error) {
	live := &state.Live{
		Project:      c.project,
		Groups:       map[string]*state.LiveGroup{},
		Repositories: map[string]*state.LiveRepository{},
		Users:        map[string]state.LiveUser{},
		MemberGroups: map[string]state.LiveMemberGroup{},
		Roles:        map[string]state.LiveRole{},
		Fingerprints: map[string]string{},
	}
	progress := c.readProgress()
	progress.expect("ListProjectSubgroupsAndRepositories", 1)
	top, err := c.api.ListProjectSubgroupsAndRepositories(ctx, c.project)
	if err != nil {
		return nil, fmt.Errorf("list the groups and repositories of project %s: %w", c.project, err)
	}
	progress.finish("ListProjectSubgroupsAndRepositories")
	ns := &namespaceCheck{}
	within := func(groups []*state.LiveGroup) []*state.LiveGroup {
		if reach == nil {
			return groups
		}
		var out []*state.LiveGroup
		for _, g := range groups {
			if reach(g.Path) {
				out = append(out, g)
			}
		}
		return out
	}
	level := within(c.addItems(live, nil, top, ns))
	for depth := 0; len(level) > 0; depth++ {
		if depth > 64 {
			return nil, fmt.Errorf("the group tree is deeper than 64 levels; is the API returning a cycle?")
		}
		children := make([][]api.TreeItem, len(level))
		rs := &reads{progress: progress}
		for i, grp := range level {
			rs.add("ListGroupSubgroupsAndRepositories", func(ctx context.Context) (err error) {
				children[i], err = c.api.ListGroupSubgroupsAndRepositories(ctx, grp.ID)
				return wrap(err, "list the children of group %s", grp.Path)
			})
		}
		if err := rs.run(ctx, c.concurrency); err != nil {
			return nil, err
		}
		var next []*state.LiveGroup
		for i, grp := range level {
			next = append(next, c.addItems(live, grp, children[i], ns)...)
		}
		level = within(next)
	}
	live.Warnings = append(live.Warnings, ns.warnings()...)
	for path, g := range live.Groups {
		live.Fingerprints[plan.GroupAddress(path).String()] = fingerprint(g)
	}
	return live, nil
}

// addItems records one listing's groups and repositories under parent (nil
// = the project root) and returns the new groups, sorted by path, to list
// next.
func (c *Client) addItems(live *state.Live, parent *state.LiveGroup, items []api.TreeItem, ns *namespaceCheck) []*state.LiveGroup {
	var groups []*state.LiveGroup
	var parentID int64
	prefix := ""
	if parent != nil {
		parentID, prefix = parent.ID, parent.Path+"/"
	}
	for _, it := range items {
		own := it.Path
		if own == "" {
			// No path in the answer: the last segment of full_path is the
			// best evidence left.
			own = state.BaseName(it.FullPath)
		}
		if own == "" || strings.Contains(own, "/") {
			ns.bad = append(ns.bad, fmt.Sprintf("%q (id %d) under %q", it.Path, it.ID, strings.TrimSuffix(prefix, "/")))
			continue
		}
		path := prefix + own
		ns.observe(path, it.FullPath)
		switch it.DescendantType {
		case api.DescendantGroup:
			if _, dup := live.Groups[path]; dup {
				continue // listed twice across pages: keep the first
			}
			g := &state.LiveGroup{ID: it.ID, Path: path, ParentID: parentID, Visibility: it.Visibility, Description: it.Description}
			live.Groups[path] = g
			groups = append(groups, g)
		case api.DescendantRepository:
			if _, dup := live.Repositories[path]; dup {
				continue
			}
			live.Repositories[path] = &state.LiveRepository{ID: it.ID, UUID: it.UUID, Path: path, GroupID: parentID}
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Path < groups[j].Path })
	return groups
}

// namespaceCheck compares the paths built from the walk with the service's
// full_path values: equal, or the same with one namespace segment in front
// (the form CreateGroup's documented answer suggests) is expected; anything
// else is reported once, with an example, so a surprise in the real service
// is seen rather than silently absorbed.
type namespaceCheck struct {
	namespaces map[string]bool
	mismatch   []string
	bad        []string
}

func (n *namespaceCheck) observe(path, fullPath string) {
	switch {
	case fullPath == "" || fullPath == path:
	case strings.HasSuffix(fullPath, "/"+path) && !strings.Contains(strings.TrimSuffix(fullPath, "/"+path), "/"):
		if n.namespaces == nil {
			n.namespaces = map[string]bool{}
		}
		n.namespaces[strings.TrimSuffix(fullPath, "/"+path)] = true
	default:
		n.mismatch = append(n.mismatch, fmt.Sprintf("%s has full_path %s", path, fullPath))
	}
}

func (n *namespaceCheck) warnings() []string {
	var out []string
	if len(n.namespaces) > 1 {
		out = append(out, fmt.Sprintf("the tree's full_path values carry %d different namespace prefixes; paths are taken from the tree walk", len(n.namespaces)))
	}
	if len(n.mismatch) > 0 {
		out = append(out, fmt.Sprintf("%d items have a full_path that does not end with the path found by walking the tree (first: %s); reposync uses the walked paths — please report this", len(n.mismatch), n.mismatch[0]))
	}
	if len(n.bad) > 0 {
		out = append(out, fmt.Sprintf("%d items of the tree have no usable path and were skipped (first: %s) — please report this", len(n.bad), n.bad[0]))
	}
	return out
}

// FindArchived lists the given groups' archived repositories and adds
// those to live (Archived, never managed): the default tree lists leave
// them out, and a group that only looks empty must not be planned for
// deletion. It reads only the groups it is given (groups Walk listed),
// concurrently, and only their archived=true listing: Walk already made the
// default one, and a repository live holds is skipped, so the result is the
// same whether that listing also shows the others (docs/api-assumptions.md
// A23).
func (c *Client) FindArchived(ctx context.Context, live *state.Live, groups []string) error {
	lists := make([][]api.TreeItem, len(groups))
	rs := c.newReads()
	for i, p := range groups {
		lg := live.Groups[p]
		if lg == nil {
			continue
		}
		rs.add("ListGroupSubgroupsAndRepositories", func(ctx context.Context) (err error) {
			lists[i], err = c.api.ListGroupSubgroupsAndRepositoriesWith(ctx, lg.ID, api.TreeQuery{Archived: true})
			return wrap(err, "list the archived repositories of group %s", p)
		})
	}
	if err := rs.run(ctx, c.concurrency); err != nil {
		return err
	}
	for i, p := range groups {
		for _, it := range lists[i] {
			path := p + "/" + it.Path
			if it.DescendantType != api.DescendantRepository || it.Path == "" || live.Repositories[path] != nil {
				continue
			}
			live.Repositories[path] = &state.LiveRepository{ID: it.ID, UUID: it.UUID, Path: path, GroupID: live.Groups[p].ID, Archived: true}
		}
	}
	return nil
}

// ReadRequest says what Read must look at beyond the tree.
type ReadRequest struct {
	// Repositories whose lists are read: the managed ones (listed in the
	// spec or selected by a policy), each only for the lists the spec
	// manages for it.
	Repositories []RepoRead
	// Groups whose attached member groups are read (listed in the spec).
	Groups []string
	// GitAuths reads the project's ServiceStage Git authorizations.
	GitAuths bool
}

// RepoRead names a repository and the lists to read of it: members (v4 and
// legacy lists), attached member groups, file push rules.
type RepoRead struct {
	Path                             string
	Members, MemberGroups, PushRules bool
}

// AllLists reads every list of a repository (export, checks).
func AllLists(path string) RepoRead {
	return RepoRead{Path: path, Members: true, MemberGroups: true, PushRules: true}
}

// repoDetail collects one repository's reads; each field is written by one
// task only.
type repoDetail struct {
	members []api.RepositoryMember
	legacy  []api.LegacyMember
	groups  []api.RepositoryUserGroup
	rules   []api.FilePushPermission
}

// repoLists selects lists of one repository (addRepoReads).
type repoLists uint8

const (
	listMembers repoLists = 1 << iota // v4 ListMembers
	listLegacy                        // legacy ListRepoMembers (access levels)
	listGroups                        // attached member groups
	listRules                         // file push rules
	everyList   = listMembers | listLegacy | listGroups | listRules
)

// addRepoReads adds to rs one read task for each list of repository p that
// lists selects, each filling its own field of d.
func (c *Client) addRepoReads(rs *reads, p string, r *state.LiveRepository, d *repoDetail, lists repoLists) {
	if lists&listMembers != 0 {
		rs.add("ListMembers", func(ctx context.Context) (err error) {
			d.members, err = c.api.ListMembers(ctx, r.ID)
			return wrap(err, "list the members of %s", p)
		})
	}
	if lists&listLegacy != 0 {
		rs.add("ListRepoMembers", func(ctx context.Context) (err error) {
			d.legacy, err = c.api.ListRepoMembers(ctx, r.UUID)
			return wrap(err, "list the member roles of %s", p)
		})
	}
	if lists&listGroups != 0 {
		rs.add("ListRepositoryUserGroups", func(ctx context.Context) (err error) {
			d.groups, err = c.api.ListRepositoryUserGroups(ctx, r.ID)
			return wrap(err, "list the member groups of %s", p)
		})
	}
	if lists&listRules != 0 {
		rs.add("ListRepositoryFilePushPermissions", func(ctx context.Context) (err error) {
			d.rules, err = c.api.ListRepositoryFilePushPermissions(ctx, r.ID)
			return wrap(err, "list the file push rules of %s", p)
		})
	}
}

// Read fills live with the lookups (users, member groups, roles), the details
// of the requested repositories and groups, and optionally the Git
// authorizations. All reads run concurrently, bounded by the client's
// concurrency and paced per API operation by the api client's rate budget;
// tasks are interleaved by operation so every operation family is busy at
// once. Nothing is read twice.
//
// The lookups are read only when something needs them: users for members
// and push rules, the integer member-group ids and the project roles for
// push rules, the member-group catalogue for member groups.
func (c *Client) Read(ctx context.Context, live *state.Live, req ReadRequest) error {
	repos := uniqueRepoReads(req.Repositories)
	groups := uniqueSorted(req.Groups)
	needUsers, needRules, needMGs := false, false, len(groups) > 0
	for _, rr := range repos {
		if live.Repositories[rr.Path] == nil {
			return fmt.Errorf("internal error: repository %s is not in the tree", rr.Path)
		}
		needUsers = needUsers || rr.Members || rr.PushRules
		needRules = needRules || rr.PushRules
		needMGs = needMGs || rr.MemberGroups
	}
	details := make([]repoDetail, len(repos))
	groupMGs := make([][]api.GroupUserGroup, len(groups))
	var (
		users     []api.GrantedUser
		teams     []api.ProtectedRefsUserGroup
		roles     api.ProjectMemberSetting
		auths     []api.Authorization
		mgCatalog [][]api.GroupUserGroup // attached + addable of one group: every member group of the project
	)
	rs := c.newReads()
	if needUsers {
		rs.add("ListProductPermissionResourcesGrantedUsers", func(ctx context.Context) (err error) {
			users, err = c.api.ListProductPermissionResourcesGrantedUsers(ctx, c.project)
			return wrap(err, "list the users of project %s", c.project)
		})
	}
	if needRules {
		rs.add("ListProjectProtectedRefsUserGroups", func(ctx context.Context) (err error) {
			teams, err = c.api.ListProjectProtectedRefsUserGroups(ctx, c.project)
			return wrap(err, "list the member groups of project %s", c.project)
		})
		rs.add("ShowProjectMemberSetting", func(ctx context.Context) (err error) {
			roles, err = c.api.ShowProjectMemberSetting(ctx, c.project)
			return wrap(err, "list the roles of project %s", c.project)
		})
	}
	// Every member group of the project is either attached to a group or
	// addable to it: one group's two lists give the whole catalogue of
	// 32-character ids. The attached list is not read twice when the group
	// is listed in the spec anyway.
	if anchor := firstGroup(live); anchor != nil && needMGs {
		mgCatalog = make([][]api.GroupUserGroup, 2)
		if !slices.Contains(groups, anchor.Path) {
			rs.add("ListGroupUserGroups", func(ctx context.Context) (err error) {
				mgCatalog[0], err = c.api.ListGroupUserGroups(ctx, anchor.ID)
				return wrap(err, "list the member groups of group %s", anchor.Path)
			})
		}
		rs.add("ListGroupAddableUserGroups", func(ctx context.Context) (err error) {
			mgCatalog[1], err = c.api.ListGroupAddableUserGroups(ctx, anchor.ID, c.project)
			return wrap(err, "list the member groups addable to group %s", anchor.Path)
		})
	}
	if req.GitAuths {
		rs.add("ListAuthorizations", func(ctx context.Context) (err error) {
			auths, err = c.api.ListAuthorizations(ctx, c.iamProject)
			return wrap(err, "list the Git authorizations")
		})
	}
	for i, p := range groups {
		lg := live.Groups[p]
		if lg == nil {
			continue // a group the plan will create
		}
		rs.add("ListGroupUserGroups", func(ctx context.Context) (err error) {
			groupMGs[i], err = c.api.ListGroupUserGroups(ctx, lg.ID)
			return wrap(err, "list the member groups of group %s", p)
		})
	}
	for i, rr := range repos {
		var lists repoLists
		if rr.Members {
			lists |= listMembers | listLegacy
		}
		if rr.MemberGroups {
			lists |= listGroups
		}
		if rr.PushRules {
			lists |= listRules
		}
		c.addRepoReads(rs, rr.Path, live.Repositories[rr.Path], &details[i], lists)
	}
	if err := rs.run(ctx, c.concurrency); err != nil {
		return err
	}

	// Lookups.
	for _, u := range users {
		iam := u.IAMID
		if iam == "" {
			iam = u.Username
		}
		live.Users[u.Name] = state.LiveUser{Name: u.Name, ID: u.ID, IAMID: iam}
	}
	mgIDs := map[string]string{}
	for _, list := range mgCatalog {
		for _, m := range list {
			mgIDs[m.Name] = m.UserGroupID
		}
	}
	for _, d := range details {
		for _, m := range d.groups {
			mgIDs[m.UserGroupName] = m.UserGroupID
		}
	}
	for _, list := range groupMGs {
		for _, m := range list {
			mgIDs[m.Name] = m.UserGroupID
		}
	}
	for name, id := range mgIDs {
		live.MemberGroups[name] = state.LiveMemberGroup{Name: name, ID: id}
	}
	for _, t := range teams {
		m := live.MemberGroups[t.Name]
		m.Name, m.TeamID = t.Name, t.ID
		live.MemberGroups[t.Name] = m
	}
	for _, r := range roles.RoleSync {
		live.Roles[r.RoleName] = state.LiveRole{Name: r.RoleName, ID: r.RoleID}
	}
	c.rememberRoles(live.Roles)

	// Groups.
	for i, p := range groups {
		lg := live.Groups[p]
		if lg == nil {
			continue
		}
		lg.MemberGroups = []string{}
		for _, m := range groupMGs[i] {
			lg.MemberGroups = append(lg.MemberGroups, m.Name)
		}
		sort.Strings(lg.MemberGroups)
		live.Fingerprints[plan.GroupAddress(p).String()] = fingerprint(lg)
	}

	// Repositories.
	for i, rr := range repos {
		p := rr.Path
		r := live.Repositories[p]
		fillRepository(r, details[i], live)
		live.Fingerprints[plan.RepositoryAddress(p).String()] = fingerprint(r)
	}

	if req.GitAuths {
		live.GitAuths = map[string]*state.LiveGitAuth{}
		for _, a := range auths {
			live.GitAuths[a.Name] = &state.LiveGitAuth{Name: a.Name, RepoType: a.RepoType, User: a.RepoUser}
		}
		live.Fingerprints["git_auths"] = fingerprint(live.GitAuths)
	}
	return nil
}

// fillRepository turns one repository's reads into state: v4 ListMembers
// tells direct members from inherited ones and says which memberships
// CodeArts manages itself (creator, project members synced in); the legacy
// list carries the direct members' access levels (20/30/40), which v4 does
// not. A role reposync does not know is kept as unknown, never guessed and
// never a reason to fail the read.
func fillRepository(r *state.LiveRepository, d repoDetail, live *state.Live) {
	r.Details = true
	r.Members = map[string]state.LiveMember{}
	levels := map[string]int64{}
	for _, m := range d.legacy {
		levels[m.UserID] = m.Role
	}
	seen := map[string]bool{}
	for _, m := range d.members {
		u := state.LiveUser{Name: m.UserName, ID: m.UserID, IAMID: m.UserIAMID}
		lm := state.LiveMember{User: u}
		level, hasLevel := levels[m.UserIAMID]
		lm.Role, lm.RoleName = memberRole(level, hasLevel, m.RepositoryRoleName)
		lm.ProjectRole, lm.RoleID = m.ProjectRoleName, m.RepositoryRoleID
		if !m.Direct() {
			lm.Inherited = true
			groupSrc := groupPath(m.MemberGroupSource, live)
			lm.ViaMemberGroup, lm.ViaGroup = m.MemberSource, groupSrc
			switch {
			case m.MemberGroupSource != "" && m.MemberSource != "":
				lm.Via = fmt.Sprintf("member group %s of group %s", m.MemberSource, groupSrc)
			case m.MemberGroupSource != "":
				lm.Via = "group " + groupSrc
			default:
				lm.Via = "member group " + m.MemberSource
			}
		}
		lm.Managed = managedBy(m, live.Project)
		seen[m.UserIAMID] = true
		r.Members[u.Name] = lm
		if _, known := live.Users[u.Name]; !known && u.Name != "" {
			live.Users[u.Name] = u
		}
	}
	// A direct member the legacy list shows but v4 does not (eventual
	// consistency between the two APIs) still counts as direct.
	for _, m := range d.legacy {
		if seen[m.UserID] {
			continue
		}
		u := state.LiveUser{Name: m.Name, IAMID: m.UserID}
		if known, ok := live.Users[m.Name]; ok {
			u = known
		}
		lm := state.LiveMember{User: u}
		lm.Role, lm.RoleName = memberRole(m.Role, true, "")
		r.Members[m.Name] = lm
	}
	r.MemberGroups = []string{}
	for _, m := range d.groups {
		r.MemberGroups = append(r.MemberGroups, m.UserGroupName)
	}
	sort.Strings(r.MemberGroups)
	r.PushRules = map[string]state.LivePushRule{}
	for _, p := range d.rules {
		rule := state.LivePushRule{ID: p.ID, Path: p.Path}
		found := false
		for _, a := range p.Actions {
			if a.Action != "push" && a.Action != "" {
				continue
			}
			found = true
			rule.Disabled = !a.Enable
			for _, u := range a.Users {
				rule.Users = append(rule.Users, state.LiveUser{Name: u.Name, ID: u.ID, IAMID: u.Username})
			}
			for _, t := range a.UserTeams {
				rule.MemberGroups = append(rule.MemberGroups, state.LiveMemberGroup{Name: t.Name, TeamID: t.ID})
			}
			for _, ro := range a.Roles {
				rule.Roles = append(rule.Roles, state.LiveRole{Name: ro.Name, ID: projectRoleID(live.Roles, ro)})
			}
		}
		if !found {
			rule.Disabled = true
		}
		r.PushRules[p.Path] = rule
	}
}

// projectRoleID is the project role id of a role a push rule names. Whether
// a rule's related_role_id and the project role list's role_id are one id
// space is not documented (docs/api-assumptions.md, behaviour role_ids): the
// id is used when the project has it, else the project role of the same
// name, so rules compare and converge under either answer.
func projectRoleID(roles map[string]state.LiveRole, ro api.PushRuleRole) string {
	for _, r := range roles {
		if r.ID == ro.RelatedRoleID {
			return r.ID
		}
	}
	if r, ok := roles[ro.Name]; ok {
		return r.ID
	}
	return ro.RelatedRoleID
}

// groupPath turns a group's full path as the service writes it (possibly
// under a namespace, docs/api-assumptions.md) into the path the tree walk
// knows, when it knows one; otherwise it is kept as the service wrote it.
func groupPath(full string, live *state.Live) string {
	if _, ok := live.Groups[full]; ok || full == "" {
		return full
	}
	if ns, rest, ok := strings.Cut(full, "/"); ok && len(ns) == 32 {
		if _, known := live.Groups[rest]; known {
			return rest
		}
	}
	return full
}

// memberRole reads a member's role: the legacy access level when the
// legacy list has the member, else the v4 role name; unknown levels and
// names give "" and a description for messages.
func memberRole(level int64, hasLevel bool, name string) (state.Role, string) {
	if hasLevel {
		if role, err := state.RoleForLevel(int(level)); err == nil {
			return role, string(role)
		}
		if name != "" {
			return "", fmt.Sprintf("%s (access level %d)", name, level)
		}
		return "", fmt.Sprintf("access level %d", level)
	}
	if role, ok := state.RoleForName(name); ok {
		return role, name
	}
	if name == "" {
		return "", "no role reported"
	}
	return "", name
}

// managedBy says why CodeArts itself manages a membership, "" when it does
// not: the repository creator, a project administrator, or a project member
// synced into the repository (member_source_id is the project's id; see
// docs/api-assumptions.md).
func managedBy(m api.RepositoryMember, project string) string {
	role := m.ProjectRoleName
	if role == "" {
		role = m.RepositoryRoleName
	}
	switch {
	case m.IsRepoCreator == 1:
		return "the repository creator"
	case m.IsProjectAdmin == 1:
		return "a project administrator, synced by CodeArts"
	case m.MemberSource == "" && m.MemberGroupSource == "" && m.MemberSourceID != "" && m.MemberSourceID == project:
		if role != "" {
			return "synced from the project as " + role
		}
		return "synced from the project"
	}
	return ""
}

func firstGroup(live *state.Live) *state.LiveGroup {
	var best *state.LiveGroup
	for _, g := range live.Groups {
		if best == nil || g.Path < best.Path {
			best = g
		}
	}
	return best
}

// uniqueRepoReads merges the reads asked for one repository and sorts
// them by path.
func uniqueRepoReads(in []RepoRead) []RepoRead {
	by := map[string]RepoRead{}
	for _, rr := range in {
		have := by[rr.Path]
		by[rr.Path] = RepoRead{Path: rr.Path, Members: have.Members || rr.Members,
			MemberGroups: have.MemberGroups || rr.MemberGroups, PushRules: have.PushRules || rr.PushRules}
	}
	out := make([]RepoRead, 0, len(by))
	for _, rr := range by {
		out = append(out, rr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func uniqueSorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, s := range out {
		if i == 0 || s != out[j-1] {
			out[j] = s
			j++
		}
	}
	return out[:j]
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// fingerprint is a digest of an object as read; maps marshal in key order,
// so the same state always gives the same fingerprint.
func fingerprint(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "error:" + err.Error()
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
