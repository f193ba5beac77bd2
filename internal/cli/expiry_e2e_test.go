package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/sim"
)

// expirySpec is written against the e2e fixture, for a plan made on
// testNow (2026-12-01): erin's developer role on gateway ended yesterday,
// carol's viewer role on ledger and erin's push grant end tomorrow.
// (writeSpec adds the version and project lines.)
const expirySpec = `repositories:
  payments/api/gateway:
    members:
      alice: admin
      bob: admin
      erin: {role: developer, expires: 2026-11-30, reason: "TICKET-7: migration help"}
    push_rules:
      /config/*: {users: [alice], member_groups: [payments-leads], roles: [project-manager]}
      /legacy/*: {users: [{name: erin, expires: 2026-12-02, reason: LEGACY-1}]}
  payments/api/ledger:
    members:
      bob: admin
      carol: {role: viewer, expires: 2026-12-02, reason: audit support}
`

type expiryPlan struct {
	Refusals []struct{ Rule string }
	Changes  []struct {
		Address, Action, Reason, Source string
		Expired                         []struct{ Grant, Expires, Reason, Source string }
	}
	Expiring []struct {
		Kind, Grant, Expires, Reason, Source string
		DaysLeft                             int `json:"days_left"`
		Addresses                            []string
	}
}

// TestExpiredGrantRemovedUpcomingUntouched: against the simulator, a grant
// that expired yesterday is planned for removal with its reason — without
// --prune — and is gone after apply; grants ending tomorrow are listed as
// ending soon and left as they are.
func TestExpiredGrantRemovedUpcomingUntouched(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	dir := writeSpec(t, expirySpec)
	plan := func() expiryPlan {
		t.Helper()
		code, out, errOut := w.run("plan", "--format", "json", dir)
		if code != 0 {
			t.Fatalf("plan: exit %d\n%s", code, errOut)
		}
		var p expiryPlan
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		return p
	}
	p := plan()
	if len(p.Changes) != 1 {
		t.Fatalf("changes = %+v, want erin's removal alone", p.Changes)
	}
	c := p.Changes[0]
	if c.Address != "repository[payments/api/gateway].member[erin]" || c.Action != "delete" ||
		c.Reason != "user erin expired on 2026-11-30 (granted for: TICKET-7: migration help)" ||
		len(c.Expired) != 1 || c.Expired[0].Expires != "2026-11-30" || !strings.HasSuffix(c.Source, "spec.yaml:8") {
		t.Errorf("erin's removal = %+v", c)
	}
	if len(p.Refusals) != 0 {
		t.Errorf("refusals %+v: an expired grant needs no --prune", p.Refusals)
	}
	var upcoming []string
	for _, e := range p.Expiring {
		upcoming = append(upcoming, e.Expires+" "+e.Grant+" "+strings.Join(e.Addresses, ","))
		if e.DaysLeft != 1 {
			t.Errorf("%s: %d days left, want 1", e.Grant, e.DaysLeft)
		}
	}
	want := []string{
		"2026-12-02 user erin repository[payments/api/gateway].push_rule[/legacy/*]",
		"2026-12-02 user carol repository[payments/api/ledger].member[carol]",
	}
	if diff := cmp.Diff(want, upcoming); diff != "" {
		t.Errorf("expiring (-want +got):\n%s", diff)
	}

	// Apply, without --prune.
	if code, out, errOut := w.run("apply", "--yes", dir); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
	}
	live := w.sim.Snapshot()
	for _, r := range live.Repositories {
		switch r.Path {
		case "payments/api/gateway":
			if _, ok := r.Members["erin"]; ok {
				t.Errorf("erin is still a member of gateway: %v", r.Members)
			}
			if !slices.ContainsFunc(r.PushRules, func(pr sim.PushRule) bool { return pr.Path == "/legacy/*" && slices.Equal(pr.Users, []string{"erin"}) }) {
				t.Errorf("erin's push grant (ends tomorrow) was touched: %+v", r.PushRules)
			}
		case "payments/api/ledger":
			if r.Members["carol"] != "viewer" {
				t.Errorf("carol (ends tomorrow) was touched: %v", r.Members)
			}
		}
	}
	if w.writes() != 1 {
		t.Errorf("%d writes, want the one removal", w.writes())
	}
	p = plan()
	if len(p.Changes) != 0 || len(p.Expiring) != 2 {
		t.Errorf("after apply: changes %+v, %d expiring", p.Changes, len(p.Expiring))
	}

	// Two days later the rest has expired too: carol is removed, erin's
	// push grant is taken off the rule (an update).
	code, out, errOut := w.runAt(testNow.AddDate(0, 0, 2), "plan", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errOut)
	}
	var later expiryPlan
	if err := json.Unmarshal([]byte(out), &later); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range later.Changes {
		got = append(got, c.Action+" "+c.Address)
	}
	if diff := cmp.Diff([]string{
		"update repository[payments/api/gateway].push_rule[/legacy/*]",
		"delete repository[payments/api/ledger].member[carol]",
	}, got); diff != "" {
		t.Errorf("two days later (-want +got):\n%s", diff)
	}
}

// TestExpiredGrantsCountAgainstMaxDeletes: the deletions expiry asks for
// need no --prune but stay within max_deletes.
func TestExpiredGrantsCountAgainstMaxDeletes(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	dir := writeSpec(t, expirySpec)
	code, out, _ := w.run("plan", "--detailed-exitcode", "--max-deletes", "0", dir)
	if code != ExitError || !strings.Contains(out, "max_deletes: the plan deletes 1 object, more than max_deletes 0") || strings.Contains(out, "prune:") {
		t.Errorf("exit %d, want 1 with the max_deletes refusal alone\n%s", code, out)
	}
	code, _, errOut := w.run("apply", "--yes", "--max-deletes", "0", dir)
	if code != ExitError || w.writes() != 0 {
		t.Errorf("apply: exit %d, %d writes\n%s", code, w.writes(), errOut)
	}
}
