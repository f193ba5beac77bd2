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
	}
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil || rep.Summary.Done != 6 || rep.Summary.Failed != 2 {
		t.Errorf("report summary %+v (%v)", rep.Summary, err)
	}
}
