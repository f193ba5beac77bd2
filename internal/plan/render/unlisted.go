package render

import (
	"strings"

	"github.com/reposync/reposync/internal/plan"
)

// mdGrants is the Markdown of an unlisted repository's or group's direct
// grants, for its line in "Look at these first" ("" when it has none).
func mdGrants(e plan.Extra) string {
	if len(e.Grants) == 0 {
		return ""
	}
	parts := make([]string, len(e.Grants))
	for i, g := range e.Grants {
		switch g.Kind {
		case plan.KindMember:
			parts[i] = "member " + code(g.Name) + " (" + text(g.Role) + ")"
		case plan.KindPushRule:
			parts[i] = "push rule " + code(g.Name) + " " + code(strings.TrimPrefix(g.String(), "push rule "+g.Name+": "))
		default:
			parts[i] = "member group " + code(g.Name)
		}
	}
	return " — grants: " + strings.Join(parts, ", ")
}
