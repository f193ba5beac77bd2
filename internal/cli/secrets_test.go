package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/sim"
)

// TestNoSecretInAnyOutput runs validate, plan in every format, a saved plan,
// apply with a report, a failing run and export, with each kind of
// credentials and a Git authorization password, and greps every byte written
// to stdout, stderr and files for the secrets.
func TestNoSecretInAnyOutput(t *testing.T) {
	secrets := []string{
		"SIMSKsecret000000000000000000000000000", // secret key
		"sim-static-token-e2e",                   // static token
		"ci-bot-pass-e2e",                        // IAM password
		"bb-secret-e2e",                          // Git authorization password
		"old-secret-e2e",                         // a live authorization's password in the fixture
	}
	for _, auth := range []string{"aksk", "token", "password"} {
		t.Run(auth, func(t *testing.T) {
			w := newWorld(t, auth, sim.Options{})
			dir := t.TempDir()
			var outputs []string
			run := func(args ...string) {
				_, out, errOut := w.run(args...)
				outputs = append(outputs, out, errOut)
			}
			run("validate", e2eSpec)
			run("validate", "--format", "json", e2eSpec)
			for _, f := range []string{"text", "markdown", "json"} {
				run("plan", "--rate-limit", "600000", "--format", f, e2ePrune)
			}
			run("plan", "--rate-limit", "600000", "--summary", "--out", filepath.Join(dir, "plan.json"), e2ePrune)
			run("apply", "--rate-limit", "600000", "--yes", "--plan", filepath.Join(dir, "plan.json"), "--report", filepath.Join(dir, "report.json"), e2ePrune)
			run("apply", "--rate-limit", "600000", "--yes", "--rotate-secrets", "--report", filepath.Join(dir, "report2.json"), e2eSpec)
			run("export", "--rate-limit", "600000", "--project", demoProject, "--out", filepath.Join(dir, "export"), "--pin-ids")
			run("export", "--rate-limit", "600000", "--project", demoProject)
			// A failing run: its error text must not carry credentials either.
			saved := w.env["HW_SECRET_KEY"]
			w.env["HW_SECRET_KEY"] = "SIMSKsecret000000000000000000000000001"
			run("plan", e2eSpec)
			w.env["HW_SECRET_KEY"] = saved

			files := 0
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				files++
				outputs = append(outputs, string(data))
				return nil
			})
			if files < 5 {
				t.Fatalf("only %d files written; the run did not get far enough to prove anything", files)
			}
			all := strings.Join(outputs, "\n")
			if !strings.Contains(all, "E2E_BB_PASSWORD") || !strings.Contains(all, "done") {
				t.Fatalf("the outputs do not show the run happened:\n%s", all[:min(len(all), 2000)])
			}
			for _, s := range secrets {
				if i := strings.Index(all, s); i >= 0 {
					t.Errorf("secret %q leaked: …%s…", s, all[max(0, i-80):min(len(all), i+len(s)+20)])
				}
			}
		})
	}
}
