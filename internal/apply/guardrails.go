package apply

import (
	"fmt"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Guardrails are the limits a plan must respect before anything is written.
type Guardrails struct {
	// MaxDeletes caps deletions; negative means no cap.
	MaxDeletes int
	// MinAdmins is the fewest admins a repository may be left with by the
	// plan (only repositories whose admins the plan reduces are checked).
	MinAdmins int
	// Prune must be set for a plan with deletions to run.
	Prune bool
	// AllowDeleteGroups must be set for a plan that deletes groups.
	AllowDeleteGroups bool
	// Caller is the identity reposync runs as; its own admin role is never
	// removed or demoted. Nil when unknown.
	Caller *state.LiveUser
}

// Violation is one guardrail a plan breaks, with what would break it.
type Violation struct {
	Rule      string   `json:"rule"`
	Message   string   `json:"message"`
	Addresses []string `json:"addresses"`
}

func (v Violation) String() string {
	s := v.Rule + ": " + v.Message
	if len(v.Addresses) > 0 {
		const show = 10
		list := v.Addresses
		more := ""
		if len(list) > show {
			more = fmt.Sprintf(" and %d more", len(list)-show)
			list = list[:show]
		}
		s += " (" + strings.Join(list, ", ") + more + ")"
	}
	return s
}

// Check returns every guardrail the plan breaks, given the live state it was
// planned against. An empty result means the plan may run.
func Check(p *plan.Plan, live *state.Live, g Guardrails) []Violation {
	var out []Violation
	var deletes, groupDeletes, selfHarm []string
	for _, c := range p.Changes {
		if c.Action == plan.Delete {
			deletes = append(deletes, c.Address.String())
			if c.Kind == plan.KindGroup {
				groupDeletes = append(groupDeletes, c.Address.String())
			}
		}
		if g.Caller != nil && c.Kind == plan.KindMember && isCaller(g.Caller, c.Target) {
			b, _ := c.Before.(*plan.MemberValue)
			a, _ := c.After.(*plan.MemberValue)
			if b != nil && b.Role == state.RoleAdmin && b.Via == "" && (a == nil || a.Role != state.RoleAdmin) {
				selfHarm = append(selfHarm, c.Address.String())
			}
		}
	}
	if len(deletes) > 0 && !g.Prune {
		out = append(out, Violation{Rule: "prune", Message: fmt.Sprintf("the plan deletes %d objects, which needs --prune", len(deletes)), Addresses: deletes})
	}
	if g.MaxDeletes >= 0 && len(deletes) > g.MaxDeletes {
		out = append(out, Violation{Rule: "max_deletes", Message: fmt.Sprintf("the plan deletes %d objects, more than max_deletes %d; raise it with --max-deletes if this is intended", len(deletes), g.MaxDeletes), Addresses: deletes})
	}
	if len(groupDeletes) > 0 && !g.AllowDeleteGroups {
		out = append(out, Violation{Rule: "allow_delete_groups", Message: fmt.Sprintf("the plan deletes %d repository groups, which needs --allow-delete-groups", len(groupDeletes)), Addresses: groupDeletes})
	}
	if len(selfHarm) > 0 {
		out = append(out, Violation{Rule: "self", Message: fmt.Sprintf("the plan removes or demotes the admin role of the identity reposync runs as (%s); do that by hand if you mean it", g.Caller.Name), Addresses: selfHarm})
	}
	out = append(out, minAdmins(p, live, g.MinAdmins)...)
	return out
}

func isCaller(caller *state.LiveUser, t plan.Target) bool {
	return (caller.IAMID != "" && caller.IAMID == t.UserIAMID) || (caller.ID != 0 && caller.ID == t.UserID)
}

// minAdmins counts, per repository the plan touches, the admins before and
// after; a repository whose admin count the plan lowers below min is a
// violation. Inherited admins count: they keep their access.
func minAdmins(p *plan.Plan, live *state.Live, min int) []Violation {
	if min <= 0 || live == nil {
		return nil
	}
	delta := map[string]int{}
	var touched []string
	for _, c := range p.Changes {
		if c.Kind != plan.KindMember || c.Action == plan.Manual {
			continue
		}
		b, _ := c.Before.(*plan.MemberValue)
		a, _ := c.After.(*plan.MemberValue)
		was := b != nil && b.Role == state.RoleAdmin
		will := a != nil && a.Role == state.RoleAdmin
		if b != nil && b.Via != "" {
			// Inherited admin stays admin whatever the direct membership.
			was, will = true, true
		}
		repo := c.Target.Repository
		if _, ok := delta[repo]; !ok {
			touched = append(touched, repo)
		}
		switch {
		case was && !will:
			delta[repo]--
		case !was && will:
			delta[repo]++
		default:
			delta[repo] += 0
		}
	}
	sort.Strings(touched)
	var bad []string
	for _, repo := range touched {
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
	return []Violation{{Rule: "min_admins", Message: fmt.Sprintf("the plan would leave %d repositories with fewer than %d admins", len(bad), min), Addresses: bad}}
}
