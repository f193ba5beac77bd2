package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

// Rough edges a new user hit (issue 12, item 11), each pinned by a test.

func TestHelpShowsNoSentinelDefaults(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if code := Main(context.Background(), []string{"apply", "--help"}, ios, nil); code != 0 {
		t.Fatalf("exit %d", code)
	}
	line := ""
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "--max-deletes") {
			line = l
		}
	}
	if line == "" || strings.Contains(line, "default -1") || !strings.Contains(line, "settings.max_deletes") {
		t.Errorf("--max-deletes help = %q", line)
	}
	for _, bad := range []string{"-1", "x"} {
		ios, _, _, errOut := iostreams.Test()
		code := Main(context.Background(), []string{"apply", "--max-deletes", bad}, ios, nil)
		if code != ExitError || !strings.Contains(errOut.String(), "--max-deletes") {
			t.Errorf("--max-deletes %s: exit %d\n%s", bad, code, errOut)
		}
	}
}

func TestPlanSummaryHonoursFormat(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	code, out, errOut := w.run("plan", "--summary", "--format", "json", e2eSpec)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var doc struct {
		FormatVersion int            `json:"format_version"`
		Summary       map[string]int `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.FormatVersion != 1 || doc.Summary["create"] == 0 {
		t.Errorf("summary JSON = %q (%v)", out, err)
	}
	code, _, errOut = w.run("plan", "--summary", "--format", "markdown", e2eSpec)
	if code != ExitError || !strings.Contains(errOut, "cannot be combined with --format markdown") {
		t.Errorf("--summary --format markdown: exit %d\n%s", code, errOut)
	}
}

func TestCompletion(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	if code := Main(context.Background(), []string{"completion"}, ios, nil); code != ExitError || !strings.Contains(errOut.String(), "name one shell: reposync completion bash|zsh|fish|powershell") {
		t.Errorf("completion without a shell: exit %d\n%s", code, errOut)
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "plan", "--format", ""}, []string{"text", "markdown", "json"}},
		{[]string{"__complete", "validate", "--format", ""}, []string{"text", "json", "github"}},
		{[]string{"__complete", "completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
	} {
		ios, _, out, _ := iostreams.Test()
		Main(context.Background(), tt.args, ios, nil)
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w+"\n") {
				t.Errorf("%v: completions lack %q:\n%s", tt.args, w, out)
			}
		}
	}
}

// TestOutputFilesFollowTheUmask: a new plan or report file gets 0666 minus
// the umask, like a shell redirection; a replaced file keeps its mode.
func TestOutputFilesFollowTheUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.json")
	if err := writeFileAtomic(fresh, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o640 {
		t.Errorf("new file mode %o, want 640 under umask 027", st.Mode().Perm())
	}
	kept := filepath.Join(dir, "kept.json")
	os.WriteFile(kept, []byte("old"), 0o600)
	os.Chmod(kept, 0o604)
	if err := writeFileAtomic(kept, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(kept); st.Mode().Perm() != 0o604 {
		t.Errorf("replaced file mode %o, want its old 604", st.Mode().Perm())
	}
	if err := writeFileAtomic(dir, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("writing over a directory: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	// The export directory gets 0777 minus the umask.
	w := simWorld(t, mustFixture(t, "../../examples/demo/fixture.yaml"))
	out := filepath.Join(dir, "specs")
	if code, _, errOut := w.run("export", "--project", demoProject, "--rate-limit", "600000", "--out", out, "--split", "group"); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	for path, want := range map[string]os.FileMode{out: 0o750, filepath.Join(out, "groups"): 0o750, filepath.Join(out, "reposync.yaml"): 0o640} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %o (%v)", path, st.Mode().Perm(), want, err)
		}
	}
}

func mustFixture(t *testing.T, path string) *sim.Fixture {
	t.Helper()
	fx, err := sim.LoadFixture(path)
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

// TestApplyInterrupted: Ctrl-C during apply ends with exit 130; what was
// never started is reported as "not started", not as a failure, and the
// progress never claims 100%.
func TestApplyInterrupted(t *testing.T) {
	fx := mustFixture(t, e2eFixture)
	s, err := sim.New(fx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r)
		if r.Method != http.MethodGet {
			once.Do(cancel) // the first write is done; then the user presses Ctrl-C
		}
	}))
	defer srv.Close()
	env := map[string]string{"REPOSYNC_ENDPOINT": srv.URL, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "SIMAK00000000000000000", "HW_SECRET_KEY": "SIMSKsecret000000000000000000000000000", "E2E_BB_PASSWORD": "x"}
	report := filepath.Join(t.TempDir(), "report.json")
	ios, _, out, errOut := iostreams.Test()
	code := Main(ctx, []string{"apply", "--yes", "--concurrency", "1", "--report", report, e2eSpec}, ios, func(k string) string { return env[k] })
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s%s", code, out, errOut)
	}
	if strings.Contains(errOut.String()+out.String(), "context canceled") || strings.Contains(errOut.String(), "rate budget") {
		t.Errorf("the interruption is reported as an error:\n%s%s", out, errOut)
	}
	if !strings.Contains(errOut.String(), "reposync: interrupted with 1 change done and 7 not started; run plan to see what is left") {
		t.Errorf("stderr lacks the interruption summary:\n%s", errOut)
	}
	if strings.Contains(errOut.String(), "(100%)") {
		t.Errorf("progress claims 100%% on an interrupted run:\n%s", errOut)
	}
	var rep struct {
		Interrupted bool
		Summary     struct {
			Done, Failed int
			NotStarted   int `json:"not_started"`
		}
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil || !rep.Interrupted || rep.Summary.Failed != 0 || rep.Summary.Done != 1 || rep.Summary.NotStarted != 7 {
		t.Errorf("report = %s (%v)", data, err)
	}
	if s.Stats().Writes != 1 {
		t.Errorf("%d writes after the interruption, want 1", s.Stats().Writes)
	}
}

// TestPlanInterruptedWhileReading: Ctrl-C while reading says so and
// exits 130, with no error about a rate budget's context.
func TestPlanInterruptedWhileReading(t *testing.T) {
	fx := mustFixture(t, e2eFixture)
	s, err := sim.New(fx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/members") {
			cancel()
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	env := map[string]string{"REPOSYNC_ENDPOINT": srv.URL, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "SIMAK00000000000000000", "HW_SECRET_KEY": "SIMSKsecret000000000000000000000000000"}
	ios, _, out, errOut := iostreams.Test()
	code := Main(ctx, []string{"plan", e2eSpec}, ios, func(k string) string { return env[k] })
	if code != ExitInterrupted || strings.TrimSpace(errOut.String()) != "reposync: interrupted while reading the live state; nothing was changed" {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// TestMissingProjectNamesBothIDs: the error for a missing or malformed
// CodeArts project says that HW_PROJECT_ID, set right beside it, is the IAM
// project (issue 23, item 5).
func TestMissingProjectNamesBothIDs(t *testing.T) {
	env := map[string]string{"REPOSYNC_ENDPOINT": "http://127.0.0.1:1", "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "AK", "HW_SECRET_KEY": "SK"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"export"}, "no CodeArts project: pass --project or set REPOSYNC_PROJECT"},
		{"malformed", []string{"export", "--project", "payments"}, `project "payments" is not a CodeArts project UUID`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			code := Main(context.Background(), tc.args, ios, func(k string) string { return env[k] })
			if code != ExitError || !strings.Contains(errOut.String(), tc.want) || !strings.Contains(errOut.String(), "HW_PROJECT_ID is the IAM project") {
				t.Errorf("exit %d, want 1 and %q with a word on HW_PROJECT_ID:\n%s", code, tc.want, errOut)
			}
		})
	}
}

// Rough edges a new platform engineer hit (issue 29), each pinned by a test.

// TestApplyAnsweredNoExitsOne: "no" at apply's prompt changes nothing and
// exits 1, as Terraform does: a script must not read it as success.
func TestApplyAnsweredNoExitsOne(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	for _, answer := range []string{"no\n", "\n", ""} {
		ios, in, _, errOut := iostreams.Test()
		ios.SetTTY(true)
		in.WriteString(answer)
		code := mainAt(context.Background(), testNow, []string{"apply", "--rate-limit", "1000000", e2eSpec}, ios, func(k string) string { return w.env[k] })
		if code != ExitError || !strings.Contains(errOut.String(), "Type 'yes' to continue") || w.writes() != 0 {
			t.Errorf("answer %q: exit %d, %d writes, want 1 and none\n%s", answer, code, w.writes(), errOut)
		}
	}
}

// TestTimeoutHelpShowsItsDefaultOnce: --timeout's help names its default
// once, whatever the command's default.
func TestTimeoutHelpShowsItsDefaultOnce(t *testing.T) {
	for _, cmd := range []string{"plan", "apply", "export", "access", "doctor"} {
		ios, _, out, _ := iostreams.Test()
		Main(context.Background(), []string{cmd, "--help"}, ios, nil)
		line := ""
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "--timeout") {
				line = l
			}
		}
		if strings.Count(line, "default") != 1 {
			t.Errorf("%s --timeout help names its default %d times: %q", cmd, strings.Count(line, "default"), line)
		}
	}
}

// TestSwappedProjectIDsAreNamed: HW_PROJECT_ID set to the CodeArts project
// (the ids look alike) is said, naming both, before any request: every
// call would be refused with a 401 that does not say which id is wrong.
func TestSwappedProjectIDsAreNamed(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	w.env["HW_PROJECT_ID"] = demoProject
	code, _, errOut := w.run("plan", e2eSpec)
	if code != ExitAuth || !strings.Contains(errOut, "HW_PROJECT_ID is "+demoProject+", the CodeArts project (project:, --project or REPOSYNC_PROJECT); HW_PROJECT_ID must name the IAM project of the region, a different id") {
		t.Errorf("exit %d, want 4 and both ids named\n%s", code, errOut)
	}
	if calls := w.sim.Stats().Calls; len(calls) != 0 {
		t.Errorf("requests made: %v", calls)
	}
}
