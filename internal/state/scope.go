package state

import (
	"fmt"
	"slices"
	"strings"
)

// FileScope is one entry of `scopes:`: the delegated ownership of one
// spec file, declared in another (one without a scope). The file may define
// only what lies inside Patterns and grant no role above MaxRole, nor take
// away a live grant above it; Owners review changes to it (CODEOWNERS).
type FileScope struct {
	// Key is the file's path below the spec root, as `scopes:` names it.
	Key string
	// File is the spec file the scope belongs to, as Source.File names it.
	File     string
	Patterns []Pattern
	// MaxRole is the highest role the file may grant: RoleAdmin when the
	// block does not set it.
	MaxRole Role
	Owners  []string
	// Source is where the scope's key is written under `scopes:`.
	Source Source
	// ListsGroups: the file has a `groups:` section.
	ListsGroups bool
}

// ManagesGroup reports whether an unlisted live group at path is drift (and
// deleted with pruning): every one is when a file without a scope has a
// `groups:` section, else those inside the scope of a file that has one.
func (d *Desired) ManagesGroup(path string) bool {
	if d.Groups == nil {
		return false
	}
	if !d.GroupsScopedOnly {
		return true
	}
	for _, sc := range d.Scopes {
		if sc.ListsGroups && sc.HoldsGroup(path) {
			return true
		}
	}
	return false
}

// Selects reports whether a repository is inside the scope.
func (s *FileScope) Selects(repoPath string) bool { return Selects(s.Patterns, repoPath) }

// HoldsGroup reports whether a group is inside the scope: every repository
// it can ever hold must be, since what is granted on a group reaches them all.
func (s *FileScope) HoldsGroup(group string) bool { return holdsGroup(s.Patterns, group) }

// holdsGroup reports whether patterns select every repository group can
// ever hold: a positive pattern covers it (Pattern.Covers) and no `!`
// pattern reaches below it.
func holdsGroup(patterns []Pattern, group string) bool {
	covered := false
	for _, p := range patterns {
		switch {
		case p.Negate && (p.Reaches(group) || p.Match(group)):
			return false
		case !p.Negate && p.Covers(group):
			covered = true
		}
	}
	return covered
}

// HoldsPattern reports whether every repository the positive policy
// pattern p selects, narrowed by the policy's own `!` patterns, is inside
// the scope: p is within a positive pattern of the scope, and whatever a
// `!` pattern of the scope cuts from p, one of own cuts too. A pattern it
// cannot prove inside is outside.
func (s *FileScope) HoldsPattern(p Pattern, own []Pattern) bool {
	if !slices.ContainsFunc(s.Patterns, func(q Pattern) bool { return !q.Negate && p.Within(q) }) {
		return false
	}
	for _, n := range s.Patterns {
		if n.Negate && p.Overlaps(n) && !slices.ContainsFunc(own, func(m Pattern) bool { return excludes(m, n) }) {
			return false
		}
	}
	return true
}

// excludes reports whether n is a `!` pattern that excludes every path x
// can match.
func excludes(n, x Pattern) bool { return n.Negate && x.Within(n) }

// Overlap finds a positive pattern of each scope that overlap
// (Pattern.Overlaps), unless a `!` pattern of either excludes all of one of
// them; where it cannot tell, it says they overlap.
func (s *FileScope) Overlap(o *FileScope) (p, q Pattern, ok bool) {
	for _, p := range s.Patterns {
		for _, q := range o.Patterns {
			if p.Negate || q.Negate || !p.Overlaps(q) {
				continue
			}
			cut := slices.ContainsFunc(append(slices.Clip(s.Patterns), o.Patterns...), func(n Pattern) bool {
				return excludes(n, p) || excludes(n, q)
			})
			if !cut {
				return p, q, true
			}
		}
	}
	return Pattern{}, Pattern{}, false
}

// Allows reports whether the scope may grant role r.
func (s *FileScope) Allows(r Role) bool { return r.Level() <= s.MaxRole.Level() }

// Describe names the scope for a message: its patterns, its max_role and
// where it is declared.
func (s *FileScope) Describe() string {
	var pats []string
	for _, p := range s.Patterns {
		pats = append(pats, "`"+p.Text+"`")
	}
	return fmt.Sprintf("scope %s, max_role `%s`, declared at %s", strings.Join(pats, ", "), s.MaxRole, s.Source.Position())
}

// ProjectRoleRank is the repository role a push rule's project role ranks
// as for a scope's max_role: the one of the same name (RoleForName, `-` and
// `_` read as spaces), else RoleAdmin, as a custom role's reach is unknown.
func ProjectRoleRank(name string) Role {
	n := strings.NewReplacer("-", " ", "_", " ").Replace(name)
	if r, ok := RoleForName(n); ok {
		return r
	}
	return RoleAdmin
}
