package spec

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Expand applies the policies of d to repoPaths (at plan time the live
// repositories; offline the listed ones) and returns by path the effective
// access of every repository listed or selected by a policy and not out of
// scope (settings.unmanaged). A member with two roles, or a push path with
// two rule bodies, from two sources is a conflict diagnostic naming both;
// the first source wins. What a policy adds names it (Policy). A policy of
// a scoped file selects no repository outside the scope.
func Expand(d *state.Desired, repoPaths []string) (map[string]*state.EffectiveRepository, Diagnostics) {
	return expand(d, repoPaths, true)
}

// Managed says which lists of a repository the spec manages.
type Managed struct{ Members, MemberGroups, PushRules bool }

// Manages says whether the spec manages the repository at path (it is
// listed, or a policy selects it) and which of its lists: those Expand
// gives it — its own, and every list a policy selecting it sets — without
// building them. A plan reads them as soon as the walk finds the
// repository, before the whole tree is known.
func Manages(d *state.Desired, path string) (Managed, bool) {
	var m Managed
	r := d.Repositories[path]
	ok := r != nil
	if !ok && d.OutOfScope(path) {
		return m, false // settings.unmanaged: no policy reaches it
	}
	if ok {
		m = Managed{r.Members != nil, r.MemberGroups != nil, r.PushRules != nil}
	}
	for _, pol := range d.Policies {
		if policySelects(pol, d.Scopes[pol.Source.File], path) {
			ok = true
			m.Members = m.Members || pol.Members != nil
			m.MemberGroups = m.MemberGroups || pol.MemberGroups != nil
			m.PushRules = m.PushRules || pol.PushRules != nil
		}
	}
	return m, ok
}

// policySelects says whether a policy selects a repository: its patterns
// do, and the scope of its file (nil: none) holds the repository.
func policySelects(pol *state.Policy, scope *state.FileScope, path string) bool {
	return state.Selects(pol.Patterns, path) && (scope == nil || scope.Selects(path))
}

// expandPolicy is a policy with its keys sorted once, not once per path.
type expandPolicy struct {
	name    string
	pol     *state.Policy
	members []string
	rules   []string
	// scope is the scope of the policy's file (nil without one): the
	// policy selects nothing outside it.
	scope *state.FileScope
}

// expand is Expand; without build it only finds the conflicts: it builds no
// result and copies a repository's lists only when a policy adds to them.
func expand(d *state.Desired, repoPaths []string, build bool) (map[string]*state.EffectiveRepository, Diagnostics) {
	paths := slices.AppendSeq(slices.Clone(repoPaths), maps.Keys(d.Repositories))
	slices.Sort(paths)
	paths = slices.Compact(paths)

	pols := make([]expandPolicy, 0, len(d.Policies))
	for _, n := range slices.Sorted(maps.Keys(d.Policies)) {
		pol := d.Policies[n]
		pols = append(pols, expandPolicy{name: n, pol: pol, scope: d.Scopes[pol.Source.File],
			members: slices.Sorted(maps.Keys(pol.Members)), rules: slices.Sorted(maps.Keys(pol.PushRules))})
	}

	out := map[string]*state.EffectiveRepository{}
	cs := &conflicts{seen: map[string]*conflict{}}
	var selected []*expandPolicy
	for _, path := range paths {
		r, listed := d.Repositories[path]
		if !listed && d.OutOfScope(path) {
			continue // settings.unmanaged: no policy reaches it
		}
		selected = selected[:0]
		for i := range pols {
			if policySelects(pols[i].pol, pols[i].scope, path) {
				selected = append(selected, &pols[i])
			}
		}
		if len(selected) == 0 && (!build || !listed) {
			continue // nothing to expand, and nothing can conflict
		}
		x := expansion{eff: &state.EffectiveRepository{Path: path}, build: build, cs: cs}
		if listed {
			x.own(r)
		}
		for i, ep := range selected {
			// Without build, what the last policy adds matters to no one.
			record := build || i < len(selected)-1
			x.eff.Policies = append(x.eff.Policies, ep.name)
			x.addMembers(ep, record)
			if ep.pol.MemberGroups != nil && build {
				x.addMemberGroups(ep)
			}
			x.addRules(ep, record)
		}
		if build {
			out[path] = x.eff
		}
	}
	return out, cs.diagnostics()
}

// expansion is the effective access of one repository as the policies
// that select it add to it.
type expansion struct {
	eff   *state.EffectiveRepository
	build bool
	cs    *conflicts
	// ownMembers and ownRules say whether eff's maps may be written:
	// without build, they start as the repository's own maps and are
	// copied only when a policy adds an entry.
	ownMembers, ownRules bool
}

// own starts from the repository's own lists.
func (x *expansion) own(r *state.Repository) {
	eff := x.eff
	eff.Listed, eff.Source = true, r.Source
	eff.Members, eff.MembersAuthoritative = r.Members, r.Members != nil
	eff.MemberGroups, eff.MemberGroupsAuthoritative = r.MemberGroups, r.MemberGroups != nil
	eff.PushRules, eff.PushRulesAuthoritative = r.PushRules, r.PushRules != nil
	if x.build {
		eff.Members, eff.MemberGroups, eff.PushRules = maps.Clone(r.Members), slices.Clone(r.MemberGroups), maps.Clone(r.PushRules)
		x.ownMembers, x.ownRules = r.Members != nil, r.PushRules != nil
	}
}

// from names where an entry of the repository's came from, to name both
// sides of a conflict: the policy that added it, or the repository.
func from(path, policy string) string {
	if policy != "" {
		return "policy " + policy
	}
	return "repository " + path
}

// addMembers adds a policy's members; with record unset, it only finds
// the conflicts.
func (x *expansion) addMembers(ep *expandPolicy, record bool) {
	eff := x.eff
	if ep.pol.Members != nil && eff.Members == nil && record {
		eff.Members, x.ownMembers = map[string]state.Member{}, true
	}
	for _, user := range ep.members {
		m := ep.pol.Members[user]
		if have, ok := eff.Members[user]; ok {
			if have.Role != m.Role {
				x.cs.add(eff.Path, "member", user,
					fmt.Sprintf("`%s` in %s (%s)", have.Role, from(eff.Path, have.Policy), have.Source),
					fmt.Sprintf("`%s` in %s (%s)", m.Role, from(eff.Path, ep.name), m.Source), m.Source)
			}
			continue
		}
		if !record {
			continue
		}
		if !x.ownMembers {
			eff.Members, x.ownMembers = maps.Clone(eff.Members), true
		}
		m.Policy = ep.name
		eff.Members[user] = m
	}
}

// addMemberGroups attaches a policy's member groups not attached yet.
func (x *expansion) addMemberGroups(ep *expandPolicy) {
	eff := x.eff
	if eff.MemberGroups == nil {
		eff.MemberGroups = []state.Ref{}
	}
	for _, mg := range ep.pol.MemberGroups {
		if !slices.ContainsFunc(eff.MemberGroups, func(r state.Ref) bool { return r.Name == mg.Name }) {
			mg.Policy = ep.name
			eff.MemberGroups = append(eff.MemberGroups, mg)
		}
	}
}

// addRules adds a policy's push rules; with record unset, it only finds
// the conflicts.
func (x *expansion) addRules(ep *expandPolicy, record bool) {
	eff := x.eff
	if ep.pol.PushRules != nil && eff.PushRules == nil && record {
		eff.PushRules, x.ownRules = map[string]state.PushRule{}, true
	}
	for _, rp := range ep.rules {
		rule := ep.pol.PushRules[rp]
		if have, ok := eff.PushRules[rp]; ok {
			if !SameRule(have, rule) {
				x.cs.add(eff.Path, "push rule", rp,
					fmt.Sprintf("%s in %s (%s)", ruleText(have), from(eff.Path, have.Policy), have.Source),
					fmt.Sprintf("%s in %s (%s)", ruleText(rule), from(eff.Path, ep.name), rule.Source), rule.Source)
			}
			continue
		}
		if !record {
			continue
		}
		if !x.ownRules {
			eff.PushRules, x.ownRules = maps.Clone(eff.PushRules), true
		}
		rule.Policy = ep.name
		eff.PushRules[rp] = rule
	}
}

// SameRule reports whether two push rules allow the same users, member
// groups and roles (order and duplicates do not matter).
func SameRule(a, b state.PushRule) bool {
	return slices.Equal(refNames(a.Users), refNames(b.Users)) &&
		slices.Equal(refNames(a.MemberGroups), refNames(b.MemberGroups)) &&
		slices.Equal(refNames(a.Roles), refNames(b.Roles))
}

func refNames(rs []state.Ref) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func ruleText(r state.PushRule) string {
	var parts []string
	if n := refNames(r.Users); len(n) > 0 {
		parts = append(parts, "users ["+strings.Join(n, ", ")+"]")
	}
	if n := refNames(r.MemberGroups); len(n) > 0 {
		parts = append(parts, "member_groups ["+strings.Join(n, ", ")+"]")
	}
	if n := refNames(r.Roles); len(n) > 0 {
		parts = append(parts, "roles ["+strings.Join(n, ", ")+"]")
	}
	if len(parts) == 0 {
		return "{} (nobody may push)"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// conflicts collects each distinct conflict once, however many repositories
// it shows up in.
type conflict struct {
	first    string // the first repository it was seen in
	more     int
	kind     string
	key      string
	a, b     string
	location state.Source
}

type conflicts struct {
	seen  map[string]*conflict
	order []*conflict
}

func (cs *conflicts) add(repo, kind, key, a, b string, at state.Source) {
	id := kind + "\x00" + key + "\x00" + a + "\x00" + b
	if c, ok := cs.seen[id]; ok {
		c.more++
		return
	}
	c := &conflict{first: repo, kind: kind, key: key, a: a, b: b, location: at}
	cs.seen[id] = c
	cs.order = append(cs.order, c)
}

func (cs *conflicts) diagnostics() Diagnostics {
	var ds Diagnostics
	for _, c := range cs.order {
		where := "repository " + c.first
		if c.more > 0 {
			where += fmt.Sprintf(" (and %d more)", c.more)
		}
		ds = append(ds, diagAt(SeverityError, c.location, nil, fmt.Sprintf("conflicting %s `%s` for %s: %s, but %s", c.kind, c.key, where, c.a, c.b)))
	}
	return ds
}
