package cli

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/sim"
)

// scopeGroupsFixture has groups no spec below lists: stale holds an empty
// sub-group and old holds an archived repository two levels down.
const scopeGroupsFixture = `project_id: 0b234373cf3f4b04ab2d8a245155e12b
iam_project_id: 5109940fad834a4eb3e408182d3b5786
credentials:
  access_key: SIMAK00000000000000000
  secret_key: SIMSKsecret000000000000000000000000000
  token: sim-static-token-e2e
  user: owner
users: [{name: owner}, {name: alice}]
groups:
  - {path: pay, visibility: private}
  - {path: stale, visibility: private}
  - {path: stale/inner, visibility: private}
  - {path: old, visibility: private}
  - {path: old/inner, visibility: private}
repositories:
  - {path: pay/core, members: {alice: admin}}
  - {path: old/inner/y2018, archived: true}
`

const scopeGroupsSpec = `groups:
  pay: {}
  newtop: {}
  newtop/child: {}
repositories:
  pay/core:
    members: {alice: admin}
`

func scopeGroupsWorld(t *testing.T) *world {
	t.Helper()
	fx, err := sim.ParseFixture([]byte(scopeGroupsFixture), "scope-groups.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return fixtureWorld(t, fx)
}

// targetedPlans checks plans --target T against the full plan: the
// changes want[T] each.
func targetedPlans(t *testing.T, w *world, spec string, flags []string, fullWant []string, want map[string][]string) {
	t.Helper()
	full, err := planDoc(w, append(slices.Clone(flags), spec)...)
	if err != nil {
		t.Fatal(err)
	}
	if got := briefJSON(full.Changes); !slices.Equal(got, fullWant) {
		t.Fatalf("full plan: %v, want %v", got, fullWant)
	}
	for target, changes := range want {
		p, err := planDoc(w, append(slices.Clone(flags), "--target", target, spec)...)
		if err != nil {
			t.Fatal(err)
		}
		if got := briefJSON(p.Changes); !slices.Equal(got, changes) {
			t.Errorf("--target %s: %v, want %v", target, got, changes)
		}
	}
}

func groupsOf(w *world) map[string]bool {
	groups := map[string]bool{}
	for _, g := range w.sim.Snapshot().Groups {
		groups[g.Path] = true
	}
	return groups
}

// With --prune --allow-delete-groups, a targeted group is deleted with its
// empty sub-groups, and one that holds an archived repository anywhere
// below is not deleted, as in the full plan: archived repositories are
// looked for in the whole subtree of a group in scope. The targeted plan
// used to delete old (its archived repository lies below a sub-group it
// did not look in), and stale without stale/inner, which apply could not
// carry out ("not empty after all").
func TestTargetedGroupDeletionsAsInTheFullPlan(t *testing.T) {
	w := scopeGroupsWorld(t)
	spec := writeSpec(t, scopeGroupsSpec)
	flags := []string{"--prune", "--allow-delete-groups"}
	targetedPlans(t, w, spec, flags,
		[]string{"create group[newtop]", "create group[newtop/child]", "manual group[old]", "manual group[old/inner]", "delete group[stale]", "delete group[stale/inner]"},
		map[string][]string{
			"old":         {"manual group[old]", "manual group[old/inner]"},
			"old/inner":   {"manual group[old/inner]"},
			"stale":       {"delete group[stale]", "delete group[stale/inner]"},
			"stale/inner": {"delete group[stale/inner]"},
		})
	if code, out, errOut := w.run(append([]string{"apply", "--yes", "--rate-limit", "1000000", "--target", "stale"}, append(flags, spec)...)...); code != 0 {
		t.Errorf("apply --target stale: exit %d\n%s%s", code, out, errOut)
	}
	if g := groupsOf(w); g["stale"] || g["stale/inner"] || !g["old/inner"] || g["newtop"] {
		t.Errorf("groups after apply --target stale: %v", g)
	}
}

// A targeted group that must be created comes with the listed groups
// above it that do not exist yet, as in the full plan: a group is created
// in its parent. The targeted plan used to create newtop/child alone,
// which apply could not carry out ("group newtop does not exist yet").
func TestTargetedGroupCreationTakesTheMissingParents(t *testing.T) {
	w := scopeGroupsWorld(t)
	spec := writeSpec(t, scopeGroupsSpec)
	targetedPlans(t, w, spec, nil,
		[]string{"create group[newtop]", "create group[newtop/child]"},
		map[string][]string{
			"newtop/child": {"create group[newtop]", "create group[newtop/child]"},
			"newtop":       {"create group[newtop]"},
			"pay/**":       nil,
		})
	if code, out, errOut := w.run("apply", "--yes", "--rate-limit", "1000000", "--target", "newtop/child", spec); code != 0 {
		t.Errorf("apply --target newtop/child: exit %d\n%s%s", code, out, errOut)
	}
	if g := groupsOf(w); !g["newtop"] || !g["newtop/child"] {
		t.Errorf("groups after apply --target newtop/child: %v", g)
	}
}

// fixtureWorld is a simulator world on fx, with the passwords of the Git
// authorizations the scope tests' specs list. Plans never write, so one
// world serves many.
func fixtureWorld(t *testing.T, fx *sim.Fixture) *world {
	t.Helper()
	w := newWorldFrom(t, &world{t: t, sim: mustSim(t, fx), env: newWorld(t, "token", sim.Options{}).env})
	w.env["PW_OLD"], w.env["PW_A"], w.env["PW_B"] = "pw-old", "pw-a", "pw-b"
	return w
}

// planDoc runs plan --format json and decodes the document.
func planDoc(w *world, args ...string) (*plan.Plan, error) {
	code, out, errOut := w.run(append([]string{"plan", "--format", "json", "--rate-limit", "1000000"}, args...)...)
	if code != 0 {
		return nil, fmt.Errorf("plan %v: exit %d\n%s", args, code, errOut)
	}
	p, err := plan.Decode(strings.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("plan %v: %w\n%s", args, err, out)
	}
	return p, nil
}

// briefJSON renders changes as "action address".
func briefJSON(cs []plan.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.Action)+" "+c.Address.String())
	}
	return out
}
