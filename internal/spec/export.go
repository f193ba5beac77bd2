package spec

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
)

// ExportOptions shape the files Export writes.
type ExportOptions struct {
	// SplitByGroup writes one file per top-level group (its groups and
	// repositories) as groups/<group>.yaml next to reposync.yaml (project,
	// pins, authorizations, repositories at the project root, and a scope
	// for each group file under `scopes:`, its owners a placeholder that
	// validate refuses until it is filled in). A group's file lives in its
	// own directory, so no group name can collide with reposync.yaml or the
	// schema file.
	SplitByGroup bool
	// PinIDs writes users, member_groups and roles pins for every name used.
	PinIDs bool
	// SchemaFile is the path of the JSON Schema relative to the spec's root
	// directory, for the yaml-language-server line; "" writes no such line
	// (when no schema file is written next to the spec).
	SchemaFile string
	// Entries writes only the groups and repositories of live, to paste
	// into a spec (export --target): no project, pins or authorizations.
	Entries bool
	// Origin says where the state came from, for the header comment.
	Origin      string
	Now         time.Time
	ToolVersion string
}

// Export writes the live state as spec files that plan to zero changes:
// every group, every repository with its direct members (inherited ones are
// not members of the repository itself), member groups and push rules, and
// the Git authorizations by name with a password_env to fill in. Output is
// sorted and deterministic for the same state and options.
func Export(live *state.Live, o ExportOptions) ([]File, error) {
	type bucket struct {
		groups []string
		repos  []string
	}
	root := &bucket{}
	tops := map[string]*bucket{}
	// pick is the file of a path: its top-level group's when split, except
	// for a repository at the project root.
	pick := func(path string, group bool) *bucket {
		top, _, nested := strings.Cut(path, "/")
		if !o.SplitByGroup || !nested && !group {
			return root
		}
		if tops[top] == nil {
			tops[top] = &bucket{}
		}
		return tops[top]
	}
	for _, p := range slices.Sorted(maps.Keys(live.Groups)) {
		b := pick(p, true)
		b.groups = append(b.groups, p)
	}
	for _, p := range slices.Sorted(maps.Keys(live.Repositories)) {
		if live.Repositories[p].Details {
			b := pick(p, false)
			b.repos = append(b.repos, p)
		}
	}

	used := usage{users: map[string]bool{}, groups: map[string]bool{}, roles: map[string]bool{}}
	var files []File
	body := func(b *bucket, withProject bool) *yaml.Node {
		withProject = withProject && !o.Entries
		doc := mapping()
		add(doc, "version", scalar("1", "!!int"))
		if withProject {
			add(doc, "project", scalar(live.Project, "!!str"))
		}
		if len(b.groups) > 0 {
			add(doc, "groups", groupsNode(live, b.groups, &used))
		}
		if len(b.repos) > 0 {
			add(doc, "repositories", reposNode(live, b.repos, &used))
			doc.Content[len(doc.Content)-2].HeadComment = leftOut(live, b.repos)
		}
		if withProject {
			if auths := gitAuthsNode(live); auths != nil {
				add(doc, "git_auths", auths)
			}
		}
		return doc
	}
	taken := map[string]bool{}
	scopes := mapping()
	for _, t := range slices.Sorted(maps.Keys(tops)) {
		name := groupFileName(t, taken)
		sc := flowMapping()
		add(sc, "repositories", flowList([]string{t + "/**"}, map[string]bool{}))
		owners := flowList([]string{OwnerPlaceholder}, map[string]bool{})
		owners.Content[0].Style = yaml.DoubleQuotedStyle // as an owner (`@…`) must be
		add(sc, "owners", owners)
		add(scopes, name, sc)
		data, err := render(body(tops[t], false), header(o, name, "../"))
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: name, Data: data})
	}
	// The root file last: only now are the names every file uses known.
	rootDoc := body(root, true)
	if o.PinIDs {
		insertPins(rootDoc, live, &used)
	}
	if len(scopes.Content) > 0 {
		add(rootDoc, "scopes", scopes)
		rootDoc.Content[len(rootDoc.Content)-2].HeadComment = "Each groups/ file may manage only its top-level group: fill in who reviews it\n" +
			"(owners: @user, @org/team or an e-mail address); validate refuses the placeholders."
	}
	data, err := render(rootDoc, header(o, "reposync.yaml", ""))
	if err != nil {
		return nil, err
	}
	files = append([]File{{Name: "reposync.yaml", Data: data}}, files...)
	return files, nil
}

type usage struct{ users, groups, roles map[string]bool }

// OwnerPlaceholder is the owner a split export writes into each scope: not
// an owner the schema takes, so the spec is invalid until a person names
// who reviews the file.
const OwnerPlaceholder = "TODO @org/team"

// header is a file's leading comment; up is the way from the file's
// directory to the spec root ("" or "../").
func header(o ExportOptions, name, up string) string {
	when := o.Now.UTC().Format(time.RFC3339)
	s := fmt.Sprintf("%s: exported by reposync %s from %s on %s.\nReview it, fill in every password_env variable, and commit it.", name, o.ToolVersion, o.Origin, when)
	if o.Entries {
		s = fmt.Sprintf("Exported by reposync %s from %s on %s:\npaste these entries under groups: and repositories: in a spec file,\nor save them as a file of their own.", o.ToolVersion, o.Origin, when)
	}
	if o.SchemaFile != "" {
		s = "yaml-language-server: $schema=./" + up + o.SchemaFile + "\n\n" + s
	}
	return s
}

// groupFileName is the file of a top-level group in a split export:
// groups/<name>.yaml, with a numeric suffix when a case-insensitive file
// system would see two names as one.
func groupFileName(group string, taken map[string]bool) string {
	name := "groups/" + group + ".yaml"
	for i := 2; taken[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("groups/%s-%d.yaml", group, i)
	}
	taken[strings.ToLower(name)] = true
	return name
}

func groupsNode(live *state.Live, paths []string, used *usage) *yaml.Node {
	m := mapping()
	for _, p := range paths {
		g := live.Groups[p]
		v := flowMapping()
		addSet(v, "visibility", g.Visibility, "!!str")
		addSet(v, "description", g.Description, "!!str")
		if g.MemberGroups != nil {
			add(v, "member_groups", flowList(g.MemberGroups, used.groups))
		}
		add(m, p, v)
	}
	return m
}

func reposNode(live *state.Live, paths []string, used *usage) *yaml.Node {
	m := mapping()
	for _, p := range paths {
		r := live.Repositories[p]
		v := mapping()
		members := flowMapping()
		for _, name := range slices.Sorted(maps.Keys(r.Members)) {
			// Not the repository's own to list: inherited, managed by
			// CodeArts itself (creator, synced project members), or a role
			// the spec cannot express (leftOut names them). Plans leave
			// them alone too.
			if lm := r.Members[name]; !lm.Inherited && lm.Managed == "" && lm.Role != "" {
				used.users[name] = true
				add(members, name, scalar(string(lm.Role), "!!str"))
			}
		}
		add(v, "members", members)
		add(v, "member_groups", flowList(r.MemberGroups, used.groups))
		rules := mapping()
		for _, path := range slices.Sorted(maps.Keys(r.PushRules)) {
			pr := r.PushRules[path]
			body := flowMapping()
			var users, groups, roles []string
			for _, u := range pr.Users {
				users = append(users, u.Name)
			}
			for _, g := range pr.MemberGroups {
				groups = append(groups, g.Name)
			}
			for _, ro := range pr.Roles {
				roles = append(roles, ro.Name)
			}
			if len(users) > 0 {
				add(body, "users", flowList(users, used.users))
			}
			if len(groups) > 0 {
				add(body, "member_groups", flowList(groups, used.groups))
			}
			if len(roles) > 0 {
				add(body, "roles", flowList(roles, used.roles))
			}
			k := scalar(path, "!!str")
			if pr.Disabled {
				k.LineComment = "disabled in CodeArts; the spec will enable it"
			}
			rules.Content = append(rules.Content, k, body)
		}
		add(v, "push_rules", rules)
		add(m, p, v)
	}
	return m
}

// leftOut is the comment over a file's repositories naming, once, the
// members its lists leave out and where — those CodeArts manages (the
// creator, synced project members) and those whose role the spec cannot
// name — so that one the console shows is not taken for data loss. Members
// inherited from member groups are not the repository's own.
func leftOut(live *state.Live, paths []string) string {
	why := [2]string{"CodeArts manages them and reposync never changes them", "the spec has no name for their role and reposync never changes them"}
	where := [2]map[string][]string{{}, {}}
	for _, p := range paths {
		for _, name := range slices.Sorted(maps.Keys(live.Repositories[p].Members)) {
			i, who := 0, oneLine(name)
			switch lm := live.Repositories[p].Members[name]; {
			case lm.Inherited:
				continue
			case lm.Managed != "":
				who += " (" + oneLine(lm.Managed) + ")"
			case lm.Role == "":
				i, who = 1, who+" (role "+oneLine(lm.RoleName)+")"
			default:
				continue
			}
			where[i][who] = append(where[i][who], p)
		}
	}
	var lines []string
	for i, m := range where {
		if len(m) > 0 {
			lines = append(lines, "Members left out below, as "+why[i]+":")
		}
		for _, who := range slices.Sorted(maps.Keys(m)) {
			on := "every repository"
			if rs := m[who]; len(rs) < len(paths) || len(rs) == 1 {
				on = strings.Join(rs[:min(len(rs), 3)], ", ")
				if len(rs) > 3 {
					on += fmt.Sprintf(" and %d more", len(rs)-3)
				}
			}
			lines = append(lines, "  "+who+": "+on)
		}
	}
	return strings.Join(lines, "\n")
}

// oneLine keeps service text from breaking out of a YAML comment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '\u2028' || r == '\u2029' || r == 0x85 {
			return ' '
		}
		return r
	}, s)
}

var envUnsafe = regexp.MustCompile(`[^A-Z0-9]+`)

func gitAuthsNode(live *state.Live) *yaml.Node {
	if live.GitAuths == nil {
		return nil
	}
	m := mapping()
	for _, name := range slices.Sorted(maps.Keys(live.GitAuths)) {
		a := live.GitAuths[name]
		v := flowMapping()
		add(v, "repo_type", scalar(a.RepoType, "!!str"))
		add(v, "user", scalar(a.User, "!!str"))
		env := passwordEnvFor(name)
		add(v, "password_env", scalar(env, "!!str"))
		k := scalar(name, "!!str")
		k.HeadComment = "set " + env + " to the password before apply: it cannot be read back"
		m.Content = append(m.Content, k, v)
	}
	return m
}

// insertPins adds users, member_groups and roles pins for every name the
// exported files use, after `project:` in the root file.
func insertPins(root *yaml.Node, live *state.Live, used *usage) {
	var pins []*yaml.Node
	// section adds the pins of names that the live state knows: pin fills
	// a name's pin and says whether it knows the name.
	section := func(key string, names map[string]bool, pin func(name string, v *yaml.Node) bool) {
		if len(names) == 0 {
			return
		}
		m := mapping()
		for _, n := range slices.Sorted(maps.Keys(names)) {
			if v := flowMapping(); pin(n, v) {
				add(m, n, v)
			}
		}
		pins = append(pins, scalar(key, "!!str"), m)
	}
	section("users", used.users, func(n string, v *yaml.Node) bool {
		u, ok := live.Users[n]
		addSet(v, "id", fmt.Sprint(u.ID), "!!int")
		addSet(v, "iam_id", u.IAMID, "!!str")
		return ok
	})
	section("member_groups", used.groups, func(n string, v *yaml.Node) bool {
		g, ok := live.MemberGroups[n]
		addSet(v, "id", g.ID, "!!str")
		addSet(v, "team_id", fmt.Sprint(g.TeamID), "!!int")
		return ok
	})
	section("roles", used.roles, func(n string, v *yaml.Node) bool {
		r, ok := live.Roles[n]
		add(v, "id", scalar(r.ID, "!!str"))
		return ok
	})
	// After version and project (the first two pairs).
	at := min(4, len(root.Content))
	root.Content = append(root.Content[:at:at], append(pins, root.Content[at:]...)...)
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }
func flowMapping() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
}

func scalar(v, tag string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }

func add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(key, "!!str"), v)
}

// addSet adds key: v to m unless v is unset: "", or 0 for an integer.
func addSet(m *yaml.Node, key, v, tag string) {
	if v != "" && (tag != "!!int" || v != "0") {
		add(m, key, scalar(v, tag))
	}
}

func flowList(items []string, used map[string]bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, it := range slices.Sorted(slices.Values(items)) {
		used[it] = true
		n.Content = append(n.Content, scalar(it, "!!str"))
	}
	return n
}

func render(doc *yaml.Node, head string) ([]byte, error) {
	doc.HeadComment = head
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write exported spec: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
