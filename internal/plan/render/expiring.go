package render

import (
	"fmt"
	"strings"

	"github.com/reposync/reposync/internal/plan"
)

// Grants that end soon (plan.Expiring) get their own section in the text
// and Markdown views: not changes, but decisions someone has to make
// before the date (the nightly report carries them in its JSON).

// maxExpiringRows caps the Markdown table; the rest is counted.
const maxExpiringRows = 50

// maxExpiringTargets caps the objects named per grant.
const maxExpiringTargets = 5

// daysLeft says when a grant ends, relative to the plan's day.
func daysLeft(e plan.Expiring) string {
	switch e.DaysLeft {
	case 0:
		return "today"
	case 1:
		return "tomorrow"
	}
	return fmt.Sprintf("in %d days", e.DaysLeft)
}

// expiringLine is one grant in the text view.
func expiringLine(e plan.Expiring) string {
	what := e.Grant
	if e.Role != "" {
		what += " (" + string(e.Role) + ")" // "user carol (developer)"
	}
	s := fmt.Sprintf("%s, %s: %s on %s", e.Expires, daysLeft(e), what, firstAndMore(e.Addresses, maxExpiringTargets, plan.Address.String))
	if e.Policy != "" {
		s += " (policy " + e.Policy + ")"
	}
	if e.Reason != "" {
		s += " — " + oneLine(e.Reason)
	}
	if e.Source != "" {
		s += "  (" + e.Source + ")"
	}
	return s
}

// markdownExpiring is the Markdown section, every spec string inert.
func markdownExpiring(p *plan.Plan, o Options) string {
	if len(p.Expiring) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("### ⏳ Grants ending soon\n\n")
	b.WriteString("Extend `expires` in the spec, or let them lapse: from the day after, a grant counts as absent from the spec.\n\n")
	b.WriteString("| ends | grant | on | reason | source |\n|---|---|---|---|---|\n")
	for i, e := range p.Expiring {
		if i == maxExpiringRows {
			fmt.Fprintf(&b, "\n_…and %d more%s._\n", len(p.Expiring)-maxExpiringRows, o.fullPlanNote())
			break
		}
		what := text(e.Grant)
		for _, noun := range []string{"user ", "member group ", "role "} {
			if name, ok := strings.CutPrefix(e.Grant, noun); ok {
				what = noun + code(name)
				break
			}
		}
		if e.Role != "" {
			what += " (" + text(string(e.Role)) + ")"
		}
		if e.Policy != "" {
			what += " — policy " + code(e.Policy)
		}
		on := firstAndMore(e.Addresses, maxExpiringTargets, func(a plan.Address) string { return code(a.String()) })
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(text(string(e.Expires)+", "+daysLeft(e))), cell(what),
			cell(on), cell(text(e.Reason)), cell(o.source(e.Source, "")))
	}
	b.WriteString("\n")
	return b.String()
}
