package plan

import (
	"slices"

	"github.com/reposync/reposync/internal/state"
)

// Withdrawn grants (docs/plan-json.md, "Removed by the change"): a grant
// that the spec at the base of the change under review made
// (--changed-since) and the spec now does not is a planned removal,
// without --prune — the change asked for it — that the guardrails count
// like any other. Which grants count is the rule of docs/ci.md ("Which plan
// runs when"): a repository's own grant where it still lists the field, a
// policy's on every repository it selected at the base, unless something
// still grants the same. Withdrawals derives them for Options.Withdrawn; a
// saved plan carries them in its changes (Change.Withdrawn), so that
// `apply --plan` plans the same removals without the base at hand.

// Withdrawn says which grant of the base spec a change takes away.
type Withdrawn struct {
	// Grant names what was granted: "user bob", "member group auditors",
	// "push rule /config/*", "Git authorization bitbucket-ci".
	Grant string `json:"grant"`
	// Role is a member's role at the base.
	Role state.Role `json:"role,omitempty"`
	// Policy names the policy that made the grant at the base.
	Policy string `json:"policy,omitempty"`
	// Revision is the base commit: the change's source is the line that
	// made the grant there.
	Revision string `json:"revision"`
}

// Withdrawal is a grant the base made at one address, with where the base
// wrote it ("file:line" at Revision, and that file's scope, if any, with
// the max_role that bounds what the file takes away: Change.ScopeMaxRole).
type Withdrawal struct {
	Address      Address
	Source       string
	Scope        string
	ScopeMaxRole state.Role
	Withdrawn
}

// Withdrawals lists, sorted by address, the grants base made that head no
// longer makes (the rule above). baseEff and headEff are the two specs
// expanded against the same live repositories; rev names the base commit.
func Withdrawals(base, head *state.Desired, baseEff, headEff map[string]*state.EffectiveRepository, rev string, today state.Date) []Withdrawal {
	var out []Withdrawal
	add := func(a Address, grant string, role state.Role, policy string, src state.Source) {
		w := Withdrawal{Address: a, Source: src.String(), Withdrawn: Withdrawn{Grant: grant, Role: role, Policy: policy, Revision: rev}}
		if sc := base.Scopes[src.File]; sc != nil {
			w.Scope, w.ScopeMaxRole = src.File, maxRoleBound(sc)
		}
		out = append(out, w)
	}
	for _, path := range keys(baseEff) {
		be, he := baseEff[path], headEff[path]
		if he == nil {
			he = &state.EffectiveRepository{}
		}
		for _, user := range keys(be.Members) {
			m := be.Members[user]
			hm, held := he.Members[user]
			switch {
			case m.ExpiredOn(today), m.Policy == "" && !he.MembersAuthoritative:
			case held && (hm.Policy == "" || !hm.ExpiredOn(today) && hm.Role.Level() >= m.Role.Level()):
			default:
				add(MemberAddress(path, user), "user "+user, m.Role, m.Policy, m.Source)
			}
		}
		for _, ref := range be.MemberGroups {
			if !ref.ExpiredOn(today) && (ref.Policy != "" || he.MemberGroupsAuthoritative) && !holds(he.MemberGroups, ref.Name, today) {
				add(MemberGroupAddress(path, ref.Name), "member group "+ref.Name, "", ref.Policy, ref.Source)
			}
		}
		for _, rp := range keys(be.PushRules) {
			rule := be.PushRules[rp]
			if _, held := he.PushRules[rp]; !held && (rule.Policy != "" || he.PushRulesAuthoritative) {
				add(PushRuleAddress(path, rp), "push rule "+rp, "", rule.Policy, rule.Source)
			}
		}
	}
	for _, path := range keys(base.Groups) {
		hg := head.Groups[path]
		if hg == nil || hg.MemberGroups == nil {
			continue
		}
		for _, ref := range base.Groups[path].MemberGroups {
			if !ref.ExpiredOn(today) && !holds(hg.MemberGroups, ref.Name, today) {
				add(GroupMemberGroupAddress(path, ref.Name), "member group "+ref.Name, "", "", ref.Source)
			}
		}
	}
	if head.GitAuths != nil {
		for _, name := range keys(base.GitAuths) {
			if head.GitAuths[name] == nil {
				add(GitAuthAddress(name), "Git authorization "+name, "", "", base.GitAuths[name].Source)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Withdrawal) int { return a.Address.Compare(b.Address) })
	return out
}

// holds reports whether refs attach the member group name on the day.
func holds(refs []state.Ref, name string, today state.Date) bool {
	return slices.ContainsFunc(refs, func(r state.Ref) bool { return r.Name == name && !r.ExpiredOn(today) })
}

// holdsLive is holds by the live member group each name stands for: a key
// renamed and pinned to the same group still holds it.
func holdsLive(refs []state.Ref, live string, today state.Date, r *resolver) bool {
	return slices.ContainsFunc(refs, func(ref state.Ref) bool { return liveMemberGroupName(ref.Name, r) == live && !ref.ExpiredOn(today) })
}

// WithdrawalsOf recovers the withdrawals a saved plan carried out, so that
// a fresh plan of the same spec plans them again.
func WithdrawalsOf(p *Plan) []Withdrawal {
	var out []Withdrawal
	for _, c := range p.Changes {
		if c.Withdrawn != nil {
			out = append(out, Withdrawal{Address: c.Address, Source: c.Source, Scope: c.Scope, ScopeMaxRole: c.ScopeMaxRole, Withdrawn: *c.Withdrawn})
		}
	}
	return out
}

// withdraw plans the removals of opts.Withdrawn that the live state still
// needs, in place of what Diff planned at their addresses (an unlisted
// entry, or its pruning).
func withdraw(p *Plan, d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live, r *resolver, x *expiry, opts Options) {
	planned := map[Address]bool{}
	var changes []Change
	for _, w := range opts.Withdrawn {
		a := w.Address
		var c *Change
		liveKey := a.Key // the entry's name in the live state, where Diff addressed it
		switch a.Object {
		case ObjectRepository:
			if lr := live.Repositories[a.Name]; lr != nil && lr.Details && !lr.Archived && opts.Scope.Repo(a.Name) {
				c, liveKey = withdrawFromRepository(w, eff[a.Name], lr, r, x)
			}
		case ObjectGroup:
			liveKey = liveMemberGroupName(a.Key, r)
			if lg := live.Groups[a.Name]; lg != nil && opts.Scope.Group(a.Name) && d.Groups[a.Name] != nil &&
				!holdsLive(d.Groups[a.Name].MemberGroups, liveKey, x.today, r) && slices.Contains(lg.MemberGroups, liveKey) {
				c = &Change{Kind: KindGroupMemberGroup, Action: Manual, Before: &MemberGroupValue{Name: liveKey},
					Reason: detachGroup, Target: Target{Group: a.Name, GroupID: lg.ID, MemberGroup: liveKey}}
			}
		case ObjectGitAuth:
			if la := live.GitAuths[a.Name]; la != nil && opts.Scope.Auths() && d.GitAuths[a.Name] == nil {
				c = &Change{Kind: KindGitAuth, Action: Delete, Before: &GitAuthValue{RepoType: la.RepoType, User: la.User}, Target: Target{GitAuth: a.Name}}
			}
		}
		if c == nil {
			continue
		}
		wd := w.Withdrawn
		c.Address, c.Source, c.Scope, c.ScopeMaxRole, c.Withdrawn = a, w.Source, w.Scope, w.ScopeMaxRole, &wd
		alias := a
		alias.Key = liveKey
		planned[a], planned[alias] = true, true
		changes = append(changes, *c)
	}
	if len(planned) == 0 {
		return
	}
	p.Changes = slices.DeleteFunc(p.Changes, func(c Change) bool { return planned[c.Address] })
	p.Extras = slices.DeleteFunc(p.Extras, func(e Extra) bool { return planned[e.Address] })
	p.Changes = append(p.Changes, changes...)
}

// withdrawFromRepository is the change that takes w away from the live
// repository lr, nil when nothing is left to take, and the entry's live
// name: e is what the spec still grants there (nil: nothing).
func withdrawFromRepository(w Withdrawal, e *state.EffectiveRepository, lr *state.LiveRepository, r *resolver, x *expiry) (*Change, string) {
	if e == nil {
		e = &state.EffectiveRepository{Path: lr.Path}
	}
	t := Target{Repository: lr.Path, RepositoryID: lr.ID, RepositoryUUID: lr.UUID}
	key := w.Address.Key
	switch w.Address.Entry {
	case EntryMember:
		lm, found := liveMemberOf(lr, key, r)
		if !found || lm.Inherited || lm.Managed != "" || lm.Role == "" {
			return nil, key // CodeArts manages it, or reposync cannot reason about its role
		}
		if !e.MembersAuthoritative && lm.Role.Level() > w.Role.Level() {
			return nil, key // more than the policy granted: the spec never had a say in it
		}
		t.User, t.UserID, t.UserIAMID, t.MemberID = lm.User.Name, lm.User.ID, lm.User.IAMID, lm.MemberID
		for _, name := range keys(e.Members) { // her name in the spec now: a renamed key is no removal
			if u, ok := r.lookupUser(name); ok && sameUser(u, lm.User) {
				key = name
				break
			}
		}
		m, held := e.Members[key]
		if !held || m.ExpiredOn(x.today) {
			m, held = x.policyMember(e, key)
		}
		switch {
		case !held:
			return &Change{Kind: KindMember, Action: Delete, Before: liveMemberValue(lm), Target: t}, lm.User.Name
		case m.Policy == "":
			return nil, lm.User.Name // the spec grants her role itself: Diff plans it
		case lm.Role.Level() > m.Role.Level():
			return &Change{Kind: KindMember, Action: Update, Before: &MemberValue{Role: lm.Role}, After: &MemberValue{Role: m.Role}, Target: t,
				Reason: "policy " + m.Policy + " still grants " + string(m.Role)}, lm.User.Name
		}
	case EntryMemberGroup:
		name := liveMemberGroupName(key, r)
		if !holdsLive(e.MemberGroups, name, x.today, r) && slices.Contains(lr.MemberGroups, name) {
			t.MemberGroup = name
			return &Change{Kind: KindMemberGroup, Action: Manual, Before: &MemberGroupValue{Name: name}, Target: t,
				Reason: detachRepository}, name
		}
	case EntryPushRule:
		lrule, live := lr.PushRules[key]
		if _, held := e.PushRules[key]; live && !held {
			t.PushRuleID = lrule.ID
			return &Change{Kind: KindPushRule, Action: Delete, Before: liveRuleValue(lrule), Target: t}, key
		}
	}
	return nil, key
}

// liveMemberGroupName is the live name of the member group a spec name
// stands for (a pinned one may have been renamed).
func liveMemberGroupName(name string, r *resolver) string {
	if m, ok := r.lookupMemberGroup(name); ok {
		return m.Name
	}
	return name
}

// liveMemberOf finds the live member a spec user name stands for, by id
// as Diff matches members (a rename is not a removal).
func liveMemberOf(lr *state.LiveRepository, name string, r *resolver) (state.LiveMember, bool) {
	if u, ok := r.lookupUser(name); ok {
		for _, lm := range lr.Members {
			if sameUser(u, lm.User) {
				return lm, true
			}
		}
	}
	lm, ok := lr.Members[name]
	return lm, ok
}

// sameUser reports whether a and b are one user, by id as Diff matches.
func sameUser(a, b state.LiveUser) bool {
	return a.IAMID != "" && a.IAMID == b.IAMID || a.ID != 0 && a.ID == b.ID
}
