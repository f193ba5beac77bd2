package plan

import (
	"fmt"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Guardrails are the limits a plan must respect before anything is written.
// plan evaluates them so a pull request shows what apply would refuse;
// apply evaluates them again against the state it is about to change.
type Guardrails struct {
	// MaxDeletes caps deletions; negative means no cap.
	MaxDeletes int
	// MinAdmins is the fewest admins a repository may be left with by the
	// plan (only repositories whose admins the plan reduces are checked).
	MinAdmins int
	// Prune must be set for a plan with deletions to run, except for
	// deletions of grants whose end date passed (Change.Expired) or that
	// the change under review removed (Change.Withdrawn): the spec asked
	// for those.
	Prune bool
	// AllowDeleteGroups must be set for a plan that deletes groups.
	AllowDeleteGroups bool
	// Caller is the identity reposync runs as; its own admin role is never
	// removed or demoted. Nil when unknown.
	Caller *state.LiveUser
	// HasSecret reports whether the environment variable a Git
	// authorization's password_env names is set; nil skips the check.
	HasSecret func(name string) bool
}

// RuleMaxRole is the rule of the refusal of a scoped file that takes away
// a live grant above its scope's max_role: refused outright, so a plan
// that holds it fails with or without --detailed-exitcode.
const RuleMaxRole = "max_role"

// Refusal is one guardrail a plan breaks, with what would break it.
type Refusal struct {
	Rule      string   `json:"rule"`
	Message   string   `json:"message"`
	Addresses []string `json:"addresses"`
}

// String is the refusal in words, what it names in prose (Prose): "bob
// on payments/api/gateway", not the address.
func (v Refusal) String() string {
	s := v.Rule + ": " + v.Message
	if len(v.Addresses) > 0 {
		s += " (" + v.Named(same, same) + ")"
	}
	return s
}

// Named names the first ten addresses in words (Prose, with name and
// text), joined by "; ", then how many others there are.
func (v Refusal) Named(name, text func(string) string) string {
	list := v.Addresses[:min(len(v.Addresses), 10)]
	names := make([]string, len(list))
	for i, a := range list {
		names[i] = Prose(a, name, text)
	}
	if more := len(v.Addresses) - len(list); more > 0 {
		return strings.Join(names, "; ") + text(fmt.Sprintf(" and %d more", more))
	}
	return strings.Join(names, "; ")
}

func same(s string) string { return s }

// Check returns every guardrail the plan breaks, given the live state it was
// planned against. An empty result means the plan may run.
func Check(p *Plan, live *state.Live, g Guardrails) []Refusal {
	out := []Refusal{}
	var deletes, unasked, groupDeletes, selfHarm, above, missing []string
	for _, c := range p.Changes {
		if c.Action == Delete {
			deletes = append(deletes, c.Address.String())
			if len(c.Expired) == 0 && c.Withdrawn == nil {
				unasked = append(unasked, c.Address.String())
			}
			if c.Kind == KindGroup {
				groupDeletes = append(groupDeletes, c.Address.String())
			}
		}
		if g.Caller != nil && c.Kind == KindMember && c.Action != Manual && isCaller(g.Caller, c.Target) {
			b, _ := c.Before.(*MemberValue)
			a, _ := c.After.(*MemberValue)
			if b != nil && b.Role == state.RoleAdmin && b.Via == "" && (a == nil || a.Role != state.RoleAdmin) {
				selfHarm = append(selfHarm, c.Address.String())
			}
		}
		if s := aboveScope(c); s != "" {
			above = append(above, s)
		}
		if v, ok := c.After.(*GitAuthValue); ok && v != nil && (c.Action == Create || c.Action == Replace) &&
			g.HasSecret != nil && !g.HasSecret(v.PasswordEnv) {
			missing = append(missing, fmt.Sprintf("%s (%s)", c.Address, v.PasswordEnv))
		}
	}
	if len(unasked) > 0 && !g.Prune {
		out = append(out, Refusal{Rule: "prune", Message: fmt.Sprintf("the plan deletes %s, which needs --prune", state.Count(len(unasked), "object")), Addresses: unasked})
	}
	if g.MaxDeletes >= 0 && len(deletes) > g.MaxDeletes {
		out = append(out, Refusal{Rule: "max_deletes", Message: fmt.Sprintf("the plan deletes %s, more than max_deletes %d; raise it with --max-deletes if this is intended", state.Count(len(deletes), "object"), g.MaxDeletes), Addresses: deletes})
	}
	if len(groupDeletes) > 0 && !g.AllowDeleteGroups {
		out = append(out, Refusal{Rule: "allow_delete_groups", Message: fmt.Sprintf("the plan deletes %s, which needs --allow-delete-groups", state.Count(len(groupDeletes), "repository group")), Addresses: groupDeletes})
	}
	if len(selfHarm) > 0 {
		out = append(out, Refusal{Rule: "self", Message: fmt.Sprintf("the plan removes or demotes the admin role of the identity reposync runs as (%s); do that by hand if you mean it", g.Caller.Name), Addresses: selfHarm})
	}
	if len(above) > 0 {
		out = append(out, Refusal{Rule: RuleMaxRole, Message: fmt.Sprintf("a scoped file takes away %s above its scope's max_role, which it could not have granted; a file without a scope (or a wider scope) must do it", state.Count(len(above), "live grant")), Addresses: above})
	}
	out = append(out, minAdmins(p, live, g.MinAdmins)...)
	if len(missing) > 0 {
		verb := "needs a password from the environment, and the variable is"
		if len(missing) > 1 {
			verb = "need a password from the environment, and the variables are"
		}
		out = append(out, Refusal{Rule: "password_env", Message: fmt.Sprintf("%s %s not set", state.Count(len(missing), "Git authorization"), verb), Addresses: missing})
	}
	return out
}

func isCaller(caller *state.LiveUser, t Target) bool {
	return (caller.IAMID != "" && caller.IAMID == t.UserIAMID) || (caller.ID != 0 && caller.ID == t.UserID)
}

// minAdmins counts, per repository the plan touches, the admins before and
// after; a repository whose admin count the plan lowers below min is a
// violation. Inherited admins count: they keep their access.
func minAdmins(p *Plan, live *state.Live, min int) []Refusal {
	if min <= 0 || live == nil {
		return nil
	}
	delta := map[string]int{} // admins gained, less those lost, by repository
	for _, c := range p.Changes {
		if c.Kind != KindMember || c.Action == Manual {
			continue
		}
		b, _ := c.Before.(*MemberValue)
		a, _ := c.After.(*MemberValue)
		was := b != nil && b.Role == state.RoleAdmin
		will := a != nil && a.Role == state.RoleAdmin
		switch {
		case b != nil && b.Via != "":
			// Inherited admin stays admin whatever the direct membership.
		case was && !will:
			delta[c.Target.Repository]--
		case !was && will:
			delta[c.Target.Repository]++
		}
	}
	var bad []string
	for _, repo := range keys(delta) {
		if delta[repo] >= 0 {
			continue
		}
		lr := live.Repositories[repo]
		if lr == nil {
			continue
		}
		before := 0
		for _, m := range lr.Members {
			if m.Role == state.RoleAdmin {
				before++
			}
		}
		if after := before + delta[repo]; after < min {
			bad = append(bad, fmt.Sprintf("%s (%d → %d admins)", repo, before, after))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return []Refusal{{Rule: "min_admins", Message: fmt.Sprintf("the plan would leave %s with fewer than %s", state.Count(len(bad), "repository"), state.Count(min, "admin")), Addresses: bad}}
}
