package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
)

// Delegated ownership: a file without a scope grants scopes to other files
// under `scopes:`, keyed by their path below the spec root: which
// repositories each owns, the highest role it may grant and who reviews
// it. A scope never lives in the file it limits, whose team could widen it
// there. The scopes are known only once every file is merged, so the
// checks run then (resolveScopes) on each scoped file's fragment, and every
// breach is an error at the offending key or role naming the scope and
// where it is declared.

// unscopedOnly are the top-level keys that belong to files without a
// scope: they act on the whole project, which no team owns — and
// `scopes`, with which a team would grant itself.
var unscopedOnly = []string{"project", "settings", "users", "member_groups", "roles", "git_auths", "scopes"}

// topKey is a top-level key of a file, where it is written.
type topKey struct {
	key string
	src state.Source
}

// scope reads one entry of `scopes:`; nil when the schema rejected it or
// one of its patterns is bad (then the checks would only mislead: the bad
// pattern is the error).
func (b *builder) scope(f string, e entry, s state.Source) *state.FileScope {
	if e.value.Kind != yaml.MappingNode {
		return nil
	}
	sc := &state.FileScope{Key: e.key, MaxRole: state.RoleAdmin, Source: s}
	at := yamlPath{"scopes", e.key}
	ok := true
	for _, fe := range entries(e.value) {
		switch fe.key {
		case "repositories":
			// Every pattern, or none: a `!` one left out would widen the scope.
			n := len(b.diags)
			sc.Patterns = patterns(f, fe.value, at.key("repositories"), &b.diags)
			ok = ok && len(b.diags) == n && len(sc.Patterns) == len(fe.value.Content)
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
	if !ok || len(sc.Patterns) == 0 {
		return nil
	}
	if onlyNegations(sc.Patterns) {
		b.diags = append(b.diags, diagAt(SeverityError, sc.Source, at.key("repositories"), "only `!` patterns: a scope needs at least one pattern that selects repositories"))
		return nil
	}
	return sc
}

// movedScope is the error for a `scope:` block, which limited the file it
// was written in: it gives the `scopes:` entry to write instead.
func movedScope(f, rel string, e entry) Diagnostic {
	var flow func(n *yaml.Node) *yaml.Node // a copy in flow style, without tags or comments
	flow = func(n *yaml.Node) *yaml.Node {
		n = deref(n)
		c := &yaml.Node{Kind: n.Kind, Value: n.Value, Style: n.Style &^ yaml.TaggedStyle}
		if n.Kind != yaml.ScalarNode {
			c.Style = yaml.FlowStyle
		}
		for _, ch := range n.Content {
			c.Content = append(c.Content, flow(ch))
		}
		return c
	}
	entry := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "scopes"},
		{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: rel}, flow(e.value)}},
	}}
	text, err := yaml.Marshal(entry)
	if err != nil {
		text = []byte("scopes: {" + rel + ": {repositories: [...]}}")
	}
	return diagAt(SeverityError, src(f, e.keyN), yamlPath{"scope"},
		"a file's scope is no longer written in the file it limits (its owners could widen it): declare it in a file without a scope, "+
			"which the default owner reviews, as `"+strings.TrimSpace(string(text))+"`, and remove this block")
}

// resolveScopes gives each scope of `scopes:` its file, the one whose path
// below its root is the key, and checks that every key names one file, no
// two scopes can reach one repository, and every scoped file stays inside
// its scope (frags are the files' fragments by index of srcs, nil for a
// file without a document). It sets Desired.Scopes and GroupsScopedOnly.
func (b *builder) resolveScopes(srcs []source, frags []*builder) {
	byRel := map[string][]int{}
	lower := map[string][]string{} // lower-cased key -> the files' keys
	for i, s := range srcs {
		byRel[s.rel] = append(byRel[s.rel], i)
		lower[strings.ToLower(s.rel)] = append(lower[strings.ToLower(s.rel)], s.rel)
	}
	errAt := func(s state.Source, p yamlPath, format string, args ...any) {
		b.diags = append(b.diags, diagAt(SeverityError, s, p, fmt.Sprintf(format, args...)))
	}
	var resolved []*state.FileScope
	for _, key := range slices.Sorted(maps.Keys(b.scopes)) {
		sc := b.scopes[key]
		p := yamlPath{"scopes", key}
		switch files := byRel[key]; len(files) {
		case 0:
			if !schemaAccepts("/$defs/specFile", key) {
				continue // the schema reported it
			}
			msg := "names no spec file: a key is a file's path below the spec root (the directory given as PATH; a file given as PATH is keyed by its base name)" +
				state.DidYouMean(key, slices.Sorted(maps.Keys(byRel)))
			if others := lower[strings.ToLower(key)]; len(others) > 0 {
				msg = fmt.Sprintf("names no spec file; `%s` differs only in letter case", others[0])
			}
			errAt(sc.Source, p, "%s", msg)
		case 1:
			sc.File = srcs[files[0]].name
			if b.d.Scopes == nil {
				b.d.Scopes = map[string]*state.FileScope{}
			}
			b.d.Scopes[sc.File] = sc
			resolved = append(resolved, sc)
		default:
			errAt(sc.Source, p, "names %d spec files, %s and %s, below different PATH arguments: pass the one spec directory", len(files), srcs[files[0]].name, srcs[files[1]].name)
		}
	}
	// A scoped file's own `scopes:` is an error (checkScope); the scopes it
	// declares would only add confusing ones.
	resolved = slices.DeleteFunc(resolved, func(sc *state.FileScope) bool {
		if b.d.Scopes[sc.Source.File] == nil {
			return false
		}
		delete(b.d.Scopes, sc.File)
		return true
	})
	// A file whose key differs from a scoped one only in letter case is the
	// same file on a case-insensitive checkout, and looks like it anywhere;
	// one whose path holds an invisible character reads as another.
	for _, s := range srcs {
		if i := strings.IndexFunc(s.rel, state.Invisible); i >= 0 {
			b.diags = append(b.diags, Diagnostic{Severity: SeverityError, File: s.name,
				Message: fmt.Sprintf("the file's path holds %s: rename the file, it could read as another path", describeInvisible([]rune(s.rel[i:])[0]))})
		}
		for _, other := range lower[strings.ToLower(s.rel)] {
			if sc := b.scopes[other]; other != s.rel && sc != nil && b.scopes[s.rel] == nil {
				b.diags = append(b.diags, Diagnostic{Severity: SeverityError, File: s.name,
					Message: fmt.Sprintf("the path differs only in letter case from the scoped `%s` (scope declared at %s): rename the file", other, sc.Source.Position())})
			}
		}
	}
	for i, a := range resolved {
		for _, c := range resolved[:i] {
			if p, q, ok := a.Overlap(c); ok {
				errAt(a.Source, yamlPath{"scopes", a.Key}, "can reach the same repositories as the scope of `%s` (declared at %s): `%s` and `%s` overlap; a repository belongs to one scope at most, so exclude one from the other with a `!` pattern",
					c.Key, c.Source.Position(), p.Text, q.Text)
			}
		}
	}
	scoped, unscoped := false, false
	for i, s := range srcs {
		f := frags[i]
		if f == nil {
			continue
		}
		sc, lists := b.d.Scopes[s.name], f.d.Groups != nil // a fragment's Groups: it has a `groups:` mapping
		if sc != nil {
			b.diags = append(b.diags, f.checkScope(sc)...)
			sc.ListsGroups = lists
		}
		scoped = scoped || sc != nil && lists
		unscoped = unscoped || sc == nil && lists
	}
	b.d.GroupsScopedOnly = scoped && !unscoped
}

// checkScope reports everything the file (the fragment b built from it)
// defines or grants outside its scope.
func (b *builder) checkScope(sc *state.FileScope) Diagnostics {
	var ds Diagnostics
	at := func(s state.Source, p yamlPath, format string, args ...any) {
		ds = append(ds, diagAt(SeverityError, s, p, fmt.Sprintf(format, args...)+" ("+sc.Describe()+")"))
	}
	for _, top := range b.tops {
		if slices.Contains(unscopedOnly, top.key) {
			at(top.src, yamlPath{top.key}, "`%s` belongs to a file without a scope: it acts on the whole project, and this file has a scope", top.key)
		}
	}
	// grants checks what one definition grants against max_role.
	grants := func(p yamlPath, members map[string]state.Member, mgs []state.Ref, rules map[string]state.PushRule) {
		for _, user := range slices.Sorted(maps.Keys(members)) {
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
		for _, path := range slices.Sorted(maps.Keys(rules)) {
			for _, ro := range rules[path].Roles {
				if rank := state.ProjectRoleRank(ro.Name); !sc.Allows(rank) {
					at(ro.Source, p.key("push_rules").key(path).key("roles"), "names project role `%s`, which ranks as `%s`, above this file's max_role `%s`", ro.Name, rank, sc.MaxRole)
				}
			}
		}
	}
	for _, path := range slices.Sorted(maps.Keys(b.d.Groups)) {
		g := b.d.Groups[path]
		p := yamlPath{"groups", path}
		if !sc.HoldsGroup(path) {
			at(g.Source, p, "group `%s` is outside this file's scope: a scoped file may define a group only when every repository it can hold is inside the scope", path)
		}
		grants(p, nil, g.MemberGroups, nil)
	}
	for _, path := range slices.Sorted(maps.Keys(b.d.Repositories)) {
		r := b.d.Repositories[path]
		p := yamlPath{"repositories", path}
		if !sc.Selects(path) {
			at(r.Source, p, "repository `%s` is outside this file's scope", path)
		}
		grants(p, r.Members, r.MemberGroups, r.PushRules)
	}
	for _, name := range slices.Sorted(maps.Keys(b.d.Policies)) {
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
	return ds
}

// ValidOwner reports whether s is an owner as a scope's `owners` takes one
// (the schema's `owner`), for flags that name owners too.
func ValidOwner(s string) bool { return schemaAccepts("/$defs/owner", s) }
