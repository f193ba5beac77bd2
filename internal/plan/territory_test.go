package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// TestTerritory: a full plan shows the repositories a listed group or a
// policy reaches that the spec does not list, with their direct grants;
// what settings.unmanaged declares out of scope is counted, never changed
// (no policy reaches it, no group around it is deleted), and a scoped
// plan looks at neither.
func TestTerritory(t *testing.T) {
	live := world()
	mallory := state.LiveUser{Name: "mallory", ID: 9130, IAMID: "b1b2c3d4e5f60718293a4b5c6d7e8f91"}
	repo := func(path string, group int64, members map[string]state.LiveMember) *state.LiveRepository {
		return &state.LiveRepository{ID: group*10 + int64(len(live.Repositories)), Path: path, GroupID: group, Details: true, Members: members,
			MemberGroups: []string{}, PushRules: map[string]state.LivePushRule{}}
	}
	live.Groups["payments/legacy"] = &state.LiveGroup{ID: 102, Path: "payments/legacy", ParentID: 100}
	live.Groups["payments/legacy/empty"] = &state.LiveGroup{ID: 103, Path: "payments/legacy/empty", ParentID: 102}
	live.Groups["stale"] = &state.LiveGroup{ID: 104, Path: "stale", MemberGroups: []string{"payments-leads"}}
	live.Repositories["payments/legacy/x"] = repo("payments/legacy/x", 102, map[string]state.LiveMember{"mallory": {User: mallory, Role: state.RoleAdmin}})
	live.Repositories["payments/api/old"] = repo("payments/api/old", 101, map[string]state.LiveMember{"mallory": {User: mallory, Role: state.RoleAdmin}})
	console := repo("payments/api/console", 101, map[string]state.LiveMember{
		"mallory": {User: mallory, Role: state.RoleAdmin},
		"alice":   {User: live.Users["alice"], Role: state.RoleAdmin, Managed: "the repository creator"},
		"carol":   {User: live.Users["carol"], Role: state.RoleDeveloper, Inherited: true, Via: "member group payments-leads"},
	})
	console.MemberGroups = []string{"payments-leads"}
	console.PushRules = map[string]state.LivePushRule{"/deploy/**": {ID: 9, Path: "/deploy/**"}}
	live.Repositories["payments/api/console"] = console
	spec := unchanged + `settings:
  unmanaged: ["payments/legacy/**", "payments/api/old"]
policies:
  audit:
    repositories: ["payments/**"]
    members: {bob: viewer}
`
	p, problems := diff(t, spec, live, plan.Options{Prune: true, AllowDeleteGroups: true})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	// The policy's additions are planned on the unlisted console and
	// nowhere out of scope (bob's inherited developer role meets the
	// baseline on gateway); of the groups only stale, neither listed nor
	// out of scope nor around something that is, is deleted.
	wantChanges := []string{"delete group[stale]", "create repository[payments/api/console].member[bob]", "create repository[payments/api/ledger].member[bob]"}
	if diff := cmp.Diff(wantChanges, brief(p)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	want := []plan.Extra{{Address: plan.RepositoryAddress("payments/api/console"), Kind: plan.KindRepository,
		Detail: "repository not listed in the spec; policies reach it: audit",
		Grants: []plan.Grant{{Kind: plan.KindMember, Name: "mallory", Role: "admin"}, {Kind: plan.KindMemberGroup, Name: "payments-leads"},
			{Kind: plan.KindPushRule, Name: "/deploy/**", Rule: &plan.PushRuleValue{Users: []string{}, MemberGroups: []string{}, Roles: []string{}}}}}}
	if diff := cmp.Diff(want, p.Extras); diff != "" {
		t.Errorf("extras (-want +got):\n%s", diff)
	}
	if p.Summary.Unlisted != 1 || p.Summary.Unmanaged != 4 {
		t.Errorf("summary %+v, want 1 unlisted, 4 out of scope (two groups, two repositories)", p.Summary)
	}
	// Without pruning, the unlisted group is an extra with its grants.
	p, _ = diff(t, spec, live, plan.Options{})
	if got := p.Extras[0]; got.Address != plan.GroupAddress("stale") || len(got.Grants) != 1 || got.Grants[0].Name != "payments-leads" {
		t.Errorf("first extra %+v, want group stale with its member group", got)
	}
	// A scoped plan looks at no territory and counts nothing.
	sc := &plan.Scope{Repositories: []string{"payments/**"}, Groups: []string{"payments/**"}}
	if err := sc.Compile(); err != nil {
		t.Fatal(err)
	}
	p, _ = diff(t, spec, live, plan.Options{Scope: sc})
	if len(p.Extras) != 0 || p.Summary.Unmanaged != 0 {
		t.Errorf("scoped plan: extras %+v, summary %+v", p.Extras, p.Summary)
	}
}

// A repository the spec lists that does not exist is a problem, with the
// live repository it is most likely a typo of.
func TestMissingRepositorySuggestsALivePath(t *testing.T) {
	_, problems := diff(t, "version: 1\nrepositories:\n  payments/api/gatway:\n    members: {alice: admin}\n", world(), plan.Options{})
	want := "repository[payments/api/gatway]: repository `payments/api/gatway` does not exist in the project; reposync manages existing repositories and never creates them — did you mean `payments/api/gateway`?"
	if len(problems) != 1 || !strings.HasSuffix(problems[0].String(), want) {
		t.Errorf("problems %v, want one ending %q", problems, want)
	}
}
