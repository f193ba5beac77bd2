package plan

import (
	"fmt"
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
	// Today is the day the plan is made for (UTC). A grant whose
	// `expires` is before Today has expired and counts as absent from the
	// spec (expiry.go). The zero Date expires nothing and lists no
	// upcoming expiries. Diff never reads a clock: callers pass the day.
	Today state.Date
	// ExpiringWithin is how many days ahead Plan.Expiring looks; 0 means
	// DefaultExpiringWithin.
	ExpiringWithin int
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
		Live:          map[string]string{},
	}
	for k, v := range live.Fingerprints {
		p.Live[k] = v
	}
	r := newResolver(d, live)
	x := newExpiry(d, r, opts)
	var problems []Problem
	problems = append(problems, diffGroups(p, d, eff, live, r, x, opts)...)
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
	sort.SliceStable(problems, func(i, j int) bool {
		a, b := problems[i].Source, problems[j].Source
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return problems[i].Message < problems[j].Message
	})
	return p, problems
}

func diffGroups(p *Plan, d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live, r *resolver, x *expiry, opts Options) []Problem {
	var problems []Problem
	// A group in scope that must be created needs its parent: the listed
	// ones above it that do not exist yet are created in the same plan.
	creating := map[string]bool{}
	for path := range d.Groups {
		if live.Groups[path] != nil || !opts.Scope.Group(path) {
			continue
		}
		for a := state.ParentPath(path); a != "" && live.Groups[a] == nil; a = state.ParentPath(a) {
			if _, listed := d.Groups[a]; !listed {
				break
			}
			creating[a] = true
		}
	}
	for _, path := range keys(d.Groups) {
		if !opts.Scope.Group(path) && !creating[path] {
			continue
		}
		g := d.Groups[path]
		lg := live.Groups[path]
		addr := GroupAddress(path)
		if lg == nil {
			parent := state.ParentPath(path)
			var parentID int64
			if parent != "" {
				lp, livep := live.Groups[parent]
				_, listed := d.Groups[parent]
				if !livep && !listed {
					problems = append(problems, Problem{Source: g.Source, Address: addr,
						Message: fmt.Sprintf("parent group `%s` is neither listed under `groups:` nor exists in the project", parent)})
					continue
				}
				if livep {
					parentID = lp.ID
				}
			}
			vis := g.Visibility
			if vis == "" {
				vis = "private" // safer than the API's default of public
			}
			p.Changes = append(p.Changes, Change{
				Address: addr, Kind: KindGroup, Action: Create,
				After:  &GroupValue{Visibility: vis, Description: g.Description},
				Source: g.Source.String(),
				Target: Target{Group: path, ParentGroup: parent, ParentGroupID: parentID},
			})
			for _, mg := range g.MemberGroups {
				if x.check(KindGroupMemberGroup, "member group "+mg.Name, "", mg.Grant, mg.Source, "", GroupMemberGroupAddress(path, mg.Name)) {
					continue // expired: not attached
				}
				if m, ok := r.memberGroup(mg.Name, mg.Source, false); ok {
					p.Changes = append(p.Changes, groupMemberGroupChange(path, 0, m, mg.Source))
				}
			}
			continue
		}
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
				Address: addr, Kind: KindGroup, Action: Manual, Before: before, After: after,
				Source: g.Source.String(),
				Reason: fmt.Sprintf("the API cannot change a group's %s after creation; change it in the CodeArts console", strings.Join(what, " or ")),
				Target: Target{Group: path, GroupID: lg.ID},
			})
		}
		if g.MemberGroups != nil {
			want := map[string]bool{}
			expired := map[string]state.Ref{} // by live name
			for _, mg := range g.MemberGroups {
				if x.check(KindGroupMemberGroup, "member group "+mg.Name, "", mg.Grant, mg.Source, "", GroupMemberGroupAddress(path, mg.Name)) {
					expired[liveMemberGroupName(mg.Name, r)] = mg
					continue
				}
				m, ok := r.memberGroup(mg.Name, mg.Source, false)
				if !ok {
					continue
				}
				want[m.Name] = true
				if !slices.Contains(lg.MemberGroups, m.Name) {
					p.Changes = append(p.Changes, groupMemberGroupChange(path, lg.ID, m, mg.Source))
				}
			}
			for _, name := range sorted(lg.MemberGroups) {
				if want[name] {
					continue
				}
				a := GroupMemberGroupAddress(path, name)
				if mg, ok := expired[name]; ok {
					// The spec asked for its end: shown whether or not pruning.
					ex := []ExpiredGrant{expiredGrant("member group "+mg.Name, mg.Grant, mg.Source)}
					p.Changes = append(p.Changes, Change{Address: a, Kind: KindGroupMemberGroup, Action: Manual,
						Before: &MemberGroupValue{Name: name}, Source: mg.Source.String(), Expired: ex,
						Reason: expiredReason(ex) + "; " + detachGroup,
						Target: Target{Group: path, GroupID: lg.ID, MemberGroup: name}})
					continue
				}
				if opts.Prune {
					p.Changes = append(p.Changes, Change{Address: a, Kind: KindGroupMemberGroup, Action: Manual,
						Before: &MemberGroupValue{Name: name}, Source: g.Source.String(),
						Reason: detachGroup,
						Target: Target{Group: path, GroupID: lg.ID, MemberGroup: name}})
				} else {
					p.Extras = append(p.Extras, Extra{Address: a, Kind: KindGroupMemberGroup, Detail: "member group attached but not listed"})
				}
			}
		}
	}
	if d.Groups == nil {
		return problems
	}
	// Live groups the spec does not list (and manages: when only scoped
	// files list groups, those inside their scopes). The ones that hold a
	// listed group or a managed repository are needed where they are: not
	// drift. The
	// others are drift, and with --prune --allow-delete-groups deleted when
	// empty; a group that still holds repositories (archived ones included)
	// is never deleted, which needs a person.
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
	return problems
}

func groupMemberGroupChange(path string, groupID int64, m state.LiveMemberGroup, src state.Source) Change {
	return Change{
		Address: GroupMemberGroupAddress(path, m.Name), Kind: KindGroupMemberGroup, Action: Create,
		After: &MemberGroupValue{Name: m.Name}, Source: src.String(),
		Target: Target{Group: path, GroupID: groupID, MemberGroup: m.Name, MemberGroupID: m.ID},
	}
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
	repoTarget := Target{Repository: e.Path, RepositoryID: lr.ID, RepositoryUUID: lr.UUID}

	// Members, matched by user id so renames are not drift.
	if e.Members != nil {
		byIAM := map[string]state.LiveMember{}
		byID := map[int64]state.LiveMember{}
		for _, m := range lr.Members {
			if m.User.IAMID != "" {
				byIAM[m.User.IAMID] = m
			}
			if m.User.ID != 0 {
				byID[m.User.ID] = m
			}
		}
		wantIAM, wantID := map[string]bool{}, map[int64]bool{}
		// The repository's own grants that expired, by the live ids of
		// their users: removed without --prune.
		expiredIAM, expiredID := map[string]state.Member{}, map[int64]state.Member{}
		for _, name := range keys(e.Members) {
			m := e.Members[name]
			ma := MemberAddress(e.Path, name)
			if x.check(KindMember, "user "+name, m.Role, m.Grant, m.Source, m.Policy, ma) {
				alt, ok := x.policyMember(e, name)
				if !ok {
					if u, found := r.lookupUser(name); found && m.Policy == "" {
						if u.IAMID != "" {
							expiredIAM[u.IAMID] = m
						}
						if u.ID != 0 {
							expiredID[u.ID] = m
						}
					}
					continue
				}
				m = alt // a policy selecting the repository still grants it
				x.check(KindMember, "user "+name, m.Role, m.Grant, m.Source, m.Policy, ma)
			}
			u, ok := r.user(name, m.Source)
			if !ok {
				continue
			}
			if u.IAMID != "" {
				wantIAM[u.IAMID] = true
			}
			if u.ID != 0 {
				wantID[u.ID] = true
			}
			lm, found := byIAM[u.IAMID]
			if !found && u.ID != 0 {
				lm, found = byID[u.ID]
			}
			if !found {
				// A member known by name only (its legacy row matched no v4
				// row): never taken for absent, so never added again.
				lm, found = lr.Members[u.Name]
				found = found && lm.User.IAMID == "" && lm.User.ID == 0
			}
			t := repoTarget
			t.User, t.UserID, t.UserIAMID, t.MemberID = u.Name, u.ID, u.IAMID, lm.MemberID
			satisfied := lm.Role != "" && (lm.Role == m.Role || m.Policy != "" && lm.Role.Level() >= m.Role.Level())
			switch {
			case !found:
				p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Create,
					After: &MemberValue{Role: m.Role}, Source: m.Source.String(), Target: t})
			case lm.Inherited && m.Policy != "" && satisfied:
				// Inherited access already meets the policy's baseline.
			case lm.Inherited:
				p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Create,
					Before: liveMemberValue(lm), After: &MemberValue{Role: m.Role},
					Source: m.Source.String(), Target: t,
					Warnings: []string{fmt.Sprintf("%s already has `%s` through %s; this adds a direct membership", name, lm.RoleText(), lm.Via)}})
			case satisfied:
				// The role asked for, or a policy's baseline met by a higher role.
			case lm.Managed != "":
				p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Manual,
					Before: liveMemberValue(lm), After: &MemberValue{Role: m.Role}, Source: m.Source.String(), Target: t,
					Reason: fmt.Sprintf("%s is %s: CodeArts manages this membership (role `%s`), so reposync never changes it; change it in the CodeArts console, or make the spec agree", name, lm.Managed, lm.RoleText())})
			case lm.Role == "":
				p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Manual,
					Before: liveMemberValue(lm), After: &MemberValue{Role: m.Role}, Source: m.Source.String(), Target: t,
					Reason: fmt.Sprintf("%s has the role `%s`, which reposync does not know, so it does not change it; set the role in the CodeArts console (and please report the role name)", name, lm.RoleText())})
			default:
				p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Update,
					Before: &MemberValue{Role: lm.Role}, After: &MemberValue{Role: m.Role}, Source: m.Source.String(), Target: t})
			}
		}
		if e.MembersAuthoritative {
			for _, name := range keys(lr.Members) {
				lm := lr.Members[name]
				if lm.Inherited || lm.Managed != "" || (lm.User.IAMID != "" && wantIAM[lm.User.IAMID]) || (lm.User.ID != 0 && wantID[lm.User.ID]) {
					continue // CodeArts manages it, or the spec lists it
				}
				if lm.Role == "" {
					// reposync cannot reason about a role it does not know:
					// such a member is left alone, and said so.
					p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s has the role `%s`, which reposync does not know; it is left alone (please report the role name)", e.Path, name, lm.RoleText()))
					continue
				}
				ma := MemberAddress(e.Path, name)
				m, expired := expiredIAM[lm.User.IAMID]
				if !expired && lm.User.ID != 0 {
					m, expired = expiredID[lm.User.ID]
				}
				switch {
				case expired:
					// The spec asked for the end of this membership: no
					// --prune needed (Check still counts it).
					t := repoTarget
					t.User, t.UserID, t.UserIAMID, t.MemberID = lm.User.Name, lm.User.ID, lm.User.IAMID, lm.MemberID
					ex := []ExpiredGrant{expiredGrant("user "+m.User, m.Grant, m.Source)}
					p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Delete,
						Before: liveMemberValue(lm), Source: m.Source.String(), Target: t, Expired: ex, Reason: expiredReason(ex)})
				case opts.Prune:
					t := repoTarget
					t.User, t.UserID, t.UserIAMID, t.MemberID = lm.User.Name, lm.User.ID, lm.User.IAMID, lm.MemberID
					p.Changes = append(p.Changes, Change{Address: ma, Kind: KindMember, Action: Delete,
						Before: liveMemberValue(lm), Source: e.Source.String(), Target: t})
				default:
					p.Extras = append(p.Extras, Extra{Address: ma, Kind: KindMember, Detail: fmt.Sprintf("direct member with role %s, not listed", lm.RoleText()), Role: lm.Role})
				}
			}
		}
	}

	// Member groups.
	if e.MemberGroups != nil {
		want := map[string]bool{}
		expired := map[string]state.Ref{} // the repository's own, by live name
		for _, ref := range e.MemberGroups {
			at := MemberGroupAddress(e.Path, ref.Name)
			if x.check(KindMemberGroup, "member group "+ref.Name, "", ref.Grant, ref.Source, ref.Policy, at) {
				alt, ok := x.policyMemberGroup(e, ref.Name)
				if !ok {
					if ref.Policy == "" { // the repository's own: its list is complete
						expired[liveMemberGroupName(ref.Name, r)] = ref
					}
					continue
				}
				ref = alt
				x.check(KindMemberGroup, "member group "+ref.Name, "", ref.Grant, ref.Source, ref.Policy, at)
			}
			m, ok := r.memberGroup(ref.Name, ref.Source, false)
			if !ok {
				continue
			}
			want[m.Name] = true
			if !slices.Contains(lr.MemberGroups, m.Name) {
				t := repoTarget
				t.MemberGroup, t.MemberGroupID = m.Name, m.ID
				p.Changes = append(p.Changes, Change{Address: MemberGroupAddress(e.Path, m.Name), Kind: KindMemberGroup, Action: Create,
					After: &MemberGroupValue{Name: m.Name}, Source: ref.Source.String(), Target: t})
			}
		}
		if e.MemberGroupsAuthoritative {
			for _, name := range sorted(lr.MemberGroups) {
				if want[name] {
					continue
				}
				a := MemberGroupAddress(e.Path, name)
				if ref, ok := expired[name]; ok {
					// The spec asked for its end: shown whether or not pruning.
					t := repoTarget
					t.MemberGroup = name
					ex := []ExpiredGrant{expiredGrant("member group "+ref.Name, ref.Grant, ref.Source)}
					p.Changes = append(p.Changes, Change{Address: a, Kind: KindMemberGroup, Action: Manual,
						Before: &MemberGroupValue{Name: name}, Source: ref.Source.String(), Target: t, Expired: ex,
						Reason: expiredReason(ex) + "; " + detachRepository})
					continue
				}
				if opts.Prune {
					t := repoTarget
					t.MemberGroup = name
					p.Changes = append(p.Changes, Change{Address: a, Kind: KindMemberGroup, Action: Manual,
						Before: &MemberGroupValue{Name: name}, Source: e.Source.String(), Target: t,
						Reason: detachRepository})
				} else {
					p.Extras = append(p.Extras, Extra{Address: a, Kind: KindMemberGroup, Detail: "member group attached but not listed"})
				}
			}
		}
	}

	// File push rules, compared by the ids they grant.
	if e.PushRules != nil {
		for _, path := range keys(e.PushRules) {
			lrule, found := lr.PushRules[path]
			var livePtr *state.LivePushRule
			if found {
				livePtr = &lrule
			}
			rule, removed := x.rule(e, path, e.PushRules[path], livePtr)
			want, t, ok := resolveRule(rule, r)
			if !ok {
				continue
			}
			t.Repository, t.RepositoryID, t.RepositoryUUID = repoTarget.Repository, repoTarget.RepositoryID, repoTarget.RepositoryUUID
			ra := PushRuleAddress(e.Path, path)
			if !found {
				p.Changes = append(p.Changes, Change{Address: ra, Kind: KindPushRule, Action: Create,
					After: want, Source: rule.Source.String(), Target: t})
				continue
			}
			if sameGrants(t, lrule) {
				continue
			}
			t.PushRuleID = lrule.ID
			c := Change{Address: ra, Kind: KindPushRule, Action: Update,
				Before: liveRuleValue(lrule), After: want, Source: rule.Source.String(), Target: t}
			if len(removed) > 0 {
				c.Expired, c.Reason = removed, expiredReason(removed)
			}
			p.Changes = append(p.Changes, c)
		}
		if e.PushRulesAuthoritative {
			for _, path := range keys(lr.PushRules) {
				if _, ok := e.PushRules[path]; ok {
					continue
				}
				lrule := lr.PushRules[path]
				ra := PushRuleAddress(e.Path, path)
				if opts.Prune {
					t := repoTarget
					t.PushRuleID = lrule.ID
					p.Changes = append(p.Changes, Change{Address: ra, Kind: KindPushRule, Action: Delete,
						Before: liveRuleValue(lrule), Source: e.Source.String(), Target: t})
				} else {
					p.Extras = append(p.Extras, Extra{Address: ra, Kind: KindPushRule, Detail: "push rule not listed: " + liveRuleValue(lrule).String()})
				}
			}
		}
	}
	return nil
}

// liveMemberValue is the before side of a member change.
func liveMemberValue(lm state.LiveMember) *MemberValue {
	v := &MemberValue{Role: lm.Role, Via: lm.Via}
	if lm.Role == "" {
		v.RoleName = lm.RoleName
	}
	return v
}

// resolveRule resolves a desired rule's names; the value shows live names.
func resolveRule(rule state.PushRule, r *resolver) (*PushRuleValue, Target, bool) {
	v := &PushRuleValue{Users: []string{}, MemberGroups: []string{}, Roles: []string{}}
	var t Target
	ok := true
	for _, u := range rule.Users {
		lu, found := r.user(u.Name, u.Source)
		if !found {
			ok = false
			continue
		}
		v.Users = append(v.Users, u.Name)
		t.PushUserIDs = append(t.PushUserIDs, lu.ID)
	}
	for _, m := range rule.MemberGroups {
		lm, found := r.memberGroup(m.Name, m.Source, true)
		if !found {
			ok = false
			continue
		}
		v.MemberGroups = append(v.MemberGroups, m.Name)
		t.PushTeamIDs = append(t.PushTeamIDs, lm.TeamID)
	}
	for _, ro := range rule.Roles {
		lr, found := r.role(ro.Name, ro.Source)
		if !found {
			ok = false
			continue
		}
		v.Roles = append(v.Roles, ro.Name)
		t.PushRoleIDs = append(t.PushRoleIDs, lr.ID)
	}
	sort.Strings(v.Users)
	sort.Strings(v.MemberGroups)
	sort.Strings(v.Roles)
	slices.Sort(t.PushUserIDs)
	slices.Sort(t.PushTeamIDs)
	slices.Sort(t.PushRoleIDs)
	t.PushUserIDs = slices.Compact(t.PushUserIDs)
	t.PushTeamIDs = slices.Compact(t.PushTeamIDs)
	t.PushRoleIDs = slices.Compact(t.PushRoleIDs)
	return v, t, ok
}

func sameGrants(t Target, l state.LivePushRule) bool {
	if l.Disabled {
		return false
	}
	var users, teams []int64
	var roles []string
	for _, u := range l.Users {
		users = append(users, u.ID)
	}
	for _, m := range l.MemberGroups {
		teams = append(teams, m.TeamID)
	}
	for _, r := range l.Roles {
		roles = append(roles, r.ID)
	}
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
	if len(v.Users) > 0 {
		parts = append(parts, "users: ["+strings.Join(v.Users, ", ")+"]")
	}
	if len(v.MemberGroups) > 0 {
		parts = append(parts, "member_groups: ["+strings.Join(v.MemberGroups, ", ")+"]")
	}
	if len(v.Roles) > 0 {
		parts = append(parts, "roles: ["+strings.Join(v.Roles, ", ")+"]")
	}
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
		a := d.GitAuths[name]
		addr := GitAuthAddress(name)
		after := &GitAuthValue{RepoType: a.RepoType, User: a.User, PasswordEnv: a.PasswordEnv}
		t := Target{GitAuth: name}
		la := live.GitAuths[name]
		switch {
		case la == nil:
			p.Changes = append(p.Changes, Change{Address: addr, Kind: KindGitAuth, Action: Create, After: after, Source: a.Source.String(), Target: t})
		case opts.RotateSecrets:
			p.Changes = append(p.Changes, Change{Address: addr, Kind: KindGitAuth, Action: Replace,
				Before: &GitAuthValue{RepoType: la.RepoType, User: la.User}, After: after, Source: a.Source.String(), Target: t,
				Reason: "--rotate-secrets: delete and re-create with the current password"})
		case la.RepoType != a.RepoType || la.User != a.User:
			p.Changes = append(p.Changes, Change{Address: addr, Kind: KindGitAuth, Action: Manual,
				Before: &GitAuthValue{RepoType: la.RepoType, User: la.User}, After: after, Source: a.Source.String(), Target: t,
				Reason: "an authorization can only be changed by deleting and re-creating it with its password; run with --rotate-secrets"})
		}
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

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
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
