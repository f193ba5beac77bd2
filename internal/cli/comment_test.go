package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

// What the pull-request comment says when the plan cannot be made, what
// it says about drift, and the annotations the runner puts on the lines.

// ghEnv is the environment of a GitHub Actions run of the world's plan.
func ghEnv(w *world) map[string]string {
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "acme/access", "GITHUB_RUN_ID": "77"}
	for k, v := range w.env {
		env[k] = v
	}
	return env
}

// A plan that cannot be made still comments, with --format markdown: the
// marker the recipes find the old comment by, a headline that the plan
// failed and every located problem, inert — and no changes digest. The
// exit code is the failure's.
func TestFailedPlanStillComments(t *testing.T) {
	top := gitSpec(t, "testdata/e2e/spec")
	w := newWorld(t, "aksk", sim.Options{})
	t.Chdir(filepath.Join(top, "specs")) // from a subdirectory: sources from the root all the same
	f := filepath.Join(top, "specs", "reposync.yaml")
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	// An unknown user, with a name that would be Markdown, at a line of its own.
	body := strings.Replace(string(data), "      carol: developer\n", "      carol: developer\n      \"_zoe_ @acme\": admin\n", 1)
	if body == string(data) {
		t.Fatal("the spec no longer has carol's line")
	}
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, top, "commit", "-q", "-am", "zoe") // as CI checks it out: sources link to the commit
	line := 1 + strings.Count(body[:strings.Index(body, "_zoe_")], "\n")
	w.env = ghEnv(w)

	code, md, errOut := w.run("plan", "--format", "markdown", "--out", "plan.json", ".")
	if code != ExitError {
		t.Fatalf("exit %d, want 1\n%s%s", code, md, errOut)
	}
	where := fmt.Sprintf("specs/reposync.yaml:%d", line)
	for _, want := range []string{
		"<!-- reposync:plan -->\n## ❌ reposync plan failed\n",
		"**cannot plan: 1 problem**",
		"- ❌ [`" + where + ":",
		"](https://github.example/acme/access/blob/",
		"unknown user `_zoe_ @acme`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the failure comment lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "reposync:changes") || strings.Count(md, "_zoe_ @acme") != strings.Count(md, "`_zoe_ @acme`") {
		t.Errorf("the failure comment carries a digest, or the name is live Markdown:\n%s", md)
	}
	// The runner annotates the line, named from the repository's root.
	if !strings.Contains(errOut, "::error file="+where[:strings.LastIndexByte(where, ':')]+",line="+fmt.Sprint(line)) || !strings.Contains(errOut, ",title=reposync plan::unknown user '_zoe_ @acme'") {
		t.Errorf("no annotation of the unknown user:\n%s", errOut)
	}

	// An invalid spec, an authentication failure, an interrupt: each a
	// failure comment, each with its exit code.
	os.WriteFile(f, []byte(strings.Replace(string(data), "carol: developer", "carol: admn", 1)), 0o644)
	code, md, _ = w.run("plan", "--format", "markdown", ".")
	if code != ExitError || !strings.Contains(md, "## ❌ reposync plan failed") || !strings.Contains(md, "**.: invalid: 1 error**") || !strings.Contains(md, "`admn` is not one of") {
		t.Errorf("invalid spec: exit %d\n%s", code, md)
	}
	os.WriteFile(f, data, 0o644)
	w.env["HW_SECRET_KEY"] = "wrong-secret-key-e2e"
	code, md, _ = w.run("plan", "--format", "markdown", ".")
	if code != ExitAuth || !strings.Contains(md, "## ❌ reposync plan failed") || !strings.Contains(md, "401") {
		t.Errorf("authentication failure: exit %d\n%s", code, md)
	}
	w.env["HW_SECRET_KEY"] = "SIMSKsecret000000000000000000000000000"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ios, _, out, _ := iostreams.Test()
	code = mainAt(ctx, testNow, []string{"plan", "--rate-limit=1000000", "--format", "markdown", "."}, ios, func(k string) string { return w.env[k] })
	if code != ExitInterrupted || !strings.Contains(out.String(), "## ❌ reposync plan failed") || !strings.Contains(out.String(), "**interrupted") {
		t.Errorf("interrupted: exit %d\n%s", code, out.String())
	}
	// Other formats write no comment.
	if _, out, _ := w.run("plan", "--format", "json", "--project", "nope", "."); out != "" {
		t.Errorf("a failed JSON plan wrote %q", out)
	}
}

// validate --format github, from a subdirectory of the repository, names
// the files from the repository's root — where the runner looks for them —
// with a title and no Markdown.
func TestAnnotationsFromASubdirectoryNameFilesFromTheRoot(t *testing.T) {
	top := newGitSpec(t)
	os.MkdirAll(filepath.Join(top, "specs", "teams"), 0o755)
	os.WriteFile(filepath.Join(top, "specs", "teams", "pay.yaml"), []byte("version: 1\nrepositories:\n  pay/api:\n    members: {carol: admn}\n"), 0o644)
	t.Chdir(filepath.Join(top, "specs"))
	code, stdout, _ := run(t, "validate", "--format", "github", "teams")
	want := "::error file=specs/teams/pay.yaml,line=4,col=22,title=reposync validate::repositories[\"pay/api\"].members.carol: 'admn' is not one of 'viewer', 'developer', 'admin'"
	if code != ExitError || !strings.Contains(stdout, want) || !strings.Contains(stdout, "::warning file=specs/teams/pay.yaml,title=reposync validate::") || strings.Contains(stdout, "`") {
		t.Errorf("exit %d\n%s\nwant the prefix\n%s", code, stdout, want)
	}
}

// 333 repositories on which one account was made admin in the console:
// the comment names that account, first, with its count of repositories,
// apart from the change's own — in Markdown and in text.
func TestConsoleGrantsOfOneAccountNameTheAccount(t *testing.T) {
	var fx, spec strings.Builder
	fx.WriteString("project_id: 0b234373cf3f4b04ab2d8a245155e12b\niam_project_id: 5109940fad834a4eb3e408182d3b5786\n" +
		"credentials: {access_key: SIMAK00000000000000000, secret_key: SIMSKsecret000000000000000000000000000}\n" +
		"users: [{name: alice}, {name: mallory}, {name: zoe}, {name: bob}]\ngroups: [{path: org}]\nrepositories:\n")
	spec.WriteString("repositories:\n")
	for i := range 333 {
		members := "{alice: admin, mallory: admin}"
		switch i {
		case 7:
			members = "{alice: admin, mallory: admin, zoe: viewer}"
		case 8:
			members = "{alice: admin, mallory: admin, bob: admin}"
		}
		fmt.Fprintf(&fx, "  - {path: org/r%03d, members: %s}\n", i, members)
		fmt.Fprintf(&spec, "  org/r%03d: {members: {alice: admin}}\n", i)
	}
	dir := writeSpec(t, strings.Replace(spec.String(), "  org/r001: {members: {alice: admin}}", "  org/r001: {members: {alice: admin, bob: admin}}", 1))
	fxFile := filepath.Join(t.TempDir(), "fixture.yaml")
	os.WriteFile(fxFile, []byte(fx.String()), 0o644)
	loaded, err := sim.LoadFixture(fxFile)
	if err != nil {
		t.Fatal(err)
	}
	_, url := serveSim(t, loaded, sim.Options{})
	w := &world{t: t, env: simEnv(url)}

	_, md, errOut := w.run("plan", "--format", "markdown", dir)
	look, drift := strings.Index(md, "### ⚠️ Look at these first"), strings.Index(md, "### ❔ Changed outside the spec")
	first := "- 🔑 **`mallory`**: admin on 333 repositories: `org/r000`, `org/r001`, `org/r002` and 330 more\n" +
		"- 🔑 **`bob`**: admin on `org/r008`\n- ❔ **`zoe`**: viewer on `org/r007`\n"
	if look < 0 || drift < look || !strings.Contains(md[drift:], first) || strings.Contains(md[:drift], "mallory") || !strings.Contains(md[look:drift], "- 🔑 **`bob`**: gains admin on `org/r001`") {
		t.Errorf("the comment:\n%s%s", md, errOut)
	}
	_, txt, _ := w.run("plan", dir)
	if i := strings.Index(txt, "Changed outside the spec"); i < 0 || !strings.Contains(txt[i:], "? mallory: admin on 333 repositories: org/r000, org/r001") || strings.Contains(txt[:i], "mallory") {
		t.Errorf("the text view:\n%s", txt)
	}
}

// Under GitHub Actions a plan also annotates what apply would refuse and
// its warnings, at their lines when they have one.
func TestPlanAnnotatesRefusalsAndWarnings(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	w.env = ghEnv(w)
	spec := writeSpec(t, "settings: {min_admins: 2}\nrepositories:\n  payments/api/ledger:\n    members: {bob: developer, carol: {role: viewer, expires: 2026-01-31}}\n")
	code, _, errOut := w.run("plan", "--detailed-exitcode", spec)
	if code != ExitError {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"::error title=reposync plan::apply would refuse this plan: min_admins: the plan would leave 1 repository with fewer than 2 admins (payments/api/ledger (2 → 1 admins))\n",
		"::warning file=" + spec + "/spec.yaml,line=6,title=reposync plan::user carol (viewer) expired on 2026-01-31",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Outside GitHub Actions, none.
	w.env["GITHUB_ACTIONS"] = ""
	if _, _, errOut := w.run("plan", spec); strings.Contains(errOut, "::") {
		t.Errorf("annotations outside GitHub Actions:\n%s", errOut)
	}
}
