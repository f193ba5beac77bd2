package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reposync/reposync/internal/sim"
	"github.com/reposync/reposync/internal/spec"
)

// simWorld serves a fixture text with the e2e credentials.
func simWorld(t *testing.T, fx *sim.Fixture) *world {
	t.Helper()
	s, url := serveSim(t, fx, sim.Options{})
	return &world{t: t, sim: s, env: map[string]string{
		"REPOSYNC_ENDPOINT": url, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "SIMAK00000000000000000", "HW_SECRET_KEY": "SIMSKsecret000000000000000000000000000",
	}}
}

const demoProject = "0b234373cf3f4b04ab2d8a245155e12b"

// roundTrip exports the world, validates the export and plans it: zero
// changes, even with pruning.
func roundTrip(t *testing.T, w *world, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "specs")
	args := append([]string{"export", "--project", demoProject, "--rate-limit", "600000", "--out", out}, extra...)
	if code, _, errOut := w.run(args...); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	// A split export leaves who reviews each group file to a person:
	// until the owners are filled in, the spec is invalid, and says why.
	rootFile := filepath.Join(out, "reposync.yaml")
	root, _ := os.ReadFile(rootFile)
	if n := strings.Count(string(root), spec.OwnerPlaceholder); n > 0 {
		code, _, errOut := w.run("validate", out)
		if code != ExitError || strings.Count(errOut, "a placeholder `reposync export` wrote: name who reviews this file") != n {
			t.Fatalf("a split export with %d owner placeholders: validate exit %d\n%s", n, code, errOut)
		}
		if err := os.WriteFile(rootFile, []byte(strings.ReplaceAll(string(root), spec.OwnerPlaceholder, "@acme/team")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := w.run("validate", out)
	if code != 0 || strings.Contains(errOut, "warning") {
		t.Fatalf("exported spec does not validate cleanly: exit %d\n%s", code, errOut)
	}
	code, stdout, errOut := w.run("plan", "--rate-limit", "600000", "--detailed-exitcode", "--prune", out)
	if code != 0 {
		t.Fatalf("plan of the exported spec: exit %d, want 0 changes\n%s%s", code, stdout, errOut)
	}
	return out
}

func TestExportRoundTripDemo(t *testing.T) {
	fx, err := sim.LoadFixture("../../examples/demo/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := simWorld(t, fx)
	out := roundTrip(t, w, "--split", "group", "--pin-ids")
	var got []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	want := "groups/data.yaml groups/payments.yaml groups/platform.yaml reposync.schema.json reposync.yaml"
	if strings.Join(got, " ") != want {
		t.Errorf("files = %v, want %s", got, want)
	}
	group, _ := os.ReadFile(filepath.Join(out, "groups", "data.yaml"))
	if !strings.HasPrefix(string(group), "# yaml-language-server: $schema=./../reposync.schema.json\n") {
		t.Errorf("a group file does not point at the schema one directory up:\n%.200s", group)
	}
	// The members CodeArts manages are named, once, where they are left out.
	payments, _ := os.ReadFile(filepath.Join(out, "groups", "payments.yaml"))
	if want := "\n# Members left out below, as CodeArts manages them and reposync never changes them:\n#   alice (the repository creator): every repository\n#   olga (synced from the project as project-manager): every repository\nrepositories:\n"; !strings.Contains(string(payments), want) || strings.Count(string(payments), "left out") != 1 {
		t.Errorf("groups/payments.yaml does not name the members it leaves out once:\n%s", payments)
	}
	root, _ := os.ReadFile(filepath.Join(out, "reposync.yaml"))
	for _, wantText := range []string{"# yaml-language-server: $schema=./reposync.schema.json", "users:\n", "password_env: GIT_AUTH_OLD_GITHUB_PASSWORD", "exported by reposync",
		"scopes:\n  groups/data.yaml: {repositories: [data/**], owners: [\"@acme/team\"]}\n  groups/payments.yaml: {repositories: [payments/**], owners: [\"@acme/team\"]}\n  groups/platform.yaml: {repositories: [platform/**], owners: [\"@acme/team\"]}\n"} {
		if !strings.Contains(string(root), wantText) {
			t.Errorf("reposync.yaml lacks %q", wantText)
		}
	}
	if strings.Contains(string(root), "fixture-secret") || strings.Contains(string(root), "password:") {
		t.Error("an exported spec must never hold a password")
	}
	if w.writes() != 0 {
		t.Errorf("export wrote %d times", w.writes())
	}
}

// TestExportStampsTheRunsClock: the export's header says when it was made
// by the run's one clock (Factory.Now), like every other timestamp.
func TestExportStampsTheRunsClock(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	code, out, errOut := w.run("export", "--project", demoProject)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	if want := "on " + testNow.Format(time.RFC3339) + "."; !strings.Contains(out, want) {
		t.Errorf("the header lacks %q:\n%.300s", want, out)
	}
}

// TestExportRoundTrip200 round-trips a generated project of 240
// repositories in nested groups, with members, member groups, push rules
// and inherited members that must not be exported.
func TestExportRoundTrip200(t *testing.T) {
	var b strings.Builder
	b.WriteString("project_id: " + demoProject + "\niam_project_id: 5109940fad834a4eb3e408182d3b5786\n")
	b.WriteString("credentials: {access_key: SIMAK00000000000000000, secret_key: SIMSKsecret000000000000000000000000000}\nusers:\n")
	for u := 0; u < 60; u++ {
		fmt.Fprintf(&b, "  - {name: u%02d}\n", u)
	}
	b.WriteString("member_groups:\n  - {name: leads, members: [u00, u01]}\n  - {name: ops, members: [u02]}\nroles:\n  - {name: project-manager}\ngroups:\n")
	for g := 0; g < 6; g++ {
		fmt.Fprintf(&b, "  - {path: g%d, visibility: private, member_groups: [leads]}\n  - {path: g%d/sub, visibility: public, description: \"sub, of g%d\"}\n", g, g, g)
	}
	b.WriteString("repositories:\n")
	for r := 0; r < 240; r++ {
		fmt.Fprintf(&b, "  - path: g%d/sub/r%03d\n    members: {u%02d: admin, u%02d: developer, u%02d: viewer}\n", r%6, r, r%60, (r+1)%60, (r+2)%60)
		if r%3 == 0 {
			fmt.Fprintf(&b, "    member_groups: [ops]\n    push_rules: [{path: /config/*, users: [u%02d], member_groups: [leads], roles: [project-manager]}, {path: /deploy/**}]\n", r%60)
		}
	}
	fx, err := sim.ParseFixture([]byte(b.String()), "generated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, simWorld(t, fx))
}

// TestExportPinsDetectRenames: after a rename in CodeArts, the pinned export
// plans no member change and warns, naming both names.
func TestExportPinsDetectRenames(t *testing.T) {
	fx, err := sim.LoadFixture("../../examples/demo/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := simWorld(t, fx)
	out := roundTrip(t, w, "--pin-ids")
	renamed := w.sim.Snapshot()
	found := false
	for i := range renamed.Users {
		if renamed.Users[i].Name == "bob" {
			renamed.Users[i].Name = "robert"
			found = true
		}
	}
	for i := range renamed.Repositories {
		r := &renamed.Repositories[i]
		if role, ok := r.Members["bob"]; ok {
			delete(r.Members, "bob")
			r.Members["robert"] = role
		}
	}
	for i := range renamed.MemberGroups {
		for j, m := range renamed.MemberGroups[i].Members {
			if m == "bob" {
				renamed.MemberGroups[i].Members[j] = "robert"
			}
		}
	}
	if !found {
		t.Fatal("the demo fixture has no bob to rename")
	}
	w2 := simWorld(t, renamed)
	code, stdout, errOut := w2.run("plan", "--rate-limit", "600000", "--detailed-exitcode", "--prune", out)
	if code != 0 {
		t.Fatalf("plan after a rename: exit %d, want 0 changes\n%s%s", code, stdout, errOut)
	}
	if !regexp.MustCompile("user `bob` \\(pinned id \\d+.*is called `robert` in CodeArts now").MatchString(stdout) {
		t.Errorf("no rename warning naming both names:\n%s", stdout)
	}
}

func TestExportRefusesToOverwrite(t *testing.T) {
	fx, err := sim.LoadFixture("../../examples/demo/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := simWorld(t, fx)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "keep.yaml"), []byte("version: 1\n"), 0o644)
	code, _, errOut := w.run("export", "--project", demoProject, "--out", dir)
	if code != ExitError || !strings.Contains(errOut, "is not empty: pass --force") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "keep.yaml")); string(data) != "version: 1\n" {
		t.Error("a refused export touched the directory")
	}
	if code, _, errOut := w.run("export", "--project", demoProject, "--rate-limit", "600000", "--out", dir, "--force"); code != 0 {
		t.Errorf("--force: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := w.run("export", "--project", demoProject, "--split", "group"); code != ExitError || !strings.Contains(errOut, "pass --out DIR") {
		t.Errorf("--split group to stdout: exit %d\n%s", code, errOut)
	}
	// Printed to stdout, the export is deterministic but for its timestamp.
	_, a, _ := w.run("export", "--project", demoProject, "--rate-limit", "600000")
	_, b2, _ := w.run("export", "--project", demoProject, "--rate-limit", "600000")
	stamp := regexp.MustCompile(` on \d{4}-\d\d-\d\dT[0-9:]+Z\.`)
	if stamp.ReplaceAllString(a, "") != stamp.ReplaceAllString(b2, "") || !strings.HasPrefix(a, "# reposync.yaml: exported by reposync") {
		t.Errorf("two exports of the same state differ, or the header is wrong:\n%.300s", a)
	}
	// No schema file is written next to stdout, so none is pointed at.
	if strings.Contains(a, "yaml-language-server") {
		t.Error("an export to stdout points at a schema file it never wrote")
	}
}

// TestExportSplitNamesCannotCollide: a top-level group named like the root
// file keeps its own file, and the export still round-trips.
func TestExportSplitNamesCannotCollide(t *testing.T) {
	fx, err := sim.ParseFixture([]byte(`project_id: 0b234373cf3f4b04ab2d8a245155e12b
iam_project_id: 5109940fad834a4eb3e408182d3b5786
credentials: {access_key: SIMAK00000000000000000, secret_key: SIMSKsecret000000000000000000000000000}
users: [{name: alice}]
groups: [{path: reposync}, {path: ops}]
repositories:
  - {path: reposync/tool, members: {alice: admin}}
  - {path: ops/b, members: {alice: viewer}}
  - {path: top, members: {alice: developer}}
`), "collide.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := simWorld(t, fx)
	out := roundTrip(t, w, "--split", "group")
	for _, f := range []string{"reposync.yaml", "groups/reposync.yaml", "groups/ops.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	root, _ := os.ReadFile(filepath.Join(out, "reposync.yaml"))
	if !strings.Contains(string(root), "project: 0b234373cf3f4b04ab2d8a245155e12b") || !strings.Contains(string(root), "top:") {
		t.Errorf("the root file was overwritten or lost its content:\n%s", root)
	}
}

func TestExportWithoutProjectSaysHow(t *testing.T) {
	fx, err := sim.LoadFixture("../../examples/demo/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w := simWorld(t, fx)
	code, _, errOut := w.run("export")
	if code != ExitError || !strings.Contains(errOut, "pass --project or set REPOSYNC_PROJECT") || strings.Contains(errOut, "`project:`") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}
