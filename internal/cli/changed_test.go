package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/sim"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// git runs git in dir and fails the test on an error.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commitSpec writes the spec file and commits it; it returns the commit.
func commitSpec(t *testing.T, top, body, msg string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(top, "specs", "reposync.yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, top, "add", "-A")
	git(t, top, "commit", "-q", "--allow-empty", "-m", msg)
	return git(t, top, "rev-parse", "HEAD")
}

const changedBase = `version: 1
project: 0b234373cf3f4b04ab2d8a245155e12b
groups:
  payments: {visibility: private, member_groups: [payments-leads]}
  payments/api: {}
repositories:
  payments/api/gateway:
    members: {alice: admin, bob: developer, dave: viewer}
    push_rules:
      /deploy/**: {}
  payments/api/ledger:
    members: {bob: admin, carol: developer}
policies:
  audit:
    repositories: ["payments/api/**"]
    members: {erin: viewer}
`

func newGitSpec(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	top := t.TempDir()
	os.MkdirAll(filepath.Join(top, "specs"), 0o755)
	git(t, top, "init", "-q")
	return top
}

type jsonPlan struct {
	Context struct {
		Scope *struct {
			Repositories, Groups []string
			GitAuths             bool `json:"git_auths"`
		}
	}
	Summary map[string]int
	Changes []struct{ Address, Action string }
}

func planJSON(t *testing.T, w *world, args ...string) jsonPlan {
	t.Helper()
	code, out, errOut := w.run(append([]string{"plan", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("plan %v: exit %d\n%s", args, code, errOut)
	}
	var p jsonPlan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func addresses(p jsonPlan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Action+" "+c.Address)
	}
	return out
}

func TestChangedSincePlansOnlyWhatChanged(t *testing.T) {
	top := newGitSpec(t)
	base := commitSpec(t, top, changedBase, "base")
	edited := strings.Replace(changedBase, "members: {bob: admin, carol: developer}", "members: {bob: admin, carol: admin}", 1)
	commitSpec(t, top, edited, "carol becomes an admin")
	w := newWorld(t, "aksk", sim.Options{})
	full := newWorld(t, "aksk", sim.Options{})
	t.Chdir(top)

	p := planJSON(t, w, "--changed-since", base, "specs")
	if p.Context.Scope == nil || strings.Join(p.Context.Scope.Repositories, ",") != "payments/api/ledger" || len(p.Context.Scope.Groups) != 0 || p.Context.Scope.GitAuths {
		t.Fatalf("scope = %+v", p.Context.Scope)
	}
	for _, a := range addresses(p) {
		if !strings.Contains(a, "repository[payments/api/ledger]") {
			t.Errorf("out of scope: %s", a)
		}
	}
	// Exactly the full plan's changes of that repository.
	var want []string
	for _, a := range addresses(planJSON(t, full, "specs")) {
		if strings.Contains(a, "repository[payments/api/ledger]") {
			want = append(want, a)
		}
	}
	if got := addresses(p); strings.Join(got, "\n") != strings.Join(want, "\n") || !strings.Contains(strings.Join(got, "\n"), "update repository[payments/api/ledger].member[carol]") {
		t.Errorf("changes = %v, want %v", got, want)
	}
	// One repository: its members only, and the listings on its way.
	calls := w.sim.Stats().Calls
	if calls["ListMembers"] != 1 || calls["ListGroupSubgroupsAndRepositories"] > 4 || calls["ListRepositoryFilePushPermissions"] != 0 {
		t.Errorf("reads beyond the change: %v", calls)
	}

	// A policy change reaches every repository it matches, before or after.
	widened := strings.Replace(edited, `["payments/api/**"]`, `["payments/**", "!payments/api/ledger"]`, 1)
	commitSpec(t, top, widened, "widen audit")
	p = planJSON(t, w, "--changed-since", "HEAD~1", "specs")
	if p.Context.Scope == nil || strings.Join(p.Context.Scope.Repositories, ",") != "payments/**,payments/api/**" {
		t.Errorf("policy scope = %+v", p.Context.Scope)
	}

	// Nothing changed in the spec: nothing to plan.
	commitSpec(t, top, widened+"\n# a comment\n", "a comment")
	p = planJSON(t, w, "--changed-since", "HEAD~1", "specs")
	if len(p.Changes) != 0 || p.Context.Scope == nil {
		t.Errorf("a comment plans %v (scope %+v)", addresses(p), p.Context.Scope)
	}

	// Settings change: everything, said.
	commitSpec(t, top, changedBase+"settings: {min_admins: 1}\n", "settings")
	code, _, errOut := w.run("plan", "--changed-since", "HEAD~1", "specs")
	if code != 0 || !strings.Contains(errOut, "touches settings, whose reach cannot be bounded: planning everything") {
		t.Errorf("settings: exit %d\n%s", code, errOut)
	}
}

// TestChangedSinceSaysWhyItPlansEverything: a spec that did not exist at
// the revision, and one that did not load there, both give a full plan,
// each with its own reason.
func TestChangedSinceSaysWhyItPlansEverything(t *testing.T) {
	top := newGitSpec(t)
	commitSpec(t, top, "version: 1\nbogus: true\n", "a broken spec")
	commitSpec(t, top, changedBase, "fixed")
	w := newWorld(t, "aksk", sim.Options{})
	t.Chdir(top)
	code, _, errOut := w.run("plan", "--changed-since", "HEAD~1", "specs")
	if code != 0 || !strings.Contains(errOut, "the spec at HEAD~1 does not load, so the change cannot be bounded: planning everything") {
		t.Errorf("a spec that did not load: exit %d\n%s", code, errOut)
	}
	os.MkdirAll(filepath.Join(top, "more"), 0o755)
	if err := os.WriteFile(filepath.Join(top, "more", "reposync.yaml"), []byte(changedBase), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, top, "add", "-A")
	git(t, top, "commit", "-q", "-m", "a second spec")
	code, _, errOut = w.run("plan", "--changed-since", "HEAD~1", "more")
	if code != 0 || !strings.Contains(errOut, "the spec did not exist at HEAD~1, so the change cannot be bounded: planning everything") {
		t.Errorf("a new spec: exit %d\n%s", code, errOut)
	}
}

func TestChangedSinceRefusesWhatItCannotCompare(t *testing.T) {
	top := newGitSpec(t)
	base := commitSpec(t, top, changedBase, "base")
	commitSpec(t, top, changedBase+"# two\n", "two")
	w := newWorld(t, "aksk", sim.Options{})
	t.Chdir(top)
	run := func(args ...string) string {
		t.Helper()
		code, _, errOut := w.run(append([]string{"plan"}, args...)...)
		if code != ExitError {
			t.Errorf("plan %v: exit %d, want 1\n%s", args, code, errOut)
		}
		return errOut
	}
	if e := run("--changed-since", "no-such-ref", "specs"); !strings.Contains(e, "no such revision") {
		t.Errorf("unknown ref:\n%s", e)
	}
	// A revision that git would read as an option.
	if e := run("--changed-since=--remote=file:///nowhere", "specs"); !strings.Contains(e, "no such revision") {
		t.Errorf("option-like ref:\n%s", e)
	}
	// A branch that is not an ancestor of HEAD.
	git(t, top, "checkout", "-q", "-b", "side", base)
	other := commitSpec(t, top, changedBase+"# side\n", "side")
	git(t, top, "checkout", "-q", "-")
	if e := run("--changed-since", other, "specs"); !strings.Contains(e, "not an ancestor of HEAD") || !strings.Contains(e, "git merge-base") {
		t.Errorf("not an ancestor:\n%s", e)
	}
	// Uncommitted changes.
	os.WriteFile(filepath.Join(top, "specs", "reposync.yaml"), []byte(changedBase+"# dirty\n"), 0o644)
	if e := run("--changed-since", base, "specs"); !strings.Contains(e, "uncommitted changes") {
		t.Errorf("dirty:\n%s", e)
	}
	git(t, top, "checkout", "-q", "--", ".")
	// A shallow clone without the revision.
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, top, "clone", "-q", "--depth", "1", "file://"+top, shallow)
	t.Chdir(shallow)
	if e := run("--changed-since", base, "specs"); !strings.Contains(e, "shallow clone") || !strings.Contains(e, "fetch-depth: 0") {
		t.Errorf("shallow:\n%s", e)
	}
	// Not in Git at all.
	t.Chdir(t.TempDir())
	if e := run("--changed-since", base, filepath.Join(top, "specs")); !strings.Contains(e, "not in a Git work tree") {
		t.Errorf("outside Git:\n%s", e)
	}
}

// loadSpecText loads one spec file written to a temporary directory.
func loadSpecText(t *testing.T, body string) *state.Desired {
	t.Helper()
	p := filepath.Join(t.TempDir(), "reposync.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	d, diags := spec.Load(p)
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return d
}

func TestCompareSpecsIgnoresWhereThingsAreWritten(t *testing.T) {
	old := loadSpecText(t, changedBase)
	for _, tc := range []struct {
		name, body    string
		repos, groups string
		auths         bool
		everything    string
	}{
		{name: "moved and commented", body: "# moved\n" + strings.Replace(strings.Replace(changedBase, "  payments/api/ledger:\n    members: {bob: admin, carol: developer}\n", "", 1),
			"repositories:\n", "repositories:\n  payments/api/ledger:\n    members:\n      carol: developer   # still\n      bob: admin\n", 1)},
		{name: "group description", body: strings.Replace(changedBase, "payments/api: {}", "payments/api: {description: APIs}", 1), groups: "payments/api"},
		{name: "member group of a repository", body: strings.Replace(changedBase, "members: {bob: admin, carol: developer}", "members: {bob: admin, carol: developer}\n    member_groups: [payments-leads]", 1), repos: "payments/api/ledger"},
		{name: "push rule emptied", body: strings.Replace(changedBase, "/deploy/**: {}", "/deploy/**: {users: [alice]}", 1), repos: "payments/api/gateway"},
		{name: "expiry added", body: strings.Replace(changedBase, "dave: viewer}", "dave: {role: viewer, expires: 2027-01-31, reason: CHG-1}}", 1), repos: "payments/api/gateway"},
		{name: "repository removed", body: strings.Replace(changedBase, "  payments/api/ledger:\n    members: {bob: admin, carol: developer}\n", "", 1), repos: "payments/api/ledger"},
		{name: "policy narrowed", body: strings.Replace(changedBase, `["payments/api/**"]`, `["payments/api/**", "!payments/api/ledger"]`, 1), repos: "payments/api/**"},
		{name: "git authorization added", body: changedBase + "git_auths:\n  ci: {repo_type: bitbucket, user: ci, password_env: CI_PW}\n", auths: true},
		{name: "pin", body: changedBase + "users:\n  alice: {id: 7}\n", everything: "pins"},
		{name: "groups section dropped", body: strings.Replace(changedBase, "groups:\n  payments: {visibility: private, member_groups: [payments-leads]}\n  payments/api: {}\n", "", 1), everything: "whether groups are managed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkCompare(t, old, tc.body, tc.repos, tc.groups, tc.auths, tc.everything)
		})
	}
}

// checkCompare compares old with the spec body: a plan of everything
// because of everything when it is set, otherwise the scope's repository
// patterns, groups and Git authorizations.
func checkCompare(t *testing.T, old *state.Desired, body, repos, groups string, auths bool, everything string) {
	t.Helper()
	checkCompareSpecs(t, old, loadSpecText(t, body), repos, groups, auths, everything)
}

// checkCompareSpecs checks what compareSpecs plans between two specs.
func checkCompareSpecs(t *testing.T, old, now *state.Desired, repos, groups string, auths bool, everything string) {
	t.Helper()
	scope, note, err := compareSpecs(old, now, "base")
	if err != nil {
		t.Fatal(err)
	}
	if everything != "" {
		if scope != nil || !strings.Contains(note, everything) {
			t.Errorf("scope %+v, note %q; want everything because of %s", scope, note, everything)
		}
		return
	}
	if scope == nil {
		t.Fatalf("planning everything: %s", note)
	}
	if got := strings.Join(scope.Repositories, ","); got != repos {
		t.Errorf("repositories = %q, want %q", got, repos)
	}
	if got := strings.Join(scope.Groups, ","); got != groups {
		t.Errorf("groups = %q, want %q", got, groups)
	}
	if scope.GitAuths != auths {
		t.Errorf("git auths = %v", scope.GitAuths)
	}
}

// The pull-request loop with --changed-since, as the recipes run it: the
// PR comment plans only the change; apply of the saved plan does exactly
// that and nothing else, even with drift elsewhere; the GitLab way (plan
// again, held to the reviewed digest) gets the same digest; and the
// nightly full plan still catches the drift the PR left alone.
func TestChangedSinceReviewLoop(t *testing.T) {
	// main: the spec, applied.
	w, top, base := appliedMain(t, changedBase)
	saved := filepath.Join(t.TempDir(), "pr.json")
	// A console grant on another repository: drift the PR does not touch.
	consoleGrant(t, w, "payments/api/gateway", "nina", 40)
	// The PR: carol becomes an admin of the ledger.
	commitSpec(t, top, strings.Replace(changedBase, "carol: developer}", "carol: admin}", 1), "PR")

	code, md, errOut := w.run("plan", "--changed-since", base, "--detailed-exitcode", "--format", "markdown", "--out", saved, "specs")
	if code != ExitChanges {
		t.Fatalf("PR plan: exit %d\n%s%s", code, md, errOut)
	}
	if !strings.Contains(md, "🎯 **Scoped:**") || !strings.Contains(md, "`payments/api/ledger`") || strings.Contains(md, "nina") {
		t.Errorf("the PR comment:\n%s", md)
	}
	var reviewed struct {
		ChangesDigest string `json:"changes_digest"`
		Changes       []struct{ Address, Action string }
	}
	data, _ := os.ReadFile(saved)
	if err := json.Unmarshal(data, &reviewed); err != nil {
		t.Fatal(err)
	}
	if got := addresses(jsonPlan{Changes: reviewed.Changes}); strings.Join(got, ",") != "update repository[payments/api/ledger].member[carol]" {
		t.Fatalf("reviewed changes = %v", got)
	}

	// GitLab: the merge job plans again with the same scope and digest.
	before := w.writes()
	if code, _, errOut := w.run("apply", "--yes", "--changed-since", base, "--expect-changes", "sha256:0000", "specs"); code != ExitError || w.writes() != before {
		t.Errorf("a wrong digest: exit %d\n%s", code, errOut)
	}
	// The same digest applies, on a copy of this world.
	fork := newWorldFrom(t, w)
	if code, out, errOut := fork.run("apply", "--yes", "--changed-since", base, "--expect-changes", reviewed.ChangesDigest, "specs"); code != 0 || fork.writes() != 1 {
		t.Errorf("the reviewed digest: exit %d, %d writes\n%s%s", code, fork.writes(), out, errOut)
	}
	// GitHub: the saved plan, exactly.
	if code, out, errOut := w.run("apply", "--plan", saved, "--yes"); code != 0 || w.writes()-before != 1 {
		t.Fatalf("apply --plan: exit %d, %d writes\n%s%s", code, w.writes()-before, out, errOut)
	}
	for _, r := range w.sim.Snapshot().Repositories {
		switch r.Path {
		case "payments/api/ledger":
			if r.Members["carol"] != "admin" {
				t.Errorf("carol on the ledger: %q", r.Members["carol"])
			}
		case "payments/api/gateway":
			if r.Members["nina"] == "" {
				t.Errorf("the scoped apply touched the gateway: %v", r.Members)
			}
		}
	}
	// With the change applied, the GitLab way finds nothing left in scope.
	if code, out, errOut := w.run("plan", "--changed-since", base, "--detailed-exitcode", "specs"); code != 0 {
		t.Errorf("scoped plan after apply: exit %d\n%s%s", code, out, errOut)
	}
	// The nightly full plan still sees the console grant.
	code, out, _ := w.run("plan", "--detailed-exitcode", "--format", "json", "specs")
	if code != ExitChanges || !strings.Contains(out, "repository[payments/api/gateway].member[nina]") {
		t.Errorf("nightly: exit %d\n%s", code, out)
	}
}

// A spec path is a name, never a pathspec: `specs*` does not take in the
// sibling `specs2`, whose uncommitted edit is no edit of the spec, nor its
// files into the spec at the base.
func TestChangedSinceTakesSpecPathsLiterally(t *testing.T) {
	top := newGitSpec(t)
	literal := filepath.Join(top, "specs*")
	os.MkdirAll(literal, 0o755)
	os.MkdirAll(filepath.Join(top, "specs2"), 0o755)
	write := func(p, body string) {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(literal, "reposync.yaml"), changedBase)
	write(filepath.Join(top, "specs2", "other.yaml"), "version: 1\nrepositories:\n  payments/api/gateway:\n    members: {mallory: admin}\n")
	git(t, top, "add", "-A")
	git(t, top, "commit", "-q", "-m", "base")
	base := git(t, top, "rev-parse", "HEAD")
	write(filepath.Join(literal, "reposync.yaml"), strings.Replace(changedBase, "carol: developer", "carol: admin", 1))
	git(t, top, "commit", "-q", "-am", "carol becomes an admin")
	write(filepath.Join(top, "specs2", "other.yaml"), "version: 1\n") // uncommitted, outside the spec
	w := newWorld(t, "aksk", sim.Options{})
	t.Chdir(top)
	p := planJSON(t, w, "--changed-since", base, "specs*")
	if p.Context.Scope == nil || strings.Join(p.Context.Scope.Repositories, ",") != "payments/api/ledger" {
		t.Errorf("scope = %+v, want payments/api/ledger alone", p.Context.Scope)
	}
}
