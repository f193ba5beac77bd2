package remote

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// WalkRequest says what Walk reads besides the tree.
type WalkRequest struct {
	// Reach says which groups to list the children of (nil: all of them):
	// a plan of a few repositories walks only the groups on their way.
	Reach func(group string) bool
	// Lists, when set, says whether and which lists to read of each
	// repository found, at once and with the lookups they need (a read of
	// no list still counts as read: nothing of it is managed).
	Lists func(repo string) (RepoRead, bool)
	// Groups says which groups found to read the member groups of, at
	// once; ShowGroups which only to show (a group the spec does not list),
	// without the member-group catalogue a change would need.
	Groups, ShowGroups func(group string) bool
	// Lookups names the lists whose lookups (users, roles, member-group
	// ids) to ask for as the walk starts, in budgets the walk leaves
	// idle, rather than after the first repository that needs them is
	// found: a plan of one repository does not wait for them after its
	// lists. A lookup no repository found needs is one call too many.
	Lookups RepoRead
	// GitAuths reads the project's ServiceStage Git authorizations too.
	GitAuths bool
	// MemberGroups reads the member-group catalogue even when no list
	// found needs it: the spec attaches member groups to groups it may
	// still have to create.
	MemberGroups bool
}

// Walk reads the project tree (groups and repositories, by path) and, as
// req asks, the lists of what it finds, each as soon as it is found, in one
// pool of workers: the first repository read starts after two listings,
// not after the whole tree. A path is the parent's path and the item's own
// `path`; `full_path` may carry a namespace (docs/api-assumptions.md) and
// is only cross-checked.
func (c *Client) Walk(ctx context.Context, req WalkRequest) (*state.Live, error) {
	live := &state.Live{
		Project:      c.project,
		Groups:       map[string]*state.LiveGroup{},
		Repositories: map[string]*state.LiveRepository{},
		Users:        map[string]state.LiveUser{},
		MemberGroups: map[string]state.LiveMemberGroup{},
		Roles:        map[string]state.LiveRole{},
		Fingerprints: map[string]string{},
	}
	rd := c.newReading(live, true)
	rd.wantGroup = req.Groups
	ns := &namespaceCheck{}
	var found func(parent *state.LiveGroup, items []api.TreeItem) error
	found = func(parent *state.LiveGroup, items []api.TreeItem) error {
		// Under the reading's lock: the member-group catalogue looks at
		// the groups found so far.
		rd.mu.Lock()
		groups, repos := c.addItems(live, parent, items, ns)
		rd.mu.Unlock()
		for _, g := range groups {
			if strings.Count(g.Path, "/") >= 64 {
				return fmt.Errorf("the group tree is deeper than 64 levels; is the API returning a cycle?")
			}
			switch {
			case req.Groups != nil && req.Groups(g.Path):
				rd.group(g, true)
			case req.ShowGroups != nil && req.ShowGroups(g.Path):
				rd.group(g, false)
			}
			if req.Reach == nil || req.Reach(g.Path) {
				rd.pool.add("ListGroupSubgroupsAndRepositories", func(ctx context.Context) error {
					items, err := c.api.ListGroupSubgroupsAndRepositoriesWith(ctx, g.ID, api.TreeQuery{})
					if err != nil {
						return wrap(err, "list the children of group %s", g.Path)
					}
					return found(g, items)
				})
			}
		}
		if req.Lists != nil {
			for _, r := range repos {
				if rr, ok := req.Lists(r.Path); ok {
					rd.repo(r, rr)
				}
			}
		}
		return nil
	}
	rd.pool.add("ListProjectSubgroupsAndRepositories", func(ctx context.Context) error {
		top, err := c.api.ListProjectSubgroupsAndRepositoriesWith(ctx, c.project, api.TreeQuery{})
		if err != nil {
			return fmt.Errorf("list the groups and repositories of project %s: %w", c.project, err)
		}
		err = found(nil, top)
		// After the first call, so the walk goes first; the catalogue
		// needs the top-level groups.
		if req.GitAuths {
			rd.gitAuths()
		}
		if req.MemberGroups {
			rd.mu.Lock()
			rd.memberGroupCatalog()
			rd.mu.Unlock()
		}
		return err
	})
	rd.mu.Lock()
	rd.lookupsFor(req.Lookups) // queued after the listing, which the pool takes first
	rd.mu.Unlock()
	if err := rd.pool.run(ctx, c.concurrency); err != nil {
		return nil, err
	}
	rd.fill()
	live.Warnings = append(live.Warnings, ns.warnings()...)
	for path, g := range live.Groups {
		if _, read := live.Fingerprints[plan.GroupAddress(path).String()]; !read {
			live.Fingerprints[plan.GroupAddress(path).String()] = fingerprint(g)
		}
	}
	return live, nil
}

// addItems records one listing's groups and repositories under parent (nil
// = the project root) and returns the new ones, sorted by path.
func (c *Client) addItems(live *state.Live, parent *state.LiveGroup, items []api.TreeItem, ns *namespaceCheck) ([]*state.LiveGroup, []*state.LiveRepository) {
	var groups []*state.LiveGroup
	var repos []*state.LiveRepository
	var parentID int64
	prefix := ""
	if parent != nil {
		parentID, prefix = parent.ID, parent.Path+"/"
	}
	for _, it := range items {
		// Without a path in the answer, the last segment of full_path is the
		// best evidence left.
		own := cmp.Or(it.Path, state.BaseName(it.FullPath))
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
			r := &state.LiveRepository{ID: it.ID, UUID: it.UUID, Path: path, GroupID: parentID}
			live.Repositories[path] = r
			repos = append(repos, r)
		}
	}
	slices.SortFunc(groups, func(a, b *state.LiveGroup) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(repos, func(a, b *state.LiveRepository) int { return cmp.Compare(a.Path, b.Path) })
	return groups, repos
}

// namespaceCheck compares the walk's paths with the service's full_path
// values: equal, or the same under one namespace segment (as CreateGroup's
// documented answer suggests), is expected; anything else is reported once,
// with an example, so that a surprise in the real service is seen.
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

// FindArchived adds to live the archived repositories of the given groups
// (Archived, never managed): the default tree lists leave them out, and a
// group that only looks empty must not be planned for deletion. It makes
// only each group's archived=true listing, concurrently, and skips what
// live holds, so whether that listing shows the others too does not matter
// (docs/api-assumptions.md A23).
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

// RepoRead names a repository and the lists to read of it: members (v4 and
// legacy lists), attached member groups, file push rules.
type RepoRead struct {
	Path                             string
	Members, MemberGroups, PushRules bool
	// All reads every list, those not named above only to be shown (the
	// grants of a repository the spec does not list): without the lookups
	// a change of them would need.
	All bool
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

// lists is the lists rr asks for.
func (rr RepoRead) lists() repoLists {
	if rr.All {
		return everyList
	}
	var l repoLists
	if rr.Members {
		l |= listMembers | listLegacy
	}
	if rr.MemberGroups {
		l |= listGroups
	}
	if rr.PushRules {
		l |= listRules
	}
	return l
}

// addRepoReads adds to rs one read task for each list of repository p that
// lists selects, each filling its own field of d; then, when set, is called
// after each list read.
func (c *Client) addRepoReads(rs *reads, p string, r *state.LiveRepository, d *repoDetail, lists repoLists, then func()) {
	add := func(op string, f func(context.Context) error) {
		rs.add(op, func(ctx context.Context) error {
			err := f(ctx)
			if err == nil && then != nil {
				then()
			}
			return err
		})
	}
	if lists&listMembers != 0 {
		add("ListMembers", func(ctx context.Context) (err error) {
			d.members, err = c.api.ListMembers(ctx, r.ID)
			return wrap(err, "list the members of %s", p)
		})
	}
	if lists&listLegacy != 0 {
		add("ListRepoMembers", func(ctx context.Context) (err error) {
			d.legacy, err = c.api.ListRepoMembers(ctx, r.UUID)
			return wrap(err, "list the member roles of %s", p)
		})
	}
	if lists&listGroups != 0 {
		add("ListRepositoryUserGroups", func(ctx context.Context) (err error) {
			d.groups, err = c.api.ListRepositoryUserGroups(ctx, r.ID)
			return wrap(err, "list the member groups of %s", p)
		})
	}
	if lists&listRules != 0 {
		add("ListRepositoryFilePushPermissions", func(ctx context.Context) (err error) {
			d.rules, err = c.api.ListRepositoryFilePushPermissions(ctx, r.ID)
			return wrap(err, "list the file push rules of %s", p)
		})
	}
}

// addGroupRead adds to rs the read of the member groups attached to g, into
// the list it returns.
func (c *Client) addGroupRead(rs *reads, g *state.LiveGroup) *[]api.GroupUserGroup {
	list := new([]api.GroupUserGroup)
	rs.add("ListGroupUserGroups", func(ctx context.Context) (err error) {
		*list, err = c.api.ListGroupUserGroups(ctx, g.ID)
		return wrap(err, "list the member groups of group %s", g.Path)
	})
	return list
}

// A Reader reads repositories' lists into a live state while its caller
// goes on, without the lookups (the live state has them): apply confirms
// each repository as soon as its last write is done, in the read budget
// the writes leave idle.
type Reader struct {
	rd   *reading
	errc chan error
}

// NewReader starts reading into live: Repository, Group and GitAuths queue
// reads, Wait returns once all are read or at the first error, and read,
// when set, is called (from the reading goroutines) as each repository's
// lists are all read.
func (c *Client) NewReader(ctx context.Context, live *state.Live, read func(repo string)) *Reader {
	r := &Reader{rd: c.newReading(live, false), errc: make(chan error, 1)}
	r.rd.onRepo = read
	r.rd.pool.hold()
	go func() { r.errc <- r.rd.pool.run(ctx, c.concurrency) }()
	return r
}

// Repository queues the lists rr names of a repository of the live state.
// A list it replaces; the others keep what they held.
func (r *Reader) Repository(rr RepoRead) {
	if repo := r.rd.live.Repositories[rr.Path]; repo != nil {
		r.rd.repo(repo, rr)
	}
}

// Group queues the member groups attached to a group of the live state.
func (r *Reader) Group(path string) {
	if g := r.rd.live.Groups[path]; g != nil {
		r.rd.group(g, true)
	}
}

// GitAuths queues the project's Git authorizations.
func (r *Reader) GitAuths() { r.rd.gitAuths() }

// Wait waits for every queued read and fills the live state.
func (r *Reader) Wait() error {
	r.rd.pool.release()
	if err := <-r.errc; err != nil {
		return err
	}
	r.rd.fill()
	return nil
}

// reading is one read of the live state: the tasks it queued into its pool
// (safely from the pool's own tasks too) and what they read, filled into
// live. A repository is filled and what was read of it dropped as soon as
// its lists are read, and the member setting its members and push rules
// need: a plan of 10 000 repositories does not hold every answer until the
// last one comes. The lookups, groups and authorizations are filled at the end.
type reading struct {
	c    *Client
	live *state.Live
	pool *reads
	// lookups: read the lookups the lists need (else live has them).
	lookups bool
	// wantGroup says whether a group's attached member groups are read
	// anyway (the member-group catalogue does not read them again).
	wantGroup func(string) bool
	// onRepo, when set, is called as a repository's lists are all read.
	onRepo func(path string)

	mu     sync.Mutex
	repos  map[string]*repoReading
	groups map[string]*[]api.GroupUserGroup
	// waiting are repositories read whose members or push rules wait for
	// the project's member setting (which roles it syncs, the role ids).
	waiting []*repoReading
	// mgIDs are the member-group ids the repositories filled named.
	mgIDs map[string]string
	// The lookups queued, and what they read.
	users, rules, catalog, rolesRead bool
	setting                          bool // the member setting is queued
	userList                         []api.GrantedUser
	teams                            []api.ProtectedRefsUserGroup
	roles                            api.ProjectMemberSetting
	mgCatalog                        [2][]api.GroupUserGroup // attached + addable of one group: every member group of the project
	auths                            *[]api.Authorization
}

type repoReading struct {
	r       *state.LiveRepository
	lists   repoLists // queued
	fresh   repoLists // read into d, not filled yet
	pending int       // queued, not read yet
	d       repoDetail
}

// newReading starts a reading into live; without lookups it has the
// member setting the client read last.
func (c *Client) newReading(live *state.Live, lookups bool) *reading {
	rd := &reading{c: c, live: live, pool: c.newReads(), lookups: lookups,
		repos: map[string]*repoReading{}, groups: map[string]*[]api.GroupUserGroup{}, mgIDs: map[string]string{}}
	if !lookups {
		rd.roles = c.memberSetting()
	}
	return rd
}

// listRead is called as each list of x is read: once all are, x is filled,
// or waits for the member setting its members or push rules need.
func (rd *reading) listRead(x *repoReading) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if x.pending--; x.pending > 0 {
		return
	}
	if rd.onRepo != nil {
		rd.onRepo(x.r.Path)
	}
	if x.fresh&(listRules|listMembers|listLegacy) != 0 && rd.lookups && !rd.rolesRead {
		rd.waiting = append(rd.waiting, x)
		return
	}
	rd.fillRepo(x)
}

// fillRepo fills what was read of x into live and drops it. A user the
// users lookup lacks is added by the first repository filled that names it:
// every row of one user carries the same ids, so the order does not show.
func (rd *reading) fillRepo(x *repoReading) {
	fillRepository(x.r, x.d, x.fresh, rd.live, rd.roles)
	rd.live.Fingerprints[plan.RepositoryAddress(x.r.Path).String()] = fingerprint(x.r)
	for _, m := range x.d.groups {
		rd.mgIDs[m.UserGroupName] = m.UserGroupID
	}
	x.d, x.fresh = repoDetail{}, 0
}

// fillRoles fills the project roles, and then the repositories that waited
// for the member setting.
func (rd *reading) fillRoles() {
	maps.Copy(rd.live.Roles, projectRoles(rd.roles))
	rd.rolesRead = true
	for _, x := range rd.waiting {
		rd.fillRepo(x)
	}
	rd.waiting = nil
}

// repo queues the lists rr asks for of r not queued yet, and the lookups
// they need: users and the member setting for members and push rules, the
// integer member-group ids for push rules, the catalogue for member groups.
func (rd *reading) repo(r *state.LiveRepository, rr RepoRead) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	x := rd.repos[r.Path]
	if x == nil {
		x = &repoReading{r: r}
		rd.repos[r.Path] = x
		if rr.lists() == 0 {
			rd.fillRepo(x) // read for no list: what is managed of it is nothing
		}
	}
	add := rr.lists() &^ x.lists
	if add == 0 {
		return
	}
	x.lists |= add
	x.fresh |= add
	x.pending += bits.OnesCount8(uint8(add))
	rd.c.addRepoReads(rd.pool, r.Path, r, &x.d, add, func() { rd.listRead(x) })
	rd.lookupsFor(rr)
	if rr.MemberGroups {
		rd.memberGroupCatalog()
	}
}

// lookupsFor queues, under rd.mu, the lookups that rr's lists need and
// that are not queued yet (in a reading with lookups).
func (rd *reading) lookupsFor(rr RepoRead) {
	if !rd.lookups {
		return
	}
	c := rd.c
	if (rr.Members || rr.PushRules) && !rd.users {
		rd.users = true
		rd.pool.add("ListProductPermissionResourcesGrantedUsers", func(ctx context.Context) (err error) {
			rd.userList, err = c.api.ListProductPermissionResourcesGrantedUsers(ctx, c.project)
			return wrap(err, "list the users of project %s", c.project)
		})
	}
	if rr.PushRules && !rd.rules {
		rd.rules = true
		rd.pool.add("ListProjectProtectedRefsUserGroups", func(ctx context.Context) (err error) {
			rd.teams, err = c.api.ListProjectProtectedRefsUserGroups(ctx, c.project)
			return wrap(err, "list the member groups of project %s", c.project)
		})
	}
	if (rr.Members || rr.PushRules || rr.All) && !rd.setting {
		// One call a plan, beside the lists: the project roles CodeArts
		// syncs into every repository whether or not rows say so
		// (docs/api-assumptions.md A44), and their ids. The territory's
		// members need it too: a synced member is no grant to flag.
		rd.setting = true
		rd.pool.add("ShowProjectMemberSetting", func(ctx context.Context) (err error) {
			roles, err := c.api.ShowProjectMemberSetting(ctx, c.project)
			if err != nil {
				return wrap(err, "read the member setting of project %s", c.project)
			}
			rd.mu.Lock()
			defer rd.mu.Unlock()
			rd.roles = roles
			rd.fillRoles()
			return nil
		})
	}
}

// memberGroupCatalog queues the catalogue of member groups: every one is
// attached or addable to a group, so one group's two lists give every
// 32-character id. The group is the first top-level one by path; its
// attached list is not read twice when it is read anyway.
func (rd *reading) memberGroupCatalog() {
	anchor := firstGroup(rd.live)
	if !rd.lookups || rd.catalog || anchor == nil {
		return
	}
	rd.catalog = true
	c := rd.c
	if rd.wantGroup == nil || !rd.wantGroup(anchor.Path) {
		rd.pool.add("ListGroupUserGroups", func(ctx context.Context) (err error) {
			rd.mgCatalog[0], err = c.api.ListGroupUserGroups(ctx, anchor.ID)
			return wrap(err, "list the member groups of group %s", anchor.Path)
		})
	}
	rd.pool.add("ListGroupAddableUserGroups", func(ctx context.Context) (err error) {
		rd.mgCatalog[1], err = c.api.ListGroupAddableUserGroups(ctx, anchor.ID, c.project)
		return wrap(err, "list the member groups addable to group %s", anchor.Path)
	})
}

// group queues the member groups attached to g, and the catalogue when
// asked.
func (rd *reading) group(g *state.LiveGroup, catalogue bool) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if rd.groups[g.Path] != nil {
		return
	}
	rd.groups[g.Path] = rd.c.addGroupRead(rd.pool, g)
	if catalogue {
		rd.memberGroupCatalog()
	}
}

// gitAuths queues the project's Git authorizations.
func (rd *reading) gitAuths() {
	rd.auths = new([]api.Authorization)
	rd.pool.add("ListAuthorizations", func(ctx context.Context) (err error) {
		*rd.auths, err = rd.c.api.ListAuthorizations(ctx, rd.c.iamProject)
		return wrap(err, "list the Git authorizations")
	})
}

// fill turns what was read into live, once the pool is done.
func (rd *reading) fill() {
	live := rd.live
	for _, u := range rd.userList {
		live.Users[u.Name] = state.LiveUser{Name: u.Name, ID: u.ID, IAMID: cmp.Or(u.IAMID, u.Username)}
	}
	mgIDs := rd.mgIDs
	for _, list := range rd.mgCatalog {
		for _, m := range list {
			mgIDs[m.Name] = m.UserGroupID
		}
	}
	for p, list := range rd.groups {
		for _, m := range *list {
			mgIDs[m.Name] = m.UserGroupID
		}
		lg := live.Groups[p]
		lg.MemberGroups = sortedNames(*list, func(m api.GroupUserGroup) string { return m.Name })
		live.Fingerprints[plan.GroupAddress(p).String()] = fingerprint(lg)
	}
	for name, id := range mgIDs {
		m := live.MemberGroups[name]
		m.Name, m.ID = name, id
		live.MemberGroups[name] = m
	}
	for _, t := range rd.teams {
		m := live.MemberGroups[t.Name]
		m.Name, m.TeamID = t.Name, t.ID
		live.MemberGroups[t.Name] = m
	}
	if rd.setting {
		rd.c.setting.Store(new(rd.roles))
	}
	if rd.auths != nil {
		live.GitAuths = map[string]*state.LiveGitAuth{}
		for _, a := range *rd.auths {
			live.GitAuths[a.Name] = &state.LiveGitAuth{Name: a.Name, RepoType: a.RepoType, User: a.RepoUser}
		}
		live.Fingerprints["git_auths"] = fingerprint(live.GitAuths)
	}
}

// fillRepository turns one repository's reads into state (fillMembers,
// livePushRule), replacing only the lists named by lists: one not read keeps
// what it held (empty on a first read). sync is the project's member
// setting: the project roles CodeArts syncs into every repository.
func fillRepository(r *state.LiveRepository, d repoDetail, lists repoLists, live *state.Live, sync api.ProjectMemberSetting) {
	r.Details = true
	if r.Members == nil {
		r.Members = map[string]state.LiveMember{}
	}
	if r.MemberGroups == nil {
		r.MemberGroups = []string{}
	}
	if r.PushRules == nil {
		r.PushRules = map[string]state.LivePushRule{}
	}
	if lists&(listMembers|listLegacy) != 0 {
		fillMembers(r, d, live, sync)
	}
	if lists&listGroups != 0 {
		r.MemberGroups = sortedNames(d.groups, func(m api.RepositoryUserGroup) string { return m.UserGroupName })
	}
	if lists&listRules != 0 {
		r.PushRules = map[string]state.LivePushRule{}
		for _, p := range d.rules {
			r.PushRules[p.Path] = livePushRule(p, live.Roles)
		}
	}
}

// fillMembers reads the two member lists of d into r, paired by
// api.JoinMembers: the v4 row tells direct members from inherited ones and
// which memberships CodeArts manages (managedBy); the legacy row gives the
// access level (20/30/40) v4 lacks, and the id SetRepoRole and
// DeleteRepoMember take, which need not be the IAM id (docs/api-assumptions.md
// A46). A legacy row no v4 row pairs with (who it is cannot be told) and a
// role reposync does not know give an unknown role: never guessed, never
// written to, never a reason to fail the read.
func fillMembers(r *state.LiveRepository, d repoDetail, live *state.Live, sync api.ProjectMemberSetting) {
	r.Members = map[string]state.LiveMember{}
	rows, unpaired := api.JoinMembers(d.members, d.legacy)
	for _, row := range rows {
		m := row.RepositoryMember
		u := state.LiveUser{Name: m.UserName, ID: m.UserID, IAMID: m.UserIAMID}
		lm := state.LiveMember{User: u, ProjectRole: m.ProjectRoleName, RoleID: m.RepositoryRoleID}
		var level int64
		if row.Legacy != nil {
			level, lm.MemberID = row.Legacy.Role, row.Legacy.UserID
		}
		lm.Role, lm.RoleName = memberRole(level, row.Legacy != nil, m.RepositoryRoleName)
		if !m.Direct() {
			inheritedFrom(&lm, m, live)
		}
		lm.Managed = managedBy(m, live.Project, sync)
		r.Members[u.Name] = lm
		if _, known := live.Users[u.Name]; !known && u.Name != "" {
			live.Users[u.Name] = u
		}
	}
	for _, l := range unpaired {
		lm, known := r.Members[l.Name]
		if !known {
			lm.User = state.LiveUser{Name: l.Name}
		}
		lm.Role, lm.RoleName = "", fmt.Sprintf("access level %d on a legacy member row that no v4 member row matches", l.Role)
		r.Members[l.Name] = lm
	}
}

// inheritedFrom says where an inherited member's access comes from: the
// member group is member_source; member_group_source is the group's path
// where it names a group of the walk (under a namespace, say), else the
// member group's name, as the API page documents it (docs/api-assumptions.md A10).
func inheritedFrom(lm *state.LiveMember, m api.RepositoryMember, live *state.Live) {
	lm.Inherited = true
	mg, group := m.MemberSource, groupPath(m.MemberGroupSource, live)
	if _, walked := live.Groups[group]; !walked {
		mg, group = cmp.Or(mg, m.MemberGroupSource), ""
	}
	lm.ViaMemberGroup, lm.ViaGroup = mg, group
	switch {
	case group != "" && mg != "":
		lm.Via = fmt.Sprintf("member group %s of group %s", mg, group)
	case group != "":
		lm.Via = "group " + group
	default:
		lm.Via = "member group " + mg
	}
}

// livePushRule is a push rule as read, its roles with their project role
// ids (projectRoleID). A rule without a push action is disabled.
func livePushRule(p api.FilePushPermission, roles map[string]state.LiveRole) state.LivePushRule {
	rule := state.LivePushRule{ID: p.ID, Path: p.Path, Disabled: true}
	for _, a := range p.Actions {
		if a.Action != "push" && a.Action != "" {
			continue
		}
		rule.Disabled = !a.Enable
		for _, u := range a.Users {
			rule.Users = append(rule.Users, state.LiveUser{Name: u.Name, ID: u.ID, IAMID: u.Username})
		}
		for _, t := range a.UserTeams {
			rule.MemberGroups = append(rule.MemberGroups, state.LiveMemberGroup{Name: t.Name, TeamID: t.ID})
		}
		for _, ro := range a.Roles {
			rule.Roles = append(rule.Roles, state.LiveRole{Name: ro.Name, ID: projectRoleID(roles, ro)})
		}
	}
	return rule
}

// projectRoleID is the project role id of a role a push rule names: its
// related_role_id when the project has it, else the id of the project role
// of its name, since whether the two are one id space is not documented
// (docs/api-assumptions.md, behaviour role_ids); either way rules converge.
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
// legacy list has the member, else the v4 role name; unknown ones give ""
// and a description for messages. The legacy list's roles are documented
// as 30 and 40 only (docs/api-assumptions.md A11), so a level is trusted
// only where the v4 name does not say otherwise.
func memberRole(level int64, hasLevel bool, name string) (state.Role, string) {
	if hasLevel {
		role, err := state.RoleForLevel(int(level))
		if named, ok := state.RoleForName(name); err == nil && (!ok || named == role) {
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
// synced in (its row names the project as its source, or a project role
// sync says CodeArts syncs: docs/api-assumptions.md A4, A44).
func managedBy(m api.RepositoryMember, project string, sync api.ProjectMemberSetting) string {
	role := cmp.Or(m.ProjectRoleName, m.RepositoryRoleName)
	switch {
	case m.IsRepoCreator == 1:
		return "the repository creator"
	case m.IsProjectAdmin == 1:
		return "a project administrator, synced by CodeArts"
	case sync.Synced(m, project):
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

// sortedNames are the names of list's items, sorted; never nil.
func sortedNames[T any](list []T, name func(T) string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, name(x))
	}
	slices.Sort(out)
	return out
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
