package plan_test

import (
	"fmt"
	"testing"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// bigWorld builds n repositories with five members and two push rules each,
// and a desired state that changes about a tenth of them.
func bigWorld(n int) (*state.Desired, map[string]*state.EffectiveRepository, *state.Live) {
	live := &state.Live{
		Project: "0b234373cf3f4b04ab2d8a245155e12b",
		Groups:  map[string]*state.LiveGroup{}, Repositories: map[string]*state.LiveRepository{},
		Users: map[string]state.LiveUser{}, MemberGroups: map[string]state.LiveMemberGroup{}, Roles: map[string]state.LiveRole{},
		GitAuths: map[string]*state.LiveGitAuth{}, Fingerprints: map[string]string{},
	}
	d := &state.Desired{Project: live.Project, Repositories: map[string]*state.Repository{}, Users: map[string]state.UserPin{},
		MemberGroups: map[string]state.MemberGroupPin{}, Roles: map[string]state.RolePin{}, Policies: map[string]*state.Policy{}}
	for u := 0; u < 500; u++ {
		name := fmt.Sprintf("user%03d", u)
		live.Users[name] = state.LiveUser{Name: name, ID: int64(1000 + u), IAMID: fmt.Sprintf("%032x", u+1)}
	}
	live.MemberGroups["leads"] = state.LiveMemberGroup{Name: "leads", ID: fmt.Sprintf("%032x", 999), TeamID: 7}
	eff := map[string]*state.EffectiveRepository{}
	for r := 0; r < n; r++ {
		group := fmt.Sprintf("org/team%03d", r%100)
		path := fmt.Sprintf("%s/repo%05d", group, r)
		live.Groups[group] = &state.LiveGroup{ID: int64(100 + r%100), Path: group}
		lr := &state.LiveRepository{ID: int64(10000 + r), UUID: fmt.Sprintf("%032x", 100000+r), Path: path, Details: true,
			Members: map[string]state.LiveMember{}, MemberGroups: []string{"leads"}, PushRules: map[string]state.LivePushRule{}}
		e := &state.EffectiveRepository{Path: path, Listed: true, Members: map[string]state.Member{}, MembersAuthoritative: true,
			PushRules: map[string]state.PushRule{}, PushRulesAuthoritative: true}
		for m := 0; m < 5; m++ {
			u := live.Users[fmt.Sprintf("user%03d", (r+m*7)%500)]
			lr.Members[u.Name] = state.LiveMember{User: u, Role: state.RoleDeveloper}
			role := state.RoleDeveloper
			if r%10 == 0 && m == 0 {
				role = state.RoleAdmin // a tenth of the repositories change one role
			}
			e.Members[u.Name] = state.Member{User: u.Name, Role: role, Source: state.Source{File: "spec.yaml", Line: r}}
		}
		for _, rp := range []string{"/config/*", "/deploy/**"} {
			u := live.Users[fmt.Sprintf("user%03d", r%500)]
			lr.PushRules[rp] = state.LivePushRule{ID: int64(r*2 + 1), Path: rp, Users: []state.LiveUser{u}, MemberGroups: []state.LiveMemberGroup{live.MemberGroups["leads"]}}
			e.PushRules[rp] = state.PushRule{Path: rp, Users: []state.Ref{{Name: u.Name}}, MemberGroups: []state.Ref{{Name: "leads"}}}
		}
		live.Repositories[path] = lr
		live.Fingerprints[plan.RepositoryAddress(path).String()] = fmt.Sprintf("sha256:%064x", r)
		d.Repositories[path] = &state.Repository{Path: path}
		eff[path] = e
	}
	return d, eff, live
}

// BenchmarkDiff10k plans 10 000 repositories from an in-memory snapshot; the
// target (docs/performance.md) is well under a second and 300 MB.
func BenchmarkDiff10k(b *testing.B) {
	d, eff, live := bigWorld(10_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, problems := plan.Diff(d, eff, live, plan.Options{Prune: true})
		if len(problems) > 0 || p.Summary.Update != 1000 {
			b.Fatalf("unexpected plan: %d problems, summary %+v", len(problems), p.Summary)
		}
	}
}
