package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// GrantExpiry is one grant of the spec that has an end date, where it is
// written and how it stands on a given day.
type GrantExpiry struct {
	// Grant says what is granted, in words: "member bob (developer) of
	// repository payments/api/gateway".
	Grant   string     `json:"grant"`
	Expires state.Date `json:"expires"`
	// DaysLeft counts the days from the day asked about to Expires: 0 on
	// the last day, negative once the grant expired.
	DaysLeft int    `json:"days_left"`
	Expired  bool   `json:"expired"`
	Reason   string `json:"reason,omitempty"`
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	// Path is the YAML path of the grant (of its list, for a name in a list).
	Path string `json:"path"`

	name string // the grantee, for messages
}

// Expiries lists the grants of d that have expired on day today or end
// within the next within days (none of those when within is negative),
// sorted by file and position. A zero today lists nothing: without a
// clock nothing expires.
func Expiries(d *state.Desired, today state.Date, within int) []GrantExpiry {
	if d == nil || today.IsZero() {
		return nil
	}
	var out []GrantExpiry
	add := func(name, what string, g state.Grant, s state.Source, p yamlPath) {
		if g.Expires.IsZero() {
			return
		}
		expired := g.ExpiredOn(today)
		if !expired && (within < 0 || !g.ExpiresWithin(today, within)) {
			return
		}
		out = append(out, GrantExpiry{Grant: what, Expires: g.Expires, DaysLeft: today.DaysUntil(g.Expires), Expired: expired,
			Reason: g.Reason, File: s.File, Line: s.Line, Column: s.Column, Path: p.String(), name: name})
	}
	members := func(owner string, ms map[string]state.Member, p yamlPath) {
		for _, name := range sortedKeys(ms) {
			m := ms[name]
			add(name, fmt.Sprintf("member %s (%s) of %s", name, m.Role, owner), m.Grant, m.Source, append(slices.Clone(p), name))
		}
	}
	memberGroups := func(prep, owner string, rs []state.Ref, p yamlPath) {
		for _, r := range rs {
			add(r.Name, fmt.Sprintf("member group %s %s %s", r.Name, prep, owner), r.Grant, r.Source, p)
		}
	}
	rules := func(owner string, rules map[string]state.PushRule, p yamlPath) {
		for _, path := range sortedKeys(rules) {
			rule := rules[path]
			for _, l := range []struct {
				key, what string
				refs      []state.Ref
			}{{"users", "user", rule.Users}, {"member_groups", "member group", rule.MemberGroups}, {"roles", "role", rule.Roles}} {
				for _, r := range l.refs {
					add(r.Name, fmt.Sprintf("push rule %s of %s: %s %s", path, owner, l.what, r.Name), r.Grant, r.Source,
						append(slices.Clone(p), path, l.key))
				}
			}
		}
	}
	for _, path := range sortedKeys(d.Groups) {
		memberGroups("on", "group "+path, d.Groups[path].MemberGroups, yamlPath{"groups", path, "member_groups"})
	}
	for _, path := range sortedKeys(d.Repositories) {
		r := d.Repositories[path]
		owner := "repository " + path
		members(owner, r.Members, yamlPath{"repositories", path, "members"})
		memberGroups("on", owner, r.MemberGroups, yamlPath{"repositories", path, "member_groups"})
		rules(owner, r.PushRules, yamlPath{"repositories", path, "push_rules"})
	}
	for _, name := range sortedKeys(d.Policies) {
		p := d.Policies[name]
		owner := "policy " + name
		members(owner, p.Members, yamlPath{"policies", name, "members"})
		memberGroups("of", owner, p.MemberGroups, yamlPath{"policies", name, "member_groups"})
		rules(owner, p.PushRules, yamlPath{"policies", name, "push_rules"})
	}
	slices.SortStableFunc(out, func(a, b GrantExpiry) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Grant, b.Grant))
	})
	return out
}

// ExpiryDiagnostics turns Expiries into warnings: an expired grant counts
// as absent from the spec (and is removed where the spec's list is
// complete), which its author should know; one that ends soon needs a
// decision.
func ExpiryDiagnostics(es []GrantExpiry) Diagnostics {
	var ds Diagnostics
	for _, e := range es {
		why := ""
		if e.Reason != "" {
			why = fmt.Sprintf(" (reason: %s)", clip(strings.Join(strings.Fields(e.Reason), " ")))
		}
		var msg string
		switch {
		case e.Expired:
			msg = fmt.Sprintf("`%s` expired on %s and counts as absent from the spec%s; remove the grant, or move `expires` if it should hold", e.name, e.Expires, why)
		case e.DaysLeft == 0:
			msg = fmt.Sprintf("`%s` expires today, %s, at midnight UTC%s", e.name, e.Expires, why)
		default:
			msg = fmt.Sprintf("`%s` expires on %s, in %s%s", e.name, e.Expires, state.Count(e.DaysLeft, "day"), why)
		}
		ds = append(ds, Diagnostic{Severity: SeverityWarning, File: e.File, Line: e.Line, Column: e.Column, Path: e.Path, Message: msg})
	}
	return ds
}
