package render

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/reposync/reposync/internal/plan"
)

// scopeShown is how many patterns a scope line names before counting.
const scopeShown = 5

// scopeLine says what a scoped plan covers, with each pattern passed
// through quote (plain for text, code spans for Markdown); "" for a plan
// of everything.
func scopeLine(s *plan.Scope, quote func(string) string) string {
	if s == nil {
		return ""
	}
	var covers []string
	if len(s.Repositories) > 0 {
		covers = append(covers, "repositories matching "+firstAndMore(s.Repositories, scopeShown, quote))
	}
	if len(s.Groups) > 0 {
		covers = append(covers, "groups matching "+firstAndMore(s.Groups, scopeShown, quote))
	}
	if s.GitAuths {
		covers = append(covers, "the Git authorizations")
	}
	what := cmp.Or(strings.Join(covers, "; "), "nothing (the spec's change touches no object)")
	why := "the targets given"
	if s.ChangedSince != "" {
		why = "what the spec's change since " + quote(s.ChangedSince) + " touches"
	}
	return fmt.Sprintf("this plan covers only %s: %s. Drift elsewhere is for a full plan (the nightly job).", why, what)
}
