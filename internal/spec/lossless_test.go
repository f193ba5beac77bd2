package spec

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/state"
)

// TestNoValueLostBetweenYAMLAndModel is the property of issue 26: for
// random specs, whatever the loader accepts keeps every value written —
// names, keys, roles, patterns (`!` exclusions included), pins, members,
// push rules, Git authorizations and scopes — in the built model. Each
// value is written in a random form (plain, quoted, tagged with a core
// tag, the non-specific `!`, a tag outside the core schema, an unquoted
// date, `<<`), so a value one part of the loader takes and another drops
// is a failure, while a value the loader refuses is fine (it must then
// refuse it with an error). The names are unique, so a lost one cannot
// hide behind another; for the few values that repeat (roles, booleans)
// the model must hold at least as many as the YAML.
func TestNoValueLostBetweenYAMLAndModel(t *testing.T) {
	accepted, refused := 0, 0
	for seed := range uint64(400) {
		g := &specGen{r: rand.New(rand.NewPCG(seed, 26)), odd: []int{0, 40}[seed%2]}
		files := g.spec()
		srcs := make([]source, 0, len(files))
		for _, name := range []string{"reposync.yaml", "team.yaml"} {
			srcs = append(srcs, source{name: name, rel: name, data: []byte(files[name])})
		}
		d, diags := loadSources(DefaultOptions(), srcs)
		if diags.HasErrors() {
			refused++
			continue
		}
		accepted++
		have := map[string]int{}
		modelValues(reflect.ValueOf(d), have)
		for _, v := range g.written {
			if have[v] == 0 {
				t.Errorf("seed %d: the value %q was written, the loader accepted the spec, and the model lost it\nreposync.yaml:\n%s\nteam.yaml:\n%s",
					seed, v, files["reposync.yaml"], files["team.yaml"])
				break
			}
			have[v]--
		}
	}
	t.Logf("%d specs accepted, %d refused", accepted, refused)
	// The property must be exercised both ways.
	if accepted < 80 || refused < 80 {
		t.Errorf("%d specs accepted, %d refused: the generator no longer draws both", accepted, refused)
	}
}

// modelValues counts every string, integer and boolean of the model by
// its text, except where values were written (Source) and the file list.
func modelValues(v reflect.Value, out map[string]int) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			modelValues(v.Elem(), out)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[state.Source]() {
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && f.Name != "Files" && f.Name != "Digest" {
				modelValues(v.Field(i), out)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			modelValues(v.Index(i), out)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			modelValues(it.Key(), out)
			modelValues(it.Value(), out)
		}
	case reflect.String:
		out[v.String()]++
	case reflect.Int, reflect.Int64:
		out[strconv.FormatInt(v.Int(), 10)]++
	case reflect.Bool:
		out[strconv.FormatBool(v.Bool())]++
	}
}

// specGen draws a spec of two files: reposync.yaml, without a scope, and
// team.yaml, scoped to t/** by it. written collects every value drawn, as
// the model should hold it.
type specGen struct {
	r       *rand.Rand
	n       int
	written []string
	odd     int // one value in odd is written in a form the loader refuses or reads as another type (0: none)
}

// name is a fresh name: unique, and sometimes a form YAML reads as
// something else when plain (a date, a number).
func (g *specGen) name(prefix string) string {
	g.n++
	switch g.r.IntN(40) {
	case 0, 1, 2, 3:
		return fmt.Sprintf("20%02d-0%d-1%d", 10+g.n%90, 1+g.n%9, g.n%10) // a date
	case 4:
		return strconv.Itoa(1000 + g.n) // a number
	}
	return fmt.Sprintf("%s%d", prefix, g.n)
}

// val writes s as a scalar in a random form and records it.
func (g *specGen) val(s string) string {
	g.written = append(g.written, s)
	return g.form(s)
}

func (g *specGen) form(s string) string {
	quoted := strconv.Quote(s)
	single := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	plainOK := s != "" && strings.IndexAny(s[:1], "!&*@`'\"%|>#?:-[]{},") < 0 && !strings.ContainsAny(s, ":#{}[],")
	forms := []string{quoted, single, "!!str " + quoted, "! " + single}
	if plainOK {
		forms = append(forms, s, s, s, "!!str "+s)
	}
	if g.odd > 0 && g.r.IntN(g.odd) == 0 {
		forms = []string{"!x " + quoted, "!!timestamp " + s, "!!binary " + quoted, "!!int " + quoted, "!<tag:example.com,2026:name> " + quoted}
	}
	return forms[g.r.IntN(len(forms))]
}

func (g *specGen) hex() string { return fmt.Sprintf("%032x", g.r.Uint64()) }

// refs is a list of names, short or long form.
func (g *specGen) refs(prefix string) string {
	var items []string
	for range g.r.IntN(3) {
		if g.r.IntN(3) == 0 {
			items = append(items, fmt.Sprintf("{name: %s, reason: %s}", g.val(g.name(prefix)), g.val("why "+g.name(""))))
		} else {
			items = append(items, g.val(g.name(prefix)))
		}
	}
	return "[" + strings.Join(items, ", ") + "]"
}

func (g *specGen) members(maxRole int) string {
	var items []string
	for range 1 + g.r.IntN(3) {
		user := g.val(g.name("user"))
		role := g.val([]string{"viewer", "developer", "admin"}[g.r.IntN(maxRole)])
		if g.r.IntN(3) == 0 {
			items = append(items, fmt.Sprintf("%s: {role: %s, expires: %s}", user, role, g.val(fmt.Sprintf("2027-0%d-1%d", 1+g.r.IntN(9), g.r.IntN(10)))))
		} else {
			items = append(items, user+": "+role)
		}
	}
	return "{" + strings.Join(items, ", ") + "}"
}

func (g *specGen) pushRules() string {
	path := g.val("/" + g.name("dir") + "/*")
	return fmt.Sprintf("{%s: {users: %s, member_groups: %s}}", path, g.refs("user"), g.refs("mg"))
}

func (g *specGen) spec() map[string]string {
	var root, team strings.Builder
	root.WriteString("version: 1\n")
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&root, "project: %s\n", g.val(g.hex()))
	}
	if g.r.IntN(2) == 0 {
		prune := []string{"true", "false"}[g.r.IntN(2)]
		g.written = append(g.written, prune, "7")
		fmt.Fprintf(&root, "settings: {prune: %s, max_deletes: 7}\n", prune)
	}
	id := strconv.Itoa(1 + g.r.IntN(1000))
	g.written = append(g.written, id)
	fmt.Fprintf(&root, "users: {%s: {id: %s, iam_id: %s}}\n", g.val(g.name("pin")), id, g.val(g.hex()))
	fmt.Fprintf(&root, "member_groups: {%s: {id: %s}}\n", g.val(g.name("mgpin")), g.val(g.hex()))
	fmt.Fprintf(&root, "roles: {%s: {id: %s}}\n", g.val(g.name("rolepin")), g.val(g.hex()))
	fmt.Fprintf(&root, "groups:\n  %s: {visibility: %s, description: %s, member_groups: %s}\n",
		g.val("g"+g.name("")), g.val([]string{"private", "public"}[g.r.IntN(2)]), g.val([]string{g.name("about "), "<<"}[g.r.IntN(2)]), g.refs("mg"))
	fmt.Fprintf(&root, "repositories:\n  %s:\n    members: %s\n    member_groups: %s\n    push_rules: %s\n",
		g.val("r/"+g.name("repo")), g.members(3), g.refs("mg"), g.pushRules())
	fmt.Fprintf(&root, "policies:\n  %s:\n    description: %s\n    repositories: [%s, %s]\n    members: %s\n",
		g.val("p"+g.name("")), g.val(g.name("policy ")), g.val("r/**"), g.val("!r/"+g.name("x")+"/**"), g.members(3))
	fmt.Fprintf(&root, "git_auths:\n  %s: {repo_type: %s, user: %s, password_env: %s}\n",
		g.val("auth"+g.name("")), g.val("github"), g.val(g.name("bot")), g.val(fmt.Sprintf("PASS_%d", g.r.IntN(100))))
	maxRole := 1 + g.r.IntN(3)
	fmt.Fprintf(&root, "scopes:\n  team.yaml: {repositories: [%s, %s], max_role: %s, owners: [%s]}\n",
		g.val("t/**"), g.val("!t/"+g.name("x")+"/**"), g.val([]string{"viewer", "developer", "admin"}[maxRole-1]), g.val("@acme/"+g.name("team")))
	team.WriteString("version: 1\n")
	fmt.Fprintf(&team, "repositories:\n  %s:\n    members: %s\n", g.val("t/"+g.name("repo")), g.members(maxRole))
	fmt.Fprintf(&team, "policies:\n  %s:\n    repositories: [%s, %s]\n    members: %s\n",
		g.val("tp"+g.name("")), g.val("t/"+g.name("a")+"/**"), g.val("!t/"+g.name("a")+"/b/**"), g.members(maxRole))
	return map[string]string{"reposync.yaml": root.String(), "team.yaml": team.String()}
}
