package plan_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

func memberChange(repo, user string, action plan.Action, before, after state.Role) plan.Change {
	c := plan.Change{Address: plan.MemberAddress(repo, user), Kind: plan.KindMember, Action: action,
		Target: plan.Target{Repository: repo, User: user, UserIAMID: fmt.Sprintf("%032x", len(user))}}
	if before != "" {
		c.Before = &plan.MemberValue{Role: before}
	}
	if after != "" {
		c.After = &plan.MemberValue{Role: after}
	}
	return c
}

func TestGuardrails(t *testing.T) {
	caller := &state.LiveUser{Name: "ci-bot", ID: 1, IAMID: fmt.Sprintf("%032x", len("ci-bot"))}
	live := &state.Live{Repositories: map[string]*state.LiveRepository{
		"x/r": {Members: map[string]state.LiveMember{
			"alice":  {Role: state.RoleAdmin},
			"ci-bot": {Role: state.RoleAdmin},
			"bob":    {Role: state.RoleDeveloper},
		}},
	}}
	demoteAlice := memberChange("x/r", "alice", plan.Update, state.RoleAdmin, state.RoleDeveloper)
	removeBob := memberChange("x/r", "bob", plan.Delete, state.RoleDeveloper, "")
	removeBot := memberChange("x/r", "ci-bot", plan.Delete, state.RoleAdmin, "")
	manualBot := memberChange("x/r", "ci-bot", plan.Manual, state.RoleAdmin, state.RoleViewer)
	deleteGroup := plan.Change{Address: plan.GroupAddress("old"), Kind: plan.KindGroup, Action: plan.Delete, Target: plan.Target{Group: "old"}}
	auth := plan.Change{Address: plan.GitAuthAddress("ci"), Kind: plan.KindGitAuth, Action: plan.Create, After: &plan.GitAuthValue{RepoType: "github", User: "u", PasswordEnv: "CI_PW"}}
	base := plan.Guardrails{MaxDeletes: 25, MinAdmins: 1, Prune: true, Caller: caller, HasSecret: func(n string) bool { return n == "SET" }}
	mk := func(cs ...plan.Change) *plan.Plan { return &plan.Plan{FormatVersion: 1, Changes: cs} }
	tests := []struct {
		name  string
		p     *plan.Plan
		g     func(plan.Guardrails) plan.Guardrails
		rules []string
	}{
		{"clean", mk(demoteAlice, removeBob), nil, []string{}},
		{"deletions need prune", mk(removeBob), func(g plan.Guardrails) plan.Guardrails { g.Prune = false; return g }, []string{"prune"}},
		{"max deletes", mk(removeBob), func(g plan.Guardrails) plan.Guardrails { g.MaxDeletes = 0; return g }, []string{"max_deletes"}},
		{"group deletion needs its flag", mk(deleteGroup), nil, []string{"allow_delete_groups"}},
		{"never remove the caller's admin", mk(removeBot), nil, []string{"self"}},
		{"a manual change is not executed", mk(manualBot), nil, []string{}},
		{"min admins", mk(demoteAlice, removeBot), func(g plan.Guardrails) plan.Guardrails { g.Caller = nil; return g }, []string{"min_admins"}},
		{"min admins 2", mk(demoteAlice), func(g plan.Guardrails) plan.Guardrails { g.MinAdmins = 2; return g }, []string{"min_admins"}},
		{"missing password", mk(auth), nil, []string{"password_env"}},
		{"password not checked", mk(auth), func(g plan.Guardrails) plan.Guardrails { g.HasSecret = nil; return g }, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := base
			if tt.g != nil {
				g = tt.g(g)
			}
			got := []string{}
			for _, v := range plan.Check(tt.p, live, g) {
				got = append(got, v.Rule)
				if len(v.Addresses) == 0 || v.Message == "" {
					t.Errorf("refusal %q names nothing", v)
				}
			}
			if diff := cmp.Diff(tt.rules, got); diff != "" {
				t.Errorf("refusals (-want +got):\n%s", diff)
			}
		})
	}
}
