// Package render turns a *plan.Plan into what people and tools read: text
// for terminals, Markdown for pull-request comments, and the versioned JSON
// document. Renderers only read the plan and write to an io.Writer; they
// import plan and state, never api or apply.
package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Format names an output format of `reposync plan`.
type Format string

// The formats of a rendered plan.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
)

// Formats lists the valid formats, for flag help and validation.
var Formats = []Format{FormatText, FormatMarkdown, FormatJSON}

// Options tune rendering; the zero value is plain text without colour.
type Options struct {
	// Color adds ANSI colours (text only); set it only for a terminal.
	Color bool
	// SourceLink turns a spec source ("file:line", relative to the
	// repository root) into a URL of that line at commit rev — "" for the
	// reviewed commit, the base revision for a grant the change removed —
	// for Markdown; nil or "" leaves the source unlinked.
	SourceLink func(source, rev string) string
	// FullPlan is inert Markdown naming where the whole plan can be read
	// (the saved plan file, a link to the CI run that keeps it); "" when
	// it was not saved.
	FullPlan string
	// Owners are the owners of each scope, by the scope's file as
	// Change.Scope names it: a scoped change names them.
	Owners map[string][]string

	// maxMarkdown caps the Markdown size in bytes (tests cut smaller
	// comments); 0 means DefaultMaxMarkdown.
	maxMarkdown int
}

// DefaultMaxMarkdown keeps a PR comment under the 65 536-character limit of
// the big forges with room for a wrapper.
const DefaultMaxMarkdown = 60_000

// Render writes p in the given format.
func Render(w io.Writer, p *plan.Plan, f Format, o Options) error {
	switch f {
	case FormatText:
		return Text(w, p, o)
	case FormatMarkdown:
		return Markdown(w, p, o)
	case FormatJSON:
		return plan.Encode(w, p)
	}
	return fmt.Errorf("unknown format %q: choose text, markdown or json", f)
}

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	if slices.Contains(Formats, Format(s)) {
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown format %q: choose text, markdown or json", s)
}

// describe is the one-line human description of a change's values.
func describe(c plan.Change) string {
	switch b := c.Before.(type) {
	case *plan.MemberValue:
		a, _ := c.After.(*plan.MemberValue)
		switch {
		case a == nil:
			return fmt.Sprintf("%s (removed)", roleText(b))
		case b.Via != "":
			return fmt.Sprintf("%s through %s → %s (direct)", roleText(b), b.Via, a.Role)
		default:
			return fmt.Sprintf("%s → %s", roleText(b), a.Role)
		}
	case *plan.GroupValue:
		a, _ := c.After.(*plan.GroupValue)
		return groupDelta(b, a)
	case *plan.GitAuthValue:
		a, _ := c.After.(*plan.GitAuthValue)
		switch {
		case a == nil:
			return fmt.Sprintf("%s authorization for %s (removed)", b.RepoType, b.User)
		case a.RepoType == b.RepoType && a.User == b.User:
			return fmt.Sprintf("%s authorization for %s, re-created with the password from $%s", a.RepoType, a.User, a.PasswordEnv)
		}
		return fmt.Sprintf("%s/%s → %s/%s", b.RepoType, b.User, a.RepoType, a.User)
	case *plan.MemberGroupValue:
		if c.After == nil {
			return "attached, not listed"
		}
	case *plan.PushRuleValue:
		if c.After == nil {
			return b.String() + " (removed)"
		}
		return "" // shown as a diff
	}
	switch a := c.After.(type) {
	case *plan.MemberValue:
		return string(a.Role)
	case *plan.GroupValue:
		s := "visibility " + a.Visibility
		if a.Description != nil && *a.Description != "" {
			s += fmt.Sprintf(", description %q", *a.Description)
		}
		return s
	case *plan.MemberGroupValue:
		return "attach member group " + a.Name
	case *plan.PushRuleValue:
		if len(a.Users)+len(a.MemberGroups)+len(a.Roles) == 0 {
			return "{} (nobody may push)"
		}
		return a.String() + " (nobody else may push)"
	case *plan.GitAuthValue:
		return fmt.Sprintf("%s authorization for %s (password from $%s)", a.RepoType, a.User, a.PasswordEnv)
	}
	return ""
}

// unlistedHint says what to do about a live repository, group or member
// group attachment the spec does not list; "" for other entries.
func unlistedHint(e plan.Extra) string {
	switch e.Kind {
	case plan.KindRepository:
		return "add it to the spec (reposync export --target " + e.Address.Name + " prints its entry) or to settings.unmanaged"
	case plan.KindMemberGroup, plan.KindGroupMemberGroup:
		return "the API cannot detach a member group; remove it in the CodeArts console"
	case plan.KindGroup:
		return "--prune --allow-delete-groups deletes it once it is empty"
	}
	return ""
}

// roleText names a member value's role, or the service's name for a role
// reposync does not know.
func roleText(v *plan.MemberValue) string { return cmp.Or(string(v.Role), v.RoleName) }

func groupDelta(b, a *plan.GroupValue) string {
	if a == nil {
		return "group removed"
	}
	var parts []string
	if b.Visibility != a.Visibility {
		parts = append(parts, fmt.Sprintf("visibility %s → %s", b.Visibility, a.Visibility))
	}
	if old, changed := descriptionChange(b, a); changed {
		if multiline(old, *a.Description) {
			parts = append(parts, "description changed (see the diff)")
		} else {
			parts = append(parts, fmt.Sprintf("description %q → %q", old, *a.Description))
		}
	}
	return strings.Join(parts, ", ")
}

// descriptionChange returns the old description when a changes it.
func descriptionChange(b, a *plan.GroupValue) (old string, changed bool) {
	if a == nil || a.Description == nil || (b.Description != nil && *b.Description == *a.Description) {
		return "", false
	}
	if b.Description != nil {
		old = *b.Description
	}
	return old, true
}

func multiline(a, b string) bool { return strings.Contains(a, "\n") || strings.Contains(b, "\n") }

// changeDiff returns the unified diff a change is best shown with: the
// grants of an updated push rule, or a multi-line group description; nil
// when a one-line description says it all.
func changeDiff(c plan.Change) []string {
	switch b := c.Before.(type) {
	case *plan.PushRuleValue:
		if c.Action != plan.Update {
			return nil
		}
		a, _ := c.After.(*plan.PushRuleValue)
		return LineDiff("before", "after", ruleLines(b), ruleLines(a))
	case *plan.GroupValue:
		a, _ := c.After.(*plan.GroupValue)
		if old, changed := descriptionChange(b, a); changed && multiline(old, *a.Description) {
			return LineDiff("before", "after", withNewline(old), withNewline(*a.Description))
		}
	}
	return nil
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// ruleLines renders a push rule as one line per grant list, for diffs.
func ruleLines(v *plan.PushRuleValue) string {
	if v == nil {
		return ""
	}
	list := func(s []string) string { return "[" + strings.Join(s, ", ") + "]" }
	return "users: " + list(v.Users) + "\nmember_groups: " + list(v.MemberGroups) + "\nroles: " + list(v.Roles) + "\n"
}

// firstAndMore writes the first n items through name, then how many more
// there are: "a, b, c, and 2 more".
func firstAndMore[T any](items []T, n int, name func(T) string) string {
	parts := make([]string, 0, n+1)
	for _, it := range items[:min(n, len(items))] {
		parts = append(parts, name(it))
	}
	if len(items) > n {
		parts = append(parts, fmt.Sprintf("and %d more", len(items)-n))
	}
	return strings.Join(parts, ", ")
}

// byFirstSeen groups items by key, the groups in the order of their first
// items.
func byFirstSeen[T any, K comparable](items []T, key func(T) K) [][]T {
	var out [][]T
	at := map[K]int{}
	for _, it := range items {
		k := key(it)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], it)
	}
	return out
}

// demotesAdmin reports whether a change takes a direct admin role away
// from a member who stays on the repository.
func demotesAdmin(c plan.Change) bool {
	b, _ := c.Before.(*plan.MemberValue)
	a, _ := c.After.(*plan.MemberValue)
	return c.Action == plan.Update && b != nil && a != nil && b.Role == state.RoleAdmin && b.Via == "" && a.Role != state.RoleAdmin
}

// grantsAdmin reports whether a change makes someone a repository admin.
func grantsAdmin(c plan.Change) bool {
	a, ok := c.After.(*plan.MemberValue)
	if !ok || a.Role != state.RoleAdmin {
		return false
	}
	b, _ := c.Before.(*plan.MemberValue)
	return b == nil || b.Role != state.RoleAdmin || b.Via != ""
}

// marks are how each view marks an action: the text view's marker and
// colour, the Markdown view's icon.
var marks = map[plan.Action]struct{ marker, color, icon string }{
	plan.Create:  {"+", ansiGreen, "➕"},
	plan.Update:  {"~", ansiYellow, "✏️"},
	plan.Delete:  {"-", ansiRed, "➖"},
	plan.Replace: {"±", ansiYellow, "🔁"},
	plan.Manual:  {"!", ansiMagenta, "✋"},
}
