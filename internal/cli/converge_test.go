package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

// TestApplyReportsWritesThatDidNotTakeEffect: a service that answers a
// write with success but does not act (here: SetRepoRole answered 200 and
// dropped) must not get "done": apply reads back what it changed, reports
// the change as failed with "did not take effect", and exits 3.
func TestApplyReportsWritesThatDidNotTakeEffect(t *testing.T) {
	s, err := sim.New(mustFixture(t, e2eFixture), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/members/") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"status":"success","result":{},"error":null}`))
			return
		}
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	env := map[string]string{"REPOSYNC_ENDPOINT": srv.URL, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
		"HW_ACCESS_KEY": "SIMAK00000000000000000", "HW_SECRET_KEY": "SIMSKsecret000000000000000000000000000", "E2E_BB_PASSWORD": "x"}
	report := filepath.Join(t.TempDir(), "report.json")
	ios, _, out, errOut := iostreams.Test()
	code := Main(context.Background(), []string{"apply", "--yes", "--report", report, e2eSpec}, ios, func(k string) string { return env[k] })
	if code != ExitApplyFailed {
		t.Fatalf("exit %d, want 3\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"failed: repository[payments/api/gateway].member[bob]: did not take effect",
		"failed: repository[payments/api/ledger].member[carol]: did not take effect",
		"6 done, 2 failed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep struct {
		Summary struct{ Done, Failed int }
		Results []struct {
			Status    string
			Confirmed bool
		}
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil || rep.Summary.Done != 6 || rep.Summary.Failed != 2 {
		t.Errorf("report summary %+v (%v)", rep.Summary, err)
	}
	// Every done change was read back and confirmed; no failed one is.
	for _, r := range rep.Results {
		if r.Confirmed != (r.Status == "done") {
			t.Errorf("a %s change has confirmed %t", r.Status, r.Confirmed)
		}
	}
	if !strings.Contains(out.String(), "6 of the done changes confirmed by reading back") {
		t.Errorf("output does not say how many changes were confirmed:\n%s", out)
	}
}

// TestConfirmReadsOnlyWhatChanged: apply reads back only the lists its
// changes touched, and no lookup. The spec manages the repository's members
// and push rules and changes one rule: apply's calls are the plan's, the
// write, and one push-rule list — no ListMembers, no users or roles again.
func TestConfirmReadsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "aksk", sim.Options{})
	spec := writeSpec(t, `repositories:
  payments/api/gateway:
    members: {alice: admin, bob: admin, erin: developer}
    push_rules:
      /config/*: {users: [alice, bob], member_groups: [payments-leads], roles: [project-manager]}
      /legacy/*: {users: [erin]}
`)
	calls := func(args ...string) map[string]int {
		before := w.sim.Stats().Calls
		if code, out, errOut := w.run(args...); code != 0 && code != ExitChanges {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		got := map[string]int{}
		for op, n := range w.sim.Stats().Calls {
			if d := n - before[op]; d != 0 {
				got[op] = d
			}
		}
		return got
	}
	planned := calls("plan", "--detailed-exitcode", spec)
	applied := calls("apply", "--yes", spec)
	for op, n := range planned {
		applied[op] -= n
		if applied[op] == 0 {
			delete(applied, op)
		}
	}
	want := map[string]int{"BatchUpdateRepositoryFilePushPermissions": 1, "ListRepositoryFilePushPermissions": 1}
	if diff := cmp.Diff(want, applied); diff != "" {
		t.Errorf("apply's calls beyond the plan's (-want +got):\n%s", diff)
	}
	if planned["ListMembers"] != 1 {
		t.Errorf("the plan listed members %d times, want 1: the test needs a spec that manages members", planned["ListMembers"])
	}
}
