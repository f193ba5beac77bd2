package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	_ "github.com/reposync/reposync/internal/golden" // accept -update
	"github.com/reposync/reposync/internal/state"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func messages(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestLoadRealisticExample(t *testing.T) {
	d, diags := Load("../../examples/realistic")
	if diags.HasErrors() || d == nil {
		t.Fatalf("examples/realistic does not load:\n%s", messages(diags))
	}
	if got, want := len(d.Repositories), 14; got != want { // archive and legacy-admin adopted from the territory
		t.Errorf("repositories = %d, want %d", got, want)
	}
	gw := d.Repositories["payments/api/gateway"]
	if gw == nil {
		t.Fatal("payments/api/gateway missing")
	}
	wantMembers := map[string]state.Role{"alice": state.RoleAdmin, "bob": state.RoleDeveloper, "carol": state.RoleViewer}
	gotMembers := map[string]state.Role{}
	for k, m := range gw.Members {
		gotMembers[k] = m.Role
	}
	if diff := cmp.Diff(wantMembers, gotMembers); diff != "" {
		t.Errorf("gateway members (-want +got):\n%s", diff)
	}
	// Every value remembers where it was written.
	alice := gw.Members["alice"]
	if alice.Source.File != "../../examples/realistic/teams/payments.yaml" || alice.Source.Line != 29 {
		t.Errorf("alice source = %s, want teams/payments.yaml:29", alice.Source.Position())
	}
	rule := gw.PushRules["/deploy/**"]
	if len(rule.Users)+len(rule.MemberGroups)+len(rule.Roles) != 0 || rule.Source.Line != 35 {
		t.Errorf("/deploy/** rule = %+v, want an empty rule from line 35", rule)
	}
	if d.Settings.Prune == nil || *d.Settings.Prune || d.Settings.MaxDeletes == nil || *d.Settings.MaxDeletes != 25 {
		t.Errorf("settings = %+v", d.Settings)
	}
	if a := d.GitAuths["bitbucket-ci"]; a == nil || a.PasswordEnv != "BITBUCKET_PASSWORD" || a.RepoType != "bitbucket" {
		t.Errorf("git auth = %+v", a)
	}
	if !strings.HasPrefix(d.Digest, "sha256:") || len(d.Digest) != len("sha256:")+64 {
		t.Errorf("digest = %q", d.Digest)
	}
}

// A field left out is not managed (nil); a field listed empty is managed and
// empty (non-nil).
func TestLoadManagedVersusUnmanaged(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": `version: 1
repositories:
  g/left-out: {}
  g/empty:
    members: {}
    member_groups: []
    push_rules: {}
groups:
  g: {}
  h: {description: ""}
`})
	d, diags := Load(dir)
	if d == nil {
		t.Fatalf("load failed:\n%s", messages(diags))
	}
	lo, em := d.Repositories["g/left-out"], d.Repositories["g/empty"]
	if lo.Members != nil || lo.MemberGroups != nil || lo.PushRules != nil {
		t.Errorf("left-out fields must be nil (unmanaged): %+v", lo)
	}
	if em.Members == nil || em.MemberGroups == nil || em.PushRules == nil {
		t.Errorf("empty fields must be non-nil (managed, empty): %+v", em)
	}
	if d.Groups["g"].Description != nil || d.Groups["h"].Description == nil || *d.Groups["h"].Description != "" {
		t.Errorf("description: g=%v h=%v", d.Groups["g"].Description, d.Groups["h"].Description)
	}
}

func TestLoadDigest(t *testing.T) {
	spec := "version: 1\nrepositories:\n  a/b: {}\n"
	d1, _ := Load(writeFiles(t, map[string]string{"a.yaml": spec}))
	d2, _ := Load(writeFiles(t, map[string]string{"a.yaml": spec}))
	d3, _ := Load(writeFiles(t, map[string]string{"a.yaml": spec + "  a/c: {}\n"}))
	if d1.Digest != d2.Digest {
		t.Errorf("same spec, different digests: %s %s", d1.Digest, d2.Digest)
	}
	if d1.Digest == d3.Digest {
		t.Error("changed spec kept its digest")
	}
}

func TestLoadSkipsHiddenDirsAndOtherFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"spec.yml":                      "version: 1\nrepositories:\n  a/b: {}\n",
		".github/workflows/ci.yaml":     "on: push\njobs: {}\n",
		"README.md":                     "# not a spec\n",
		"teams/.hidden.yaml":            "not: a spec\n",
		"teams/platform/infra.YAML":     "version: 1\nrepositories:\n  p/i: {}\n",
		"teams/platform/notes.yaml.bak": "garbage",
	})
	d, diags := Load(dir)
	if d == nil {
		t.Fatalf("load failed:\n%s", messages(diags))
	}
	if len(d.Files) != 2 {
		t.Errorf("files = %v, want spec.yml and infra.YAML", d.Files)
	}
}

func TestLoadSameFileTwiceIsReadOnce(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": "version: 1\nrepositories:\n  a/b: {}\n"})
	d, diags := Load(dir, filepath.Join(dir, "a.yaml"))
	if d == nil {
		t.Fatalf("overlapping paths must not produce duplicates:\n%s", messages(diags))
	}
}

func TestLoadNonYAMLFileArgument(t *testing.T) {
	dir := writeFiles(t, map[string]string{"spec.json": "{}"})
	_, diags := Load(filepath.Join(dir, "spec.json"))
	if !strings.Contains(messages(diags), "not a YAML file") {
		t.Errorf("diagnostics = %s", messages(diags))
	}
}

func TestLoadEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	_, diags := Load(dir)
	if !diags.HasErrors() || !strings.Contains(messages(diags), "no spec files") {
		t.Errorf("diagnostics = %s", messages(diags))
	}
}

func TestDiagnosticsSortedByFileAndLine(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"b.yaml": "version: 1\nrepositories:\n  x/y:\n    members: {a: owner}\n",
		"a.yaml": "version: 1\nsetings: {}\ngroups:\n  bad//path: {}\n",
	})
	_, diags := Load(dir)
	if errs, _ := diags.Count(); errs != 3 {
		t.Fatalf("want 3 diagnostics, got:\n%s", messages(diags))
	}
	for i := 1; i < len(diags); i++ {
		a, b := diags[i-1], diags[i]
		if a.File > b.File || a.File == b.File && a.Line > b.Line {
			t.Errorf("not sorted: %s before %s", a, b)
		}
	}
}

func TestExpandPolicies(t *testing.T) {
	d, diags := Load("../../examples/realistic")
	if d == nil {
		t.Fatalf("load: %s", messages(diags))
	}
	live := []string{"payments/api/gateway", "payments/api/unlisted", "payments/sandbox/playground", "platform/tools/sandbox-x", "other/repo"}
	eff, diags := Expand(d, live)
	if len(diags) != 0 {
		t.Fatalf("conflicts: %s", messages(diags))
	}
	t.Run("unlisted repository gets the policy but is not authoritative", func(t *testing.T) {
		u := eff["payments/api/unlisted"]
		if u == nil {
			t.Fatal("payments/api/unlisted not selected by config-guard")
		}
		if u.Listed || u.MembersAuthoritative || u.PushRulesAuthoritative {
			t.Errorf("policies never make a list complete: %+v", u)
		}
		if u.Members["security-bot"].Role != state.RoleViewer {
			t.Errorf("security-bot = %+v", u.Members["security-bot"])
		}
		if diff := cmp.Diff([]string{"config-guard"}, u.Policies); diff != "" {
			t.Errorf("policies (-want +got):\n%s", diff)
		}
	})
	t.Run("negation excludes", func(t *testing.T) {
		p := eff["payments/sandbox/playground"]
		if p == nil || len(p.Policies) != 0 {
			t.Errorf("sandbox must not get config-guard: %+v", p)
		}
		if _, ok := eff["platform/tools/sandbox-x"]; ok {
			t.Error("platform/tools/sandbox-x is excluded by !platform/tools/sandbox-* and not listed")
		}
	})
	t.Run("unmatched live repositories are not managed", func(t *testing.T) {
		if _, ok := eff["other/repo"]; ok {
			t.Error("other/repo matched nothing and must not be managed")
		}
	})
	t.Run("listed repository merges policy entries", func(t *testing.T) {
		g := eff["payments/api/gateway"]
		if !g.MembersAuthoritative || g.Members["security-bot"].Role != state.RoleViewer || g.Members["alice"].Role != state.RoleAdmin {
			t.Errorf("gateway members = %+v", g.Members)
		}
		if _, ok := g.PushRules["/config/*"]; !ok {
			t.Error("gateway lost /config/*")
		}
	})
}

func TestExpandConflictAtPlanTime(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": `version: 1
policies:
  one:
    repositories: ["a/**"]
    members: {bot: viewer}
  two:
    repositories: ["a/*"]
    members: {bot: admin}
`})
	d, diags := Load(dir)
	if d == nil {
		t.Fatalf("no repository is listed, so offline there is no conflict:\n%s", messages(diags))
	}
	_, conflicts := Expand(d, []string{"a/x", "a/y", "b/z"})
	if len(conflicts) != 1 {
		t.Fatalf("want one conflict reported once, got:\n%s", messages(conflicts))
	}
	msg := conflicts[0].Message
	for _, want := range []string{"policy one (", "policy two (", "a/x (and 1 more)", "`viewer`", "`admin`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("conflict %q lacks %q", msg, want)
		}
	}
}

func TestManyFiles(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 2000; i++ {
		files[fmt.Sprintf("teams/t%04d.yaml", i)] = fmt.Sprintf("version: 1\nrepositories:\n  g/r%04d:\n    members: {u%d: developer}\n", i, i)
	}
	dir := writeFiles(t, files)
	d, diags := Load(dir)
	if d == nil || len(d.Repositories) != 2000 {
		t.Fatalf("2000 files must load: %s", messages(diags))
	}
	opts := DefaultOptions()
	opts.MaxFiles = 1000
	_, diags = LoadWith(opts, dir)
	if !strings.Contains(messages(diags), "more than 1000 spec files") {
		t.Errorf("limit not enforced: %s", messages(diags))
	}
	opts = DefaultOptions()
	opts.MaxWalkEntries = 500
	_, diags = LoadWith(opts, dir)
	if !strings.Contains(messages(diags), "more than 500 files and directories") {
		t.Errorf("walk limit not enforced: %s", messages(diags))
	}
}

// A spec that manages nothing is valid but says so: the wrong directory or
// unsaved files should not pass as "valid" without a word.
func TestLoadEmptySpec(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // the warning about emptiness, or "" for none
	}{
		{"only empty files", map[string]string{"a.yaml": "", "b.yml": "# a comment\n"}, "a.yaml: warning: every spec file is empty: the spec manages nothing"},
		{"only a version", map[string]string{"a.yaml": "version: 1\n"}, "a.yaml: warning: the spec manages nothing: no file lists groups, repositories, policies or git_auths"},
		{"only pins and settings", map[string]string{"a.yaml": "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\nsettings: {prune: true}\nusers:\n  alice: {id: 1}\n"}, "a.yaml: warning: the spec manages nothing: no file lists groups, repositories, policies or git_auths"},
		{"an empty groups section manages groups", map[string]string{"a.yaml": "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\ngroups: {}\n"}, ""},
		{"a repository", map[string]string{"a.yaml": "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\nrepositories:\n  a/b: {}\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			d, diags := Load(dir)
			if d == nil || diags.HasErrors() {
				t.Fatalf("load failed:\n%s", messages(diags))
			}
			got := ""
			for _, dg := range diags {
				if strings.Contains(dg.Message, "manages nothing") {
					got = strings.TrimPrefix(dg.String(), dir+"/")
				}
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if Empty(d) != (tt.want != "") {
				t.Errorf("Empty = %v", Empty(d))
			}
		})
	}
}

// Files are built on their own and merged in file order: the first
// definition of a policy wins, and only its pattern problems are reported
// (the second definition is an error of its own).
func TestMergeKeepsTheFirstDefinition(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.yaml": "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\npolicies:\n  audit:\n    repositories: [\"payments/**/\"]\n    members: {bot: viewer}\n",
		"b.yaml": "version: 1\npolicies:\n  audit:\n    repositories: [\"pay**\", \"!x/**\"]\n    members: {bot: admin}\nrepositories:\n  payments/api: {}\n",
	})
	_, diags := Load(dir)
	want := dir + "/a.yaml:5:20: error: policies.audit.repositories[0]: bad repository pattern `payments/**/`: patterns do not end with `/`: write `payments/**`\n" +
		dir + "/b.yaml:3:3: error: policies.audit: policy `audit` is defined twice: here and at " + dir + "/a.yaml:4:3\n"
	if diff := cmp.Diff(want, messages(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
