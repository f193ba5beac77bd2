package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

const (
	e2eSpec    = "testdata/e2e/spec"
	e2ePrune   = "testdata/e2e/spec-prune"
	e2eFixture = "testdata/e2e/fixture.yaml"
)

// world is a simulator on the e2e fixture plus the environment that points
// reposync at it.
type world struct {
	t   *testing.T
	sim *sim.Server
	env map[string]string
	// paced keeps the client's default rate budget (600 calls a minute
	// per operation); otherwise commands that call the API run with a
	// budget far above the simulator's (unlimited) one, so the suite does
	// not wait on pacing that internal/api tests on its own.
	paced bool
}

// unpaced are the commands that call the API and take --rate-limit.
var unpaced = map[string]bool{"plan": true, "apply": true, "export": true, "access": true, "doctor": true}

// serveSim serves fx with the simulator for the rest of the test and
// returns it with its URL.
func serveSim(t *testing.T, fx *sim.Fixture, opts sim.Options) (*sim.Server, string) {
	t.Helper()
	s, err := sim.New(fx, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func newWorld(t *testing.T, auth string, opts sim.Options) *world {
	t.Helper()
	fx, err := sim.LoadFixture(e2eFixture)
	if err != nil {
		t.Fatal(err)
	}
	s, url := serveSim(t, fx, opts)
	env := map[string]string{"REPOSYNC_ENDPOINT": url, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786", "E2E_BB_PASSWORD": "bb-secret-e2e"}
	switch auth {
	case "aksk":
		env["HW_ACCESS_KEY"], env["HW_SECRET_KEY"] = "SIMAK00000000000000000", "SIMSKsecret000000000000000000000000000"
	case "password":
		env["HW_USER_NAME"], env["HW_USER_PASSWORD"], env["HW_DOMAIN_NAME"] = "ci-bot", "ci-bot-pass-e2e", "acme"
	case "token":
		env["HW_AUTH_TOKEN"] = "sim-static-token-e2e"
	}
	return &world{t: t, sim: s, env: env}
}

func (w *world) run(args ...string) (code int, stdout, stderr string) {
	w.t.Helper()
	return w.runAt(testNow, args...)
}

// runAt is run on another day.
func (w *world) runAt(now time.Time, args ...string) (code int, stdout, stderr string) {
	w.t.Helper()
	if !w.paced && len(args) > 0 && unpaced[args[0]] && !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--rate-limit") }) {
		args = append([]string{args[0], "--rate-limit=1000000"}, args[1:]...)
	}
	ios, _, out, errOut := iostreams.Test()
	code = mainAt(context.Background(), now, args, ios, func(k string) string { return w.env[k] })
	return code, out.String(), errOut.String()
}

func (w *world) writes() int { return w.sim.Stats().Writes }

func TestPlanAgainstSimulator(t *testing.T) {
	for _, auth := range []string{"aksk", "password", "token"} {
		t.Run(auth, func(t *testing.T) {
			w := newWorld(t, auth, sim.Options{})
			code, out, errOut := w.run("plan", "--format", "json", e2eSpec)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var p struct {
				Summary map[string]int
				Changes []struct{ Address, Action string }
			}
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, out)
			}
			var got []string
			for _, c := range p.Changes {
				got = append(got, c.Action+" "+c.Address)
			}
			want := []string{
				"create git_auth[bitbucket-ci]",
				"create group[payments/web]",
				"update repository[payments/api/gateway].member[bob]",
				"create repository[payments/api/gateway].member[dave]",
				"create repository[payments/api/gateway].member_group[payments-leads]",
				"create repository[payments/api/gateway].push_rule[/deploy/**]",
				"update repository[payments/api/ledger].member[carol]",
				"create repository[payments/api/ledger].member[erin]",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if w.writes() != 0 {
				t.Errorf("plan wrote %d times", w.writes())
			}
			// With IAM password login reposync knows who it is: the spec
			// demotes bob, the identity it runs as, which apply refuses, so
			// the plan is red (exit 1); otherwise it has changes (exit 2).
			wantCode := ExitChanges
			if auth == "password" {
				wantCode = ExitError
			}
			if code, out, _ := w.run("plan", "--detailed-exitcode", e2eSpec); code != wantCode || (auth == "password") != strings.Contains(out, "Apply will refuse this plan:\n  ✗ self:") {
				t.Errorf("--detailed-exitcode: exit %d, want %d\n%s", code, wantCode, out)
			}
		})
	}
}

func TestApplyConvergesAndSecondRunIsNoop(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	code, _, errOut := w.run("apply", "--yes", "--report", report, e2eSpec)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	// The minimum for this plan: one AddRepoMembers per repository with new
	// members (2), two SetRepoRole (erin's developer role already meets the
	// audit policy's viewer baseline), one attach, one rule create, one
	// group, one authorization.
	if got := w.writes(); got != 8 {
		t.Errorf("writes = %d, want the minimum 8; stats %+v", got, w.sim.Stats().Calls)
	}
	if c := w.sim.Stats().Calls["AddRepoMembers"]; c != 2 {
		t.Errorf("AddRepoMembers calls = %d, want one per repository", c)
	}
	// Nothing left to change; the live entries the spec does not list on
	// its complete lists are drift (exit 2) until --prune removes them.
	code, out, errOut := w.run("plan", "--detailed-exitcode", "--summary", "--format", "json", e2eSpec)
	if code != ExitChanges || !strings.Contains(out, `"create": 0,`) || !strings.Contains(out, `"update": 0,`) || !strings.Contains(out, `"unlisted": 2`) {
		t.Fatalf("plan after apply: exit %d, want 2 with no changes and 2 unlisted entries\n%s%s", code, out, errOut)
	}
	code, _, errOut = w.run("apply", "--yes", e2eSpec)
	if code != 0 || w.writes() != 8 {
		t.Errorf("second apply: exit %d, writes %d (want no new write)\n%s", code, w.writes(), errOut)
	}
	var rep struct {
		Summary struct{ Done, Failed int }
		Results []struct{ Address, Status string }
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Done != 8 || rep.Summary.Failed != 0 || len(rep.Results) != 8 {
		t.Errorf("report summary %+v, %d results", rep.Summary, len(rep.Results))
	}
	if strings.Contains(string(data), "bb-secret-e2e") {
		t.Error("the report contains the Git authorization password")
	}
}

func TestApplyNeedsYesWithoutTerminal(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	code, _, errOut := w.run("apply", e2eSpec)
	if code != ExitError || !strings.Contains(errOut, "pass --yes") || w.writes() != 0 {
		t.Errorf("exit %d, writes %d, stderr %q", code, w.writes(), errOut)
	}
}

func TestStaleSavedPlanIsRefused(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	saved := filepath.Join(t.TempDir(), "plan.json")
	if code, _, errOut := w.run("plan", "--out", saved, e2eSpec); code != 0 {
		t.Fatalf("plan --out: exit %d\n%s", code, errOut)
	}
	// Someone changes the live state in between: apply a different spec.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "s.yaml"), []byte("version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\nrepositories:\n  payments/api/ledger:\n    members: {dave: viewer}\n"), 0o644)
	if code, _, errOut := w.run("apply", "--yes", other); code != 0 {
		t.Fatalf("interfering apply: exit %d\n%s", code, errOut)
	}
	before := w.writes()
	code, _, errOut := w.run("apply", "--plan", saved, "--yes", e2eSpec)
	if code != ExitError {
		t.Fatalf("stale plan: exit %d, want 1\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "repository[payments/api/ledger] changed") || !strings.Contains(errOut, "is stale") {
		t.Errorf("stderr does not name what changed:\n%s", errOut)
	}
	if w.writes() != before {
		t.Errorf("a stale plan wrote %d times", w.writes()-before)
	}
	// A truncated plan is refused, naming the file.
	data, _ := os.ReadFile(saved)
	cut := filepath.Join(t.TempDir(), "cut.json")
	os.WriteFile(cut, data[:len(data)/2], 0o644)
	if code, _, errOut := w.run("apply", "--plan", cut, "--yes", e2eSpec); code != ExitError || !strings.Contains(errOut, "read plan "+cut+": not a reposync plan") {
		t.Errorf("truncated plan: exit %d\n%s", code, errOut)
	}
	// A fresh saved plan applies.
	if code, _, errOut := w.run("plan", "--out", saved, e2eSpec); code != 0 {
		t.Fatalf("plan --out: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := w.run("apply", "--plan", saved, "--yes", e2eSpec); code != 0 {
		t.Fatalf("fresh plan: exit %d\n%s", code, errOut)
	}
}

// TestGuardrailsBlockBeforeAnyWrite runs apply on plans that break each
// guardrail; each must be refused with what breaks it, and the simulator
// must have seen no write.
func TestGuardrailsBlockBeforeAnyWrite(t *testing.T) {
	tests := []struct {
		name string
		auth string
		args []string
		spec string
		want string
	}{
		{"max deletes", "aksk", []string{"--max-deletes", "0"}, e2ePrune, "max_deletes: the plan deletes 2 objects"},
		{"deletions need prune", "aksk", []string{"--prune=false"}, e2ePrune, ""},
		{"min admins", "aksk", nil, "min-admins", "min_admins: the plan would leave 1 repository with fewer than 2 admins"},
		{"own admin role", "password", nil, "self", "self: the plan removes or demotes the admin role of the identity reposync runs as (bob)"},
		{"missing password", "aksk", nil, e2eSpec, "password_env: 1 Git authorization needs a password from the environment, and the variable is not set (Git authorization bitbucket-ci (E2E_BB_PASSWORD))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.auth, sim.Options{})
			specDir := tt.spec
			switch tt.spec {
			case "min-admins":
				// The repository's creator is an admin CodeArts keeps, so
				// demoting bob leaves one admin: fewer than two.
				specDir = writeSpec(t, "settings: {min_admins: 2}\nrepositories:\n  payments/api/ledger:\n    members: {bob: developer, carol: viewer}\n")
			case "self":
				specDir = writeSpec(t, "repositories:\n  payments/api/ledger:\n    members: {bob: viewer, carol: admin}\n")
			}
			if tt.name == "missing password" {
				delete(w.env, "E2E_BB_PASSWORD")
			}
			args := append([]string{"apply", "--yes"}, tt.args...)
			code, _, errOut := w.run(append(args, specDir)...)
			if tt.name == "deletions need prune" {
				// Without --prune nothing is planned for deletion at all, so
				// the plan runs; the guard is exercised on a saved plan.
				saved := filepath.Join(t.TempDir(), "plan.json")
				w2 := newWorld(t, "aksk", sim.Options{})
				if c, _, e := w2.run("plan", "--out", saved, e2ePrune); c != 0 {
					t.Fatalf("plan: %d %s", c, e)
				}
				code, _, errOut = w2.run("apply", "--yes", "--prune=false", "--plan", saved, e2ePrune)
				if code != ExitError || !strings.Contains(errOut, "the saved plan was made with --prune=true; drop --prune") || w2.writes() != 0 {
					t.Errorf("exit %d, writes %d:\n%s", code, w2.writes(), errOut)
				}
				return
			}
			if code != ExitError {
				t.Fatalf("exit %d, want 1\n%s", code, errOut)
			}
			if !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "nothing was changed") {
				t.Errorf("stderr lacks %q:\n%s", tt.want, errOut)
			}
			if w.writes() != 0 {
				t.Errorf("a refused plan wrote %d times", w.writes())
			}
		})
	}
}

func writeSpec(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spec.yaml"), []byte("version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlanErrorsAndAuthFailures(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	w.env["HW_SECRET_KEY"] = "wrong-secret-key-e2e"
	code, _, errOut := w.run("plan", e2eSpec)
	if code != ExitAuth {
		t.Errorf("bad signature: exit %d, want 4\n%s", code, errOut)
	}
	if strings.Contains(errOut, "wrong-secret-key-e2e") {
		t.Error("the secret key leaked into an error")
	}
	w = newWorld(t, "aksk", sim.Options{})
	unknown := writeSpec(t, "repositories:\n  payments/api/gateway:\n    members: {zed: admin, alice: admin}\n  payments/nope: {}\n")
	code, _, errOut = w.run("plan", unknown)
	if code != ExitError {
		t.Fatalf("unknown names: exit %d, want 1", code)
	}
	for _, want := range []string{"unknown user `zed`", "repository `payments/nope` does not exist"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	w = newWorld(t, "", sim.Options{})
	if code, _, errOut := w.run("plan", e2eSpec); code != ExitAuth || !strings.Contains(errOut, "no credentials") {
		t.Errorf("no credentials: exit %d\n%s", code, errOut)
	}
}

// TestSpecConflictsOnLiveRepositories: two policies that give one user two
// roles pass validate (no listed repository has both) but conflict on the
// live repositories both select. Every command that expands the spec
// against the live state says so with the spec's file:line, and fails.
func TestSpecConflictsOnLiveRepositories(t *testing.T) {
	dir := writeSpec(t, `policies:
  a: {repositories: ["payments/**"], members: {erin: viewer}}
  b: {repositories: ["payments/api/*"], members: {erin: developer}}
`)
	w := newWorld(t, "aksk", sim.Options{})
	if code, _, errOut := w.run("validate", dir); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, errOut)
	}
	for _, tc := range []struct {
		cmd, summary string
	}{
		{"plan", "reposync: the spec conflicts with itself on live repositories (1 conflict)"},
		{"access", "reposync: the spec conflicts with itself on live repositories (1 conflict)"},
		{"doctor", "the spec could not be expanded against the live repositories: the spec conflicts with itself on live repositories (1 conflict)"},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			code, out, errOut := w.run(tc.cmd, dir)
			if code != ExitError {
				t.Errorf("exit %d, want 1", code)
			}
			diag := filepath.Join(dir, "spec.yaml") + ":5:51: error: conflicting member `erin`"
			if !strings.Contains(errOut, diag) || !strings.Contains(out+errOut, tc.summary) {
				t.Errorf("want %q and %q in the output:\n%s%s", diag, tc.summary, out, errOut)
			}
		})
	}
	if w.writes() != 0 {
		t.Errorf("%d writes", w.writes())
	}
}

// TestApplyConvergesUnderFaults applies against a simulator that fails 20%
// of requests and drops 10% of write answers (fixed seed): the run must end
// with everything applied once — nothing duplicated, nothing lost — and the
// next plan empty.
func TestApplyConvergesUnderFaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "aksk", sim.Options{FailRate: 0.2, DropRate: 0.25, Seed: 3})
	code, _, errOut := w.run("apply", "--yes", "--prune", "--concurrency", "1", e2eSpec)
	if code != 0 {
		t.Fatalf("apply under faults: exit %d\n%s", code, errOut)
	}
	st := w.sim.Stats()
	failed, dropped := 0, 0
	for _, n := range st.Failed {
		failed += n
	}
	for _, n := range st.Dropped {
		dropped += n
	}
	if failed == 0 || dropped == 0 {
		t.Errorf("the seed injected %d failures and %d drops; the test proves nothing without both", failed, dropped)
	}
	clean := newWorldFrom(t, w)
	code, out, errOut := clean.run("plan", "--detailed-exitcode", "--prune", e2eSpec)
	if code != 0 {
		t.Fatalf("plan after faulty apply: exit %d\n%s%s", code, out, errOut)
	}
	snap := w.sim.Snapshot()
	for _, r := range snap.Repositories {
		seen := map[string]bool{}
		for _, pr := range r.PushRules {
			if seen[pr.Path] {
				t.Errorf("%s: push rule %s duplicated", r.Path, pr.Path)
			}
			seen[pr.Path] = true
		}
	}
	groups := map[string]int{}
	for _, g := range snap.Groups {
		groups[g.Path]++
	}
	for p, n := range groups {
		if n > 1 {
			t.Errorf("group %s exists %d times", p, n)
		}
	}
	auths := map[string]int{}
	for _, a := range snap.GitAuths {
		auths[a.Name]++
	}
	if auths["bitbucket-ci"] != 1 {
		t.Errorf("bitbucket-ci exists %d times", auths["bitbucket-ci"])
	}
}

// newWorldFrom serves the state of w's simulator again without faults, so a
// plan can check the result.
func newWorldFrom(t *testing.T, w *world) *world {
	t.Helper()
	s, url := serveSim(t, w.sim.Snapshot(), sim.Options{})
	env := map[string]string{}
	for k, v := range w.env {
		env[k] = v
	}
	env["REPOSYNC_ENDPOINT"] = url
	return &world{t: t, sim: s, env: env}
}

// TestApplyExitsThreeWhenAChangeFails applies a saved plan while the service
// refuses one change (a role change answered 400 with the legacy error
// envelope): that change fails with the API's code, the others are done,
// and the exit code is 3.
func TestApplyExitsThreeWhenAChangeFails(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	bobIAM := ""
	for _, u := range w.sim.Snapshot().Users {
		if u.Name == "bob" {
			bobIAM = u.IAMID
		}
	}
	refuse := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/members/"+bobIAM) {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(http.StatusBadRequest)
			rw.Write([]byte(`{"status":"failed","result":null,"error":{"code":"DEV.CH.10009","message":"the member is locked"}}`))
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer refuse.Close()
	w.env["REPOSYNC_ENDPOINT"] = refuse.URL
	broken := "repository[payments/api/gateway].member[bob]"
	dir := t.TempDir()
	saved, report := filepath.Join(dir, "plan.json"), filepath.Join(dir, "report.json")
	if code, _, errOut := w.run("plan", "--out", saved, e2eSpec); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	code, out, errOut := w.run("apply", "--plan", saved, "--yes", "--report", report, e2eSpec)
	if code != ExitApplyFailed {
		t.Fatalf("exit %d, want 3\n%s", code, errOut)
	}
	if !strings.Contains(out, "failed: "+broken) {
		t.Errorf("the results do not name the failed change:\n%s", out)
	}
	var rep struct {
		Summary struct{ Done, Failed int }
		Results []struct {
			Address   string
			Status    string
			ErrorCode string `json:"error_code"`
		}
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Failed != 1 || rep.Summary.Done != 7 {
		t.Errorf("summary %+v", rep.Summary)
	}
	found := false
	for _, r := range rep.Results {
		if r.Address == broken {
			found = true
			if r.Status != "failed" || r.ErrorCode != "DEV.CH.10009" {
				t.Errorf("broken change result %+v, want failed with the API's code", r)
			}
		}
	}
	if !found {
		t.Errorf("the report has no result for %s", broken)
	}
}

// TestApplyConvergesUnderMixedFaults is the fault suite's mixed case: the
// simulator throttles (a budget of 1 call a second per operation against a
// client that would send far more), fails 15% of requests, drops 10% of write
// answers and adds latency. Apply must still end with everything applied
// exactly once, and the next plan must be empty.
func TestApplyConvergesUnderMixedFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for Retry-After")
	}
	w := newWorld(t, "aksk", sim.Options{RateLimit: 60, FailRate: 0.15, DropRate: 0.1, Latency: 2 * time.Millisecond, Seed: 11})
	code, _, errOut := w.run("apply", "--yes", "--prune", "--rate-limit", "600000", e2eSpec)
	if code != 0 {
		t.Fatalf("apply under mixed faults: exit %d\n%s", code, errOut)
	}
	st := w.sim.Stats()
	sum := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	if sum(st.Throttled) == 0 || sum(st.Failed)+sum(st.Dropped) == 0 {
		t.Errorf("throttled %d, failed %d, dropped %d: the mix did not happen", sum(st.Throttled), sum(st.Failed), sum(st.Dropped))
	}
	clean := newWorldFrom(t, w)
	if code, out, errOut := clean.run("plan", "--detailed-exitcode", "--prune", e2eSpec); code != 0 {
		t.Fatalf("plan after the faulty apply: exit %d\n%s%s", code, out, errOut)
	}
	snap := w.sim.Snapshot()
	for _, r := range snap.Repositories {
		seen := map[string]bool{}
		for _, pr := range r.PushRules {
			if seen[pr.Path] {
				t.Errorf("%s: push rule %s duplicated", r.Path, pr.Path)
			}
			seen[pr.Path] = true
		}
	}
	names := map[string]int{}
	for _, g := range snap.Groups {
		names["group "+g.Path]++
	}
	for _, a := range snap.GitAuths {
		names["auth "+a.Name]++
	}
	for n, c := range names {
		if c > 1 {
			t.Errorf("%s exists %d times", n, c)
		}
	}
}
