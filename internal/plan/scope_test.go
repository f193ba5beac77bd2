package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

func compiled(t *testing.T, repos, groups []string, auths bool) *plan.Scope {
	t.Helper()
	s := &plan.Scope{Repositories: repos, Groups: groups, GitAuths: auths}
	if err := s.Compile(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScopeCompileRefusesWhatCannotSelect(t *testing.T) {
	for _, tc := range []struct {
		repos, groups []string
		want          string
	}{
		{repos: []string{"!pay/**"}, want: "target `!pay/**`: a target selects; it cannot exclude"},
		{groups: []string{"pay", "!pay/sandbox"}, want: "target `!pay/sandbox`"},
		{repos: []string{"/pay"}, want: "relative to the project"},
		{repos: []string{"pay/"}, want: "write `pay/**`"},
		{groups: []string{"pay/a**"}, want: "must be a whole path segment"},
		{repos: []string{""}, want: "empty pattern"},
	} {
		s := &plan.Scope{Repositories: tc.repos, Groups: tc.groups}
		if err := s.Compile(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%v, %v) = %v, want %q", tc.repos, tc.groups, err, tc.want)
		}
	}
	var none *plan.Scope
	if err := none.Compile(); err != nil {
		t.Errorf("a nil scope: %v", err)
	}
}

// A nil scope covers everything; an empty one nothing.
func TestScopeNilAndEmpty(t *testing.T) {
	var all *plan.Scope
	if !all.Repo("a/b") || !all.Group("a") || !all.Auths() || !all.Reaches("a/b/c") || !all.Subtree("x") {
		t.Error("a nil scope must cover everything")
	}
	empty := compiled(t, []string{}, []string{}, false)
	if empty.Repo("a/b") || empty.Group("a") || empty.Auths() || empty.Reaches("a") || empty.Subtree("a") {
		t.Error("an empty scope must cover nothing")
	}
	if !compiled(t, nil, nil, true).Auths() {
		t.Error("GitAuths puts the authorizations in scope")
	}
}

// Repo and Group match with the spec's glob rules: `**` as a whole
// segment anywhere, at the end at least one segment (so `a/**` does not
// select `a` itself), `*` within one segment.
func TestScopeMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		yes, no []string
	}{
		{pattern: "a", yes: []string{"a"}, no: []string{"a/b", "ab", "b/a"}},
		{pattern: "a/**", yes: []string{"a/b", "a/b/c"}, no: []string{"a", "ab/c", "b/a/c"}},
		{pattern: "**", yes: []string{"a", "a/b", "a/b/c"}},
		{pattern: "**/gateway", yes: []string{"gateway", "a/gateway", "a/b/gateway"}, no: []string{"a/gateway/x", "a/gateways"}},
		{pattern: "a/**/old", yes: []string{"a/old", "a/b/old", "a/b/c/old"}, no: []string{"old", "a/old/x", "b/a/old"}},
		{pattern: "*/api/*", yes: []string{"pay/api/gw"}, no: []string{"pay/api", "pay/x/api/gw", "pay/api/gw/x"}},
		{pattern: "pay/api/gate*", yes: []string{"pay/api/gate", "pay/api/gateway"}, no: []string{"pay/api/gate/x", "pay/api/ledger"}},
	} {
		s := compiled(t, []string{tc.pattern}, []string{tc.pattern}, false)
		for _, p := range tc.yes {
			if !s.Repo(p) || !s.Group(p) {
				t.Errorf("%s does not match %s", tc.pattern, p)
			}
		}
		for _, p := range tc.no {
			if s.Repo(p) || s.Group(p) {
				t.Errorf("%s matches %s", tc.pattern, p)
			}
		}
	}
	// The two lists are apart: --changed-since puts a changed repository
	// in one and a changed group in the other.
	s := compiled(t, []string{"a/b"}, []string{"c"}, false)
	if !s.Repo("a/b") || s.Group("a/b") || !s.Group("c") || s.Repo("c") {
		t.Error("the repository and group lists of a scope must be kept apart")
	}
}

// Reaches lists the groups a walk must list the children of: the groups on
// the way to a repository in scope, everything a pattern may match below,
// and the whole subtree of a group in scope.
func TestScopeReaches(t *testing.T) {
	for _, tc := range []struct {
		name          string
		repos, groups []string
		yes, no       []string
	}{
		{name: "a repository: the groups on its way", repos: []string{"a/b/c"},
			yes: []string{"a", "a/b"}, no: []string{"a/b/c", "a/x", "b", "a/b/c/d"}},
		{name: "a repository a is not a/**", repos: []string{"a"},
			no: []string{"a", "a/b", "b"}},
		{name: "a/** reaches a and below", repos: []string{"a/**"},
			yes: []string{"a", "a/b", "a/b/c"}, no: []string{"b", "ab"}},
		{name: "** anywhere", repos: []string{"**/gateway"},
			yes: []string{"a", "x/y/z"}},
		{name: "** in the middle", repos: []string{"a/**/old"},
			yes: []string{"a", "a/b", "a/b/c"}, no: []string{"b", "b/a"}},
		{name: "* within a segment", repos: []string{"*/api/*"},
			yes: []string{"pay", "ops", "pay/api"}, no: []string{"pay/web", "pay/api/v1"}},
		{name: "a group: on its way and its whole subtree", groups: []string{"a/b"},
			yes: []string{"a", "a/b", "a/b/c", "a/b/c/d"}, no: []string{"a/x", "b", "a/bc"}},
		{name: "a group pattern: each match's subtree", groups: []string{"*/api"},
			yes: []string{"pay", "pay/api", "pay/api/v1/x"}, no: []string{"pay/web", "pay/web/api"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := compiled(t, tc.repos, tc.groups, false)
			for _, g := range tc.yes {
				if !s.Reaches(g) {
					t.Errorf("does not reach %s", g)
				}
			}
			for _, g := range tc.no {
				if s.Reaches(g) {
					t.Errorf("reaches %s", g)
				}
			}
		})
	}
}

func TestScopeSubtree(t *testing.T) {
	s := compiled(t, []string{"r/**"}, []string{"a/b", "x/*"}, false)
	for g, want := range map[string]bool{
		"a/b": true, "a/b/c": true, "a/b/c/d": true, "a": false, "a/bc": false,
		"x/y": true, "x/y/z": true, "x": false,
		// Repository patterns select repositories, not subtrees of groups.
		"r": false, "r/s": false,
	} {
		if got := s.Subtree(g); got != want {
			t.Errorf("Subtree(%s) = %v, want %v", g, got, want)
		}
	}
}

// scoped diffs the same spec twice, without a scope and with one, and
// returns both plans.
func scoped(t *testing.T, yaml string, live *state.Live, opts plan.Options, scope *plan.Scope) (full, part *plan.Plan) {
	t.Helper()
	full, problems := diff(t, yaml, live, opts)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	opts.Scope = scope
	part, problems = diff(t, yaml, live, opts)
	if len(problems) > 0 {
		t.Fatalf("problems with scope: %v", problems)
	}
	return full, part
}

// A scoped plan that deletes an unlisted group also deletes the empty
// sub-groups below it, as the full plan does, so that apply can carry it
// out (a group is deleted after what it holds; the API refuses to delete
// one that is not empty). It used to delete the group alone.
func TestScopedDeletionTakesTheEmptySubgroups(t *testing.T) {
	live := world()
	live.Groups["stale"] = &state.LiveGroup{ID: 110, Path: "stale", Visibility: "private"}
	live.Groups["stale/inner"] = &state.LiveGroup{ID: 111, Path: "stale/inner", ParentID: 110, Visibility: "private"}
	live.Groups["stale/inner/deep"] = &state.LiveGroup{ID: 112, Path: "stale/inner/deep", ParentID: 111, Visibility: "private"}
	opts := plan.Options{Prune: true, AllowDeleteGroups: true}
	full, part := scoped(t, unchanged, live, opts, compiled(t, []string{"stale"}, []string{"stale"}, false))
	want := []string{"delete group[stale]", "delete group[stale/inner]", "delete group[stale/inner/deep]"}
	if diff := cmp.Diff(want, brief(full)); diff != "" {
		t.Errorf("full plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, brief(part)); diff != "" {
		t.Errorf("--target stale (-want +got):\n%s", diff)
	}
	// Without pruning: the same groups are unlisted drift.
	_, part = scoped(t, unchanged, live, plan.Options{}, compiled(t, []string{"stale"}, []string{"stale"}, false))
	if len(part.Extras) != 3 {
		t.Errorf("unlisted: %+v", part.Extras)
	}
	// A sub-group alone does not take its parent.
	_, part = scoped(t, unchanged, live, opts, compiled(t, nil, []string{"stale/inner"}, false))
	if diff := cmp.Diff(want[1:], brief(part)); diff != "" {
		t.Errorf("--target stale/inner (-want +got):\n%s", diff)
	}
}

// A scoped plan that creates a group also creates the listed groups above
// it that do not exist yet, as the full plan does: a group is created in
// its parent. It used to plan the group alone, which apply could not
// create ("group … does not exist yet").
func TestScopedCreationTakesTheMissingParents(t *testing.T) {
	spec := strings.Replace(unchanged, "  payments/api: {visibility: private}\n",
		"  payments/api: {visibility: private}\n  newtop: {member_groups: [payments-leads]}\n  newtop/mid: {}\n  newtop/mid/leaf: {}\n  newtop/other: {}\n  payments/web: {}\n", 1)
	full, part := scoped(t, spec, world(), plan.Options{}, compiled(t, []string{"newtop/mid/leaf"}, []string{"newtop/mid/leaf"}, false))
	if diff := cmp.Diff([]string{
		"create group[newtop]",
		"create group[newtop].member_group[payments-leads]",
		"create group[newtop/mid]",
		"create group[newtop/mid/leaf]",
		"create group[newtop/other]",
		"create group[payments/web]",
	}, brief(full)); diff != "" {
		t.Errorf("full plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{
		"create group[newtop]",
		"create group[newtop].member_group[payments-leads]",
		"create group[newtop/mid]",
		"create group[newtop/mid/leaf]",
	}, brief(part)); diff != "" {
		t.Errorf("scoped plan (-want +got):\n%s", diff)
	}
	// A group whose parent exists takes nothing else.
	_, part = scoped(t, spec, world(), plan.Options{}, compiled(t, nil, []string{"payments/web"}, false))
	if diff := cmp.Diff([]string{"create group[payments/web]"}, brief(part)); diff != "" {
		t.Errorf("payments/web (-want +got):\n%s", diff)
	}
}

// The scoped plan's changes are the full plan's about the objects in
// scope, for a few scopes over the small world.
func TestScopedDiffIsTheFullDiffRestricted(t *testing.T) {
	spec := strings.NewReplacer(
		"members: {alice: admin}", "members: {alice: developer, bob: viewer}",
		"members: {carol: developer}", "members: {carol: admin}",
		"user: bucket-ljn", "user: someone-else",
		"  payments/api: {visibility: private}\n", "  payments/api: {visibility: public}\n",
	).Replace(unchanged)
	for _, tc := range []struct {
		repos, groups []string
		auths         bool
	}{
		{repos: []string{"payments/api/ledger"}},
		{repos: []string{"payments/**"}},
		{repos: []string{"**/gateway"}, groups: []string{"payments/api"}},
		{groups: []string{"payments"}},
		{auths: true},
		{repos: []string{"payments/api"}, groups: []string{"payments/api/gateway"}},
	} {
		s := compiled(t, tc.repos, tc.groups, tc.auths)
		full, part := scoped(t, spec, world(), plan.Options{Prune: true}, s)
		var want []string
		for _, c := range full.Changes {
			a := c.Address
			if a.Object == plan.ObjectRepository && s.Repo(a.Name) || a.Object == plan.ObjectGroup && s.Group(a.Name) || a.Object == plan.ObjectGitAuth && s.Auths() {
				want = append(want, string(c.Action)+" "+a.String())
			}
		}
		if diff := cmp.Diff(want, brief(part)); diff != "" {
			t.Errorf("scope %+v (-want +got):\n%s", tc, diff)
		}
	}
}
