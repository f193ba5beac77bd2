package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/golden"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

// TestPlanGolden plans every case under testdata/plan (a spec, and the shared
// or the case's own simulator fixture, plus optional flags in args.txt) in
// all three formats and compares with the golden files; `go test -update`
// rewrites them. Cases that fail compare their exit code and diagnostics,
// and the plan too when there is one (a plan apply would refuse outright).
func TestPlanGolden(t *testing.T) {
	t.Parallel()
	cases, _ := filepath.Glob("testdata/plan/*/spec")
	if len(cases) < 12 {
		t.Fatalf("%d plan cases, want at least 12", len(cases))
	}
	for _, specDir := range cases {
		dir := filepath.Dir(specDir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			fixture := filepath.Join(dir, "fixture.yaml")
			if _, err := os.Stat(fixture); err != nil {
				fixture = "testdata/plan/fixture.yaml"
			}
			var extra []string
			if b, err := os.ReadFile(filepath.Join(dir, "args.txt")); err == nil {
				extra = strings.Fields(string(b))
			}
			for _, format := range []string{"text", "markdown", "json"} {
				fx, err := sim.LoadFixture(fixture)
				if err != nil {
					t.Fatal(err)
				}
				s, url := serveSim(t, fx, sim.Options{})
				env := simEnv(url)
				ios, _, out, errOut := iostreams.Test()
				// A budget far above the simulator's (unlimited) keeps the test
				// fast; pacing has its own tests in internal/api.
				args := append([]string{"plan", "--rate-limit", "600000", "--format", format}, extra...)
				code := mainAt(context.Background(), testNow, append(args, specDir), ios, func(k string) string { return env[k] })
				if s.Stats().Writes != 0 {
					t.Errorf("plan wrote %d times", s.Stats().Writes)
				}
				if code != 0 {
					if format == "text" {
						golden.Check(t, filepath.Join(dir, "errors.txt"), []byte("exit "+strconv.Itoa(code)+"\n"+errOut.String()))
					}
					if out.Len() == 0 {
						continue // no plan: the errors say why
					}
				}
				ext := map[string]string{"text": "txt", "markdown": "md", "json": "json"}[format]
				golden.Check(t, filepath.Join(dir, "plan."+ext), withoutCommit(t, out.Bytes()))
				if format == "text" && errOut.Len() > 0 && code == 0 {
					golden.Check(t, filepath.Join(dir, "stderr.txt"), errOut.Bytes())
				}
			}
		})
	}
}

// withoutCommit replaces the checkout's commit, and whether its spec files
// had uncommitted changes, by placeholders: golden files must not change
// with every commit of the repository they live in.
func withoutCommit(t *testing.T, out []byte) []byte {
	t.Helper()
	s := string(out)
	if tree := findGitTree(context.Background(), "."); tree != nil && tree.commit != "" {
		s = strings.ReplaceAll(s, tree.commit, "<commit>")
		s = strings.ReplaceAll(s, tree.commit[:12], "<commit>")
	}
	s = strings.ReplaceAll(s, "    \"dirty\": true,\n", "")
	return []byte(s)
}

// simEnv is the environment of a run against the simulator at url with
// its fixtures' AK/SK credentials.
func simEnv(url string) map[string]string {
	return map[string]string{
		"REPOSYNC_ENDPOINT": url, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "SIMAK00000000000000000", "HW_SECRET_KEY": "SIMSKsecret000000000000000000000000000",
	}
}
