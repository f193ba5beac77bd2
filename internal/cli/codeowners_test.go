package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/golden"
)

const codeownersSpec = "testdata/codeowners/spec"

// specPrefix is how the generated file names the test spec directory: by
// its path from the top of the Git work tree (from here outside Git).
func specPrefix(t *testing.T) string {
	t.Helper()
	if tree := findGitTree(context.Background(), "."); tree != nil {
		if r, ok := tree.rel(codeownersSpec); ok {
			return "/" + r + "/"
		}
	}
	return "/" + codeownersSpec + "/"
}

func TestCodeownersGolden(t *testing.T) {
	code, stdout, stderr := run(t, "codeowners", "--default-owner", "@acme/platform", codeownersSpec)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := strings.ReplaceAll(stdout, specPrefix(t), "/<spec>/")
	golden.Check(t, filepath.Join("testdata", "codeowners", "CODEOWNERS"), []byte(got))
}

func TestCodeownersCheck(t *testing.T) {
	_, generated, _ := run(t, "codeowners", "--default-owner", "@acme/platform", codeownersSpec)
	dir := t.TempDir()
	file := filepath.Join(dir, "CODEOWNERS")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("in step", func(t *testing.T) {
		write(generated)
		code, stdout, stderr := run(t, "codeowners", "--default-owner", "@acme/platform", "--check", file, codeownersSpec)
		if code != ExitOK || stdout != "" {
			t.Errorf("exit %d, stdout %q, want 0 and nothing; stderr:\n%s", code, stdout, stderr)
		}
	})
	t.Run("hand edit", func(t *testing.T) {
		edited := strings.Replace(generated, "@acme/payments lead@example.com", "@acme/payments @mallory", 1)
		if edited == generated {
			t.Fatal("the edit changed nothing")
		}
		write(edited)
		code, stdout, stderr := run(t, "codeowners", "--default-owner", "@acme/platform", "--check", file, codeownersSpec)
		if code != ExitError {
			t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
		}
		var changed []string
		for _, l := range strings.Split(stdout, "\n") {
			if strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "+ ") {
				changed = append(changed, strings.ReplaceAll(l, specPrefix(t), "/<spec>/"))
			}
		}
		want := []string{"- /<spec>/teams/payments.yaml @acme/payments @mallory", "+ /<spec>/teams/payments.yaml @acme/payments lead@example.com"}
		if d := cmp.Diff(want, changed); d != "" {
			t.Errorf("diff lines (-want +got):\n%s\nstdout:\n%s", d, stdout)
		}
		if !strings.HasPrefix(stdout, "--- "+file+"\n+++ generated from the spec\n") || !strings.Contains(stderr, "differs from the owners the spec's scopes name") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
	t.Run("a scope changed without regenerating", func(t *testing.T) {
		write(strings.Replace(generated, "teams/data\\ team.yaml @acme/platform\n", "", 1))
		if code, _, _ := run(t, "codeowners", "--default-owner", "@acme/platform", "--check", file, codeownersSpec); code != ExitError {
			t.Errorf("exit %d, want 1", code)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		code, _, stderr := run(t, "codeowners", "--default-owner", "@acme/platform", "--check", filepath.Join(dir, "nope"), codeownersSpec)
		if code != ExitError || !strings.Contains(stderr, "no such file") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestCodeownersErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no default owner", []string{"codeowners", codeownersSpec}, "--default-owner is required: it owns the catch-all line"},
		{"bad default owner", []string{"codeowners", "--default-owner", "platform team", codeownersSpec}, `--default-owner "platform team": not an owner`},
		{"invalid spec", []string{"codeowners", "--default-owner", "@acme/platform", "../../testdata/invalid/scope-settings"}, "invalid: 1 error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			if code != ExitError || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestRealisticCodeownersInStep checks the example's CODEOWNERS against
// its scopes, as the pull-request recipes in examples/ci do.
func TestRealisticCodeownersInStep(t *testing.T) {
	if findGitTree(context.Background(), ".") == nil {
		t.Skip("not in a Git work tree: CODEOWNERS paths are relative to its top")
	}
	code, stdout, stderr := run(t, "codeowners", "--default-owner", "@acme/platform-leads", "--check", "../../examples/realistic/CODEOWNERS", "../../examples/realistic")
	if code != ExitOK {
		t.Errorf("exit %d; regenerate examples/realistic/CODEOWNERS:\n%s%s", code, stdout, stderr)
	}
}

// TestCodeownersRefusesInvisiblePaths: a spec file whose path holds a
// character a reviewer cannot see for what it is — C0 and C1 controls,
// format characters such as U+202E and U+200B, line and paragraph
// separators, non-ASCII spaces — is refused with the path shown escaped,
// never written into CODEOWNERS where it could read as another path.
func TestCodeownersRefusesInvisiblePaths(t *testing.T) {
	for _, tc := range []struct{ name, dir, shown string }{
		{"right-to-left override", "specs\u202elmay", `specs\u202elmay`},
		{"zero width space", "spe\u200bcs", `spe\u200bcs`},
		{"C1 control", "specs\u0085", `specs\u0085`},
		{"line separator", "specs\u2028x", `specs\u2028x`},
		{"paragraph separator", "specs\u2029x", `specs\u2029x`},
		{"no-break space", "specs\u00a0x", `specs\u00a0x`},
		{"tab", "specs\tx", `specs\tx`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, tc.dir)
			writeFiles(t, dir, map[string]string{
				"reposync.yaml":       "version: 1\nscopes:\n  teams/payments.yaml: {repositories: [\"payments/**\"], owners: [\"@acme/payments\"]}\n",
				"teams/payments.yaml": "version: 1\nrepositories:\n  payments/api/gateway:\n    members: {alice: admin}\n",
			})
			t.Chdir(root)
			code, stdout, stderr := run(t, "codeowners", "--default-owner", "@acme/platform", tc.dir)
			if code != ExitError || stdout != "" {
				t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, stdout)
			}
			if !strings.Contains(stderr, tc.shown+"/") || strings.Contains(stderr, tc.dir) || !strings.Contains(stderr, "rename the file") {
				t.Errorf("stderr %q: want the path shown escaped as %s", stderr, tc.shown)
			}
		})
	}
}
