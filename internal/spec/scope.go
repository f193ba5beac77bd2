package spec

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
)

// Delegated ownership: a file's `scope:` block says which repositories the
// file owns, the highest role it may grant and who reviews it. The checks
// are per file (a scope speaks only for its own file), so they run on each
// file's fragment as it is built, and every breach is an error at the
// offending key or role that names the scope and where it is declared.

// unscopedOnly are the top-level keys that belong to files without a
// scope: they act on the whole project, which no team owns.
var unscopedOnly = []string{"project", "settings", "users", "member_groups", "roles", "git_auths"}

// scope reads a `scope:` block; nil when the schema rejected it or one of
// its patterns is bad (then the checks would only mislead: the bad pattern
// is the error).
func (b *builder) scope(f string, e entry) *state.FileScope {
	if e.value.Kind != yaml.MappingNode {
		return nil
	}
	sc := &state.FileScope{File: f, MaxRole: state.RoleAdmin, Source: src(f, e.keyN)}
	ok, positive := true, 0
	for _, fe := range entries(e.value) {
		switch fe.key {
		case "repositories":
			if fe.value.Kind != yaml.SequenceNode {
				return nil
			}
			for i, it := range fe.value.Content {
				it = deref(it)
				text, isStr := str(it)
				if !isStr {
					return nil
				}
				pat, err := state.ParsePattern(text)
				if err != nil {
					b.diags = append(b.diags, Diagnostic{Severity: SeverityError, File: f, Line: it.Line, Column: it.Column,
						Path: yamlPath{"scope", "repositories", i}.String(), Message: badPatternMessage(text)})
					ok = false
					continue
				}
				if !pat.Negate {
					positive++
				}
				pat.Source = src(f, it)
				sc.Patterns = append(sc.Patterns, pat)
			}
		case "max_role":
			s, _ := str(fe.value)
			if r := state.Role(s); r.Valid() {
				sc.MaxRole = r
			} else {
				ok = false // the schema reported it
			}
		case "owners":
			if fe.value.Kind != yaml.SequenceNode {
				continue
			}
			for _, it := range fe.value.Content {
				if s, isStr := str(deref(it)); isStr {
					sc.Owners = append(sc.Owners, s)
				}
			}
		}
	}
	if ok && positive == 0 && len(sc.Patterns) > 0 {
		b.diags = append(b.diags, Diagnostic{Severity: SeverityError, File: f, Line: sc.Source.Line, Column: sc.Source.Column,
			Path: yamlPath{"scope", "repositories"}.String(), Message: "only `!` patterns: a scope needs at least one pattern that selects repositories"})
		ok = false
	}
	if !ok || len(sc.Patterns) == 0 {
		return nil
	}
	return sc
}

// checkScope reports everything the file (the fragment b built from it,
// whose top-level entries are tops) defines or grants outside its scope.
func (b *builder) checkScope(sc *state.FileScope, tops []entry) {
	at := func(s state.Source, p yamlPath, format string, args ...any) {
		b.diags = append(b.diags, Diagnostic{Severity: SeverityError, File: s.File, Line: s.Line, Column: s.Column,
			Path: p.String(), Message: fmt.Sprintf(format, args...) + " (" + sc.Describe() + ")"})
	}
	for _, top := range tops {
		if slices.Contains(unscopedOnly, top.key) {
			at(src(sc.File, top.keyN), yamlPath{top.key}, "`%s` belongs to a file without a scope: it acts on the whole project, and this file has a scope", top.key)
		}
	}
	// grants checks what one definition grants against max_role.
	grants := func(p yamlPath, members map[string]state.Member, mgs []state.Ref, rules map[string]state.PushRule) {
		for _, user := range sortedKeys(members) {
			m := members[user]
			if !sc.Allows(m.Role) {
				at(m.Source, p.key("members").key(user), "grants `%s` to `%s`, above this file's max_role `%s`", m.Role, user, sc.MaxRole)
			}
		}
		if !sc.Allows(state.RoleAdmin) {
			for _, mg := range mgs {
				at(mg.Source, p.key("member_groups"), "attaches member group `%s`: the role its members get is set in CodeArts, not in the spec, so it counts as `admin`, above this file's max_role `%s`", mg.Name, sc.MaxRole)
			}
		}
		for _, path := range sortedKeys(rules) {
			for _, ro := range rules[path].Roles {
				if rank := state.ProjectRoleRank(ro.Name); !sc.Allows(rank) {
					at(ro.Source, p.key("push_rules").key(path).key("roles"), "names project role `%s`, which ranks as `%s`, above this file's max_role `%s`", ro.Name, rank, sc.MaxRole)
				}
			}
		}
	}
	for _, path := range sortedKeys(b.d.Groups) {
		g := b.d.Groups[path]
		p := yamlPath{"groups", path}
		if !sc.HoldsGroup(path) {
			at(g.Source, p, "group `%s` is outside this file's scope: a scoped file may define a group only when every repository it can hold is inside the scope", path)
		}
		grants(p, nil, g.MemberGroups, nil)
	}
	for _, path := range sortedKeys(b.d.Repositories) {
		r := b.d.Repositories[path]
		p := yamlPath{"repositories", path}
		if !sc.Selects(path) {
			at(r.Source, p, "repository `%s` is outside this file's scope", path)
		}
		grants(p, r.Members, r.MemberGroups, r.PushRules)
	}
	for _, name := range sortedKeys(b.d.Policies) {
		pol := b.d.Policies[name]
		p := yamlPath{"policies", name}
		for i, pat := range pol.Patterns {
			if len(b.patternDiags[name]) > 0 {
				break // a bad pattern is the error; the indexes would be off
			}
			if !pat.Negate && !sc.HoldsPattern(pat, pol.Patterns) {
				at(pat.Source, p.key("repositories").index(i), "pattern `%s` can select repositories outside this file's scope", pat.Text)
			}
		}
		grants(p, pol.Members, pol.MemberGroups, pol.PushRules)
	}
}

// ValidOwner reports whether s is an owner as a scope's `owners` takes one
// (the schema's `owner`), for flags that name owners too.
func ValidOwner(s string) bool { return schemaAccepts("/$defs/owner", s) }
