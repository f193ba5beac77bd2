package spec

import (
	"fmt"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
)

// builder turns spec documents into a state.Desired. It trusts nothing:
// values the schema rejected are skipped here (the schema already reported
// them), so one bad value never hides the problems after it.
//
// Each file is built on its own (in parallel, see loadSources) into a
// fragment, and the fragments are merged in file order: merge claims every
// key again, so a key defined in two files is an error naming both.
type builder struct {
	d     *state.Desired
	diags Diagnostics
	// seen remembers where each key was first defined, per section; a
	// fragment has none, and lists its claims in order instead.
	seen  map[claimID]state.Source
	order []claimed
	// patternDiags holds the diagnostics about each policy's patterns, so
	// the merge keeps them only for the definition that wins and the checks
	// do not judge a policy by the patterns that are left.
	patternDiags map[string]Diagnostics
	// scopes are the entries of `scopes:` by key, until resolveScopes
	// gives them their files.
	scopes map[string]*state.FileScope
	// tops are a fragment's top-level keys, for the checks of its scope
	// (resolveScopes).
	tops []topKey
}

// claimID is a key of a section (key "" for a setting such as project).
type claimID struct{ section, key string }

type claimed struct {
	id   claimID
	src  state.Source
	what string // "repository", "user pin", "`project`"
}

func newBuilder() *builder {
	return &builder{
		d: &state.Desired{
			Users:        map[string]state.UserPin{},
			MemberGroups: map[string]state.MemberGroupPin{},
			Roles:        map[string]state.RolePin{},
			Repositories: map[string]*state.Repository{},
			Policies:     map[string]*state.Policy{},
			// Groups and GitAuths stay nil until a file has the key: a
			// section left out is not managed, so nothing in it is pruned.
		},
		seen:         map[claimID]state.Source{},
		patternDiags: map[string]Diagnostics{},
		scopes:       map[string]*state.FileScope{},
	}
}

// fragment builds one document on its own, to be merged. Its keys cannot
// clash (a key repeated within a file is a duplicate key the parser
// reported, and the second one is skipped), so it only lists its claims.
func fragment(doc *document) *builder {
	f := newBuilder()
	f.seen = nil
	f.add(doc)
	return f
}

// presize makes room for the claims of the fragments about to be merged
// into a new builder.
func (b *builder) presize(frags []*builder) {
	n := 0
	for _, f := range frags {
		if f != nil {
			n += len(f.order)
		}
	}
	b.seen = make(map[claimID]state.Source, n)
}

// merge adds a fragment built from the next file, claiming each of its keys.
func (b *builder) merge(f *builder) {
	b.diags = append(b.diags, f.diags...)
	if f.d.Groups != nil && b.d.Groups == nil {
		b.d.Groups = map[string]*state.Group{}
	}
	if f.d.GitAuths != nil && b.d.GitAuths == nil {
		b.d.GitAuths = map[string]*state.GitAuth{}
	}
	for _, c := range f.order {
		id := c.id
		if !b.claim(id.section, c.what, id.key, c.src) {
			continue
		}
		switch k := id.key; id.section {
		case "project":
			b.d.Project, b.d.ProjectSource = f.d.Project, f.d.ProjectSource
		case "settings":
			b.d.Settings = f.d.Settings
		case "users":
			b.d.Users[k] = f.d.Users[k]
		case "member_groups":
			b.d.MemberGroups[k] = f.d.MemberGroups[k]
		case "roles":
			b.d.Roles[k] = f.d.Roles[k]
		case "groups":
			b.d.Groups[k] = f.d.Groups[k]
		case "repositories":
			b.d.Repositories[k] = f.d.Repositories[k]
		case "policies":
			b.d.Policies[k] = f.d.Policies[k]
			if ds := f.patternDiags[k]; len(ds) > 0 {
				b.diags = append(b.diags, ds...)
				b.patternDiags[k] = ds
			}
		case "git_auths":
			b.d.GitAuths[k] = f.d.GitAuths[k]
		case "scopes":
			if sc := f.scopes[k]; sc != nil {
				c := *sc // resolveScopes completes it, and a Cache shares f
				b.scopes[k] = &c
			}
		}
	}
}

type entry struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// entries lists a mapping's key/value pairs, aliases resolved, skipping keys
// repeated within the mapping (the parser reported those already).
func entries(n *yaml.Node) []entry {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]entry, 0, len(n.Content)/2)
	var dup map[string]bool // only for long mappings; short ones are scanned
	if len(n.Content) > 32 {
		dup = make(map[string]bool, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			continue
		}
		if dup != nil {
			if dup[k.Value] {
				continue
			}
			dup[k.Value] = true
		} else if slices.ContainsFunc(out, func(e entry) bool { return e.key == k.Value }) {
			continue
		}
		out = append(out, entry{key: k.Value, keyN: n.Content[i], value: deref(n.Content[i+1])})
	}
	return out
}

// deref follows alias nodes, at most 100 of them: nil for an alias to
// nothing, and still an alias node when the chain is longer than that.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func src(file string, n *yaml.Node) state.Source {
	return state.Source{File: file, Line: n.Line, Column: n.Column}
}

// integer reads a whole number that fits 64 bits, as the schema sees it
// (so `1.0` and `1e3` are integers too).
func integer(n *yaml.Node) (int64, bool) {
	num, whole, ok := yamlNumber(n)
	if !ok || !whole {
		return 0, false
	}
	v, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// claim records that section/key is defined at s; a second definition is an
// error naming both places.
func (b *builder) claim(section, what, key string, s state.Source) bool {
	id := claimID{section, key}
	if b.seen == nil { // a fragment
		b.order = append(b.order, claimed{id, s, what})
		return true
	}
	if first, ok := b.seen[id]; ok {
		p, msg := yamlPath{section, key}, fmt.Sprintf("%s `%s` is defined twice: here and at %s", what, key, first.Position())
		if key == "" { // a setting that exists once per spec
			p, msg = yamlPath{section}, fmt.Sprintf("%s is set in more than one file: here and at %s", what, first.Position())
		}
		b.diags = append(b.diags, diagAt(SeverityError, s, p, msg))
		return false
	}
	b.seen[id] = s
	return true
}

// add builds a document's top-level sections.
func (b *builder) add(doc *document) {
	f := doc.file
	for _, top := range entries(doc.root) {
		b.tops = append(b.tops, topKey{top.key, src(f, top.keyN)})
		isMap := top.value.Kind == yaml.MappingNode
		switch top.key {
		case "project":
			if s, ok := str(top.value); ok && b.claim("project", "`project`", "", src(f, top.keyN)) {
				b.d.Project, b.d.ProjectSource = s, src(f, top.keyN)
			}
		case "settings":
			if isMap && b.claim("settings", "`settings`", "", src(f, top.keyN)) {
				b.settings(f, top)
			}
		case "users":
			section(b, f, top, "user pin", b.d.Users, func(_ string, e entry, s state.Source) state.UserPin {
				pin := state.UserPin{Name: e.key, Source: s}
				fields(e.value, map[string]any{"id": &pin.ID, "iam_id": &pin.IAMID})
				return pin
			})
		case "member_groups":
			section(b, f, top, "member group pin", b.d.MemberGroups, func(_ string, e entry, s state.Source) state.MemberGroupPin {
				pin := state.MemberGroupPin{Name: e.key, Source: s}
				fields(e.value, map[string]any{"id": &pin.ID, "team_id": &pin.TeamID})
				return pin
			})
		case "roles":
			section(b, f, top, "role pin", b.d.Roles, func(_ string, e entry, s state.Source) state.RolePin {
				pin := state.RolePin{Name: e.key, Source: s}
				fields(e.value, map[string]any{"id": &pin.ID})
				return pin
			})
		case "scope":
			b.diags = append(b.diags, movedScope(f, doc.rel, top))
		case "scopes":
			section(b, f, top, "scope", b.scopes, b.scope)
		case "groups":
			if b.d.Groups == nil && isMap {
				b.d.Groups = map[string]*state.Group{}
			}
			section(b, f, top, "group", b.d.Groups, b.group)
		case "repositories":
			section(b, f, top, "repository", b.d.Repositories, b.repository)
		case "policies":
			section(b, f, top, "policy", b.d.Policies, b.policy)
		case "git_auths":
			if b.d.GitAuths == nil && isMap {
				b.d.GitAuths = map[string]*state.GitAuth{}
			}
			section(b, f, top, "Git authorization", b.d.GitAuths, func(_ string, e entry, s state.Source) *state.GitAuth {
				a := &state.GitAuth{Name: e.key, Source: s}
				fields(e.value, map[string]any{"repo_type": &a.RepoType, "user": &a.User, "password_env": &a.PasswordEnv})
				return a
			})
		}
	}
}

// fields reads the entries of mapping n that name a place in into: a
// string for a *string, a whole number for an *int64. A value that does
// not read as one leaves the zero value (the schema reported it).
func fields(n *yaml.Node, into map[string]any) {
	for _, e := range entries(n) {
		switch p := into[e.key].(type) {
		case *string:
			*p, _ = str(e.value)
		case *int64:
			*p, _ = integer(e.value)
		}
	}
}

// section reads each entry of a top-level section of file f into m,
// claiming its key first: an entry whose key is claimed already is left out.
func section[V any](b *builder, f string, top entry, what string, m map[string]V, read func(f string, e entry, s state.Source) V) {
	for _, e := range entries(top.value) {
		if s := src(f, e.keyN); b.claim(top.key, what, e.key, s) {
			m[e.key] = read(f, e, s)
		}
	}
}

func (b *builder) settings(f string, top entry) {
	b.d.Settings.Source = src(f, top.keyN)
	for _, e := range entries(top.value) {
		switch e.key {
		case "prune":
			var v bool
			if e.value.ShortTag() == "!!bool" && e.value.Decode(&v) == nil {
				b.d.Settings.Prune = &v
			}
		case "unmanaged":
			b.d.Settings.Unmanaged = patterns(f, e.value, yamlPath{"settings", "unmanaged"}, &b.diags)
		case "max_deletes", "min_admins":
			if v, ok := integer(e.value); ok && v >= 0 && v <= 1<<31 {
				iv := int(v)
				if e.key == "max_deletes" {
					b.d.Settings.MaxDeletes = &iv
				} else {
					b.d.Settings.MinAdmins = &iv
				}
			}
		}
	}
}

func (b *builder) group(f string, e entry, s state.Source) *state.Group {
	g := &state.Group{Path: e.key, Source: s}
	for _, fe := range entries(e.value) {
		switch fe.key {
		case "visibility":
			g.Visibility, _ = str(fe.value)
		case "description":
			if s, ok := str(fe.value); ok {
				g.Description = &s
			}
		case "member_groups":
			g.MemberGroups = nonNil(b.refs(f, fe.value, yamlPath{"groups", e.key, "member_groups"}))
		}
	}
	return g
}

func (b *builder) repository(f string, e entry, s state.Source) *state.Repository {
	r := &state.Repository{Path: e.key, Source: s}
	for _, fe := range entries(e.value) {
		switch fe.key {
		case "members":
			r.Members = b.members(f, fe.value, yamlPath{"repositories", e.key, "members"})
		case "member_groups":
			r.MemberGroups = nonNil(b.refs(f, fe.value, yamlPath{"repositories", e.key, "member_groups"}))
		case "push_rules":
			r.PushRules = b.pushRules(f, fe.value, yamlPath{"repositories", e.key, "push_rules"})
		}
	}
	return r
}

func (b *builder) policy(f string, e entry, s state.Source) *state.Policy {
	p := &state.Policy{Name: e.key, Source: s}
	for _, fe := range entries(e.value) {
		switch fe.key {
		case "description":
			p.Description, _ = str(fe.value)
		case "repositories":
			diags := b.patternDiags[e.key]
			p.Patterns = patterns(f, fe.value, yamlPath{"policies", e.key, "repositories"}, &diags)
			b.patternDiags[e.key] = diags
		case "members":
			p.Members = b.members(f, fe.value, yamlPath{"policies", e.key, "members"})
		case "member_groups":
			p.MemberGroups = nonNil(b.refs(f, fe.value, yamlPath{"policies", e.key, "member_groups"}))
		case "push_rules":
			p.PushRules = b.pushRules(f, fe.value, yamlPath{"policies", e.key, "push_rules"})
		}
	}
	return p
}

// patterns compiles a list of globs; a bad one is left out, with a
// diagnostic in diags (the same as the schema's for a pattern both reject;
// Sort keeps one).
func patterns(f string, list *yaml.Node, at yamlPath, diags *Diagnostics) []state.Pattern {
	if list.Kind != yaml.SequenceNode {
		return nil
	}
	var out []state.Pattern
	for i, it := range list.Content {
		it = deref(it)
		text, ok := str(it)
		if !ok {
			continue
		}
		pat, err := state.ParsePattern(text)
		if err != nil {
			*diags = append(*diags, diagAt(SeverityError, src(f, it), at.index(i), badPatternMessage(text)))
			continue
		}
		pat.Source = src(f, it)
		out = append(out, pat)
	}
	return out
}

// nonNil keeps "listed but empty" distinct from "not listed".
func nonNil(r []state.Ref) []state.Ref {
	if r == nil {
		return []state.Ref{}
	}
	return r
}
