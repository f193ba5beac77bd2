package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Every change to an existing member carries the id its legacy list row
// gave it (docs/api-assumptions.md A46), which need not be its IAM id: a
// role change, a pruning, an expiry and a withdrawn grant; a new member
// has none. A member known only by a legacy row (no ids) is never taken
// for absent, so it is not added again.
func TestMemberChangesCarryTheLegacyMemberID(t *testing.T) {
	own := func(l *state.Live) {
		for _, r := range l.Repositories {
			for name, m := range r.Members {
				m.MemberID = "own-" + name
				r.Members[name] = m
			}
		}
		// erin: a legacy row no v4 row matched, known by name only.
		l.Repositories["payments/api/ledger"].Members["erin"] = state.LiveMember{User: state.LiveUser{Name: "erin"}, RoleName: "access level 30 on a legacy member row that no v4 member row matches"}
		l.Users["erin"] = state.LiveUser{Name: "erin", ID: 9130, IAMID: "e1b2c3d4e5f60718293a4b5c6d7e8f93"}
	}
	ids := func(p *plan.Plan) []string {
		var out []string
		for _, c := range p.Changes {
			out = append(out, string(c.Action)+" "+c.Address.String()+" "+c.Target.MemberID)
		}
		return out
	}
	head := strings.Replace(withdrawBase, "members: {carol: developer}", "members: {carol: viewer, erin: admin, frank: {role: viewer, expires: 2026-01-01}, bob: viewer}", 1)
	head = strings.Replace(head, "members: {alice: admin}", "members: {}", 1)
	p, _ := withdrawnPlan(t, withdrawBase, head, plan.Options{Prune: true}, func(l *state.Live) {
		own(l)
		frank := state.LiveUser{Name: "frank", ID: 9131, IAMID: "f1b2c3d4e5f60718293a4b5c6d7e8f94"}
		l.Users["frank"] = frank
		l.Repositories["payments/api/ledger"].Members["frank"] = state.LiveMember{User: frank, Role: state.RoleViewer, MemberID: "own-frank"}
		gus := state.LiveUser{Name: "gus", ID: 9132, IAMID: "a9b2c3d4e5f60718293a4b5c6d7e8f95"}
		l.Repositories["payments/api/ledger"].Members["gus"] = state.LiveMember{User: gus, Role: state.RoleAdmin, MemberID: "own-gus"}
	})
	want := []string{
		"delete repository[payments/api/gateway].member[alice] own-alice", // withdrawn
		"create repository[payments/api/ledger].member[bob] ",
		"update repository[payments/api/ledger].member[carol] own-carol",
		"manual repository[payments/api/ledger].member[erin] ",           // known by name only: never added again
		"delete repository[payments/api/ledger].member[frank] own-frank", // expired
		"delete repository[payments/api/ledger].member[gus] own-gus",     // pruned
	}
	if diff := cmp.Diff(want, ids(p)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}
