package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Delegated ownership in the plan: every change asked for by a file with a
// `scope:` block names that file (Change.Scope), and a policy of such a
// file that matches live repositories outside the scope — which
// spec.Expand leaves out — says so in a plan warning.

// markScopes sets Change.Scope on every change whose source is a file
// with a scope (a withdrawn grant's is its file's at the base).
func markScopes(p *Plan, d *state.Desired) {
	if len(d.Scopes) == 0 {
		return
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if f := sourceFile(c.Source); c.Withdrawn == nil && f != "" && d.Scopes[f] != nil {
			c.Scope = f
		}
	}
}

// sourceFile is the file of a "file:line" source; "" when it has no line.
func sourceFile(src string) string {
	i := strings.LastIndexByte(src, ':')
	if i <= 0 {
		return ""
	}
	for _, r := range src[i+1:] {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return src[:i]
}

// cutShown is how many left-out repositories a cut warning names.
const cutShown = 5

// policyCuts warns about each policy of a scoped file whose patterns match
// live repositories (in the plan's scope) outside the file's scope.
func policyCuts(p *Plan, d *state.Desired, live *state.Live, opts Options) {
	if len(d.Scopes) == 0 {
		return
	}
	for _, name := range keys(d.Policies) {
		pol := d.Policies[name]
		sc := d.Scopes[pol.Source.File]
		if sc == nil {
			continue
		}
		var outside []string
		for path, r := range live.Repositories {
			if !r.Archived && opts.Scope.Repo(path) && state.Selects(pol.Patterns, path) && !sc.Selects(path) {
				outside = append(outside, path)
			}
		}
		if len(outside) == 0 {
			continue
		}
		sort.Strings(outside)
		shown := outside[:min(len(outside), cutShown)]
		more := ""
		if len(outside) > cutShown {
			more = fmt.Sprintf(" and %d more", len(outside)-cutShown)
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("policy %s (%s) matches %s outside the scope of its file, left out: %s%s",
			name, pol.Source, Count(len(outside), "live repository"), strings.Join(shown, ", "), more))
	}
}
