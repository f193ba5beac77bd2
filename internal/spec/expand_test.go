package spec

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/state"
)

// TestExpandMatchesReference compares Expand with the straightforward
// version it replaced (kept below): same effective repositories, same
// conflicts, on random specs with overlapping policies and conflicts.
func TestExpandMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	users := []string{"alice", "bob", "carol"}
	roles := []state.Role{state.RoleViewer, state.RoleDeveloper, state.RoleAdmin}
	patterns := []string{"a/**", "a/*", "!a/x", "b/**", "*/x", "**", "!b/**"}
	members := func(n int) map[string]state.Member {
		if rng.IntN(3) == 0 {
			return nil
		}
		m := map[string]state.Member{}
		for i := 0; i < n; i++ {
			u := users[rng.IntN(len(users))]
			m[u] = state.Member{User: u, Role: roles[rng.IntN(len(roles))], Source: state.Source{File: "f.yaml", Line: rng.IntN(100)}}
		}
		return m
	}
	rules := func() map[string]state.PushRule {
		if rng.IntN(3) == 0 {
			return nil
		}
		m := map[string]state.PushRule{}
		for i := rng.IntN(3); i > 0; i-- {
			p := []string{"/config/*", "/deploy/**"}[rng.IntN(2)]
			m[p] = state.PushRule{Path: p, Users: []state.Ref{{Name: users[rng.IntN(len(users))]}}, Source: state.Source{File: "f.yaml", Line: rng.IntN(100)}}
		}
		return m
	}
	refs := func() []state.Ref {
		if rng.IntN(2) == 0 {
			return nil
		}
		return []state.Ref{{Name: []string{"leads", "ops"}[rng.IntN(2)]}}
	}
	paths := []string{"a/x", "a/y", "a/y/z", "b/x", "b/y", "c/x"}
	for i := 0; i < 3000; i++ {
		d := &state.Desired{Repositories: map[string]*state.Repository{}, Policies: map[string]*state.Policy{}}
		for _, p := range paths {
			if rng.IntN(2) == 0 {
				d.Repositories[p] = &state.Repository{Path: p, Members: members(2), MemberGroups: refs(), PushRules: rules()}
			}
		}
		for j := rng.IntN(4); j > 0; j-- {
			name := fmt.Sprintf("p%d", j)
			var pats []state.Pattern
			for k := 1 + rng.IntN(2); k > 0; k-- {
				pat, err := state.ParsePattern(patterns[rng.IntN(len(patterns))])
				if err != nil {
					t.Fatal(err)
				}
				pats = append(pats, pat)
			}
			file := []string{"f.yaml", "team.yaml"}[rng.IntN(2)]
			d.Policies[name] = &state.Policy{Name: name, Patterns: pats, Members: members(2), MemberGroups: refs(), PushRules: rules(), Source: state.Source{File: file}}
		}
		if rng.IntN(2) == 0 {
			// Policies of team.yaml are cut to its scope.
			pat, err := state.ParsePattern(patterns[rng.IntN(len(patterns))])
			if err != nil {
				t.Fatal(err)
			}
			d.Scopes = map[string]*state.FileScope{"team.yaml": {File: "team.yaml", Patterns: []state.Pattern{pat}}}
		}
		live := paths[:rng.IntN(len(paths)+1)]
		want, wantDiags := expandReference(d, live)
		got, gotDiags := Expand(d, live)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("case %d: effective repositories differ (-reference +Expand):\n%s", i, diff)
		}
		if diff := cmp.Diff(wantDiags, gotDiags); diff != "" {
			t.Fatalf("case %d: conflicts differ (-reference +Expand):\n%s", i, diff)
		}
		if diff := cmp.Diff(wantDiags, conflictsOf(d, live)); diff != "" {
			t.Fatalf("case %d: conflictsOf differs (-reference +conflictsOf):\n%s", i, diff)
		}
		// Manages names the lists Expand gives a live path (none for a
		// path it leaves out), without building them.
		for _, p := range live {
			var m Managed
			e := want[p]
			if e != nil {
				m = Managed{e.Members != nil, e.MemberGroups != nil, e.PushRules != nil}
			}
			if got, ok := Manages(d, p); got != m || ok != (e != nil) {
				t.Fatalf("case %d: Manages(%s) = %+v, %t; Expand gives %+v, %t", i, p, got, ok, m, e != nil)
			}
		}
	}
}

// expandReference is Expand as it was before it was made cheaper.
func expandReference(d *state.Desired, repoPaths []string) (map[string]*state.EffectiveRepository, Diagnostics) {
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
			if sc := d.Scopes[pol.Source.File]; !state.Selects(pol.Patterns, path) || sc != nil && !sc.Selects(path) {
				continue
			}
			eff.Policies = append(eff.Policies, name)
			by := "policy " + name
			if pol.Members != nil && eff.Members == nil {
				eff.Members = map[string]state.Member{}
			}
			for _, user := range slices.Sorted(maps.Keys(pol.Members)) {
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
						mg.Policy = name
						eff.MemberGroups = append(eff.MemberGroups, mg)
					}
				}
			}
			if pol.PushRules != nil && eff.PushRules == nil {
				eff.PushRules = map[string]state.PushRule{}
			}
			for _, rp := range slices.Sorted(maps.Keys(pol.PushRules)) {
				rule := pol.PushRules[rp]
				if have, ok := eff.PushRules[rp]; ok {
					if !SameRule(have, rule) {
						cs.add(path, "push rule", rp,
							fmt.Sprintf("%s in %s (%s)", ruleText(have), ruleFrom[rp], have.Source),
							fmt.Sprintf("%s in %s (%s)", ruleText(rule), by, rule.Source), rule.Source)
					}
					continue
				}
				rule.Policy = name
				eff.PushRules[rp], ruleFrom[rp] = rule, by
			}
		}
		if eff.Listed || len(eff.Policies) > 0 {
			out[path] = eff
		}
	}
	return out, cs.diagnostics()
}
