package state

import (
	"maps"
	"slices"
)

// DatedGrant is a grant of the spec with an end date (`expires`): the
// object that makes it, the list that holds it, and whom it grants, as
// Desired.DatedGrants walks them for `validate` (spec.Expiries) and plans
// (Plan.Expiring).
type DatedGrant struct {
	// Section is where the spec lists the object that makes the grant —
	// groups, repositories or policies — and Object its path or name.
	Section, Object string
	// List is the object's list that holds the grant: members,
	// member_groups or push_rules. A push rule's grant is an entry of its
	// list RuleList (users, member_groups or roles); Rule is its path.
	List, Rule, RuleList string
	// Noun says what Name is: user, member group or role.
	Noun, Name string
	Role       Role // a member's
	Source     Source
	Grant
}

// DatedGrants walks the grants of d that have an end date: its groups',
// repositories' and policies' in turn, by path or name, each object's
// members, member groups and push rules' users, member groups and roles.
func (d *Desired) DatedGrants() []DatedGrant {
	var out []DatedGrant
	add := func(g DatedGrant) {
		if !g.Expires.IsZero() {
			out = append(out, g)
		}
	}
	walk := func(section, object string, members map[string]Member, memberGroups []Ref, rules map[string]PushRule) {
		for _, name := range slices.Sorted(maps.Keys(members)) {
			m := members[name]
			add(DatedGrant{Section: section, Object: object, List: "members", Noun: "user", Name: name, Role: m.Role, Source: m.Source, Grant: m.Grant})
		}
		for _, r := range memberGroups {
			add(DatedGrant{Section: section, Object: object, List: "member_groups", Noun: "member group", Name: r.Name, Source: r.Source, Grant: r.Grant})
		}
		for _, path := range slices.Sorted(maps.Keys(rules)) {
			rule := rules[path]
			for _, l := range []struct {
				key, noun string
				refs      []Ref
			}{{"users", "user", rule.Users}, {"member_groups", "member group", rule.MemberGroups}, {"roles", "role", rule.Roles}} {
				for _, r := range l.refs {
					add(DatedGrant{Section: section, Object: object, List: "push_rules", Rule: path, RuleList: l.key,
						Noun: l.noun, Name: r.Name, Source: r.Source, Grant: r.Grant})
				}
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(d.Groups)) {
		walk("groups", path, nil, d.Groups[path].MemberGroups, nil)
	}
	for _, path := range slices.Sorted(maps.Keys(d.Repositories)) {
		r := d.Repositories[path]
		walk("repositories", path, r.Members, r.MemberGroups, r.PushRules)
	}
	for _, name := range slices.Sorted(maps.Keys(d.Policies)) {
		p := d.Policies[name]
		walk("policies", name, p.Members, p.MemberGroups, p.PushRules)
	}
	return out
}
