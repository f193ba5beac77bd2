package plan_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// The property of issue 22: no plan of a scoped file changes anything
// outside its scope. Each case draws a live project over a fixed universe
// of groups and repositories (random members, member groups and push
// rules, and unlisted groups) and a scope (positive and `!` patterns, a
// max_role), then a team file with that scope:
//
//   - "validated": groups, repositories and policies drawn at random and
//     kept only where they lie inside the scope (with roles within
//     max_role), so that the file must load without errors — which also
//     checks that validate accepts what is inside;
//   - "cut": the same, but policies with patterns reaching anywhere, and
//     the scope attached to the loaded spec by hand (validate would refuse
//     the file): the second line of defence, the plan-time cut.
//
// It is planned with and without --prune --allow-delete-groups, and every
// change and unlisted entry must concern a repository the scope selects or
// a group it holds, and every change with a source must name the team file
// as its scope. A failure prints the seed, the case, the file and the
// offending entries; go test ./internal/plan -run TestDelegationProperty
// -delegation.seed=N reruns that batch alone.

var delegationSeed = flag.Uint64("delegation.seed", 0, "run only the TestDelegationProperty batch with this seed (0: the fixed list)")

const delegationCasesPerBatch = 40

var (
	propGroups    = []string{"a", "a/x", "a/y", "b", "b/x", "c"}
	propRepos     = []string{"a/x/r1", "a/x/r2", "a/y/r3", "a/r4", "b/x/r5", "b/r6", "c/r7", "r8"}
	propUnlisted  = []string{"d", "a/z", "b/x/old"} // live groups no spec lists
	propUsers     = []string{"u1", "u2", "u3", "u4"}
	propMGs       = []string{"mg1", "mg2"}
	propPRoles    = []string{"project-manager", "developer", "viewer"}
	propScopePos  = []string{"a/**", "a/x/**", "b/**", "*/x/**", "a/*/r1", "c/r7", "**"}
	propScopeNeg  = []string{"!a/y/**", "!b/x/**", "!a/x/r2"}
	propPolicyPat = []string{"a/**", "a/x/**", "b/**", "*/x/**", "**", "a/*/r1", "c/*", "a/x/r2", "!a/y/**", "!b/x/**"}
	propRuleBody  = []string{"{}", "{users: [u1]}", "{member_groups: [mg1]}", "{roles: [developer]}", "{roles: [project-manager], users: [u2]}"}
)

func propLive(r *rand.Rand) *state.Live {
	live := &state.Live{
		Project: "0b234373cf3f4b04ab2d8a245155e12b",
		Groups:  map[string]*state.LiveGroup{}, Repositories: map[string]*state.LiveRepository{},
		Users: map[string]state.LiveUser{}, MemberGroups: map[string]state.LiveMemberGroup{}, Roles: map[string]state.LiveRole{},
		Fingerprints: map[string]string{},
	}
	for i, u := range propUsers {
		live.Users[u] = state.LiveUser{Name: u, ID: int64(9000 + i), IAMID: fmt.Sprintf("%032x", 0xa000+i)}
	}
	for i, m := range propMGs {
		live.MemberGroups[m] = state.LiveMemberGroup{Name: m, ID: fmt.Sprintf("%032x", 0xb000+i), TeamID: int64(200 + i)}
	}
	for i, ro := range propPRoles {
		live.Roles[ro] = state.LiveRole{Name: ro, ID: fmt.Sprintf("%032x", 0xc000+i)}
	}
	for i, g := range append(slices.Clone(propGroups), propUnlisted...) {
		lg := &state.LiveGroup{ID: int64(100 + i), Path: g, Visibility: "private", MemberGroups: []string{}}
		if r.IntN(3) == 0 {
			lg.MemberGroups = []string{propMGs[r.IntN(len(propMGs))]}
		}
		live.Groups[g] = lg
	}
	for _, g := range live.Groups {
		if p := state.ParentPath(g.Path); p != "" {
			g.ParentID = live.Groups[p].ID
		}
	}
	for i, p := range propRepos {
		lr := &state.LiveRepository{ID: int64(2000 + i), UUID: fmt.Sprintf("%032x", 0xd000+i), Path: p, Details: true,
			Members: map[string]state.LiveMember{}, MemberGroups: []string{}, PushRules: map[string]state.LivePushRule{}}
		if g := state.ParentPath(p); g != "" {
			lr.GroupID = live.Groups[g].ID
		}
		for _, u := range propUsers {
			if r.IntN(3) == 0 {
				lr.Members[u] = state.LiveMember{User: live.Users[u], Role: state.Roles[r.IntN(3)]}
			}
		}
		if r.IntN(3) == 0 {
			lr.MemberGroups = []string{propMGs[r.IntN(len(propMGs))]}
		}
		if r.IntN(2) == 0 {
			lr.PushRules["/p1/*"] = state.LivePushRule{ID: int64(5000 + i), Path: "/p1/*", Users: []state.LiveUser{live.Users["u3"]}}
		}
		live.Repositories[p] = lr
	}
	return live
}

// propCase is one drawn team file.
type propCase struct {
	scopeYAML string
	sc        *state.FileScope
	body      string // everything after the scope block
	groups    bool
}

func pick[T any](r *rand.Rand, from []T, n int) []T {
	perm := r.Perm(len(from))
	out := make([]T, 0, n)
	for _, i := range perm[:min(n, len(from))] {
		out = append(out, from[i])
	}
	return out
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func drawCase(t *testing.T, r *rand.Rand, cut bool) propCase {
	t.Helper()
	texts := pick(r, propScopePos, 1+r.IntN(2))
	texts = append(texts, pick(r, propScopeNeg, r.IntN(2))...)
	sc := &state.FileScope{MaxRole: state.Roles[r.IntN(3)]}
	for _, s := range texts {
		p, err := state.ParsePattern(s)
		if err != nil {
			t.Fatal(err)
		}
		sc.Patterns = append(sc.Patterns, p)
	}
	c := propCase{sc: sc, scopeYAML: fmt.Sprintf("scopes:\n  teams/t.yaml: {repositories: %s, max_role: %s}\n", quoted(texts), sc.MaxRole)}
	// Every grant of a user has one role in a case, and every push path
	// one body, so that nothing conflicts.
	role := map[string]state.Role{}
	for _, u := range propUsers {
		role[u] = state.Roles[r.IntN(3)]
	}
	body := map[string]string{"/p1/*": propRuleBody[r.IntN(len(propRuleBody))], "/p2/**": propRuleBody[r.IntN(len(propRuleBody))]}
	allowedRule := func(path string) bool {
		if cut {
			return true
		}
		for _, ro := range propPRoles {
			if strings.Contains(body[path], ro) && !sc.Allows(state.ProjectRoleRank(ro)) {
				return false
			}
		}
		return true
	}
	grants := func(b *strings.Builder, indent string) {
		var members []string
		for _, u := range pick(r, propUsers, r.IntN(3)) {
			if cut || sc.Allows(role[u]) {
				members = append(members, fmt.Sprintf("%s: %s", u, role[u]))
			}
		}
		if len(members) > 0 {
			fmt.Fprintf(b, "%smembers: {%s}\n", indent, strings.Join(members, ", "))
		}
		if r.IntN(3) == 0 && (cut || sc.Allows(state.RoleAdmin)) {
			fmt.Fprintf(b, "%smember_groups: [%s]\n", indent, propMGs[r.IntN(len(propMGs))])
		}
		var rules []string
		for _, path := range pick(r, []string{"/p1/*", "/p2/**"}, r.IntN(3)) {
			if allowedRule(path) {
				rules = append(rules, fmt.Sprintf("%q: %s", path, body[path]))
			}
		}
		if len(rules) > 0 {
			fmt.Fprintf(b, "%spush_rules: {%s}\n", indent, strings.Join(rules, ", "))
		}
	}
	var b strings.Builder
	var groups []string
	for _, g := range pick(r, propGroups, r.IntN(4)) {
		if sc.HoldsGroup(g) {
			groups = append(groups, g)
		}
	}
	if len(groups) > 0 || r.IntN(4) == 0 {
		c.groups = true
		b.WriteString("groups:\n")
		if len(groups) == 0 {
			b.WriteString("  {}\n")
		}
		for _, g := range groups {
			fmt.Fprintf(&b, "  %s:\n", g)
			if r.IntN(3) == 0 && (cut || sc.Allows(state.RoleAdmin)) {
				fmt.Fprintf(&b, "    member_groups: [%s]\n", propMGs[r.IntN(len(propMGs))])
			} else {
				b.WriteString("    visibility: private\n")
			}
		}
	}
	var repos []string
	for _, p := range pick(r, propRepos, r.IntN(4)) {
		if sc.Selects(p) {
			repos = append(repos, p)
		}
	}
	if len(repos) > 0 {
		b.WriteString("repositories:\n")
		for _, p := range repos {
			fmt.Fprintf(&b, "  %s:\n", p)
			var g strings.Builder
			grants(&g, "    ")
			if g.Len() == 0 {
				g.WriteString("    members: {}\n")
			}
			b.WriteString(g.String())
		}
	}
	var pols strings.Builder
	for i := range r.IntN(3) {
		pats := pick(r, propPolicyPat, 1+r.IntN(3))
		var parsed []state.Pattern
		positive := false
		for _, s := range pats {
			p, _ := state.ParsePattern(s)
			parsed = append(parsed, p)
			positive = positive || !p.Negate
		}
		inside := positive
		for _, p := range parsed {
			if !p.Negate && !sc.HoldsPattern(p, parsed) {
				inside = false
			}
		}
		if !positive || !cut && !inside {
			continue
		}
		var g strings.Builder
		grants(&g, "    ")
		if g.Len() == 0 {
			continue
		}
		fmt.Fprintf(&pols, "  pol%d:\n    repositories: %s\n%s", i, quoted(pats), g.String())
	}
	if pols.Len() > 0 {
		b.WriteString("policies:\n" + pols.String())
	}
	c.body = b.String()
	return c
}

// loadCase writes the case's files and loads them: with the scope in the
// base file's `scopes:` ("validated"), or without it and the scope attached
// afterwards ("cut").
func loadCase(t *testing.T, c propCase, cut bool) (*state.Desired, string, string) {
	t.Helper()
	dir := t.TempDir()
	team := filepath.Join(dir, "teams", "t.yaml")
	text := "version: 1\n" + c.body
	base := "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\n"
	if !cut {
		base += c.scopeYAML
	}
	if err := os.MkdirAll(filepath.Dir(team), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "base.yaml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(team, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d, diags := spec.Load(dir)
	if d == nil || diags.HasErrors() {
		return nil, team, fmt.Sprintf("the drawn files do not load: %v\nbase.yaml:\n%s\nteams/t.yaml:\n%s", diags, base, text)
	}
	if cut {
		sc := *c.sc
		sc.File, sc.ListsGroups = team, c.groups
		d.Scopes = map[string]*state.FileScope{team: &sc}
		d.GroupsScopedOnly = c.groups
	}
	return d, team, text
}

func TestDelegationProperty(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6, 7, 8}
	if *delegationSeed != 0 {
		seeds = []uint64{*delegationSeed}
	}
	checked, withChanges := 0, 0
	for _, seed := range seeds {
		r := rand.New(rand.NewPCG(seed, 22))
		for i := range delegationCasesPerBatch {
			cut := i%2 == 1
			live := propLive(r)
			c := drawCase(t, r, cut)
			d, team, text := loadCase(t, c, cut)
			if d == nil {
				if cut && strings.Contains(text, "conflicting") {
					continue
				}
				t.Fatalf("seed %d case %d: %s", seed, i, text)
			}
			eff, conflicts := spec.Expand(d, propRepos)
			if len(conflicts) > 0 {
				t.Fatalf("seed %d case %d: conflicts %v\n%s", seed, i, conflicts, text)
			}
			for _, opts := range []plan.Options{{}, {Prune: true, AllowDeleteGroups: true}} {
				p, problems := plan.Diff(d, eff, live, opts)
				if len(problems) > 0 {
					t.Fatalf("seed %d case %d: problems %v\n%s", seed, i, problems, text)
				}
				checked++
				if len(p.Changes) > 0 {
					withChanges++
				}
				var bad []string
				inside := func(a plan.Address) bool {
					switch a.Object {
					case plan.ObjectRepository:
						return c.sc.Selects(a.Name)
					case plan.ObjectGroup:
						return c.sc.HoldsGroup(a.Name)
					}
					return false
				}
				for _, ch := range p.Changes {
					if !inside(ch.Address) {
						bad = append(bad, fmt.Sprintf("change %s %s (%s)", ch.Action, ch.Address, ch.Source))
					}
					if ch.Source != "" && ch.Scope != team {
						bad = append(bad, fmt.Sprintf("change %s %s names scope %q, want %q", ch.Action, ch.Address, ch.Scope, team))
					}
				}
				for _, e := range p.Extras {
					if !inside(e.Address) {
						bad = append(bad, fmt.Sprintf("unlisted %s", e.Address))
					}
				}
				if len(bad) > 0 {
					mode := "validated"
					if cut {
						mode = "cut"
					}
					t.Fatalf("seed %d case %d (%s, prune %v): outside the scope %s:\n  %s\nfile:\n%s%s", seed, i, mode, opts.Prune,
						c.sc.Describe(), strings.Join(bad, "\n  "), c.scopeYAML, c.body)
				}
			}
		}
	}
	// The property must not hold vacuously.
	if withChanges < checked/3 {
		t.Errorf("only %d of %d plans had changes; the generator draws too little", withChanges, checked)
	}
}
