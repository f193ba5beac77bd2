package plan_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// withdrawWorld is world() with dave, a direct viewer of both repositories
// and of payments/web/shop, which no repository entry lists.
func withdrawWorld() *state.Live {
	live := world()
	dave := state.LiveUser{Name: "dave", ID: 9127, IAMID: "d1b2c3d4e5f60718293a4b5c6d7e8f91"}
	live.Users["dave"] = dave
	for _, r := range live.Repositories {
		r.Members["dave"] = state.LiveMember{User: dave, Role: state.RoleViewer}
	}
	live.Repositories["payments/web/shop"] = &state.LiveRepository{ID: 2002, UUID: "2f3c0e4a2b1d4c6e9f7a5b3c1d2e4f62", Path: "payments/web/shop", Details: true,
		Members: map[string]state.LiveMember{"dave": {User: dave, Role: state.RoleViewer}}, MemberGroups: []string{}, PushRules: map[string]state.LivePushRule{}}
	return live
}

// withdrawnPlan plans head against withdrawWorld knowing the base spec,
// as plan --changed-since does; each change is "action address (grant,
// source)" for a withdrawn one.
func withdrawnPlan(t *testing.T, base, head string, opts plan.Options, edit func(*state.Live)) (*plan.Plan, []string) {
	t.Helper()
	live := withdrawWorld()
	if edit != nil {
		edit(live)
	}
	bd, beff := load(t, base, live)
	hd, heff := load(t, head, live)
	opts.Today = "2026-12-01"
	opts.Withdrawn = plan.Withdrawals(bd, hd, beff, heff, "abc1234", opts.Today)
	p, problems := plan.Diff(hd, heff, live, opts)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	var out []string
	for _, c := range p.Changes {
		s := string(c.Action) + " " + c.Address.String()
		if w := c.Withdrawn; w != nil {
			s += fmt.Sprintf(" (%s %s %s, %s at %s)", w.Grant, w.Role, w.Policy, c.Source[strings.IndexByte(c.Source, ':'):], w.Revision)
		}
		if a, ok := c.After.(*plan.MemberValue); ok && c.Action == plan.Update {
			s += " → " + string(a.Role)
		}
		out = append(out, s)
	}
	return p, out
}

const withdrawBase = unchanged + `policies:
  audit:
    repositories: ["payments/**"]
    members: {dave: viewer}
`

func TestWithdrawnGrantsArePlannedRemovals(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		opts       plan.Options
		want       []string
		live       func(*state.Live)
	}{
		{name: "nothing removed", head: withdrawBase},
		{name: "a member line of a complete list", head: strings.Replace(withdrawBase, "members: {carol: developer}", "members: {}", 1),
			want: []string{"delete repository[payments/api/ledger].member[carol] (user carol developer , :13 at abc1234)"}},
		{name: "the same with --prune: the change's removal, not a pruning", opts: plan.Options{Prune: true},
			head: strings.Replace(withdrawBase, "members: {carol: developer}", "members: {}", 1),
			want: []string{"delete repository[payments/api/ledger].member[carol] (user carol developer , :13 at abc1234)"}},
		{name: "the members field gone: no longer managed, left alone", head: strings.Replace(withdrawBase, "  payments/api/ledger:\n    members: {carol: developer}\n", "  payments/api/ledger: {}\n", 1)},
		{name: "the repository gone from the spec: left alone", head: strings.Replace(withdrawBase, "  payments/api/ledger:\n    members: {carol: developer}\n", "", 1)},
		{name: "a policy's line: every repository it selected, listed or not", head: strings.Replace(withdrawBase, "members: {dave: viewer}", "members: {}", 1),
			want: []string{
				"delete repository[payments/api/gateway].member[dave] (user dave viewer audit, :19 at abc1234)",
				"delete repository[payments/api/ledger].member[dave] (user dave viewer audit, :19 at abc1234)",
				"delete repository[payments/web/shop].member[dave] (user dave viewer audit, :19 at abc1234)",
			}},
		{name: "a policy's line, where a member has more than it granted", head: strings.Replace(withdrawBase, "members: {dave: viewer}", "members: {}", 1),
			live: func(l *state.Live) { // admin of the shop, which no entry lists, and of the ledger, which does
				for _, r := range []string{"payments/web/shop", "payments/api/ledger"} {
					m := l.Repositories[r].Members["dave"]
					m.Role = state.RoleAdmin
					l.Repositories[r].Members["dave"] = m
				}
			},
			want: []string{
				"delete repository[payments/api/gateway].member[dave] (user dave viewer audit, :19 at abc1234)",
				"delete repository[payments/api/ledger].member[dave] (user dave viewer audit, :19 at abc1234)",
			}},
		{name: "a policy narrowed: only where it no longer reaches", head: strings.Replace(withdrawBase, `["payments/**"]`, `["payments/api/**"]`, 1),
			want: []string{"delete repository[payments/web/shop].member[dave] (user dave viewer audit, :19 at abc1234)"}},
		{name: "another grant still holds it", head: strings.Replace(withdrawBase, "members: {dave: viewer}", "members: {}", 1) +
			"  still:\n    repositories: [\"payments/web/*\"]\n    members: {dave: viewer}\n",
			want: []string{
				"delete repository[payments/api/gateway].member[dave] (user dave viewer audit, :19 at abc1234)",
				"delete repository[payments/api/ledger].member[dave] (user dave viewer audit, :19 at abc1234)",
			}},
		{name: "an admin's own line gone while a policy grants viewer: demoted",
			head: strings.Replace(withdrawBase, "members: {alice: admin}", "members: {}", 1) + "  viewers:\n    repositories: [payments/api/gateway]\n    members: {alice: viewer}\n",
			want: []string{"update repository[payments/api/gateway].member[alice] (user alice admin , :8 at abc1234) → viewer"}},
		{name: "a member group of a repository: manual", head: strings.Replace(withdrawBase, "member_groups: [payments-leads]\n    push_rules", "member_groups: []\n    push_rules", 1),
			want: []string{"manual repository[payments/api/gateway].member_group[payments-leads] (member group payments-leads  , :9 at abc1234)"}},
		{name: "a member group of a group: manual", head: strings.Replace(withdrawBase, "description: Payments, member_groups: [payments-leads]", "description: Payments, member_groups: []", 1),
			want: []string{"manual group[payments].member_group[payments-leads] (member group payments-leads  , :4 at abc1234)"}},
		{name: "a push rule", head: strings.Replace(withdrawBase, "    push_rules:\n      /config/*: {roles: [project-manager], member_groups: [payments-leads], users: [alice]}\n", "    push_rules: {}\n", 1),
			want: []string{"delete repository[payments/api/gateway].push_rule[/config/*] (push rule /config/*  , :11 at abc1234)"}},
		{name: "a Git authorization", head: strings.Replace(withdrawBase, "  bitbucket-ci: {repo_type: bitbucket, user: bucket-ljn, password_env: BB_PASSWORD}\n", "  {}\n", 1),
			want: []string{"delete git_auth[bitbucket-ci] (Git authorization bitbucket-ci  , :15 at abc1234)"}},
		{name: "the git_auths section gone: no longer managed", head: strings.Replace(withdrawBase, "git_auths:\n  bitbucket-ci: {repo_type: bitbucket, user: bucket-ljn, password_env: BB_PASSWORD}\n", "", 1)},
		{name: "out of the plan's scope", head: strings.Replace(withdrawBase, "members: {carol: developer}", "members: {}", 1),
			opts: plan.Options{Scope: compiled(t, []string{"payments/api/gateway"}, []string{}, false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, got := withdrawnPlan(t, withdrawBase, tc.head, tc.opts, tc.live)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			for _, e := range p.Extras {
				for _, c := range p.Changes {
					if e.Address == c.Address {
						t.Errorf("%s is both withdrawn and unlisted", e.Address)
					}
				}
			}
			// The guardrails count the removals but never ask for --prune.
			refusals := plan.Check(p, withdrawWorld(), plan.Guardrails{MaxDeletes: 0})
			deletes := p.Summary.Delete
			for _, r := range refusals {
				if r.Rule == "prune" {
					t.Errorf("a withdrawn grant needs --prune: %v", r)
				}
				if r.Rule == "max_deletes" && deletes == 0 {
					t.Errorf("max_deletes refuses no deletion: %v", r)
				}
			}
			if deletes > 0 && !strings.Contains(fmt.Sprint(refusals), "max_deletes") {
				t.Errorf("max_deletes 0 does not count %d withdrawn deletions: %v", deletes, refusals)
			}
		})
	}
}

// A saved plan carries its withdrawals: decoded, they plan the same
// changes again (apply --plan), and its changes digest holds.
func TestWithdrawalsSurviveASavedPlan(t *testing.T) {
	head := strings.Replace(withdrawBase, "members: {dave: viewer}", "members: {}", 1)
	p, _ := withdrawnPlan(t, withdrawBase, head, plan.Options{}, nil)
	p.ChangesDigest = plan.ChangesDigest(p)
	var buf bytes.Buffer
	if err := plan.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	saved, err := plan.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	live := withdrawWorld()
	hd, heff := load(t, head, live)
	again, _ := plan.Diff(hd, heff, live, plan.Options{Today: "2026-12-01", Withdrawn: plan.WithdrawalsOf(saved)})
	if diff := plan.ChangesDiffer(saved, again); len(diff) > 0 || len(again.Changes) != 3 {
		t.Errorf("the saved withdrawals plan %d changes; differences: %v", len(again.Changes), diff)
	}
	// Without them, the same spec plans none of it.
	plain, _ := plan.Diff(hd, heff, live, plan.Options{Today: "2026-12-01"})
	if len(plain.Changes) != 0 {
		t.Errorf("without the base: %v", brief(plain))
	}
}

// The guardrails count a withdrawn grant like any removal: the gateway's
// only admin demoted by the change is a min_admins refusal, and the
// caller's own admin role is never taken, even when the spec asks.
func TestWithdrawnGrantsMeetTheGuardrails(t *testing.T) {
	head := strings.Replace(withdrawBase, "members: {alice: admin}", "members: {}", 1) + "  viewers:\n    repositories: [payments/api/gateway]\n    members: {alice: viewer}\n"
	p, got := withdrawnPlan(t, withdrawBase, head, plan.Options{}, nil)
	if len(got) != 1 {
		t.Fatalf("changes: %v", got)
	}
	alice := withdrawWorld().Users["alice"]
	var rules []string
	for _, r := range plan.Check(p, withdrawWorld(), plan.Guardrails{MaxDeletes: 25, MinAdmins: 1, Caller: &alice}) {
		rules = append(rules, r.Rule)
	}
	if diff := cmp.Diff([]string{"self", "min_admins"}, rules); diff != "" {
		t.Errorf("refusals (-want +got):\n%s", diff)
	}
}

// TestRenamedUserIsNoWithdrawal: a spec that names a member by a new key
// pinned to the same live user (a rename in the spec) still grants her:
// the base's line under the old name takes nothing away.
func TestRenamedUserIsNoWithdrawal(t *testing.T) {
	head := strings.Replace(withdrawBase, "members: {carol: developer}", "members: {cee: developer}", 1) +
		"users:\n  cee: {id: 9126}\n"
	if _, got := withdrawnPlan(t, withdrawBase, head, plan.Options{}, nil); len(got) > 0 {
		t.Errorf("a renamed member is planned as a change: %v", got)
	}
}

// The same for a member group: a key renamed and pinned to the same live
// group still attaches it, so nobody is asked to detach it.
func TestRenamedMemberGroupIsNoWithdrawal(t *testing.T) {
	head := strings.Replace(withdrawBase, "member_groups: [payments-leads]\n    push_rules", "member_groups: [leads]\n    push_rules", 1) +
		"member_groups:\n  leads: {id: 2bde30f6f7834db7af487450a9d155c5, team_id: 247}\n"
	head = strings.Replace(head, "description: Payments, member_groups: [payments-leads]", "description: Payments, member_groups: [leads]", 1)
	if _, got := withdrawnPlan(t, withdrawBase, head, plan.Options{}, nil); len(got) > 0 {
		t.Errorf("a renamed member group is planned as a change: %v", got)
	}
}
