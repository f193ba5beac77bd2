package cli

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/sim"
	"github.com/reposync/reposync/internal/spec"
)

// The property of issue 16 item 4: a plan restricted to some objects
// (--changed-since, --target) says exactly what the full plan says about
// those objects. It is checked over generated spec edits against the
// simulator:
//
//  1. A random base spec over a fixed project (the universe,
//     scope_universe_test.go: three levels of groups, a repository at the
//     root, an archived one, an empty group, member groups, push rules, a
//     Git authorization) is applied with --prune --allow-delete-groups, so
//     that the live state equals the base ("converged"); a plan of the base
//     must then be empty.
//  2. Each case edits the base (scope_gen_test.go: repositories added,
//     removed and modified; policies added, removed, renamed, widened and
//     narrowed, negations; groups; Git authorizations; expiry dates and
//     reasons; now and then a settings or pin change, whose reach cannot be
//     bounded, or the same spec written differently), commits the edit on
//     top of the base in a Git repository and plans it with --prune,
//     --prune --allow-delete-groups or neither, in full, with
//     --changed-since BASE and with --target and random patterns:
//     (a) the scoped plans have exactly the changes, unlisted entries and
//     expiring grants of the full plan that concern the objects in their
//     scope (restriction; all of them when --changed-since plans
//     everything);
//     (b) against the converged project, every entry of the full plan is
//     caused by the edit, so each must be in the scope of --changed-since:
//     nothing the edit touches is missed (one exception, explained where
//     it is made);
//     (c) apply can carry the scoped plans out: they create a group only
//     in a parent that exists or that they create, and delete one only
//     with everything below it.
//     One case in three runs against the unconverged project instead (the
//     universe with objects no spec lists: it differs from every base in
//     many ways), where (a) and (c) hold all the same.
//
// A failure prints the seed, the case, the edits, the specs and the plans;
// go test ./internal/cli -run TestScopeProperty -scope.seed=N reruns that
// batch alone.

var scopeSeed = flag.Uint64("scope.seed", 0, "run only the TestScopeProperty batch with this seed (0: the fixed list)")

// propSeeds are the batches the test runs: each a base spec and its edits.
var propSeeds = []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

const propCasesPerBatch = 15

// loadable reports whether text loads and expands over the universe's
// repositories without conflicts: a spec that conflicts with itself cannot
// be planned at all, so it is no case for the property.
func loadable(t *testing.T, dir, text string) bool {
	t.Helper()
	p := filepath.Join(dir, "check.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	d, diags := spec.Load(p)
	for _, dg := range diags {
		if dg.Severity == spec.SeverityError && strings.Contains(dg.Message, "conflicting") {
			return false
		}
	}
	if d == nil || diags.HasErrors() {
		t.Fatalf("the generator wrote an invalid spec: %v\n%s", diags, text)
	}
	var paths []string
	for _, r := range propRepos {
		if !r.archived {
			paths = append(paths, r.path)
		}
	}
	_, conflicts := spec.Expand(d, paths)
	return len(conflicts) == 0
}

// restriction says which entries of the full plan a scoped plan must
// have: those about the objects in scope (plan.Scope), that is the
// repositories and groups the scope matches, the Git authorizations when
// it has them, and two kinds of groups that apply needs along with the
// matching ones: a group the spec does not list below a group in scope
// (deleted after its empty sub-groups), and a group still to be created
// above a group in scope that is created too (created in its parent).
type restriction struct {
	s *plan.Scope
	// listed are the groups the spec lists; created those the full plan
	// creates.
	listed, created map[string]bool
	// withdrawn are the addresses where the scoped plan removes what the
	// edit took out of the spec: a full plan, which knows no base, says
	// something else there (checked apart, withdrawnAgree).
	withdrawn map[plan.Address]bool
}

// everything is the restriction of an unscoped plan.
var everything = restriction{}

func newRestriction(s *plan.Scope, spec *pSpec, full *plan.Plan) restriction {
	r := restriction{s: s, listed: map[string]bool{}, created: map[string]bool{}}
	for g := range spec.Groups {
		r.listed[g] = true
	}
	for _, c := range full.Changes {
		if c.Kind == plan.KindGroup && c.Action == plan.Create {
			r.created[c.Address.Name] = true
		}
	}
	return r
}

func (r restriction) covers(a plan.Address) bool {
	switch a.Object {
	case plan.ObjectRepository:
		return r.s.Repo(a.Name)
	case plan.ObjectGitAuth:
		return r.s.Auths()
	case plan.ObjectGroup:
		if r.s.Group(a.Name) || !r.listed[a.Name] && r.s.Subtree(a.Name) {
			return true
		}
		if r.created[a.Name] {
			for c := range r.created {
				if strings.HasPrefix(c, a.Name+"/") && r.s.Group(c) {
					return true
				}
			}
		}
	}
	return false
}

// planLines are the entries of a plan that r covers — changes, unlisted
// entries and expiring grants (with only their addresses r covers) — as
// JSON lines, for comparing.
func planLines(p *plan.Plan, r restriction) []string {
	var out []string
	line := func(kind string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		out = append(out, kind+" "+string(b))
	}
	for _, c := range p.Changes {
		if r.covers(c.Address) && !r.withdrawn[c.Address] {
			line("change", c)
		}
	}
	for _, e := range p.Extras {
		// The territory (repositories the spec does not list, and the
		// grants of unlisted groups) is the full plan's alone: a scoped
		// plan reads no more than its scope.
		if r.covers(e.Address) && !r.withdrawn[e.Address] && e.Kind != plan.KindRepository {
			e.Grants = nil
			line("unlisted", e)
		}
	}
	for _, e := range p.Expiring {
		var in []plan.Address
		for _, a := range e.Addresses {
			if r.covers(a) {
				in = append(in, a)
			}
		}
		if len(in) > 0 {
			e.Addresses = in
			line("expiring", e)
		}
	}
	return out
}

// outside is an entry of a plan outside a scope.
type outside struct {
	addr plan.Address
	text string
	// unlistedGroup: drift of a group the spec does not list (an unlisted
	// entry, or its deletion or manual change under --prune).
	unlistedGroup bool
}

// outOfScope lists the changes and unlisted entries of p that r does not
// cover.
func outOfScope(p *plan.Plan, r restriction) []outside {
	var out []outside
	for _, c := range p.Changes {
		if !r.covers(c.Address) {
			out = append(out, outside{addr: c.Address, text: fmt.Sprintf("%s %s", c.Action, c.Address),
				unlistedGroup: c.Kind == plan.KindGroup && c.Source == "" && (c.Action == plan.Delete || c.Action == plan.Manual)})
		}
	}
	for _, e := range p.Extras {
		if !r.covers(e.Address) && e.Kind != plan.KindRepository { // the territory: see planLines
			out = append(out, outside{addr: e.Address, text: fmt.Sprintf("unlisted %s", e.Address), unlistedGroup: e.Kind == plan.KindGroup})
		}
	}
	return out
}

func TestScopeProperty(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and plans many spec edits")
	}
	seeds := propSeeds
	if *scopeSeed != 0 {
		seeds = []uint64{*scopeSeed}
	}
	universe, err := sim.ParseFixture([]byte(propFixture(false)), "universe.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stale, err := sim.ParseFixture([]byte(propFixture(true)), "stale.yaml")
	if err != nil {
		t.Fatal(err)
	}
	top := newGitSpec(t)
	scratch := t.TempDir()
	start := time.Now()
	type batch struct {
		seed        uint64
		g           *propGen
		base        *pSpec
		text        string
		conv, drift *world
		// The live state of each, for checking what apply could do.
		convLive, driftLive *sim.Fixture
	}
	// Worlds first: the test then changes into the Git repository.
	var batches []*batch
	for _, seed := range seeds {
		b := &batch{seed: seed, g: &propGen{r: rand.New(rand.NewPCG(seed, 16))}}
		for {
			b.base = b.g.base()
			b.text = b.base.render(nil)
			if loadable(t, scratch, b.text) {
				break
			}
		}
		b.drift = fixtureWorld(t, stale)
		applier := fixtureWorld(t, universe)
		dir := filepath.Join(scratch, fmt.Sprintf("base-%d", seed))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "reposync.yaml"), []byte(b.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errOut := applier.run("apply", "--yes", "--prune", "--allow-delete-groups", "--max-deletes", "100000", "--rate-limit", "1000000", dir); code != 0 {
			t.Fatalf("seed %d: applying the base: exit %d\n%s%s\nbase:\n%s", seed, code, out, errOut, b.text)
		}
		b.conv = fixtureWorld(t, applier.sim.Snapshot())
		// Nothing left but the territory: repositories a policy reaches
		// and the base does not list, which apply never touches.
		p, err := planDoc(b.conv, "--prune", "--allow-delete-groups", dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Changes) > 0 || slices.ContainsFunc(p.Extras, func(e plan.Extra) bool { return e.Kind != plan.KindRepository }) {
			t.Fatalf("seed %d: the applied base still plans changes: %v\n%v\nbase:\n%s", seed, briefJSON(p.Changes), p.Extras, b.text)
		}
		b.convLive, b.driftLive = b.conv.sim.Snapshot(), b.drift.sim.Snapshot()
		batches = append(batches, b)
	}
	t.Chdir(top)

	var cases, converged, fallbacks, withChanges, exempt, withdrawals, failures int
	report := func(b *batch, i int, did []string, text, format string, args ...any) {
		t.Helper()
		failures++
		t.Errorf("seed %d, case %d: %s\nedits:\n  %s\nedited spec:\n%s\nbase spec:\n%s\nrerun this batch: go test ./internal/cli -run TestScopeProperty -scope.seed=%d",
			b.seed, i, fmt.Sprintf(format, args...), strings.Join(did, "\n  "), text, b.text, b.seed)
		if failures >= 3 {
			t.FailNow()
		}
	}
	flagSets := [][]string{nil, {"--prune"}, {"--prune", "--allow-delete-groups"}}
	for _, b := range batches {
		baseRev := commitSpec(t, top, b.text, fmt.Sprintf("base of seed %d", b.seed))
		for i := range propCasesPerBatch {
			var edited *pSpec
			var did []string
			var text string
			for {
				edited, did, text = b.g.edit(b.base)
				if loadable(t, scratch, text) {
					break
				}
			}
			// On top of the previous case: what lies between the base and
			// HEAD does not matter, only the spec at both ends.
			if err := os.WriteFile(filepath.Join(top, "specs", "reposync.yaml"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			git(t, top, "commit", "-q", "-a", "--allow-empty", "-m", fmt.Sprintf("seed %d, case %d", b.seed, i))
			cases++
			// Two cases in three against the converged project, where (b)
			// holds; the others against the unconverged one, half of them
			// with --prune --allow-delete-groups (its unlisted groups).
			w, live, conv := b.conv, b.convLive, b.g.r.IntN(3) > 0
			flags := pick(b.g, flagSets)
			if !conv {
				w, live = b.drift, b.driftLive
				if b.g.chance(0.3) {
					flags = flagSets[2]
				}
			}
			args := func(more ...string) []string {
				return append(append(slices.Clone(flags), more...), "specs")
			}
			// One --target plan with random patterns; against the
			// unconverged project with --prune a second one on a group no
			// spec lists, whose sub-groups and archived repositories decide
			// what happens to it.
			targets := [][]string{b.g.targets()}
			if !conv && len(flags) > 0 {
				targets = append(targets, []string{pick(b.g, propUnlisted)})
			}
			targetArgs := make([][]string, len(targets))
			for k, pats := range targets {
				for _, p := range pats {
					targetArgs[k] = append(targetArgs[k], "--target", p)
				}
			}
			// The plans of a case run at once (plans never write).
			var full, scoped *plan.Plan
			targeted := make([]*plan.Plan, len(targets))
			errs := make([]error, 2+len(targets))
			var wg sync.WaitGroup
			wg.Go(func() { full, errs[0] = planDoc(w, args()...) })
			for k := range targets {
				wg.Go(func() { targeted[k], errs[2+k] = planDoc(w, args(targetArgs[k]...)...) })
			}
			scoped, errs[1] = planDoc(w, args("--changed-since", baseRev)...)
			wg.Wait()
			if err := cmp.Or(errs...); err != nil {
				report(b, i, did, text, "a plan failed: %v", err)
				continue
			}
			scope := scoped.Context.Scope
			restrict := newRestriction(scope, edited, full)
			if scope == nil {
				fallbacks++
			}
			// (a) The same answer about every object in scope, except
			// where the edit took a grant out of the spec: there the scoped
			// plan removes it (without --prune), and the full plan, which
			// knows no base, may only leave it unlisted, prune it, or say
			// nothing (a policy's grant, or a demotion to what a policy
			// still grants).
			restrict.withdrawn = map[plan.Address]bool{}
			for _, c := range scoped.Changes {
				if c.Withdrawn != nil {
					restrict.withdrawn[c.Address] = true
					withdrawals++
				}
			}
			for _, c := range full.Changes {
				if restrict.withdrawn[c.Address] && c.After != nil {
					report(b, i, did, text, "flags %v: the scoped plan withdraws %s, which the full plan wants: %s", flags, c.Address, c.Action)
				}
			}
			if diff := gocmp.Diff(planLines(full, restrict), planLines(scoped, restriction{withdrawn: restrict.withdrawn})); diff != "" {
				report(b, i, did, text, "flags %v, converged %v: plan --changed-since (scope %s) differs from the full plan restricted to that scope (-full +scoped):\n%s\nfull plan:\n  %s\nscoped plan:\n  %s",
					flags, conv, scopeText(scope), diff, strings.Join(planLines(full, everything), "\n  "), strings.Join(planLines(scoped, everything), "\n  "))
			}
			// (b) With live == base, everything the full plan says was
			// caused by the edit, so the scope must cover it — except one
			// kind of drift: a live group that neither spec lists is needed
			// (not drift) while something listed, or selected by a policy,
			// lies below it. An edit that takes the last such thing away
			// makes the group unlisted drift (with --prune
			// --allow-delete-groups a deletion when it is empty), although
			// its own entry did not change. Scoping that in would mean
			// walking the whole subtree of every unlisted ancestor of
			// whatever a change touches (for a policy, of every group its
			// patterns reach); --changed-since leaves it to the full plan
			// (the nightly drift job), which reports it.
			if conv {
				converged++
				if len(full.Changes) > 0 {
					withChanges++
				}
				var missed []string
				for _, m := range outOfScope(full, restrict) {
					a := m.addr
					_, inBase := b.base.Groups[a.Name]
					_, inEdit := edited.Groups[a.Name]
					if a.Object == plan.ObjectGroup && a.Entry == "" && !inBase && !inEdit && m.unlistedGroup {
						exempt++
						continue
					}
					missed = append(missed, m.text)
				}
				if len(missed) > 0 {
					report(b, i, did, text, "flags %v: the full plan has entries that the scope of --changed-since (%s) misses:\n  %s\nfull plan:\n  %s",
						flags, scopeText(scope), strings.Join(missed, "\n  "), strings.Join(planLines(full, everything), "\n  "))
				}
			}
			// --target: the full plan restricted to what the patterns
			// match.
			for k, pats := range targets {
				want := &plan.Scope{Repositories: pats, Groups: pats}
				if err := want.Compile(); err != nil {
					t.Fatal(err)
				}
				if got := targeted[k].Context.Scope; got == nil || !slices.Equal(got.Repositories, pats) || !slices.Equal(got.Groups, pats) || got.GitAuths {
					report(b, i, did, text, "--target %v recorded the scope %s", pats, scopeText(got))
				}
				if diff := gocmp.Diff(planLines(full, newRestriction(want, edited, full)), planLines(targeted[k], everything)); diff != "" {
					report(b, i, did, text, "flags %v, converged %v: plan --target %v differs from the full plan restricted to it (-full +targeted):\n%s\nfull plan:\n  %s\ntargeted plan:\n  %s",
						flags, conv, pats, diff, strings.Join(planLines(full, everything), "\n  "), strings.Join(planLines(targeted[k], everything), "\n  "))
				}
			}
			// (c) Apply can carry the scoped plans out: a group is created
			// in its parent, and deleted only when it holds nothing.
			for _, sp := range append([]*plan.Plan{scoped}, targeted...) {
				if bad := unapplicable(sp, live); len(bad) > 0 {
					report(b, i, did, text, "flags %v, converged %v: apply cannot carry out the plan scoped to %s:\n  %s\nscoped plan:\n  %s",
						flags, conv, scopeText(sp.Context.Scope), strings.Join(bad, "\n  "), strings.Join(planLines(sp, everything), "\n  "))
				}
			}
		}
	}
	t.Logf("%d generated cases in %d batches, %d against the converged project (%d of them with changes, %d unlisted-group entries exempt from (b)); %d planned everything; %d withdrawn grants; %v",
		cases, len(batches), converged, withChanges, exempt, fallbacks, withdrawals, time.Since(start).Round(time.Millisecond))
}

// unapplicable lists the group creations and deletions of p that apply
// cannot carry out on live (the simulator's rules, which are CodeArts'): a
// group is created in a parent that exists or that the plan creates, and
// deleted only when it holds no repository, archived ones included, and
// no sub-group that the plan does not delete too.
func unapplicable(p *plan.Plan, live *sim.Fixture) []string {
	created, deleted := map[string]bool{}, map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind == plan.KindGroup && c.Address.Entry == "" {
			created[c.Address.Name] = c.Action == plan.Create
			deleted[c.Address.Name] = c.Action == plan.Delete
		}
	}
	var bad []string
	for _, c := range p.Changes {
		if c.Kind != plan.KindGroup || c.Address.Entry != "" {
			continue
		}
		g := c.Address.Name
		switch c.Action {
		case plan.Create:
			if t := c.Target; t.ParentGroup != "" && t.ParentGroupID == 0 && !created[t.ParentGroup] {
				bad = append(bad, fmt.Sprintf("creates %s in %s, which neither exists nor is created", g, t.ParentGroup))
			}
		case plan.Delete:
			for _, lg := range live.Groups {
				if strings.HasPrefix(lg.Path, g+"/") && !deleted[lg.Path] {
					bad = append(bad, fmt.Sprintf("deletes %s, which holds the group %s", g, lg.Path))
				}
			}
			for _, r := range live.Repositories {
				if strings.HasPrefix(r.Path, g+"/") {
					bad = append(bad, fmt.Sprintf("deletes %s, which holds the repository %s", g, r.Path))
				}
			}
		}
	}
	return bad
}

func scopeText(s *plan.Scope) string {
	if s == nil {
		return "everything"
	}
	return fmt.Sprintf("repositories %v, groups %v, git auths %v", s.Repositories, s.Groups, s.GitAuths)
}
