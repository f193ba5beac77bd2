package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickStart runs the README's quick start exactly as written,
// with the freshly built binary on PATH and no credentials in the
// environment; only `go install` is replaced by that build.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a shell script")
	}
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
	var script []string
	for _, b := range blocks {
		for _, line := range strings.Split(b[1], "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "go install ") {
				continue // replaced by the build below
			}
			script = append(script, line)
		}
	}
	if len(script) < 10 {
		t.Fatalf("quick start has %d lines; the extraction is broken", len(script))
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "reposync"), "../../cmd/reposync")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// Whatever happens, no simulator is left running.
	script = append([]string{"trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"}, script...)
	cmd := exec.Command("bash", "-e", "-c", strings.Join(script, "\n"))
	cmd.Dir = dir
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the quick start failed: %v\n%s", err, out)
	}
	for _, want := range []string{"specs: valid: 1 file", "viewer → developer", "2 done, 0 failed", "No changes."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("quick start output lacks %q:\n%s", want, out)
		}
	}
}
