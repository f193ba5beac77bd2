package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Expiring grants (docs/plan-json.md, "Expired grants"): from the day
// after its `expires` date a grant counts as absent from the spec. On a
// complete list (the repository, or group, lists the field itself) a live
// one is taken away without --prune, since the spec asked for it, but
// within max_deletes and min_admins (Check); a member group, which the API
// cannot detach, by a manual change. A policy's is no longer added, and
// never removed; another source that still grants the same (a policy
// selecting the repository) keeps it. Diff is told the day (Options.Today)
// and never reads a clock. Grants ending within ExpiringWithin days are
// listed in Plan.Expiring.

// ExpiringWithin is how many days ahead Plan.Expiring looks (docs/spec.md:
// plans list the grants that end within 14 days).
const ExpiringWithin = 14

// ExpiredGrant is a grant of the spec whose end date has passed.
type ExpiredGrant struct {
	// Grant names who was granted: "user alice", "member group auditors",
	// "role Project manager".
	Grant   string     `json:"grant"`
	Expires state.Date `json:"expires"`
	Reason  string     `json:"reason,omitempty"`
	// Source is where the spec still writes the grant ("file:line").
	Source string `json:"source"`
}

// Expiring is a grant of the spec that still holds but ends soon, with
// every object of the plan's scope it applies to.
type Expiring struct {
	// Kind is the kind of object the grant is part of: member,
	// member_group, group_member_group or push_rule.
	Kind Kind `json:"kind"`
	// Grant names who is granted ("user alice", "member group auditors",
	// "role Project manager"); Role is a member's role.
	Grant   string     `json:"grant"`
	Role    state.Role `json:"role,omitempty"`
	Expires state.Date `json:"expires"`
	// DaysLeft counts the days from Options.Today to Expires: 0 on the
	// last day.
	DaysLeft int    `json:"days_left"`
	Reason   string `json:"reason,omitempty"`
	Source   string `json:"source"`
	// Policy names the policy that makes the grant, "" for a repository's
	// or group's own.
	Policy string `json:"policy,omitempty"`
	// Addresses are the members, member group attachments and push rules
	// the grant applies to, sorted.
	Addresses []Address `json:"addresses"`
}

func expiredGrant(grant string, g state.Grant, src state.Source) ExpiredGrant {
	return ExpiredGrant{Grant: grant, Expires: g.Expires, Reason: g.Reason, Source: src.String()}
}

// expiredReason is the Reason of a change that carries out expiries.
func expiredReason(es []ExpiredGrant) string {
	parts := make([]string, 0, len(es))
	for _, e := range es {
		s := fmt.Sprintf("%s expired on %s", e.Grant, e.Expires)
		if e.Reason != "" {
			s += fmt.Sprintf(" (granted for: %s)", strings.Join(strings.Fields(e.Reason), " "))
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// expiry carries the day and the spec through one Diff, and where Diff met
// the grants that expired or end soon.
type expiry struct {
	today state.Date
	d     *state.Desired
	r     *resolver

	met map[string][]Address // by metKey
}

// metKey identifies a grant of the spec as Diff and the walker of dated
// grants (finish) both see it: its line, what it grants, and its kind.
func metKey(src state.Source, grant string, kind Kind) string {
	return src.String() + "\x00" + grant + "\x00" + string(kind)
}

// check notes a grant in scope that has expired or ends soon, with the
// object it applies to at (finish reports them). It reports whether the
// grant has expired.
func (x *expiry) check(kind Kind, grant string, g state.Grant, src state.Source, at Address) bool {
	expired := g.ExpiredOn(x.today)
	if expired || g.ExpiresWithin(x.today, ExpiringWithin) {
		key := metKey(src, grant, kind)
		x.met[key] = append(x.met[key], at)
	}
	return expired
}

// finish reports the dated grants of the spec that Diff met: a warning for
// each one that expired, and in Plan.Expiring each one that ends soon, with
// the objects it applies to, soonest first.
func (x *expiry) finish(p *Plan) {
	if len(x.met) == 0 {
		return // most plans: no grant has expired or ends soon
	}
	type upcoming struct {
		e   Expiring
		src state.Source // to sort by
	}
	var soon []upcoming
	for _, g := range x.d.DatedGrants() {
		kind, grant := grantKind(g), g.Noun+" "+g.Name
		key := metKey(g.Source, grant, kind)
		at, met := x.met[key]
		if !met {
			continue
		}
		delete(x.met, key) // a grant written twice on one line is reported once
		if g.ExpiredOn(x.today) {
			what := grant
			if g.Role != "" {
				what += " (" + string(g.Role) + ")"
			}
			msg := fmt.Sprintf("%s expired on %s and counts as absent from the spec; remove it from the spec", what, g.Expires)
			if s := g.Source.String(); s != "" {
				msg = s + ": " + msg
			}
			p.Warnings = append(p.Warnings, msg)
			continue
		}
		policy := ""
		if g.Section == "policies" {
			policy = g.Object
		}
		slices.SortFunc(at, Address.Compare)
		soon = append(soon, upcoming{src: g.Source, e: Expiring{Kind: kind, Grant: grant, Role: g.Role, Expires: g.Expires,
			DaysLeft: x.today.DaysUntil(g.Expires), Reason: g.Reason, Source: g.Source.String(), Policy: policy, Addresses: slices.Compact(at)}})
	}
	slices.SortFunc(soon, func(a, b upcoming) int {
		return cmp.Or(cmp.Compare(a.e.Expires, b.e.Expires), cmp.Compare(a.src.File, b.src.File), cmp.Compare(a.src.Line, b.src.Line),
			cmp.Compare(a.src.Column, b.src.Column), cmp.Compare(a.e.Grant, b.e.Grant), cmp.Compare(a.e.Kind, b.e.Kind))
	})
	for _, u := range soon {
		p.Expiring = append(p.Expiring, u.e)
	}
}

// grantKind is the kind of object a dated grant is part of.
func grantKind(g state.DatedGrant) Kind {
	switch {
	case g.List == "members":
		return KindMember
	case g.List == "push_rules":
		return KindPushRule
	case g.Section == "groups":
		return KindGroupMemberGroup
	}
	return KindMemberGroup
}

// policyMember is the grant of user by a policy selecting e that still
// holds, if any (an expired repository or policy grant falls back on it).
func (x *expiry) policyMember(e *state.EffectiveRepository, user string) (state.Member, bool) {
	for _, name := range e.Policies {
		if pol := x.d.Policies[name]; pol != nil {
			if m, ok := pol.Members[user]; ok && !m.ExpiredOn(x.today) {
				m.Policy = name
				return m, true
			}
		}
	}
	return state.Member{}, false
}

// policyRef is the entry name of the list refs of a policy selecting e,
// if one still holds, with its policy (an expired member group or push
// rule grant falls back on it).
func (x *expiry) policyRef(e *state.EffectiveRepository, name string, refs func(*state.Policy) []state.Ref) (state.Ref, bool) {
	for _, pn := range e.Policies {
		if pol := x.d.Policies[pn]; pol != nil {
			for _, r := range refs(pol) {
				if r.Name == name && !r.ExpiredOn(x.today) {
					r.Policy = pn
					return r, true
				}
			}
		}
	}
	return state.Ref{}, false
}

// dated reports whether any of refs has an end date.
func dated(refs []state.Ref) bool {
	return slices.ContainsFunc(refs, func(r state.Ref) bool { return !r.Expires.IsZero() })
}

// rule is e's push rule at path as it applies on the day: expired grants
// dropped, except where a policy still grants the same, or where the rule
// is a policy's and the grant is live on lr (policies never remove).
// removed lists the expired grants of the repository's own rule that the
// live rule still has: the update that follows takes them away.
func (x *expiry) rule(e *state.EffectiveRepository, lr *state.LiveRepository, path string) (state.PushRule, []ExpiredGrant) {
	rule := e.PushRules[path]
	if x.today.IsZero() || !dated(rule.Users) && !dated(rule.MemberGroups) && !dated(rule.Roles) {
		return rule, nil // nothing can expire or end soon: most rules, on a hot path
	}
	live, found := lr.PushRules[path]
	own := rule.Policy == ""
	at := PushRuleAddress(e.Path, path)
	var removed []ExpiredGrant
	// filter is the list of the rule that list picks, as it applies.
	filter := func(kind string, list func(state.PushRule) []state.Ref, isLive func(string) bool) []state.Ref {
		refs := list(rule)
		var out []state.Ref
		for _, ref := range refs {
			grant := kind + " " + ref.Name
			if !x.check(KindPushRule, grant, ref.Grant, ref.Source, at) {
				out = append(out, ref)
				continue
			}
			_, held := x.policyRef(e, ref.Name, func(p *state.Policy) []state.Ref { return list(p.PushRules[path]) })
			switch {
			case held:
				ref.Grant = state.Grant{} // a policy still grants it
				out = append(out, ref)
			case !found || !isLive(ref.Name):
			case !own:
				out = append(out, ref) // policies never remove
			default:
				removed = append(removed, expiredGrant(grant, ref.Grant, ref.Source))
			}
		}
		if refs != nil && out == nil {
			out = []state.Ref{}
		}
		return out
	}
	out := rule
	out.Users = filter("user", func(r state.PushRule) []state.Ref { return r.Users }, func(name string) bool {
		u, ok := x.r.lookupUser(name)
		return slices.ContainsFunc(live.Users, func(l state.LiveUser) bool { return ok && l.ID == u.ID || l.Name == name })
	})
	out.MemberGroups = filter("member group", func(r state.PushRule) []state.Ref { return r.MemberGroups }, func(name string) bool {
		m, ok := x.r.lookupMemberGroup(name)
		return slices.ContainsFunc(live.MemberGroups, func(l state.LiveMemberGroup) bool {
			return ok && m.TeamID != 0 && l.TeamID == m.TeamID || l.Name == name
		})
	})
	out.Roles = filter("role", func(r state.PushRule) []state.Ref { return r.Roles }, func(name string) bool {
		ro, ok := x.r.lookupRole(name)
		return slices.ContainsFunc(live.Roles, func(l state.LiveRole) bool { return ok && l.ID == ro.ID || l.Name == name })
	})
	return out, removed
}
