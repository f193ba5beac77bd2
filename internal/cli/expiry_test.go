package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/iostreams"
)

const grantsSpec = "../../testdata/valid/grants"

// TestValidateWarnExpiring: past dates are always warnings; with
// --warn-expiring the grants ending within the window are listed too, in
// every format, and the answer depends only on the injected clock.
func TestValidateWarnExpiring(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		code, stdout, stderr := run(t, "validate", "--warn-expiring", "14d", grantsSpec)
		if code != ExitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		want := []string{
			"reposync.yaml:14:7: warning: repositories[\"payments/api/gateway\"].members.carol: `carol` expired on 2026-11-30",
			"reposync.yaml:16:37: warning: repositories[\"payments/api/gateway\"].member_groups: `sre` expires on 2026-12-10, in 9 days",
			"reposync.yaml:19:24: warning: repositories[\"payments/api/gateway\"].push_rules[\"/config/*\"].users: `bob` expires on 2026-12-05, in 4 days (reason: SEC-9 key rotation)",
			"reposync.yaml:26:7: warning: policies.audit.members.security-bot: `security-bot` expired on 2026-11-01",
		}
		lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(stderr, grantsSpec+"/", "")), "\n")
		if len(lines) != len(want) {
			t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(want), stderr)
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("line %d = %q\nwant prefix %q", i+1, lines[i], w)
			}
		}
		if !strings.HasSuffix(stdout, "(4 warnings)\n") {
			t.Errorf("stdout = %q", stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		code, stdout, _ := run(t, "validate", "--warn-expiring", "14", "--format", "json", grantsSpec)
		if code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		var doc struct {
			Valid    bool
			Warnings int
			Expiring []struct {
				Grant    string
				Expires  string
				DaysLeft int `json:"days_left"`
				Expired  bool
				Reason   string
				Line     int
				Path     string
			}
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		type row struct {
			Grant, Expires string
			DaysLeft       int
			Expired        bool
			Line           int
		}
		var got []row
		for _, e := range doc.Expiring {
			got = append(got, row{e.Grant, e.Expires, e.DaysLeft, e.Expired, e.Line})
		}
		want := []row{
			{"member carol (viewer) of repository payments/api/gateway", "2026-11-30", -1, true, 14},
			{"member group sre on repository payments/api/gateway", "2026-12-10", 9, false, 16},
			{"push rule /config/* of repository payments/api/gateway: user bob", "2026-12-05", 4, false, 19},
			{"member security-bot (viewer) of policy audit", "2026-11-01", -30, true, 26},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("expiring (-want +got):\n%s", diff)
		}
		if !doc.Valid || doc.Warnings != 4 {
			t.Errorf("valid %v, %d warnings", doc.Valid, doc.Warnings)
		}
	})
	t.Run("github", func(t *testing.T) {
		_, stdout, _ := run(t, "validate", "--warn-expiring", "14d", "--format", "github", grantsSpec)
		want := "::warning file=" + strings.TrimPrefix(grantsSpec, "../../") + "/reposync.yaml,line=19,col=24,title=reposync validate::repositories[\"payments/api/gateway\"].push_rules[\"/config/*\"].users: 'bob' expires on 2026-12-05, in 4 days (reason%3A SEC-9 key rotation)\n"
		if !strings.Contains(stdout, want) && !strings.Contains(stdout, strings.ReplaceAll(want, "%3A", ":")) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
		if n := strings.Count(stdout, "::warning "); n != 4 {
			t.Errorf("%d annotations, want 4:\n%s", n, stdout)
		}
	})
	t.Run("without the flag only past dates", func(t *testing.T) {
		_, stdout, stderr := run(t, "validate", grantsSpec)
		if strings.Contains(stderr, "expires on") || strings.Count(stderr, "expired on") != 2 || !strings.HasSuffix(stdout, "(2 warnings)\n") {
			t.Errorf("stdout %q\nstderr:\n%s", stdout, stderr)
		}
	})
	t.Run("the clock decides", func(t *testing.T) {
		ios, _, out, errOut := iostreams.Test()
		early := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		if code := mainAt(context.Background(), early, []string{"validate", grantsSpec}, ios, nil); code != ExitOK || errOut.Len() != 0 {
			t.Errorf("on 2026-10-01 nothing has expired: exit %d\n%s%s", code, out, errOut)
		}
	})
	t.Run("bad days", func(t *testing.T) {
		code, _, stderr := run(t, "validate", "--warn-expiring", "two weeks", grantsSpec)
		if code != ExitError || !strings.Contains(stderr, "is not a number of days (write it like 14d)") {
			t.Errorf("exit %d\n%s", code, stderr)
		}
	})
}
