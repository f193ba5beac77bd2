package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Members CodeArts manages itself (the creator, project members synced
// in) are never removed or demoted, are not drift when the spec leaves them
// out, and a spec that disagrees with them gets a manual change naming why.
// Roles reposync does not know are never guessed.
func TestManagedAndUnknownMembers(t *testing.T) {
	live := world()
	gw := live.Repositories["payments/api/gateway"]
	pm := state.LiveUser{Name: "pm-anna", ID: 9200, IAMID: "0123456789abcdef0123456789abcdef"}
	nina := state.LiveUser{Name: "nina", ID: 9201, IAMID: "fedcba9876543210fedcba9876543210"}
	olga := state.LiveUser{Name: "olga", ID: 9202, IAMID: "00112233445566778899aabbccddeeff"}
	gw.Members["pm-anna"] = state.LiveMember{User: pm, Role: state.RoleAdmin, RoleName: "Project manager", Managed: "synced from the project as Project manager"}
	gw.Members["alice"] = state.LiveMember{User: gw.Members["alice"].User, Role: state.RoleAdmin, Managed: "the repository creator"}
	gw.Members["nina"] = state.LiveMember{User: nina, RoleName: "Committer (access level 35)"}
	gw.Members["olga"] = state.LiveMember{User: olga, RoleName: "Guardian"}
	for _, u := range []state.LiveUser{pm, nina, olga} {
		live.Users[u.Name] = u
	}

	// The spec lists neither pm-anna nor olga on a complete list, wants the
	// creator demoted and nina (unknown role) as developer.
	spec := strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: viewer, nina: developer}", 1)
	p, problems := diff(t, spec, live, plan.Options{Prune: true})
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	want := []string{
		"manual repository[payments/api/gateway].member[alice]",
		"manual repository[payments/api/gateway].member[nina]",
	}
	if diff := cmp.Diff(want, brief(p)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	for _, c := range p.Changes {
		switch c.Address.Key {
		case "alice":
			if !strings.Contains(c.Reason, "alice is the repository creator: CodeArts manages this membership (role `admin`)") {
				t.Errorf("alice: reason %q", c.Reason)
			}
		case "nina":
			if b := c.Before.(*plan.MemberValue); b.Role != "" || b.RoleName != "Committer (access level 35)" || !strings.Contains(c.Reason, "does not know") {
				t.Errorf("nina: before %+v, reason %q", b, c.Reason)
			}
		}
	}
	if len(p.Extras) != 0 {
		t.Errorf("managed or unknown members reported as extras: %+v", p.Extras)
	}
	if !strings.Contains(strings.Join(p.Warnings, "\n"), "olga has the role `Guardian`, which reposync does not know; it is left alone") {
		t.Errorf("warnings = %q", p.Warnings)
	}

	// A spec that agrees with the managed members plans nothing for them;
	// a policy baseline below a synced admin is met.
	spec = strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: admin, pm-anna: admin}", 1) + `policies:
  audit:
    repositories: ["payments/api/gateway"]
    members: {pm-anna: viewer}
`
	spec = strings.Replace(spec, "members: {alice: admin, pm-anna: admin}", "members: {alice: admin}", 1)
	p, _ = diff(t, spec, live, plan.Options{Prune: true})
	if got := brief(p); len(got) != 0 {
		t.Errorf("agreeing spec plans %v", got)
	}
}
