package plan_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// day is the plan's "today" in these tests; yesterday and tomorrow are
// the dates the specs write.
const (
	day       = state.Date("2027-01-31")
	yesterday = "2027-01-30"
	tomorrow  = "2027-02-01"
)

// expiring is the unchanged world's spec with some grants in the long form.
const expiring = `version: 1
project: 0b234373cf3f4b04ab2d8a245155e12b
groups:
  payments: {visibility: private, description: Payments, member_groups: [{name: payments-leads, expires: GROUPMG}]}
  payments/api: {visibility: private}
repositories:
  payments/api/gateway:
    members: {alice: admin}
    member_groups: [{name: payments-leads, expires: REPOMG, reason: LEADS-1}]
    push_rules:
      /config/*: {roles: [project-manager], member_groups: [payments-leads], users: [{name: alice, expires: PUSHUSER}]}
  payments/api/ledger:
    members: {carol: {role: developer, expires: CAROL, reason: TICKET-123}}
git_auths:
  bitbucket-ci: {repo_type: bitbucket, user: bucket-ljn, password_env: BB_PASSWORD}
`

func expiringSpec(dates map[string]string) string {
	s := expiring
	for _, k := range []string{"GROUPMG", "REPOMG", "PUSHUSER", "CAROL"} {
		v, ok := dates[k]
		if !ok {
			v = "2099-12-31"
		}
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

func TestExpiredGrantsOnCompleteLists(t *testing.T) {
	spec := expiringSpec(map[string]string{"GROUPMG": yesterday, "REPOMG": yesterday, "PUSHUSER": yesterday, "CAROL": yesterday})
	for _, prune := range []bool{false, true} {
		p, problems := diff(t, spec, world(), plan.Options{Prune: prune, Today: day})
		if len(problems) > 0 {
			t.Fatalf("problems: %v", problems)
		}
		want := []string{
			"manual group[payments].member_group[payments-leads]",
			"delete repository[payments/api/ledger].member[carol]",
			"manual repository[payments/api/gateway].member_group[payments-leads]",
			"update repository[payments/api/gateway].push_rule[/config/*]",
		}
		if diff := cmp.Diff(sortedStrings(want), sortedStrings(brief(p))); diff != "" {
			t.Fatalf("prune=%v: changes (-want +got):\n%s", prune, diff)
		}
		for _, c := range p.Changes {
			if len(c.Expired) != 1 || c.Expired[0].Expires != yesterday || !strings.Contains(c.Reason, "expired on "+yesterday) {
				t.Errorf("%s: expired %+v, reason %q", c.Address, c.Expired, c.Reason)
			}
		}
		carol := find(p, "repository[payments/api/ledger].member[carol]")
		if carol.Reason != "user carol expired on 2027-01-30 (granted for: TICKET-123)" || carol.Source == "" || carol.Expired[0].Grant != "user carol" {
			t.Errorf("carol's deletion: reason %q, source %q, expired %+v", carol.Reason, carol.Source, carol.Expired)
		}
		rule := find(p, "repository[payments/api/gateway].push_rule[/config/*]")
		if after := rule.After.(*plan.PushRuleValue); len(after.Users) != 0 || len(after.MemberGroups) != 1 {
			t.Errorf("the rule keeps %+v", after)
		}
		// No --prune needed, still counted: one deletion against max_deletes 0.
		refusals := plan.Check(p, world(), plan.Guardrails{MaxDeletes: 0, MinAdmins: 1, Prune: false})
		var rules []string
		for _, r := range refusals {
			rules = append(rules, r.Rule)
		}
		if diff := cmp.Diff([]string{"max_deletes"}, rules); diff != "" {
			t.Errorf("refusals (-want +got):\n%s", diff)
		}
		if refusals := plan.Check(p, world(), plan.Guardrails{MaxDeletes: 1, MinAdmins: 1}); len(refusals) != 0 {
			t.Errorf("within max_deletes, without --prune: refused %v", refusals)
		}
		if len(p.Expiring) != 0 {
			t.Errorf("expiring = %+v, want none", p.Expiring)
		}
		if n := countContains(p.Warnings, "spec.yaml:"); n != 4 {
			t.Errorf("%d warnings name the expired grants, want 4: %q", n, p.Warnings)
		}
	}
}

func TestExpiredAdminCountsAgainstMinAdmins(t *testing.T) {
	spec := strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: {role: admin, expires: "+yesterday+"}}", 1)
	p, problems := diff(t, spec, world(), plan.Options{Today: day})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if diff := cmp.Diff([]string{"delete repository[payments/api/gateway].member[alice]"}, brief(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	refusals := plan.Check(p, world(), plan.Guardrails{MaxDeletes: 25, MinAdmins: 1})
	if len(refusals) != 1 || refusals[0].Rule != "min_admins" {
		t.Errorf("refusals = %v, want min_admins alone", refusals)
	}
	caller := world().Users["alice"]
	refusals = plan.Check(p, world(), plan.Guardrails{MaxDeletes: 25, Caller: &caller})
	if len(refusals) != 1 || refusals[0].Rule != "self" {
		t.Errorf("refusals = %v, want self alone", refusals)
	}
}

func TestUpcomingExpiriesAreListedAndUntouched(t *testing.T) {
	spec := expiringSpec(map[string]string{"GROUPMG": "2027-02-14", "REPOMG": tomorrow, "PUSHUSER": string(day), "CAROL": tomorrow})
	p, problems := diff(t, spec, world(), plan.Options{Today: day})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if len(p.Changes) != 0 || p.Summary.Drift() {
		t.Errorf("changes %v, want none: grants that still hold are untouched", brief(p))
	}
	type row struct {
		Kind           plan.Kind
		Grant, Expires string
		DaysLeft       int
		Source, Reason string
		Addresses      []string
	}
	var got []row
	for _, e := range p.Expiring {
		var as []string
		for _, a := range e.Addresses {
			as = append(as, a.String())
		}
		got = append(got, row{e.Kind, e.Grant, string(e.Expires), e.DaysLeft, filepath.Base(e.Source), e.Reason, as})
	}
	want := []row{
		{plan.KindPushRule, "user alice", "2027-01-31", 0, "spec.yaml:11", "", []string{"repository[payments/api/gateway].push_rule[/config/*]"}},
		{plan.KindMemberGroup, "member group payments-leads", tomorrow, 1, "spec.yaml:9", "LEADS-1", []string{"repository[payments/api/gateway].member_group[payments-leads]"}},
		{plan.KindMember, "user carol", tomorrow, 1, "spec.yaml:13", "TICKET-123", []string{"repository[payments/api/ledger].member[carol]"}},
		{plan.KindGroupMemberGroup, "member group payments-leads", "2027-02-14", 14, "spec.yaml:4", "", []string{"group[payments].member_group[payments-leads]"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("expiring (-want +got):\n%s", diff)
	}
	// A day later the window has moved: 2027-02-14 is 13 days away, the
	// grant of "today" has expired.
	p, _ = diff(t, spec, world(), plan.Options{Today: day.AddDays(1)})
	if len(p.Expiring) != 3 || len(p.Changes) != 1 {
		t.Errorf("next day: %d expiring, changes %v", len(p.Expiring), brief(p))
	}
	// Without a day nothing expires and nothing is listed.
	p, _ = diff(t, expiringSpec(map[string]string{"CAROL": yesterday}), world(), plan.Options{})
	if len(p.Changes) != 0 || len(p.Expiring) != 0 {
		t.Errorf("no day: changes %v, expiring %+v", brief(p), p.Expiring)
	}
}

// TestExpiredPolicyGrants: granted by a policy, an expired grant is no
// longer added and never removed; a policy still granting what a
// repository's own expired grant gave keeps it.
func TestExpiredPolicyGrants(t *testing.T) {
	live := world()
	spec := unchanged + `policies:
  baseline:
    repositories: ["payments/**"]
    members:
      bob: {role: viewer, expires: ` + yesterday + `}
      carol: {role: developer, expires: ` + yesterday + `}
    member_groups: [{name: payments-leads, expires: ` + yesterday + `}]
    push_rules:
      /config/*: {roles: [project-manager], member_groups: [payments-leads], users: [{name: alice, expires: ` + yesterday + `}]}
      /deploy/**: {users: [alice, {name: carol, expires: ` + yesterday + `}]}
`
	// carol is a live developer on ledger (listed there) but not on
	// gateway: the expired baseline must not add her to gateway. The
	// gateway's own /config/* rule equals the policy's; ledger gets the
	// policy's rules, without the expired grants.
	p, problems := diff(t, spec, live, plan.Options{Today: day})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := []string{
		"create repository[payments/api/gateway].push_rule[/deploy/**]",
		"create repository[payments/api/ledger].push_rule[/config/*]",
		"create repository[payments/api/ledger].push_rule[/deploy/**]",
	}
	if diff := cmp.Diff(want, brief(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for _, a := range []string{"repository[payments/api/ledger].push_rule[/config/*]", "repository[payments/api/ledger].push_rule[/deploy/**]"} {
		if after := find(p, a).After.(*plan.PushRuleValue); strings.Contains(after.String(), "carol") || a == "repository[payments/api/ledger].push_rule[/config/*]" && len(after.Users) != 0 {
			t.Errorf("%s: %s", a, after)
		}
	}

	// A policy's rule keeps an expired grant that is live: policies never
	// remove. Here the gateway lists no push rules of its own.
	ownless := strings.Replace(spec, "    push_rules:\n      /config/*: {roles: [project-manager], member_groups: [payments-leads], users: [alice]}\n", "", 1)
	p, _ = diff(t, ownless, live, plan.Options{Today: day})
	for _, c := range p.Changes {
		if c.Address.String() == "repository[payments/api/gateway].push_rule[/config/*]" {
			t.Errorf("the policy's rule changes the live one: %s %s", c.Action, describeRule(c))
		}
	}

	// The repository's own grant expired, a policy still grants the same:
	// kept.
	both := strings.Replace(unchanged, "members: {carol: developer}", "members: {carol: {role: developer, expires: "+yesterday+"}}", 1) + `policies:
  keep-carol:
    repositories: ["payments/api/ledger"]
    members: {carol: developer}
`
	p, problems = diff(t, both, live, plan.Options{Today: day})
	if len(problems) > 0 || len(p.Changes) != 0 {
		t.Errorf("carol kept by a policy: changes %v, problems %v", brief(p), problems)
	}
}

// TestExpiredGrantOfSomeoneWhoLeft: an expired grant may name a user the
// project no longer has; that is no problem.
func TestExpiredGrantOfSomeoneWhoLeft(t *testing.T) {
	spec := strings.Replace(unchanged, "members: {carol: developer}", "members: {carol: developer, zed: {role: viewer, expires: "+yesterday+"}}", 1)
	p, problems := diff(t, spec, world(), plan.Options{Today: day})
	if len(problems) > 0 || len(p.Changes) != 0 {
		t.Errorf("changes %v, problems %v", brief(p), problems)
	}
	if _, problems := diff(t, spec, world(), plan.Options{Today: "2027-01-01"}); len(problems) != 1 {
		t.Errorf("before the date zed is wanted and unknown: problems %v", problems)
	}
}

func find(p *plan.Plan, addr string) plan.Change {
	for _, c := range p.Changes {
		if c.Address.String() == addr {
			return c
		}
	}
	return plan.Change{}
}

func describeRule(c plan.Change) string {
	if a, ok := c.After.(*plan.PushRuleValue); ok {
		return a.String()
	}
	return ""
}

func countContains(ss []string, sub string) int {
	n := 0
	for _, s := range ss {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestExpiryFieldsSurviveASavedPlan: a plan with expired grants and
// upcoming expiries is saved and read back as it was (apply --plan).
func TestExpiryFieldsSurviveASavedPlan(t *testing.T) {
	spec := expiringSpec(map[string]string{"CAROL": yesterday, "REPOMG": tomorrow})
	p, problems := diff(t, spec, world(), plan.Options{Today: day})
	if len(problems) > 0 || len(p.Expiring) != 1 || len(p.Changes) != 1 || len(p.Changes[0].Expired) != 1 {
		t.Fatalf("plan: %v %+v %v", brief(p), p.Expiring, problems)
	}
	var buf bytes.Buffer
	if err := plan.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	back, err := plan.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.Expiring, back.Expiring); diff != "" {
		t.Errorf("expiring (-saved +read):\n%s", diff)
	}
	if d := plan.ChangesDiffer(p, back); len(d) != 0 {
		t.Errorf("the read plan differs: %v", d)
	}
}
