package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickStart runs the README's quick start exactly as written:
// the install block in the repository's root (installing into a temporary
// GOBIN), every other block in a temporary directory with that GOBIN on
// PATH and no credentials in the environment. The simulator listens on a
// free port, which the quick start reads from its first line.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a shell script")
	}
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	start, end := strings.Index(s, "## Quick start"), strings.Index(s, "## A short tour")
	if start < 0 || end < start {
		t.Fatal("README has no Quick start section before the spec tour")
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(s[start:end], -1)
	if len(blocks) < 2 || !strings.HasPrefix(strings.TrimSpace(blocks[0][1]), "make install") {
		t.Fatalf("the quick start must begin with its install block, then the steps; found %d blocks", len(blocks))
	}
	install, steps := blocks[0][1], ""
	for _, b := range blocks[1:] {
		steps += b[1]
	}
	if strings.Count(steps, "\n") < 10 {
		t.Fatalf("quick start has %d lines; the extraction is broken", strings.Count(steps, "\n"))
	}
	// doctor is what the README tells a new user to run first: in the quick
	// start it must say ready (bash -e fails the script on any other exit)
	// where apply then works.
	doctor, apply := strings.Index(steps, "\nreposync doctor specs"), strings.Index(steps, "\nreposync apply")
	if doctor < 0 || apply < doctor {
		t.Fatal("the quick start must run `reposync doctor specs` before `reposync apply`")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "GOBIN=" + bin}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") && !strings.HasPrefix(kv, "GOBIN=") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	// The new HOME must not mean a cold build and module cache: the
	// caller's caches, as go itself reports them, come along.
	caches, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	if c := strings.Fields(string(caches)); len(c) == 2 {
		env = append(env, "GOCACHE="+c[0], "GOMODCACHE="+c[1])
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	run := func(script, where string) string {
		t.Helper()
		// Whatever happens, no simulator is left running.
		cmd := exec.Command("bash", "-e", "-c", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"+script)
		cmd.Dir, cmd.Env = where, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the quick start failed in %s: %v\n%s", where, err, out)
		}
		return string(out)
	}
	run(install, root)
	if out := run("reposync version", dir); !strings.HasPrefix(out, "reposync ") || strings.Contains(out, "reposync dev") {
		t.Errorf("make install did not stamp a version: %q", out)
	}
	out := run(steps, dir)
	for _, want := range []string{"specs: valid: 1 file", "Result: ok", "viewer → developer", "2 done, 0 failed",
		"  ? carol: admin on payments/try-out — in a repository the spec does not list\n", "  ? repository payments/try-out: not listed", "exit 2: drift", "No changes."} {
		if !strings.Contains(out, want) {
			t.Errorf("quick start output lacks %q:\n%s", want, out)
		}
	}
}
