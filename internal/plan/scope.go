package plan

import (
	"fmt"
	"slices"

	"github.com/reposync/reposync/internal/state"
)

// Scope restricts a plan to some objects: the repositories and groups that
// match its patterns (the spec's glob syntax) and, when GitAuths is set,
// the Git authorizations. `--target` sets both pattern lists;
// `--changed-since` derives them from what a spec change touches. A nil
// *Scope covers everything.
//
// A scoped plan's changes are the full plan's changes restricted to the
// objects in scope: the scope chooses what is read and what is compared,
// never how. The objects in scope are the matching repositories and groups
// and, so that apply can carry the plan out, two kinds of groups they
// need: the live groups the spec does not list below a matching group
// (deleting a group deletes its empty sub-groups first; Subtree), and the
// listed groups not created yet above a matching group that must be
// created (a group is created in its parent).
type Scope struct {
	Repositories []string `json:"repositories"`
	Groups       []string `json:"groups"`
	GitAuths     bool     `json:"git_auths"`
	// ChangedSince names the Git revision whose diff chose the scope, for
	// the reader; "" for --target.
	ChangedSince string `json:"changed_since,omitempty"`

	repos, groups []state.Pattern
}

// Compile checks the patterns; it must be called before the matchers.
func (s *Scope) Compile() error {
	if s == nil {
		return nil
	}
	compile := func(texts []string) ([]state.Pattern, error) {
		var out []state.Pattern
		for _, t := range texts {
			p, err := state.ParsePattern(t)
			if err != nil {
				return nil, fmt.Errorf("target `%s`: %w", t, err)
			}
			if p.Negate {
				return nil, fmt.Errorf("target `%s`: a target selects; it cannot exclude (drop the `!`)", t)
			}
			out = append(out, p)
		}
		return out, nil
	}
	var err error
	if s.repos, err = compile(s.Repositories); err != nil {
		return err
	}
	s.groups, err = compile(s.Groups)
	return err
}

// Repo reports whether a repository is in scope.
func (s *Scope) Repo(path string) bool { return s == nil || anyMatch(s.repos, path) }

// Group reports whether a group is in scope.
func (s *Scope) Group(path string) bool { return s == nil || anyMatch(s.groups, path) }

// Auths reports whether the Git authorizations are in scope.
func (s *Scope) Auths() bool { return s == nil || s.GitAuths }

// Reaches reports whether a walk of the tree must list group: something in
// scope may live below it, or it lies inside a group in scope (whose whole
// subtree is walked: whether a group is empty, or needed by what it holds,
// depends on all of it).
func (s *Scope) Reaches(group string) bool {
	if s == nil {
		return true
	}
	reaches := func(p state.Pattern) bool { return p.Reaches(group) }
	return slices.ContainsFunc(s.repos, reaches) || slices.ContainsFunc(s.groups, reaches) || s.Subtree(group)
}

// Subtree reports whether group is in scope or lies below a group in
// scope, where the live groups the spec does not list are in scope (Scope).
func (s *Scope) Subtree(group string) bool {
	if s == nil {
		return true
	}
	for g := group; g != ""; g = state.ParentPath(g) {
		if anyMatch(s.groups, g) {
			return true
		}
	}
	return false
}

func anyMatch(ps []state.Pattern, path string) bool {
	return slices.ContainsFunc(ps, func(p state.Pattern) bool { return p.Match(path) })
}
