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
	for _, g := range d.DatedGrants() {
		expired := g.ExpiredOn(today)
		if !expired && (within < 0 || !g.ExpiresWithin(today, within)) {
			continue
		}
		p := yamlPath{g.Section, g.Object, g.List}
		switch {
		case g.List == "members":
			p = append(p, g.Name)
		case g.Rule != "":
			p = append(p, g.Rule, g.RuleList)
		}
		s := g.Source
		out = append(out, GrantExpiry{Grant: grantWords(g), Expires: g.Expires, DaysLeft: today.DaysUntil(g.Expires), Expired: expired,
			Reason: g.Reason, File: s.File, Line: s.Line, Column: s.Column, Path: p.String(), name: g.Name})
	}
	slices.SortStableFunc(out, func(a, b GrantExpiry) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column), cmp.Compare(a.Grant, b.Grant))
	})
	return out
}

// grantWords says what g grants, in words: "member bob (developer) of
// repository payments/api/gateway".
func grantWords(g state.DatedGrant) string {
	owner := map[string]string{"groups": "group ", "repositories": "repository ", "policies": "policy "}[g.Section] + g.Object
	switch {
	case g.List == "members":
		return fmt.Sprintf("member %s (%s) of %s", g.Name, g.Role, owner)
	case g.Rule != "":
		return fmt.Sprintf("push rule %s of %s: %s %s", g.Rule, owner, g.Noun, g.Name)
	case g.Section == "policies":
		return fmt.Sprintf("member group %s of %s", g.Name, owner)
	}
	return fmt.Sprintf("member group %s on %s", g.Name, owner)
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
