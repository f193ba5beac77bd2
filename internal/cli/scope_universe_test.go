package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// The world of TestScopeProperty: a fixed project (the universe) and a
// model of the spec that renders to YAML.

// uGroup and uRepo are the universe's groups and repositories as they are
// live before any spec is applied.
type uGroup struct {
	path, vis, desc string
	mgs             []string
}

type uRepo struct {
	path     string
	members  map[string]string
	mgs      []string
	rules    []string // fixture push rules, in flow style
	archived bool
}

var (
	propGroups = []uGroup{
		{path: "pay", vis: "private", desc: "Payments", mgs: []string{"leads"}},
		{path: "pay/api", vis: "private"},
		{path: "pay/api/v1", vis: "private"},
		{path: "pay/web", vis: "public", desc: "Web"},
		{path: "pay/sandbox", vis: "private"},
		{path: "pay/empty", vis: "private"},
		{path: "ops", vis: "private", desc: "Operations"},
		{path: "ops/infra", vis: "private", mgs: []string{"ops"}},
		{path: "ops/infra/k8s", vis: "public"},
		{path: "ops/old", vis: "private"},
		{path: "data", vis: "public"},
		{path: "data/lake", vis: "private"},
	}
	propRepos = []uRepo{
		{path: "tools", members: map[string]string{"bob": "developer"}},
		{path: "pay/core", members: map[string]string{"alice": "admin", "bob": "developer"}},
		{path: "pay/api/gateway", members: map[string]string{"alice": "admin", "bob": "admin", "erin": "developer"}, mgs: []string{"auditors"},
			rules: []string{"{path: /config/*, users: [alice], member_groups: [leads], roles: [project-manager]}", "{path: /legacy/*, users: [erin]}"}},
		{path: "pay/api/gate", members: map[string]string{"carol": "viewer"}},
		{path: "pay/api/ledger", members: map[string]string{"bob": "admin", "carol": "viewer"}},
		{path: "pay/api/v1/old", members: map[string]string{"dave": "viewer"}},
		{path: "pay/web/site", members: map[string]string{"alice": "developer"}, rules: []string{"{path: /deploy/**}"}},
		{path: "pay/web/admin", members: map[string]string{"bob": "admin"}, mgs: []string{"sec"}},
		{path: "pay/sandbox/try", members: map[string]string{"erin": "admin"}},
		{path: "pay/sandbox/play"},
		{path: "ops/tools", members: map[string]string{"frank": "admin"}},
		{path: "ops/infra/terraform", members: map[string]string{"frank": "admin", "gina": "developer"}, rules: []string{"{path: /prod/*, users: [frank]}"}},
		{path: "ops/infra/k8s/charts", members: map[string]string{"gina": "developer"}},
		{path: "ops/old/legacy", archived: true},
		{path: "data/etl", members: map[string]string{"hank": "developer"}},
		{path: "data/lake/ingest", members: map[string]string{"hank": "admin"}, mgs: []string{"auditors"}},
		{path: "data/lake/query"},
	}
	propUsers = []string{"owner", "pm", "alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank"}
	// owner creates every repository and pm is a synced project manager:
	// CodeArts manages both memberships, so specs never list them.
	propRepoUsers   = []string{"alice", "bob", "carol", "dave", "erin"}
	propPolicyUsers = []string{"erin", "frank", "gina", "hank"}
	propMGs         = []string{"leads", "auditors", "ops", "sec"}
	propRoles       = []string{"project-manager", "committer"}
	propRulePaths   = []string{"/config/*", "/deploy/**", "/docs/*.md", "/legacy/*", "/prod/*"}
	propRepoRoles   = []string{"viewer", "developer", "admin"}
	// testNow is 2026-12-01: expired, the last day, ending soon, far off.
	propDates    = []string{"2026-11-15", "2026-12-01", "2026-12-10", "2027-06-30"}
	propPositive = []string{"**", "pay/**", "pay/api/**", "pay/api/*", "pay/api/gate*", "*/infra/**", "**/gateway", "ops/*",
		"data/lake/*", "data/**", "pay/*/admin", "tools", "pay/core", "**/v1/**", "pay/sandbox/**", "ops/infra/k8s/**", "*", "pay/api"}
	propNegative  = []string{"!pay/sandbox/**", "!**/old", "!pay/api/ledger", "!data/lake/query", "!ops/**", "!pay/web/*", "!*/api/**"}
	propNewGroups = []string{"pay/new", "data/lake/new", "newtop", "newtop/child"}
	propAuths     = map[string]pAuth{
		"old-ci": {Type: "bitbucket", User: "old", Env: "PW_OLD"},
		"ci-a":   {Type: "github", User: "a", Env: "PW_A"},
		"ci-b":   {Type: "devcloud", User: "b", Env: "PW_B"},
	}
	// propUnlisted are the live groups of the unconverged project that no
	// spec lists, or may leave out.
	propUnlisted = []string{"stale", "stale/inner", "stale/empty", "pay/old", "pay/empty", "pay/empty/sub", "data/archive", "ops/old"}
	// propTargets are --target patterns beyond the paths of the universe.
	propTargets = []string{"**", "*", "pay/**", "pay/*", "*/api/**", "**/gateway", "pay/api/gate*", "ops/infra/k8s/**", "**/new",
		"data/*", "*/*/*", "newtop/**", "**/old", "pay/web/**", "stale/**", "pay/old/**", "pay/old/extra", "data/archive/*"}
)

// propFixture is the universe as a simulator fixture; with stale, it also
// holds what no spec of the test ever lists: groups that are empty, hold
// only archived repositories or hold a repository, an empty sub-group of a
// group specs list, another authorization. That is the unconverged
// project's drift.
func propFixture(stale bool) string {
	var b strings.Builder
	b.WriteString(`project_id: 0b234373cf3f4b04ab2d8a245155e12b
iam_project_id: 5109940fad834a4eb3e408182d3b5786
credentials:
  access_key: SIMAK00000000000000000
  secret_key: SIMSKsecret000000000000000000000000000
  token: sim-static-token-e2e
  user: owner
project_members: [{user: pm, role: Project manager}]
users:
`)
	for i, u := range propUsers {
		fmt.Fprintf(&b, "  - {name: %s, id: %d}\n", u, 1001+i)
	}
	b.WriteString(`member_groups:
  - {name: leads, members: [carol]}
  - {name: auditors, members: [dave]}
  - {name: ops, members: [frank]}
  - {name: sec}
roles: [{name: project-manager}, {name: committer}]
groups:
`)
	for _, g := range propGroups {
		fmt.Fprintf(&b, "  - {path: %s, visibility: %s, description: %q, member_groups: [%s]}\n", g.path, g.vis, g.desc, strings.Join(g.mgs, ", "))
	}
	if stale {
		b.WriteString(`  - {path: stale, visibility: private}
  - {path: stale/inner, visibility: public}
  - {path: stale/empty, visibility: private}
  - {path: pay/old, visibility: private}
  - {path: pay/empty/sub, visibility: private}
  - {path: data/archive, visibility: private}
`)
	}
	b.WriteString("repositories:\n")
	if stale {
		b.WriteString(`  - {path: data/archive/y2019, archived: true}
  - {path: stale/inner/y2018, archived: true}
  - {path: pay/old/extra, members: {dave: admin}}
`)
	}
	for _, r := range propRepos {
		fmt.Fprintf(&b, "  - path: %s\n", r.path)
		if r.archived {
			b.WriteString("    archived: true\n")
		}
		if len(r.members) > 0 {
			var ms []string
			for _, u := range sortedKeys(r.members) {
				ms = append(ms, u+": "+r.members[u])
			}
			fmt.Fprintf(&b, "    members: {%s}\n", strings.Join(ms, ", "))
		}
		if len(r.mgs) > 0 {
			fmt.Fprintf(&b, "    member_groups: [%s]\n", strings.Join(r.mgs, ", "))
		}
		if len(r.rules) > 0 {
			fmt.Fprintf(&b, "    push_rules: [%s]\n", strings.Join(r.rules, ", "))
		}
	}
	b.WriteString("git_auths: [{name: old-ci, repo_type: bitbucket, user: old, password: old-secret}")
	if stale {
		b.WriteString(", {name: stale-ci, repo_type: github, user: stale, password: stale-secret}")
	}
	b.WriteString("]\n")
	return b.String()
}

// The spec model the generator edits, rendered to YAML. nil maps and
// slices are fields left out ("not managed"), as in the spec.

type pGrant struct{ Role, Expires, Reason string }

type pRef struct{ Name, Expires, Reason string }

type pRule struct{ Users, MGs, Roles []pRef }

// pGrants are the lists a repository and a policy both grant.
type pGrants struct {
	Members map[string]pGrant
	MGs     []pRef
	Rules   map[string]pRule
}

type pRepo struct{ pGrants }

type pGroup struct {
	Vis  string
	Desc *string
	MGs  []pRef
}

type pPolicy struct {
	Desc     string
	Patterns []string
	pGrants
}

type pAuth struct{ Type, User, Env string }

type pSpec struct {
	Settings string // a flow mapping, "" for none
	Pins     bool
	Groups   map[string]*pGroup
	Repos    map[string]*pRepo
	Policies map[string]*pPolicy
	Auths    map[string]pAuth
}

// clone deep-copies s; JSON keeps nil and empty apart.
func (s *pSpec) clone() *pSpec {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var c pSpec
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// render writes s as one spec file. With shuffle, map entries come in a
// random order and comments are added: the same spec, written differently.
func (s *pSpec) render(shuffle *rand.Rand) string {
	order := func(keys []string) []string {
		if shuffle != nil {
			shuffle.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		}
		return keys
	}
	var b strings.Builder
	b.WriteString("version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\n")
	if shuffle != nil {
		b.WriteString("# written differently, meaning the same\n")
	}
	if s.Settings != "" {
		fmt.Fprintf(&b, "settings: %s\n", s.Settings)
	}
	if s.Pins {
		b.WriteString("users:\n  bob: {id: 1004}\n")
	}
	if s.Groups != nil {
		b.WriteString("groups:")
		if len(s.Groups) == 0 {
			b.WriteString(" {}")
		}
		b.WriteString("\n")
		for _, p := range order(sortedKeys(s.Groups)) {
			g := s.Groups[p]
			var parts []string
			if g.Vis != "" {
				parts = append(parts, "visibility: "+g.Vis)
			}
			if g.Desc != nil {
				parts = append(parts, fmt.Sprintf("description: %q", *g.Desc))
			}
			if g.MGs != nil {
				parts = append(parts, "member_groups: "+renderRefs(g.MGs))
			}
			fmt.Fprintf(&b, "  %s: {%s}\n", p, strings.Join(parts, ", "))
		}
	}
	if len(s.Repos) > 0 {
		b.WriteString("repositories:\n")
		for _, p := range order(sortedKeys(s.Repos)) {
			r := s.Repos[p]
			fmt.Fprintf(&b, "  %s:", p)
			if r.Members == nil && r.MGs == nil && r.Rules == nil {
				b.WriteString(" {}\n")
				continue
			}
			b.WriteString("\n")
			if shuffle != nil {
				b.WriteString("    # the same entry\n")
			}
			r.render(&b, order)
		}
	}
	if len(s.Policies) > 0 {
		b.WriteString("policies:\n")
		for _, n := range order(sortedKeys(s.Policies)) {
			pol := s.Policies[n]
			fmt.Fprintf(&b, "  %s:\n", n)
			if pol.Desc != "" {
				fmt.Fprintf(&b, "    description: %q\n", pol.Desc)
			}
			var pats []string
			for _, p := range pol.Patterns {
				pats = append(pats, fmt.Sprintf("%q", p))
			}
			fmt.Fprintf(&b, "    repositories: [%s]\n", strings.Join(pats, ", "))
			pol.render(&b, order)
		}
	}
	if s.Auths != nil {
		b.WriteString("git_auths:")
		if len(s.Auths) == 0 {
			b.WriteString(" {}")
		}
		b.WriteString("\n")
		for _, n := range order(sortedKeys(s.Auths)) {
			a := s.Auths[n]
			fmt.Fprintf(&b, "  %s: {repo_type: %s, user: %s, password_env: %s}\n", n, a.Type, a.User, a.Env)
		}
	}
	return b.String()
}

// render writes the lists gr manages, indented as the fields of a
// repository or a policy.
func (gr *pGrants) render(b *strings.Builder, order func([]string) []string) {
	if gr.Members != nil {
		fmt.Fprintf(b, "    members: %s\n", renderMembers(gr.Members, order))
	}
	if gr.MGs != nil {
		fmt.Fprintf(b, "    member_groups: %s\n", renderRefs(gr.MGs))
	}
	if gr.Rules != nil {
		fmt.Fprintf(b, "    push_rules: %s\n", renderRules(gr.Rules, order))
	}
}

func renderGrant(role, name string, g pRef) string {
	if g.Expires == "" && g.Reason == "" {
		if role != "" {
			return role
		}
		return name
	}
	var parts []string
	if role != "" {
		parts = append(parts, "role: "+role)
	} else {
		parts = append(parts, "name: "+name)
	}
	if g.Expires != "" {
		parts = append(parts, "expires: "+g.Expires)
	}
	if g.Reason != "" {
		parts = append(parts, "reason: "+g.Reason)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func renderMembers(m map[string]pGrant, order func([]string) []string) string {
	var parts []string
	for _, u := range order(sortedKeys(m)) {
		g := m[u]
		parts = append(parts, u+": "+renderGrant(g.Role, "", pRef{Expires: g.Expires, Reason: g.Reason}))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func renderRefs(rs []pRef) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, renderGrant("", r.Name, r))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func renderRules(m map[string]pRule, order func([]string) []string) string {
	var parts []string
	for _, p := range order(sortedKeys(m)) {
		r := m[p]
		var fields []string
		if len(r.Users) > 0 {
			fields = append(fields, "users: "+renderRefs(r.Users))
		}
		if len(r.MGs) > 0 {
			fields = append(fields, "member_groups: "+renderRefs(r.MGs))
		}
		if len(r.Roles) > 0 {
			fields = append(fields, "roles: "+renderRefs(r.Roles))
		}
		parts = append(parts, fmt.Sprintf("%s: {%s}", p, strings.Join(fields, ", ")))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
