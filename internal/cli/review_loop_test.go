package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/sim"
)

// The three jobs reposync exists for, tested the way their users live them
// (issue 15): the nightly drift job, the pull-request comment, and apply on
// merge of exactly what was reviewed.

// consoleGrant gives a user a role on a repository the way a person in the
// CodeArts console would: straight through the API, behind reposync's back.
func consoleGrant(t *testing.T, w *world, repo, user string, level int64) {
	t.Helper()
	snap := w.sim.Snapshot()
	var uuid, iam string
	for _, r := range snap.Repositories {
		if r.Path == repo {
			uuid = r.UUID
		}
	}
	for _, u := range snap.Users {
		if u.Name == user {
			iam = u.IAMID
		}
	}
	c, err := api.New(api.WithEndpoint(w.env["REPOSYNC_ENDPOINT"]), api.WithCredentials(api.Credentials{
		AccessKey: "SIMAK00000000000000000", SecretKey: "SIMSKsecret000000000000000000000000000", ProjectID: "5109940fad834a4eb3e408182d3b5786"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRepoMembers(context.Background(), uuid, []api.NewRepoMember{{ID: iam, Name: user, Role: level}}); err != nil {
		t.Fatal(err)
	}
}

// The nightly job must catch an admin granted in the console on a
// repository whose members the spec lists completely — with or without
// --prune.
func TestNightlyDriftCatchesAConsoleGrant(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	if code, _, errOut := w.run("apply", "--yes", "--prune", e2eSpec); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	if code, out, errOut := w.run("plan", "--detailed-exitcode", e2eSpec); code != 0 {
		t.Fatalf("before the console grant the plan must be clean: exit %d\n%s%s", code, out, errOut)
	}
	consoleGrant(t, w, "payments/api/gateway", "nina", 40)
	for _, prune := range []string{"--prune=false", "--prune"} {
		code, out, errOut := w.run("plan", "--detailed-exitcode", "--format", "json", prune, e2eSpec)
		if code != ExitChanges {
			t.Fatalf("%s: exit %d, want 2\n%s%s", prune, code, out, errOut)
		}
		var p struct {
			Summary map[string]int
			Extras  []struct{ Address string }
			Changes []struct{ Address, Action string }
		}
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatal(err)
		}
		const nina = "repository[payments/api/gateway].member[nina]"
		switch prune {
		case "--prune=false":
			if p.Summary["unlisted"] != 1 || len(p.Extras) != 1 || p.Extras[0].Address != nina {
				t.Errorf("without --prune: summary %v, extras %v", p.Summary, p.Extras)
			}
		default:
			if p.Summary["delete"] != 1 || len(p.Changes) != 1 || p.Changes[0].Address != nina {
				t.Errorf("with --prune: summary %v, changes %v", p.Summary, p.Changes)
			}
		}
	}
	// The comment names her, an admin first among what changed outside the
	// spec, before the details.
	_, md, _ := w.run("plan", "--format", "markdown", e2eSpec)
	drift, details := strings.Index(md, "### ❔ Changed outside the spec"), strings.Index(md, "### Details")
	if i := strings.Index(md, "- 🔑 **`nina`**: admin on `payments/api/gateway`"); drift < 0 || i < drift || details >= 0 && i > details {
		t.Errorf("the PR comment does not show the console grant apart, near the top:\n%s", md)
	}
}

// A plan that apply would refuse says so in every format, and the
// pull-request job goes red (exit 1) before the merge.
func TestRefusalShownInEveryFormat(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	// Two admins are required; bob is demoted on ledger, leaving only its
	// creator.
	spec := writeSpec(t, "settings: {min_admins: 2}\nrepositories:\n  payments/api/ledger:\n    members: {bob: developer, carol: viewer}\n")
	want := map[string]string{
		"text":     "Apply will refuse this plan:\n  ✗ min_admins: the plan would leave 1 repository with fewer than 2 admins",
		"markdown": "### ⛔ Apply will refuse this plan\n\n- **min\\_admins**: the plan would leave 1 repository with fewer than 2 admins",
		"json":     `"rule": "min_admins"`,
	}
	for format, text := range want {
		code, out, errOut := w.run("plan", "--detailed-exitcode", "--format", format, spec)
		if code != ExitError {
			t.Errorf("%s: exit %d, want 1\n%s", format, code, errOut)
		}
		if !strings.Contains(out, text) {
			t.Errorf("%s lacks %q:\n%s", format, text, out)
		}
		if format == "text" && strings.Index(out, "Apply will refuse") > strings.Index(out, "repository[payments/api/ledger].member[bob]") {
			t.Errorf("the refusal is not shown first:\n%s", out)
		}
	}
	// Without --detailed-exitcode the plan itself succeeded.
	if code, _, _ := w.run("plan", spec); code != 0 {
		t.Errorf("plan without --detailed-exitcode: exit %d", code)
	}
}

// gitSpec makes a Git repository holding a copy of dir under specs/ and
// returns its top.
func gitSpec(t *testing.T, dir string) string {
	t.Helper()
	top := newGitSpec(t)
	copyDir(t, dir, filepath.Join(top, "specs"))
	git(t, top, "add", "-A")
	git(t, top, "commit", "-q", "-m", "spec")
	return top
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Apply on merge runs exactly what was reviewed: a plan saved in one
// directory is applied from another with nothing but --plan, with the
// flags it was made with; after a spec edit it is refused.
func TestSavedPlanAppliesFromAnotherDirectory(t *testing.T) {
	spec, err := filepath.Abs(e2ePrune)
	if err != nil {
		t.Fatal(err)
	}
	top := gitSpec(t, spec)
	w := newWorld(t, "aksk", sim.Options{})
	saved := filepath.Join(t.TempDir(), "reviewed.json")

	t.Chdir(top)
	code, out, errOut := w.run("plan", "--prune", "--out", saved, "--format", "json", "specs")
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "apply exactly this plan with: reposync apply --plan "+saved) {
		t.Errorf("the hint is not a command that works:\n%s", errOut)
	}
	var reviewed struct {
		Context struct {
			SpecPaths []string `json:"spec_paths"`
			Root      string
			Prune     bool
		}
		Changes []struct{ Address, Action string }
	}
	if err := json.Unmarshal([]byte(out), &reviewed); err != nil {
		t.Fatal(err)
	}
	if len(reviewed.Context.SpecPaths) != 1 || reviewed.Context.SpecPaths[0] != "specs" || reviewed.Context.Root != "git" || !reviewed.Context.Prune {
		t.Errorf("context = %+v", reviewed.Context)
	}

	// From a sub-directory of the checkout, with no spec path and no --prune.
	sub := filepath.Join(top, "specs")
	t.Chdir(sub)
	before := w.writes()
	code, out, errOut = w.run("apply", "--plan", saved, "--yes", "--report", filepath.Join(t.TempDir(), "r.json"))
	if code != 0 {
		t.Fatalf("apply --plan from %s: exit %d\n%s%s", sub, code, out, errOut)
	}
	var deletes, done int
	for _, c := range reviewed.Changes {
		if c.Action == "delete" {
			deletes++
		}
	}
	if deletes == 0 {
		t.Fatal("the reviewed plan deletes nothing; the test needs a --prune plan")
	}
	if !strings.Contains(out, "Apply finished") {
		t.Errorf("output:\n%s", out)
	}
	done = w.writes() - before
	if done == 0 {
		t.Error("nothing was written")
	}
	if code, out, _ := w.run("plan", "--detailed-exitcode", "--prune", "."); code != 0 {
		t.Errorf("after applying the reviewed plan: exit %d\n%s", code, out)
	}

	// A spec edit after the review: the saved plan is refused, nothing written.
	t.Chdir(top)
	if code, _, errOut := w.run("plan", "--prune", "--out", saved, "specs"); code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	f := filepath.Join(top, "specs", "reposync.yaml")
	data, _ := os.ReadFile(f)
	os.WriteFile(f, append(data, []byte("# an edit after the review\n")...), 0o644)
	before = w.writes()
	sum := func() (n int) {
		for _, c := range w.sim.Stats().Calls {
			n += c
		}
		return n
	}
	calls := sum()
	code, _, errOut = w.run("apply", "--plan", saved, "--yes")
	if code != ExitError || !strings.Contains(errOut, "the spec changed since the plan was made") || w.writes() != before {
		t.Errorf("after a spec edit: exit %d, %d writes\n%s", code, w.writes()-before, errOut)
	}
	if n := sum(); n != calls { // refused before the live state is read
		t.Errorf("after a spec edit: apply called %d more operations", n-calls)
	}
	// A flag that contradicts the reviewed plan is refused too.
	os.WriteFile(f, data, 0o644)
	if code, _, errOut := w.run("apply", "--plan", saved, "--yes", "--prune=false"); code != ExitError || !strings.Contains(errOut, "made with --prune=true") {
		t.Errorf("contradicting flag: exit %d\n%s", code, errOut)
	}
}

// A plan saved inside the checkout is applied from outside it: the spec is
// found through the plan file's checkout, and the fresh plan's sources are
// made relative to that same checkout, so it matches the reviewed one.
func TestSavedPlanAppliesFromOutsideTheCheckout(t *testing.T) {
	spec, err := filepath.Abs(e2eSpec)
	if err != nil {
		t.Fatal(err)
	}
	top := gitSpec(t, spec)
	w := newWorld(t, "aksk", sim.Options{})
	saved := filepath.Join(top, "reviewed.json")
	t.Chdir(top)
	if code, _, errOut := w.run("plan", "--out", saved, "specs"); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	t.Chdir(t.TempDir())
	code, out, errOut := w.run("apply", "--plan", saved, "--yes")
	if code != 0 || !strings.Contains(out, "Apply finished") {
		t.Fatalf("apply --plan from outside the checkout: exit %d\n%s%s", code, out, errOut)
	}
	if w.writes() == 0 {
		t.Error("nothing was written")
	}
}

// Where the CI cannot hand the saved plan over, the merge job plans again
// and holds the new plan to the reviewed one's changes digest.
func TestApplyHoldsThePlanToTheReviewedDigest(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	code, out, errOut := w.run("plan", "--format", "json", e2eSpec)
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	var p struct {
		ChangesDigest string `json:"changes_digest"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || !strings.HasPrefix(p.ChangesDigest, "sha256:") {
		t.Fatalf("changes_digest = %q (%v)", p.ChangesDigest, err)
	}
	_, md, _ := w.run("plan", "--format", "markdown", e2eSpec)
	if !strings.Contains(md, "<!-- reposync:changes "+p.ChangesDigest+" -->") {
		t.Errorf("the PR comment does not carry the digest for bots:\n%.300s", md)
	}
	code, _, errOut = w.run("apply", "--yes", "--expect-changes", "sha256:0000", e2eSpec)
	if code != ExitError || !strings.Contains(errOut, "the plan now differs from the reviewed one") || w.writes() != 0 {
		t.Errorf("a different digest: exit %d, %d writes\n%s", code, w.writes(), errOut)
	}
	if code, out, errOut := w.run("apply", "--yes", "--expect-changes", p.ChangesDigest, e2eSpec); code != 0 {
		t.Errorf("the reviewed digest: exit %d\n%s%s", code, out, errOut)
	}
}
