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
		{"no default owner", []string{"codeowners", codeownersSpec}, "no owners for " + codeownersSpec + "/reposync.yaml, " + codeownersSpec + "/teams/data team.yaml: give these files a scope with owners, or pass --default-owner"},
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
