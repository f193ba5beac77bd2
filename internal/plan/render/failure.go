package render

import (
	"fmt"
	"io"
	"strings"
)

// Problem is one reason a plan could not be made, at its spec location
// when it has one (File relative to the repository root, as sources are).
type Problem struct {
	File         string
	Line, Column int
	Message      string
	Warning      bool
}

// maxProblems caps the problems a failure comment lists.
const maxProblems = 100

// Failure writes the comment of a plan that could not be made — an
// invalid spec, names that do not resolve, an API or permission failure,
// a timeout, an interrupt — so that it replaces the last plan's comment
// (same marker) instead of leaving it standing as if it were current: a
// headline, the error, and every located problem, all inert. It carries no
// changes digest: there is nothing a merge job could apply.
func Failure(w io.Writer, headline string, problems []Problem, o Options) error {
	var b strings.Builder
	b.WriteString(MarkdownMarker + "\n## ❌ reposync plan failed\n\n")
	b.WriteString("No plan could be made, so this comment cannot say what apply would do, and the previous plan of this pull request no longer holds. Fix what is below and push again.\n\n")
	fmt.Fprintf(&b, "**%s**\n\n", prose(headline))
	for i, p := range problems {
		if i == maxProblems {
			fmt.Fprintf(&b, "- _…and %d more, in the job's log_\n", len(problems)-maxProblems)
			break
		}
		icon := "❌"
		if p.Warning {
			icon = "⚠️"
		}
		where := ""
		if p.File != "" {
			src := fmt.Sprintf("%s:%d", p.File, p.Line)
			where = p.File
			if p.Line > 0 {
				where = fmt.Sprintf("%s:%d", src, p.Column)
			}
			where = code(strings.TrimSuffix(where, ":0"))
			if o.SourceLink != nil && p.Line > 0 {
				where = link(where, o.SourceLink(src, ""))
			}
			where += ": "
		}
		fmt.Fprintf(&b, "- %s %s%s\n", icon, where, prose(p.Message))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
