package render

import (
	"fmt"
	"io"
	"testing"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// BenchmarkRender10k renders a plan with changes on 10 000 repositories in
// every format.
func BenchmarkRender10k(b *testing.B) {
	p := &plan.Plan{FormatVersion: 1, Project: "p", Live: map[string]string{}}
	for r := 0; r < 10_000; r++ {
		repo := fmt.Sprintf("org/team%03d/repo%05d", r%100, r)
		p.Changes = append(p.Changes,
			plan.Change{Address: plan.MemberAddress(repo, "alice"), Kind: plan.KindMember, Action: plan.Update,
				Before: &plan.MemberValue{Role: state.RoleDeveloper}, After: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/t.yaml:3"},
			plan.Change{Address: plan.PushRuleAddress(repo, "/config/*"), Kind: plan.KindPushRule, Action: plan.Update,
				Before: &plan.PushRuleValue{Users: []string{"alice"}, MemberGroups: []string{}, Roles: []string{}},
				After:  &plan.PushRuleValue{Users: []string{"alice", "bob"}, MemberGroups: []string{"leads"}, Roles: []string{}}, Source: "teams/t.yaml:9"})
		p.Live[plan.RepositoryAddress(repo).String()] = "sha256:00"
	}
	p.Summary = plan.Summary{Update: len(p.Changes)}
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := Render(io.Discard, p, f, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
