package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/sim"
)

// withdrawnChange is a change of a plan document with what it withdraws.
type withdrawnChange struct {
	Address, Action, Source, Scope string
	Before, After                  map[string]any
	Withdrawn                      *struct {
		Grant, Role, Policy, Revision string
	}
}

type withdrawnPlan struct {
	Summary  map[string]int
	Refusals []struct{ Rule string }
	Changes  []withdrawnChange
	Extras   []struct{ Address string }
}

func readWithdrawnPlan(t *testing.T, data string) withdrawnPlan {
	t.Helper()
	var p withdrawnPlan
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	return p
}

// appliedMain is a Git repository whose specs/ holds body, committed as
// main (base) and applied to a fresh simulator; the test runs in it.
func appliedMain(t *testing.T, body string) (w *world, top, base string) {
	t.Helper()
	top = newGitSpec(t)
	w = newWorld(t, "aksk", sim.Options{})
	t.Chdir(top)
	base = commitSpec(t, top, body, "main")
	if code, _, errOut := w.run("apply", "--yes", "specs"); code != 0 {
		t.Fatalf("apply main: exit %d\n%s", code, errOut)
	}
	return w, top, base
}

func memberOf(w *world, repo, user string) string {
	for _, r := range w.sim.Snapshot().Repositories {
		if r.Path == repo {
			return r.Members[user]
		}
	}
	return ""
}

// A pull request deletes a member's line. The PR plan, as the recipe runs
// it (--changed-since the merge base, no --prune), plans the removal,
// sourced to the deleted line at the base revision; the saved plan
// carries it, and apply --plan (the apply-on-merge recipe) removes exactly
// that member and nothing else.
func TestPRRemovingAMemberLinePlansAndAppliesTheRemoval(t *testing.T) {
	w, top, base := appliedMain(t, changedBase)
	saved := filepath.Join(t.TempDir(), "pr.json")
	consoleGrant(t, w, "payments/api/gateway", "nina", 40) // drift: not the PR's
	// The PR deletes dave's line (line 8 at the base).
	commitSpec(t, top, strings.Replace(changedBase, ", dave: viewer}", "}", 1), "dave leaves the gateway")

	code, out, errOut := w.run("plan", "--changed-since", base, "--detailed-exitcode", "--format", "json", "--out", saved, "specs")
	if code != ExitChanges {
		t.Fatalf("PR plan: exit %d, want 2\n%s%s", code, out, errOut)
	}
	p := readWithdrawnPlan(t, out)
	if len(p.Changes) != 1 || p.Summary["delete"] != 1 || len(p.Refusals) != 0 {
		t.Fatalf("changes %+v, summary %v, refusals %v", p.Changes, p.Summary, p.Refusals)
	}
	c := p.Changes[0]
	if c.Address != "repository[payments/api/gateway].member[dave]" || c.Action != "delete" || c.Source != "specs/reposync.yaml:8" ||
		c.Withdrawn == nil || c.Withdrawn.Grant != "user dave" || c.Withdrawn.Role != "viewer" || c.Withdrawn.Revision != base {
		t.Errorf("the removal = %+v (withdrawn %+v)", c, c.Withdrawn)
	}
	// The console grant stays drift; dave is not drift.
	if extras := extrasOf(p); !strings.Contains(extras, "member[nina]") || strings.Contains(extras, "dave") {
		t.Errorf("extras = %s", extras)
	}

	// The comment shows it as the PR's removal, linked to the line at the
	// base revision, and nina apart.
	env := w.env
	w.env = ghEnv(w)
	_, md, _ := w.run("plan", "--changed-since", base, "--format", "markdown", "--out", filepath.Join(t.TempDir(), "pr.json"), "specs")
	_, txt, _ := w.run("plan", "--changed-since", base, "specs")
	w.env = env
	for _, want := range []string{
		"[`specs/reposync.yaml:8`](https://github.example/acme/access/blob/" + base + "/specs/reposync.yaml#L8) (deleted line at `" + base[:7] + "`)",
		"### ❔ Changed outside the spec",
		"the saved plan `pr.json`, an artifact of [this workflow run](https://github.example/acme/access/actions/runs/77)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the comment lacks %q:\n%s", want, md)
		}
	}
	if look, drift := strings.Index(md, "Look at these first"), strings.Index(md, "Changed outside the spec"); look < 0 || drift < look ||
		!strings.Contains(md[look:drift], "`dave`") || strings.Contains(md[look:drift], "nina") || !strings.Contains(md[drift:], "`nina`") {
		t.Errorf("dave's removal and nina's drift are not apart:\n%s", md)
	}

	if drift := strings.Index(txt, "Changed outside the spec"); drift < 0 ||
		!strings.Contains(txt[:drift], "- repository[payments/api/gateway].member[dave]  viewer (removed)  (specs/reposync.yaml:8, deleted line at "+base[:7]+")") ||
		strings.Contains(txt[:drift], "nina") || !strings.Contains(txt[drift:], "? nina: admin on payments/api/gateway") {
		t.Errorf("the text view does not set dave's removal and nina's drift apart:\n%s", txt)
	}

	// Apply on merge: the saved plan, exactly.
	before := w.writes()
	if code, out, errOut := w.run("apply", "--plan", saved, "--yes"); code != 0 || w.writes()-before != 1 {
		t.Fatalf("apply --plan: exit %d, %d writes\n%s%s", code, w.writes()-before, out, errOut)
	}
	if got := memberOf(w, "payments/api/gateway", "dave"); got != "" {
		t.Errorf("dave is still a %s of the gateway", got)
	}
	if memberOf(w, "payments/api/gateway", "nina") == "" {
		t.Error("apply removed the drift the PR did not touch")
	}
	// Nothing is left of the PR to do (nina is still drift).
	code, out, errOut = w.run("plan", "--changed-since", base, "--format", "json", "specs")
	if p := readWithdrawnPlan(t, out); code != 0 || len(p.Changes) != 0 || !strings.Contains(extrasOf(p), "member[nina]") {
		t.Errorf("after apply: exit %d, changes %+v, extras %+v\n%s", code, p.Changes, p.Extras, errOut)
	}
}

func extrasOf(p withdrawnPlan) string {
	var out []string
	for _, e := range p.Extras {
		out = append(out, e.Address)
	}
	return strings.Join(out, " ")
}

// A PR that deletes a policy: its grants go from every repository it
// selected at the base — one the spec no longer manages at all included —
// except a role above what it granted on a repository that does not list
// its members; apply --plan removes exactly that and confirms it by
// reading back.
func TestPRDeletingAPolicyRemovesWhatItGranted(t *testing.T) {
	w, top, base := appliedMain(t, strings.Replace(changedBase, "repositories: [\"payments/api/**\"]\n    members: {erin: viewer}",
		"repositories: [\"payments/**\"]\n    members: {erin: viewer, nina: viewer}", 1))
	saved := filepath.Join(t.TempDir(), "pr.json")
	commitSpec(t, top, changedBase[:strings.Index(changedBase, "policies:")], "no more audit")
	code, out, errOut := w.run("plan", "--changed-since", base, "--format", "json", "--out", saved, "specs")
	if code != 0 {
		t.Fatalf("PR plan: exit %d\n%s", code, errOut)
	}
	var got []string
	for _, c := range readWithdrawnPlan(t, out).Changes {
		if c.Withdrawn == nil || c.Withdrawn.Policy != "audit" {
			t.Errorf("not a withdrawn grant of audit: %+v", c)
		}
		got = append(got, c.Action+" "+c.Address)
	}
	want := []string{
		"delete repository[payments/api/gateway].member[erin]", "delete repository[payments/api/gateway].member[nina]",
		"delete repository[payments/api/ledger].member[erin]", "delete repository[payments/api/ledger].member[nina]",
		"delete repository[payments/unmanaged].member[nina]", // erin stays its admin
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	code, out, errOut = w.run("apply", "--plan", saved, "--yes")
	if code != 0 || !strings.Contains(out, "; 5 of the done changes confirmed by reading back") {
		t.Fatalf("apply --plan: exit %d\n%s%s", code, out, errOut)
	}
	for _, repo := range []string{"payments/api/gateway", "payments/api/ledger", "payments/unmanaged"} {
		if memberOf(w, repo, "nina") != "" {
			t.Errorf("nina is still on %s", repo)
		}
	}
	if memberOf(w, "payments/unmanaged", "erin") != "admin" || memberOf(w, "payments/api/gateway", "erin") != "" {
		t.Errorf("erin: %q on payments/unmanaged, %q on the gateway", memberOf(w, "payments/unmanaged", "erin"), memberOf(w, "payments/api/gateway", "erin"))
	}
}
