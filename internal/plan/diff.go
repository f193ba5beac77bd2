package plan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Why a member group's attachment is a manual change.
const (
	detachGroup      = "the API cannot detach a member group; remove it in the CodeArts console"
	detachRepository = "the API cannot detach a member group from a repository; remove it in the CodeArts console"
)

// Options decide what Diff may plan beyond additions and updates.
type Options struct {
	// Prune plans deletions of live entries that authoritative spec lists do
	// not contain (otherwise they are reported as extras).
	Prune bool
	// AllowDeleteGroups lets Prune delete empty live groups the spec does
	// not list.
	AllowDeleteGroups bool
	// RotateSecrets replaces every listed Git authorization (delete and
	// create with the current password) and allows changing one.
	RotateSecrets bool
	// Scope restricts the plan to some objects; nil plans everything. It
	// must be compiled.
	Scope       *Scope
	ToolVersion string
	// Today is the day the plan is made for (UTC; Diff never reads a
	// clock): a grant whose `expires` is before it counts as absent from
	// the spec (expiry.go). The zero Date expires nothing, lists nothing.
	Today state.Date
	// Withdrawn are the grants the change under review takes out of the
	// spec (Withdrawals, or WithdrawalsOf a saved plan): removed without
	// Prune where the live state still has them (withdrawn.go).
	Withdrawn []Withdrawal
}

// Diff computes the plan that makes live match desired. eff is the desired
// access per repository after policies were expanded against the live
// repositories (spec.Expand). Diff is pure and deterministic: the same inputs
// give the same plan, byte for byte once encoded. When a name cannot be
// resolved, or the spec asks for something impossible, it returns problems
// naming their sources; the plan is then incomplete and must not be applied.
func Diff(d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live, opts Options) (*Plan, []Problem) {
	p := &Plan{
		FormatVersion: FormatVersion,
		ToolVersion:   opts.ToolVersion,
		Project:       live.Project,
		SpecDigest:    d.Digest,
		Context:       Context{Prune: opts.Prune, AllowDeleteGroups: opts.AllowDeleteGroups, RotateSecrets: opts.RotateSecrets, Scope: opts.Scope},
		Prune:         opts.Prune,
		Live:          maps.Clone(live.Fingerprints),
	}
	r := newResolver(d, live)
	x := &expiry{today: opts.Today, d: d, r: r, met: map[string][]Address{}}
	problems := diffGroups(p, d, eff, live, r, x, opts)
	for _, path := range keys(eff) {
		if opts.Scope.Repo(path) {
			problems = append(problems, diffRepository(p, eff[path], live, r, x, opts)...)
		}
	}
	if opts.Scope.Auths() {
		problems = append(problems, diffGitAuths(p, d, live, opts)...)
	}
	withdraw(p, d, eff, live, r, x, opts)
	problems = append(problems, r.problems...)
	p.Warnings = append(p.Warnings, r.warnings...)
	p.Warnings = append(p.Warnings, live.Warnings...)
	territory(p, d, eff, live, opts)
	policyCuts(p, d, live, opts)
	markScopes(p, d)
	x.finish(p)
	p.finish()
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Source.File, b.Source.File), cmp.Compare(a.Source.Line, b.Source.Line), cmp.Compare(a.Message, b.Message))
	})
	return p, problems
}

// diffGroups plans the listed groups in scope, with the listed parents
// they need, and the live groups the spec does not list.
func diffGroups(p *Plan, d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live, r *resolver, x *expiry, opts Options) []Problem {
	var problems []Problem
	creating := creatingParents(d, live, opts.Scope)
	for _, path := range keys(d.Groups) {
		if !opts.Scope.Group(path) && !creating[path] {
			continue
		}
		if lg := live.Groups[path]; lg != nil {
			diffGroup(p, d.Groups[path], lg, r, x, opts.Prune)
		} else if pr := createGroup(p, d, d.Groups[path], live, r, x); pr != nil {
			problems = append(problems, *pr)
		}
	}
	if d.Groups != nil {
		unlistedGroups(p, d, eff, live, opts)
	}
	return problems
}

// creatingParents are the listed groups, not live yet, above a group in
// scope that must be created: a group is created in its parent, so they
// are created in the same plan.
func creatingParents(d *state.Desired, live *state.Live, scope *Scope) map[string]bool {
	creating := map[string]bool{}
	for path := range d.Groups {
		if live.Groups[path] != nil || !scope.Group(path) {
			continue
		}
		for a := state.ParentPath(path); a != "" && live.Groups[a] == nil; a = state.ParentPath(a) {
			if _, listed := d.Groups[a]; !listed {
				break
			}
			creating[a] = true
		}
	}
	return creating
}

// createGroup plans the creation of a listed group and the attachment of
// its member groups; a problem when its parent can be neither found nor
// created.
func createGroup(p *Plan, d *state.Desired, g *state.Group, live *state.Live, r *resolver, x *expiry) *Problem {
	parent := state.ParentPath(g.Path)
	lp, livep := live.Groups[parent]
	if _, listed := d.Groups[parent]; parent != "" && !livep && !listed {
		return &Problem{Source: g.Source, Address: GroupAddress(g.Path),
			Message: fmt.Sprintf("parent group `%s` is neither listed under `groups:` nor exists in the project", parent)}
	}
	var parentID int64
	if livep {
		parentID = lp.ID
	}
	vis := cmp.Or(g.Visibility, "private") // safer than the API's default of public
	p.Changes = append(p.Changes, Change{
		Address: GroupAddress(g.Path), Kind: KindGroup, Action: Create,
		After:  &GroupValue{Visibility: vis, Description: g.Description},
		Source: g.Source.String(),
		Target: Target{Group: g.Path, ParentGroup: parent, ParentGroupID: parentID},
	})
	attachments{path: g.Path, target: Target{Group: g.Path}}.diff(p, g.MemberGroups, nil, r, x, false)
	return nil
}

// diffGroup compares a listed group with the live one: settings the API
// cannot change are manual, and a listed member_groups is complete.
func diffGroup(p *Plan, g *state.Group, lg *state.LiveGroup, r *resolver, x *expiry, prune bool) {
	before, after := &GroupValue{}, &GroupValue{}
	var what []string
	if g.Visibility != "" && g.Visibility != lg.Visibility {
		before.Visibility, after.Visibility = lg.Visibility, g.Visibility
		what = append(what, "visibility")
	}
	if g.Description != nil && *g.Description != lg.Description {
		desc := lg.Description
		before.Description, after.Description = &desc, g.Description
		what = append(what, "description")
	}
	if len(what) > 0 {
		p.Changes = append(p.Changes, Change{
			Address: GroupAddress(g.Path), Kind: KindGroup, Action: Manual, Before: before, After: after,
			Source: g.Source.String(),
			Reason: fmt.Sprintf("the API cannot change a group's %s after creation; change it in the CodeArts console", strings.Join(what, " or ")),
			Target: Target{Group: g.Path, GroupID: lg.ID},
		})
	}
	if g.MemberGroups != nil {
		a := attachments{path: g.Path, target: Target{Group: g.Path, GroupID: lg.ID}, source: g.Source, complete: true}
		a.diff(p, g.MemberGroups, lg.MemberGroups, r, x, prune)
	}
}

// unlistedGroups plans the live groups the spec does not list (and
// manages: when only scoped files list groups, those inside their scopes)
// nor needs (neededGroups): drift, and with --prune --allow-delete-groups
// deleted when empty; a group that still holds repositories (archived ones
// included) is never deleted, which needs a person.
func unlistedGroups(p *Plan, d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live, opts Options) {
	needed := neededGroups(d, eff, live)
	repoCount, archived := reposPerGroup(live)
	for _, path := range keys(live.Groups) {
		if _, ok := d.Groups[path]; ok || needed[path] || !opts.Scope.Subtree(path) || !d.ManagesGroup(path) {
			continue
		}
		lg := live.Groups[path]
		addr := GroupAddress(path)
		switch repos := repoCount[path]; {
		case !opts.Prune || !opts.AllowDeleteGroups:
			p.Extras = append(p.Extras, Extra{Address: addr, Kind: KindGroup, Detail: "group not listed in the spec", Grants: memberGroupGrants(lg.MemberGroups)})
		case repos == 0:
			p.Changes = append(p.Changes, Change{Address: addr, Kind: KindGroup, Action: Delete,
				Before: &GroupValue{Visibility: lg.Visibility, Description: &lg.Description},
				Target: Target{Group: path, GroupID: lg.ID, ParentGroup: state.ParentPath(path), ParentGroupID: lg.ParentID}})
		default:
			held := fmt.Sprintf("%d repositories", repos)
			if a := archived[path]; a > 0 {
				held = fmt.Sprintf("%d repositories (%d archived)", repos, a)
			}
			p.Changes = append(p.Changes, Change{Address: addr, Kind: KindGroup, Action: Manual,
				Before: &GroupValue{Visibility: lg.Visibility, Description: &lg.Description},
				Reason: fmt.Sprintf("the group is not in the spec, but it holds %s and reposync never deletes repositories; move or delete them in the CodeArts console, or list the group", held),
				Target: Target{Group: path, GroupID: lg.ID}})
		}
	}
}

// attachments is a list of member groups the spec attaches to a group or
// a repository, as Diff compares it with the live attachments.
type attachments struct {
	path string // the group's or repository's
	// e is the repository, whose policies an expired attachment falls back
	// on; nil for a group.
	e      *state.EffectiveRepository
	target Target       // its ids
	source state.Source // its own, the source of removing what it does not list
	// complete is set when the list is its own: live attachments it does
	// not list are drift.
	complete bool
}

// diff plans the attachments of refs that attached (the live names) lacks,
// and for a complete list what to do with the live ones it does not want.
func (a attachments) diff(p *Plan, refs []state.Ref, attached []string, r *resolver, x *expiry, prune bool) {
	kind, address, detach := KindMemberGroup, MemberGroupAddress, detachRepository
	if a.e == nil {
		kind, address, detach = KindGroupMemberGroup, GroupMemberGroupAddress, detachGroup
	}
	want := map[string]bool{}
	expired := map[string]state.Ref{} // the owner's own, by live name
	for _, ref := range refs {
		at := address(a.path, ref.Name)
		if x.check(kind, "member group "+ref.Name, ref.Grant, ref.Source, at) {
			alt, ok := state.Ref{}, false
			if a.e != nil {
				alt, ok = x.policyRef(a.e, ref.Name, func(p *state.Policy) []state.Ref { return p.MemberGroups })
			}
			if !ok {
				if ref.Policy == "" { // the owner's own: its list is complete
					expired[liveMemberGroupName(ref.Name, r)] = ref
				}
				continue
			}
			ref = alt
			x.check(kind, "member group "+ref.Name, ref.Grant, ref.Source, at)
		}
		m, ok := r.memberGroup(ref.Name, ref.Source, false)
		if !ok {
			continue
		}
		want[m.Name] = true
		if !slices.Contains(attached, m.Name) {
			t := a.target
			t.MemberGroup, t.MemberGroupID = m.Name, m.ID
			p.Changes = append(p.Changes, Change{Address: address(a.path, m.Name), Kind: kind, Action: Create,
				After: &MemberGroupValue{Name: m.Name}, Source: ref.Source.String(), Target: t})
		}
	}
	if !a.complete {
		return
	}
	for _, name := range slices.Sorted(slices.Values(attached)) {
		if want[name] {
			continue
		}
		ref, isExpired := expired[name]
		if !isExpired && !prune {
			p.Extras = append(p.Extras, Extra{Address: address(a.path, name), Kind: kind, Detail: "member group attached but not listed"})
			continue
		}
		t := a.target
		t.MemberGroup = name
		c := Change{Address: address(a.path, name), Kind: kind, Action: Manual, Before: &MemberGroupValue{Name: name},
			Source: a.source.String(), Reason: detach, Target: t}
		if isExpired {
			// The spec asked for its end: shown whether or not pruning.
			c.Expired = []ExpiredGrant{expiredGrant("member group "+ref.Name, ref.Grant, ref.Source)}
			c.Source, c.Reason = ref.Source.String(), expiredReason(c.Expired)+"; "+detach
		}
		p.Changes = append(p.Changes, c)
	}
}

// repoDiff is what diffRepository compares one repository with.
type repoDiff struct {
	p      *Plan
	e      *state.EffectiveRepository
	lr     *state.LiveRepository
	r      *resolver
	x      *expiry
	prune  bool
	target Target // the repository's ids
}

func diffRepository(p *Plan, e *state.EffectiveRepository, live *state.Live, r *resolver, x *expiry, opts Options) []Problem {
	lr := live.Repositories[e.Path]
	addr := RepositoryAddress(e.Path)
	if lr == nil {
		return []Problem{{Source: e.Source, Address: addr,
			Message: fmt.Sprintf("repository `%s` does not exist in the project; reposync manages existing repositories and never creates them%s", e.Path, state.DidYouMean(e.Path, keys(live.Repositories)))}}
	}
	if lr.Archived {
		return []Problem{{Source: e.Source, Address: addr, Message: fmt.Sprintf("repository `%s` is archived; reposync does not manage archived repositories (unarchive it, or leave it out of the spec)", e.Path)}}
	}
	if !lr.Details {
		return []Problem{{Source: e.Source, Address: addr, Message: "internal error: the repository's members and rules were not read"}}
	}
	rd := &repoDiff{p: p, e: e, lr: lr, r: r, x: x, prune: opts.Prune, target: Target{Repository: e.Path, RepositoryID: lr.ID, RepositoryUUID: lr.UUID}}
	if e.Members != nil {
		rd.members()
	}
	if e.MemberGroups != nil {
		a := attachments{path: e.Path, e: e, target: rd.target, source: e.Source, complete: e.MemberGroupsAuthoritative}
		a.diff(p, e.MemberGroups, lr.MemberGroups, r, x, opts.Prune)
	}
	if e.PushRules != nil {
		rd.pushRules()
	}
	return nil
}

// byUser holds values by a live user's ids, as members are matched: by IAM
// id, else by numeric id (so renames are not drift).
type byUser[V any] struct {
	iam map[string]V
	id  map[int64]V
}

func newByUser[V any]() byUser[V] { return byUser[V]{map[string]V{}, map[int64]V{}} }

func (b byUser[V]) put(u state.LiveUser, v V) {
	if u.IAMID != "" {
		b.iam[u.IAMID] = v
	}
	if u.ID != 0 {
		b.id[u.ID] = v
	}
}

func (b byUser[V]) get(u state.LiveUser) (V, bool) {
	if v, ok := b.iam[u.IAMID]; ok {
		return v, true
	}
	v, ok := b.id[u.ID]
	return v, ok
}

// members plans the repository's members: those the spec lists, and on a
// complete list the direct live members it does not.
func (rd *repoDiff) members() {
	e, r, x := rd.e, rd.r, rd.x
	live := newByUser[state.LiveMember]()
	for _, m := range rd.lr.Members {
		live.put(m.User, m)
	}
	want := newByUser[bool]()
	// The repository's own grants that expired, by the live ids of their
	// users: removed without --prune.
	expired := newByUser[state.Member]()
	for _, name := range keys(e.Members) {
		m := e.Members[name]
		ma := MemberAddress(e.Path, name)
		if x.check(KindMember, "user "+name, m.Grant, m.Source, ma) {
			alt, ok := x.policyMember(e, name)
			if !ok {
				if u, found := r.lookupUser(name); found && m.Policy == "" {
					expired.put(u, m)
				}
				continue
			}
			m = alt // a policy selecting the repository still grants it
			x.check(KindMember, "user "+name, m.Grant, m.Source, ma)
		}
		u, ok := r.user(name, m.Source)
		if !ok {
			continue
		}
		want.put(u, true)
		lm, found := live.get(u)
		if !found {
			// A member known by name only (its legacy row matched no v4
			// row): never taken for absent, so never added again.
			lm, found = rd.lr.Members[u.Name]
			found = found && lm.User.IAMID == "" && lm.User.ID == 0
		}
		rd.member(name, m, u, lm, found)
	}
	if e.MembersAuthoritative {
		rd.unlistedMembers(want, expired)
	}
}

// member plans the change, if any, that gives user name (u, live lm when
// found) what the spec's m asks for.
func (rd *repoDiff) member(name string, m state.Member, u state.LiveUser, lm state.LiveMember, found bool) {
	satisfied := lm.Role != "" && (lm.Role == m.Role || m.Policy != "" && lm.Role.Level() >= m.Role.Level())
	if satisfied && (!lm.Inherited || m.Policy != "") {
		// The role asked for, or a policy's baseline met by a higher role
		// (inherited access meets a policy's baseline too).
		return
	}
	t := rd.target
	t.User, t.UserID, t.UserIAMID, t.MemberID = u.Name, u.ID, u.IAMID, lm.MemberID
	c := Change{Address: MemberAddress(rd.e.Path, name), Kind: KindMember, Action: Create,
		After: &MemberValue{Role: m.Role}, Source: m.Source.String(), Target: t}
	switch {
	case !found:
	case lm.Inherited:
		c.Before = liveMemberValue(lm)
		c.Warnings = []string{fmt.Sprintf("%s already has `%s` through %s; this adds a direct membership", name, lm.RoleText(), lm.Via)}
	case lm.Managed != "":
		c.Action, c.Before = Manual, liveMemberValue(lm)
		c.Reason = fmt.Sprintf("%s is %s: CodeArts manages this membership (role `%s`), so reposync never changes it; change it in the CodeArts console, or make the spec agree", name, lm.Managed, lm.RoleText())
	case lm.Role == "":
		c.Action, c.Before = Manual, liveMemberValue(lm)
		c.Reason = fmt.Sprintf("%s has the role `%s`, which reposync does not know, so it does not change it; set the role in the CodeArts console (and please report the role name)", name, lm.RoleText())
	default:
		c.Action, c.Before = Update, &MemberValue{Role: lm.Role}
	}
	rd.p.Changes = append(rd.p.Changes, c)
}

// unlistedMembers plans the direct live members a complete list does not
// want: removed when their grant expired, or with --prune; else extras.
func (rd *repoDiff) unlistedMembers(want byUser[bool], expired byUser[state.Member]) {
	e, p := rd.e, rd.p
	for _, name := range keys(rd.lr.Members) {
		lm := rd.lr.Members[name]
		if _, listed := want.get(lm.User); lm.Inherited || lm.Managed != "" || listed {
			continue // CodeArts manages it, or the spec lists it
		}
		if lm.Role == "" {
			// reposync cannot reason about a role it does not know:
			// such a member is left alone, and said so.
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s has the role `%s`, which reposync does not know; it is left alone (please report the role name)", e.Path, name, lm.RoleText()))
			continue
		}
		ma := MemberAddress(e.Path, name)
		m, isExpired := expired.get(lm.User)
		if !isExpired && !rd.prune {
			p.Extras = append(p.Extras, Extra{Address: ma, Kind: KindMember, Detail: fmt.Sprintf("direct member with role %s, not listed", lm.RoleText()), Role: lm.Role})
			continue
		}
		t := rd.target
		t.User, t.UserID, t.UserIAMID, t.MemberID = lm.User.Name, lm.User.ID, lm.User.IAMID, lm.MemberID
		c := Change{Address: ma, Kind: KindMember, Action: Delete, Before: liveMemberValue(lm), Source: e.Source.String(), Target: t}
		if isExpired {
			// The spec asked for the end of this membership: no --prune
			// needed (Check still counts it).
			c.Expired = []ExpiredGrant{expiredGrant("user "+m.User, m.Grant, m.Source)}
			c.Source, c.Reason = m.Source.String(), expiredReason(c.Expired)
		}
		p.Changes = append(p.Changes, c)
	}
}

// pushRules plans the repository's file push rules, compared by the ids
// they grant.
func (rd *repoDiff) pushRules() {
	e, p := rd.e, rd.p
	for _, path := range keys(e.PushRules) {
		rule, removed := rd.x.rule(e, rd.lr, path)
		want, t, ok := resolveRule(rule, rd.r, rd.target)
		if !ok {
			continue
		}
		lrule, found := rd.lr.PushRules[path]
		if found && sameGrants(t, lrule) {
			continue
		}
		c := Change{Address: PushRuleAddress(e.Path, path), Kind: KindPushRule, Action: Create,
			After: want, Source: rule.Source.String(), Target: t}
		if found {
			c.Action, c.Before, c.Target.PushRuleID = Update, liveRuleValue(lrule), lrule.ID
		}
		if len(removed) > 0 { // only of a live rule
			c.Expired, c.Reason = removed, expiredReason(removed)
		}
		p.Changes = append(p.Changes, c)
	}
	if !e.PushRulesAuthoritative {
		return
	}
	for _, path := range keys(rd.lr.PushRules) {
		if _, ok := e.PushRules[path]; ok {
			continue
		}
		lrule := rd.lr.PushRules[path]
		ra := PushRuleAddress(e.Path, path)
		if rd.prune {
			t := rd.target
			t.PushRuleID = lrule.ID
			p.Changes = append(p.Changes, Change{Address: ra, Kind: KindPushRule, Action: Delete,
				Before: liveRuleValue(lrule), Source: e.Source.String(), Target: t})
		} else {
			p.Extras = append(p.Extras, Extra{Address: ra, Kind: KindPushRule, Detail: "push rule not listed: " + liveRuleValue(lrule).String()})
		}
	}
}

// liveMemberValue is the before side of a member change.
func liveMemberValue(lm state.LiveMember) *MemberValue {
	v := &MemberValue{Role: lm.Role, Via: lm.Via}
	if lm.Role == "" {
		v.RoleName = lm.RoleName
	}
	return v
}

// resolveRule resolves a desired rule's names into t, the repository's
// target; the value shows live names.
func resolveRule(rule state.PushRule, r *resolver, t Target) (*PushRuleValue, Target, bool) {
	var v PushRuleValue
	var users, groups, roles bool
	v.Users, t.PushUserIDs, users = resolveRefs(rule.Users, func(ref state.Ref) (int64, bool) {
		u, ok := r.user(ref.Name, ref.Source)
		return u.ID, ok
	})
	v.MemberGroups, t.PushTeamIDs, groups = resolveRefs(rule.MemberGroups, func(ref state.Ref) (int64, bool) {
		m, ok := r.memberGroup(ref.Name, ref.Source, true)
		return m.TeamID, ok
	})
	v.Roles, t.PushRoleIDs, roles = resolveRefs(rule.Roles, func(ref state.Ref) (string, bool) {
		ro, ok := r.role(ref.Name, ref.Source)
		return ro.ID, ok
	})
	return &v, t, users && groups && roles
}

// resolveRefs resolves each of refs to its id: the names that resolve and
// their ids, each sorted (the ids once each); ok is false when one does
// not resolve.
func resolveRefs[ID cmp.Ordered](refs []state.Ref, resolve func(state.Ref) (ID, bool)) (names []string, ids []ID, ok bool) {
	names, ok = []string{}, true
	for _, ref := range refs {
		id, found := resolve(ref)
		if !found {
			ok = false
			continue
		}
		names = append(names, ref.Name)
		ids = append(ids, id)
	}
	slices.Sort(names)
	slices.Sort(ids)
	return names, slices.Compact(ids), ok
}

func sameGrants(t Target, l state.LivePushRule) bool {
	if l.Disabled {
		return false
	}
	users, teams, roles := l.GrantIDs()
	slices.Sort(users)
	slices.Sort(teams)
	slices.Sort(roles)
	return slices.Equal(slices.Compact(users), t.PushUserIDs) &&
		slices.Equal(slices.Compact(teams), t.PushTeamIDs) &&
		slices.Equal(slices.Compact(roles), t.PushRoleIDs)
}

func liveRuleValue(l state.LivePushRule) *PushRuleValue {
	v := &PushRuleValue{Users: []string{}, MemberGroups: []string{}, Roles: []string{}}
	for _, u := range l.Users {
		v.Users = append(v.Users, u.Name)
	}
	for _, m := range l.MemberGroups {
		v.MemberGroups = append(v.MemberGroups, m.Name)
	}
	for _, r := range l.Roles {
		v.Roles = append(v.Roles, r.Name)
	}
	sort.Strings(v.Users)
	sort.Strings(v.MemberGroups)
	sort.Strings(v.Roles)
	return v
}

// String renders a rule value the way spec YAML would write it.
func (v *PushRuleValue) String() string {
	var parts []string
	add := func(name string, list []string) {
		if len(list) > 0 {
			parts = append(parts, name+": ["+strings.Join(list, ", ")+"]")
		}
	}
	add("users", v.Users)
	add("member_groups", v.MemberGroups)
	add("roles", v.Roles)
	return "{" + strings.Join(parts, ", ") + "}"
}

func diffGitAuths(p *Plan, d *state.Desired, live *state.Live, opts Options) []Problem {
	if d.GitAuths == nil {
		return nil
	}
	if live.GitAuths == nil {
		return []Problem{{Message: "internal error: Git authorizations were not read"}}
	}
	for _, name := range keys(d.GitAuths) {
		a, la := d.GitAuths[name], live.GitAuths[name]
		c := Change{Address: GitAuthAddress(name), Kind: KindGitAuth, Action: Create,
			After: &GitAuthValue{RepoType: a.RepoType, User: a.User, PasswordEnv: a.PasswordEnv}, Source: a.Source.String(), Target: Target{GitAuth: name}}
		switch {
		case la == nil:
		case opts.RotateSecrets:
			c.Action, c.Before = Replace, &GitAuthValue{RepoType: la.RepoType, User: la.User}
			c.Reason = "--rotate-secrets: delete and re-create with the current password"
		case la.RepoType != a.RepoType || la.User != a.User:
			c.Action, c.Before = Manual, &GitAuthValue{RepoType: la.RepoType, User: la.User}
			c.Reason = "an authorization can only be changed by deleting and re-creating it with its password; run with --rotate-secrets"
		default:
			continue
		}
		p.Changes = append(p.Changes, c)
	}
	for _, name := range keys(live.GitAuths) {
		if _, ok := d.GitAuths[name]; ok {
			continue
		}
		la := live.GitAuths[name]
		addr := GitAuthAddress(name)
		if opts.Prune {
			p.Changes = append(p.Changes, Change{Address: addr, Kind: KindGitAuth, Action: Delete,
				Before: &GitAuthValue{RepoType: la.RepoType, User: la.User}, Target: Target{GitAuth: name}})
		} else {
			p.Extras = append(p.Extras, Extra{Address: addr, Kind: KindGitAuth, Detail: fmt.Sprintf("%s authorization for %s, not listed", la.RepoType, la.User)})
		}
	}
	return nil
}

// neededGroups are the live groups that hold a listed group or a managed
// repository, and those out of scope (settings.unmanaged) or holding
// something that is: never drift, never deleted.
func neededGroups(d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live) map[string]bool {
	needed := map[string]bool{}
	for path := range d.Groups {
		markParents(needed, path)
	}
	for path := range eff {
		markParents(needed, path)
	}
	for path := range live.Repositories {
		if d.OutOfScope(path) {
			markParents(needed, path)
		}
	}
	for path := range live.Groups {
		if d.GroupOutOfScope(path) {
			needed[path] = true
			markParents(needed, path)
		}
	}
	return needed
}

// markParents marks every group above path.
func markParents(m map[string]bool, path string) {
	for g := state.ParentPath(path); g != ""; g = state.ParentPath(g) {
		m[g] = true
	}
}

// reposPerGroup counts the live repositories inside each group, at any
// depth, and how many of them are archived.
func reposPerGroup(live *state.Live) (all, archived map[string]int) {
	all, archived = map[string]int{}, map[string]int{}
	for path, r := range live.Repositories {
		for g := state.ParentPath(path); g != ""; g = state.ParentPath(g) {
			all[g]++
			if r.Archived {
				archived[g]++
			}
		}
	}
	return all, archived
}
