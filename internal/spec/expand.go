package spec

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Expand applies the policies of d to the given repository paths (at plan
// time the live repositories; offline the listed ones) and returns the
// effective access of every repository that is listed or selected by a
// policy, keyed by path. A member with two different roles, or a push path
// with two different rule bodies, coming from two sources is a conflict
// diagnostic naming both sources; the first source wins in the result.
func Expand(d *state.Desired, repoPaths []string) (map[string]*state.EffectiveRepository, Diagnostics) {
	paths := slices.Clone(repoPaths)
	for p := range d.Repositories {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	paths = slices.Compact(paths)

	policyNames := make([]string, 0, len(d.Policies))
	for n := range d.Policies {
		policyNames = append(policyNames, n)
	}
	sort.Strings(policyNames)

	out := map[string]*state.EffectiveRepository{}
	cs := &conflicts{seen: map[string]*conflict{}}
	for _, path := range paths {
		eff := &state.EffectiveRepository{Path: path}
		if r, ok := d.Repositories[path]; ok {
			eff.Listed, eff.Source = true, r.Source
			if r.Members != nil {
				eff.Members, eff.MembersAuthoritative = map[string]state.Member{}, true
				for k, m := range r.Members {
					eff.Members[k] = m
				}
			}
			if r.MemberGroups != nil {
				eff.MemberGroups, eff.MemberGroupsAuthoritative = slices.Clone(r.MemberGroups), true
			}
			if r.PushRules != nil {
				eff.PushRules, eff.PushRulesAuthoritative = map[string]state.PushRule{}, true
				for k, pr := range r.PushRules {
					eff.PushRules[k] = pr
				}
			}
		}
		// Sources of each entry so far, to name both sides of a conflict.
		memberFrom := map[string]string{}
		ruleFrom := map[string]string{}
		for k := range eff.Members {
			memberFrom[k] = "repository " + path
		}
		for k := range eff.PushRules {
			ruleFrom[k] = "repository " + path
		}
		for _, name := range policyNames {
			pol := d.Policies[name]
			if !state.Selects(pol.Patterns, path) {
				continue
			}
			eff.Policies = append(eff.Policies, name)
			by := "policy " + name
			if pol.Members != nil && eff.Members == nil {
				eff.Members = map[string]state.Member{}
			}
			for _, user := range sortedKeys(pol.Members) {
				m := pol.Members[user]
				if have, ok := eff.Members[user]; ok {
					if have.Role != m.Role {
						cs.add(path, "member", user,
							fmt.Sprintf("`%s` in %s (%s)", have.Role, memberFrom[user], have.Source),
							fmt.Sprintf("`%s` in %s (%s)", m.Role, by, m.Source), m.Source)
					}
					continue
				}
				m.Policy = name
				eff.Members[user], memberFrom[user] = m, by
			}
			if pol.MemberGroups != nil {
				if eff.MemberGroups == nil {
					eff.MemberGroups = []state.Ref{}
				}
				for _, mg := range pol.MemberGroups {
					if !slices.ContainsFunc(eff.MemberGroups, func(r state.Ref) bool { return r.Name == mg.Name }) {
						eff.MemberGroups = append(eff.MemberGroups, mg)
					}
				}
			}
			if pol.PushRules != nil && eff.PushRules == nil {
				eff.PushRules = map[string]state.PushRule{}
			}
			for _, rp := range sortedKeys(pol.PushRules) {
				rule := pol.PushRules[rp]
				if have, ok := eff.PushRules[rp]; ok {
					if !SameRule(have, rule) {
						cs.add(path, "push rule", rp,
							fmt.Sprintf("%s in %s (%s)", ruleText(have), ruleFrom[rp], have.Source),
							fmt.Sprintf("%s in %s (%s)", ruleText(rule), by, rule.Source), rule.Source)
					}
					continue
				}
				eff.PushRules[rp], ruleFrom[rp] = rule, by
			}
		}
		if eff.Listed || len(eff.Policies) > 0 {
			out[path] = eff
		}
	}
	return out, cs.diagnostics()
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
		ds = append(ds, Diagnostic{Severity: SeverityError, File: c.location.File, Line: c.location.Line, Column: c.location.Column,
			Message: fmt.Sprintf("conflicting %s `%s` for %s: %s, but %s", c.kind, c.key, where, c.a, c.b)})
	}
	return ds
}
