package cli

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/sim"
)

// matrixRefused are the users behaviour refuse_items names in the matrix:
// leo, whom the audit policy adds everywhere, and frank, the one member of
// the member group the spec attaches to pay.
const matrixRefused = "refuse_items: [leo, frank]"

// TestBehaviourMatrix runs validate → plan → apply → plan over HTTP against
// the simulator with each plausible behaviour of the real service that no
// document settles (docs/api-assumptions.md) switched away from its default,
// one at a time and all together. Under every one, apply must succeed, the
// next plan must show nothing left to do but manual steps that name their
// reason, and nothing may have been deleted or demoted that the spec did not
// ask for (checkNothingLost). Under refuse_items exactly the refused items
// fail, and a service that stops refusing them converges.
func TestBehaviourMatrix(t *testing.T) {
	t.Parallel()
	others := "full_path_namespace: false, batch_update: merge, role_ids: distinct, page_cap: 10, list_order: updated, " +
		"servicestage_content_type: optional, archived_listing: all, role_checks: false, sync_marker: none, legacy_member_id: own, " + matrixRefused
	cases := map[string]string{
		"defaults":                           "{}",
		"full_path_namespace false":          "{full_path_namespace: false}",
		"member_sync false":                  "{member_sync: false}",
		"batch_update merge":                 "{batch_update: merge}",
		"role_ids distinct":                  "{role_ids: distinct}",
		"page_cap 10":                        "{page_cap: 10}",
		"delete_group async":                 "{delete_group: async}",
		"delete_group cascade":               "{delete_group: cascade}",
		"list_order updated":                 "{list_order: updated}",
		"servicestage_content_type optional": "{servicestage_content_type: optional}",
		"archived_listing all":               "{archived_listing: all}",
		"role_checks false":                  "{role_checks: false}",
		"sync_marker none":                   "{sync_marker: none}",
		"legacy_member_id own":               "{legacy_member_id: own}",
		"refuse_items":                       "{" + matrixRefused + "}",
		// Without member_sync no member is synced, so sync_marker has
		// nothing to hide: the second case keeps the sync on.
		"every one non-default":                          "{member_sync: false, delete_group: async, " + others + "}",
		"every one non-default but member_sync, cascade": "{delete_group: cascade, " + others + "}",
	}
	for name, behaviour := range cases {
		t.Run(name, func(t *testing.T) {
			runMatrix(t, matrixFixture(t, behaviour), behaviour)
		})
	}
}

// matrixFlags are the flags of every plan and apply of the matrix.
var matrixFlags = []string{"--prune", "--allow-delete-groups", "--rate-limit", "600000", "testdata/behaviours/spec"}

func matrixWorld(t *testing.T, fx *sim.Fixture) *world {
	s, url := serveSim(t, fx, sim.Options{})
	return &world{t: t, sim: s, env: map[string]string{
		"REPOSYNC_ENDPOINT": url, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "MATRIXAK0000000000000", "HW_SECRET_KEY": "MATRIXSKsecret00000000000000000000000",
		"MATRIX_PW": "matrix-password",
	}}
}

func runMatrix(t *testing.T, fx *sim.Fixture, behaviour string) {
	w := matrixWorld(t, fx)
	if code, _, errOut := w.run("validate", "testdata/behaviours/spec"); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := w.run(append([]string{"plan"}, matrixFlags...)...); code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	before := w.sim.Snapshot()
	refusing := strings.Contains(behaviour, "refuse_items")
	code, out, errOut := w.run(append([]string{"apply", "--yes"}, matrixFlags...)...)
	var refused []string // the changes the simulator refuses
	if refusing {
		refused = matrixRefusals(before)
	}
	if want := map[bool]int{false: ExitOK, true: ExitApplyFailed}[refusing]; code != want {
		t.Fatalf("apply: exit %d, want %d\n%s%s", code, want, out, errOut)
	}
	var failed []string
	for _, line := range strings.Split(out, "\n") {
		if addr, msg, ok := strings.Cut(strings.TrimPrefix(line, "failed: "), ": "); ok && strings.HasPrefix(line, "failed: ") {
			failed = append(failed, addr)
			if !strings.Contains(msg, "refused: behaviour.refuse_items") {
				t.Errorf("%s failed without the service's message: %s", addr, msg)
			}
		}
	}
	if diff := cmp.Diff(refused, failed); diff != "" {
		t.Errorf("failed changes (-want +got):\n%s\n%s", diff, out)
	}
	after := w.sim.Snapshot()
	checkNothingLost(t, before, after)
	checkApplied(t, after, refusing)
	checkLeft(t, w, behaviour, refused)
	if refusing {
		// A service that stops refusing: the same plan converges.
		after.Behaviour.RefuseItems = nil
		again := matrixWorld(t, after)
		if code, out, errOut := again.run(append([]string{"apply", "--yes"}, matrixFlags...)...); code != ExitOK {
			t.Fatalf("apply once the refusals end: exit %d\n%s%s", code, out, errOut)
		}
		checkNothingLost(t, before, again.sim.Snapshot())
		checkLeft(t, again, behaviour, nil)
	}
}

// matrixRefusals are the changes refuse_items makes fail: leo's membership
// of every repository the audit policy reaches, and the member group holding
// frank on pay.
func matrixRefusals(fx *sim.Fixture) []string {
	out := []string{"group[pay].member_group[leads]"}
	for _, r := range fx.Repositories {
		if strings.HasPrefix(r.Path, "pay/") {
			out = append(out, "repository["+r.Path+"].member[leo]")
		}
	}
	sort.Strings(out)
	return out
}

// checkLeft plans again: nothing may be left but the manual steps that
// name their reason, and the refused creates.
func checkLeft(t *testing.T, w *world, behaviour string, refused []string) {
	t.Helper()
	code, out, errOut := w.run(append([]string{"plan", "--detailed-exitcode", "--format", "json"}, matrixFlags...)...)
	if code != 0 && code != ExitChanges {
		t.Fatalf("plan after apply: exit %d\n%s%s", code, out, errOut)
	}
	var p struct {
		Summary  map[string]int
		Refusals []any
		Changes  []struct{ Address, Action, Reason string }
		Extras   []struct {
			Address, Kind string
			Grants        []struct{ Kind, Name string }
		}
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"update", "delete", "replace"} {
		if p.Summary[k] != 0 {
			t.Errorf("after apply the plan still has %d %s: %+v", p.Summary[k], k, p.Changes)
		}
	}
	// Left unlisted: the territory, the repositories the audit policy
	// reaches and the spec does not list (apply never creates or deletes
	// one), read whole under every behaviour; none of their grants is a
	// member CodeArts manages (the creator alice, the synced pm, nina and
	// gina, whether or not their rows say so).
	var unlisted []string
	for _, e := range p.Extras {
		unlisted = append(unlisted, e.Kind+" "+e.Address)
		for _, g := range e.Grants {
			if g.Kind == "member" && slices.Contains([]string{"alice", "pm", "nina", "gina"}, g.Name) {
				t.Errorf("%s: a member CodeArts manages is shown as a grant: %s", e.Address, g.Name)
			}
		}
	}
	territory := []string{"repository repository[pay/api/fraud]"}
	for i := 1; i <= 10; i++ {
		territory = append(territory, fmt.Sprintf("repository repository[pay/api/svc-%02d]", i))
	}
	if !slices.Equal(unlisted, territory) || p.Summary["unlisted"] != len(territory) {
		t.Errorf("after apply the plan has %d unlisted: %v, want the territory %v", p.Summary["unlisted"], unlisted, territory)
	}
	if len(p.Refusals) != 0 {
		t.Errorf("refusals: %v", p.Refusals)
	}
	// Left for a person: the group holding an archived repository and,
	// where CodeArts syncs project members, nina and gina, whom the spec
	// wants in roles other than those CodeArts syncs them with.
	want := append([]string{"group[attic]"}, refused...)
	if !strings.Contains(behaviour, "member_sync: false") {
		want = append(want, "repository[pay/api/ledger].member[nina]", "repository[pay/api/gw].member[gina]")
	}
	sort.Strings(want)
	var left []string
	for _, c := range p.Changes {
		left = append(left, c.Address)
		refusedOne := slices.Contains(refused, c.Address) && c.Action == "create"
		if !refusedOne && (c.Action != "manual" || c.Reason == "") {
			t.Errorf("left after apply: %+v", c)
		}
	}
	if diff := cmp.Diff(want, left); diff != "" {
		t.Errorf("left after apply (-want +got):\n%s", diff)
	}
}

// checkApplied checks what apply did, once each.
func checkApplied(t *testing.T, snap *sim.Fixture, refusing bool) {
	t.Helper()
	var groups []string
	for _, g := range snap.Groups {
		groups = append(groups, g.Path)
	}
	for _, gone := range []string{"old", "old/child"} {
		if slices.Contains(groups, gone) {
			t.Errorf("the empty group %s was not deleted: %v", gone, groups)
		}
	}
	for _, kept := range []string{"attic", "pay/new", "pay/new/deeper"} {
		if !slices.Contains(groups, kept) {
			t.Errorf("group %s is missing: %v", kept, groups)
		}
	}
	for _, r := range snap.Repositories {
		// The policy reached every repository, however the lists were
		// paged: none was lost to a page cap (leo only if not refused).
		if strings.HasPrefix(r.Path, "pay/") && (r.Members["erin"] == "" || (r.Members["leo"] == "") != refusing) {
			t.Errorf("%s: the audit policy's members are wrong: %v", r.Path, r.Members)
		}
		seen := map[string]bool{}
		for _, pr := range r.PushRules {
			if seen[pr.Path] {
				t.Errorf("%s: push rule %s twice", r.Path, pr.Path)
			}
			seen[pr.Path] = true
		}
	}
	var auths []string
	for _, a := range snap.GitAuths {
		auths = append(auths, a.Name)
	}
	if !slices.Equal(auths, []string{"ci"}) {
		t.Errorf("git auths = %v, want [ci]", auths)
	}
}

// matrixAsks is what the matrix spec asks of the repositories whose member
// lists are complete, by level (a grant that expired is not asked for),
// with the audit policy's viewers; with --prune, nothing else.
var matrixAsks = map[string]map[string]int{
	"pay/api/gw":     {"alice": 40, "bob": 30, "carol": 20, "dave": 20, "erin": 20, "leo": 20, "gina": 20}, // nina's grant expired
	"pay/api/ledger": {"bob": 40, "carol": 30, "nina": 30, "erin": 20, "leo": 20},                          // dave's and gina's expired
}

// matrixRules is the push rules the spec asks of pay/api/gw, complete:
// users by name, then roles.
var matrixRules = map[string][]string{
	"/config/*": {"alice", "role project-manager"}, "/docs/*": {"bob", "carol"}, "/deploy/**": {},
}

// checkNothingLost compares every user's access to every repository, and
// every push rule, before and after apply, with what the spec asked: access
// may fall only where a repository's complete list names the user lower or
// not at all, and then only as far as the direct membership goes (the
// creator, members synced from the project and those of member groups keep
// theirs); no repository or group may go but the empty groups the spec
// leaves out; push rules change only where the spec lists them.
func checkNothingLost(t *testing.T, before, after *sim.Fixture) {
	t.Helper()
	was, now := levels(before, true), levels(after, true)
	kept := levels(before, false)
	for repo, users := range was {
		if _, ok := now[repo]; !ok {
			t.Errorf("repository %s was deleted", repo)
			continue
		}
		for u, level := range users {
			floor := level
			if asks, complete := matrixAsks[repo]; complete {
				floor = min(level, max(asks[u], kept[repo][u]))
			}
			if got := now[repo][u]; got < floor {
				t.Errorf("%s: %s fell from level %d to %d; the spec allows no less than %d", repo, u, level, got, floor)
			}
		}
	}
	groups := map[string]bool{}
	for _, g := range after.Groups {
		groups[g.Path] = true
	}
	for _, g := range before.Groups {
		if !groups[g.Path] && g.Path != "old" && g.Path != "old/child" {
			t.Errorf("group %s was deleted", g.Path)
		}
	}
	rules := func(fx *sim.Fixture) map[string]map[string][]string {
		out := map[string]map[string][]string{}
		for _, r := range fx.Repositories {
			out[r.Path] = map[string][]string{}
			for _, pr := range r.PushRules {
				grants := append(append([]string{}, pr.Users...), pr.MemberGroups...)
				for _, ro := range pr.Roles {
					grants = append(grants, "role "+ro)
				}
				out[r.Path][pr.Path] = grants
			}
		}
		return out
	}
	oldRules, newRules := rules(before), rules(after)
	for repo, rs := range oldRules {
		want := rs
		if repo == "pay/api/gw" {
			want = matrixRules
		}
		if diff := cmp.Diff(want, newRules[repo]); diff != "" {
			t.Errorf("%s: push rules (-want +got):\n%s", repo, diff)
		}
	}
}

// levels is every user's access level to every repository of fx as the
// simulator grants it (internal/sim/members.go): a direct membership
// (unless direct is false), else the creator's 40 and a synced project
// member's level under member_sync, else 30 through a member group on the
// repository or a group above it.
func levels(fx *sim.Fixture, direct bool) map[string]map[string]int {
	members := map[string][]string{}
	for _, m := range fx.MemberGroups {
		members[m.Name] = m.Members
	}
	onGroup := map[string][]string{}
	for _, g := range fx.Groups {
		onGroup[g.Path] = g.MemberGroups
	}
	synced := fx.Behaviour.MemberSync != nil && *fx.Behaviour.MemberSync
	out := map[string]map[string]int{}
	for _, r := range fx.Repositories {
		level := map[string]int{}
		give := func(u string, l int) {
			if _, has := level[u]; !has {
				level[u] = l
			}
		}
		if direct {
			for u, role := range r.Members {
				give(u, map[string]int{"viewer": 20, "developer": 30, "admin": 40}[role])
			}
		}
		if synced && r.Creator != "" {
			give(r.Creator, 40)
		}
		for _, pm := range fx.ProjectMembers {
			if synced && !slices.Contains(r.Unsynced, pm.User) {
				give(pm.User, pm.Level)
			}
		}
		groups := r.MemberGroups
		for p := path.Dir(r.Path); p != "."; p = path.Dir(p) {
			groups = append(append([]string{}, groups...), onGroup[p]...)
		}
		for _, g := range groups {
			for _, u := range members[g] {
				give(u, 30)
			}
		}
		out[r.Path] = level
	}
	return out
}
