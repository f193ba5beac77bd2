package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Delegated ownership in the plan (docs/spec.md, scopes): a scoped file's
// changes name it and its max_role, so that Check refuses a plan in which
// the file takes away a live grant it could not have made; what its
// policies match outside the scope, which spec.Expand leaves out, is warned.

// markScopes sets Change.Scope and ScopeMaxRole on every change whose
// source is a file with a scope (a withdrawn grant's are its file's at the
// base, set by withdraw).
func markScopes(p *Plan, d *state.Desired) {
	if len(d.Scopes) == 0 {
		return
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if sc := d.Scopes[sourceFile(c.Source)]; sc != nil && c.Withdrawn == nil {
			c.Scope, c.ScopeMaxRole = sc.File, maxRoleBound(sc)
		}
	}
}

// maxRoleBound is the max_role a scope bounds what its file takes away
// by: "" for admin, which bounds nothing.
func maxRoleBound(sc *state.FileScope) state.Role {
	if sc.MaxRole == state.RoleAdmin {
		return ""
	}
	return sc.MaxRole
}

// aboveScope describes what c takes away above its scope's max_role —
// a live member's role, by demotion or removal, or a member group
// attachment (its role is set in CodeArts, so it counts as admin) — and
// "" when it takes away nothing above it.
func aboveScope(c Change) string {
	if c.ScopeMaxRole == "" || c.After != nil && c.Action != Update {
		return ""
	}
	var live state.Role
	switch b := c.Before.(type) {
	case *MemberValue:
		if c.Action == Manual || b.Via != "" {
			return "" // never done by reposync; inherited access stays
		}
		live = b.Role
	case *MemberGroupValue:
		live = state.RoleAdmin
	}
	if live.Level() <= c.ScopeMaxRole.Level() {
		return ""
	}
	after := "removed"
	if a, ok := c.After.(*MemberValue); ok {
		after = string(a.Role)
	}
	return fmt.Sprintf("%s (live %s → %s; %s, max_role %s)", c.Address, live, after, c.Scope, c.ScopeMaxRole)
}

// sourceFile is the file of a "file:line" source; "" when it has no line.
func sourceFile(src string) string {
	i := strings.LastIndexByte(src, ':')
	if i <= 0 || strings.Trim(src[i+1:], "0123456789") != "" {
		return ""
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
			if !r.Archived && opts.Scope.Repo(path) && state.Selects(pol.Patterns, path) && !sc.Selects(path) && !d.OutOfScope(path) {
				outside = append(outside, path)
			}
		}
		if len(outside) == 0 {
			continue
		}
		sort.Strings(outside)
		list := strings.Join(outside[:min(len(outside), cutShown)], ", ")
		if len(outside) > cutShown {
			list += fmt.Sprintf(" and %d more", len(outside)-cutShown)
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf("policy %s (%s) matches %s outside the scope of its file, left out: %s",
			name, pol.Source, state.Count(len(outside), "live repository"), list))
	}
}
