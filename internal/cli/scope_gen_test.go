package cli

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// The generator of TestScopeProperty: random base specs over the universe
// (scope_universe_test.go) and random edits of them.

// propGen generates base specs and edits from one seeded source.
type propGen struct{ r *rand.Rand }

func (g *propGen) chance(p float64) bool { return g.r.Float64() < p }

func pick[T any](g *propGen, s []T) T { return s[g.r.IntN(len(s))] }

// some returns a random subset of s, in s's order, of at most n elements.
func some[T any](g *propGen, s []T, n int) []T {
	k := g.r.IntN(n + 1)
	idx := g.r.Perm(len(s))
	if k > len(idx) {
		k = len(idx)
	}
	idx = idx[:k]
	sort.Ints(idx)
	var out []T
	for _, i := range idx {
		out = append(out, s[i])
	}
	return out
}

// grant is an expiry and a reason, often neither.
func (g *propGen) grant(expiring bool) pRef {
	var r pRef
	if expiring && g.chance(0.25) {
		r.Expires = pick(g, propDates)
	}
	if g.chance(0.15) {
		r.Reason = fmt.Sprintf("T-%d", g.r.IntN(100))
	}
	return r
}

func (g *propGen) members(users []string, n int) map[string]pGrant {
	m := map[string]pGrant{}
	for _, u := range some(g, users, n) {
		gr := g.grant(true)
		m[u] = pGrant{Role: pick(g, propRepoRoles), Expires: gr.Expires, Reason: gr.Reason}
	}
	return m
}

// refs names some of names; the ones in keep are always there and never
// expired (the API cannot detach a member group, so a base that drops or
// expires a live one could not be applied).
func (g *propGen) refs(names []string, n int, keep []string, expiring bool) []pRef {
	out := []pRef{}
	for _, k := range keep {
		gr := g.grant(false)
		out = append(out, pRef{Name: k, Reason: gr.Reason})
	}
	for _, name := range some(g, names, n) {
		if !slices.Contains(keep, name) {
			gr := g.grant(expiring)
			out = append(out, pRef{Name: name, Expires: gr.Expires, Reason: gr.Reason})
		}
	}
	return out
}

func (g *propGen) rule() pRule {
	return pRule{Users: g.refs(propRepoUsers, 2, nil, true), MGs: g.refs(propMGs, 1, nil, true), Roles: g.refs(propRoles, 1, nil, true)}
}

func (g *propGen) rules(n int) map[string]pRule {
	m := map[string]pRule{}
	for _, p := range some(g, propRulePaths, n) {
		m[p] = g.rule()
	}
	return m
}

func (g *propGen) repo(live uRepo) *pRepo {
	r := &pRepo{}
	if g.chance(0.75) {
		r.Members = g.members(propRepoUsers, 4)
	}
	if g.chance(0.4) {
		r.MGs = g.refs(propMGs, 2, live.mgs, true)
	}
	if g.chance(0.5) {
		r.Rules = g.rules(2)
	}
	return r
}

func (g *propGen) policy() *pPolicy {
	p := &pPolicy{}
	p.Patterns = some(g, propPositive, 2)
	if len(p.Patterns) == 0 {
		p.Patterns = []string{pick(g, propPositive)}
	}
	if g.chance(0.4) {
		p.Patterns = append(p.Patterns, pick(g, propNegative))
	}
	if g.chance(0.8) {
		p.Members = g.members(propPolicyUsers, 2)
	}
	if g.chance(0.4) {
		p.MGs = g.refs(propMGs, 1, nil, true)
	}
	if g.chance(0.5) {
		p.Rules = g.rules(1)
	}
	if g.chance(0.2) {
		p.Desc = "why " + pick(g, propMGs)
	}
	return p
}

func liveGroup(path string) (uGroup, bool) {
	for _, g := range propGroups {
		if g.path == path {
			return g, true
		}
	}
	return uGroup{}, false
}

func liveRepo(path string) uRepo {
	for _, r := range propRepos {
		if r.path == path {
			return r
		}
	}
	return uRepo{path: path}
}

func (g *propGen) group(live uGroup) *pGroup {
	gr := &pGroup{}
	if g.chance(0.5) {
		gr.Vis = live.vis
	}
	if g.chance(0.4) {
		d := live.desc
		gr.Desc = &d
	}
	if g.chance(0.5) {
		gr.MGs = g.refs(propMGs, 2, live.mgs, true)
	}
	return gr
}

func (g *propGen) newGroup() *pGroup {
	gr := &pGroup{}
	if g.chance(0.6) {
		gr.Vis = pick(g, []string{"private", "public"})
	}
	if g.chance(0.4) {
		d := "new " + pick(g, propMGs)
		gr.Desc = &d
	}
	if g.chance(0.4) {
		gr.MGs = g.refs(propMGs, 2, nil, true)
	}
	return gr
}

// base generates a base spec that can be applied: the live member groups
// of what it lists stay listed, and every live group it leaves out holds a
// repository it lists (so the group is needed, not drift).
func (g *propGen) base() *pSpec {
	s := &pSpec{Repos: map[string]*pRepo{}, Policies: map[string]*pPolicy{}}
	for _, r := range propRepos {
		if !r.archived && g.chance(0.6) {
			s.Repos[r.path] = g.repo(r)
		}
	}
	for i := range 1 + g.r.IntN(3) {
		s.Policies[fmt.Sprintf("p%d", i+1)] = g.policy()
	}
	if g.chance(0.85) {
		s.Groups = map[string]*pGroup{}
		for _, lg := range propGroups {
			if s.holdsListedRepo(lg.path) && g.chance(0.3) {
				continue
			}
			s.Groups[lg.path] = g.group(lg)
		}
		if g.chance(0.4) {
			s.Groups["pay/new"] = g.newGroup()
		}
		if g.chance(0.5) {
			s.Groups["newtop"] = g.newGroup()
			s.Groups["newtop/child"] = g.newGroup()
		}
	}
	if g.chance(0.6) {
		s.Auths = map[string]pAuth{}
		for _, n := range some(g, sortedKeys(propAuths), 3) {
			s.Auths[n] = propAuths[n]
		}
	}
	return s
}

func (s *pSpec) holdsListedRepo(group string) bool {
	for p := range s.Repos {
		if strings.HasPrefix(p, group+"/") {
			return true
		}
	}
	return false
}

// mutation is one kind of spec edit; it returns what it did, or "" when it
// does not apply to this spec.
type mutation func(g *propGen, s *pSpec) string

var propMutations = []mutation{
	// Repositories.
	func(g *propGen, s *pSpec) string { // add
		var free []string
		for _, r := range propRepos {
			if _, ok := s.Repos[r.path]; !ok && !r.archived {
				free = append(free, r.path)
			}
		}
		if len(free) == 0 {
			return ""
		}
		p := pick(g, free)
		if s.Repos == nil {
			s.Repos = map[string]*pRepo{}
		}
		s.Repos[p] = g.repo(liveRepo(p))
		return "add repository " + p
	},
	func(g *propGen, s *pSpec) string { // remove
		if len(s.Repos) == 0 {
			return ""
		}
		p := pick(g, sortedKeys(s.Repos))
		delete(s.Repos, p)
		return "remove repository " + p
	},
	editGrants((*propGen).someRepoGrants, "members"),
	editGrants((*propGen).someRepoGrants, "member_groups"),
	editGrants((*propGen).someRepoGrants, "push_rules"),
	// Policies.
	func(g *propGen, s *pSpec) string { // add
		name := fmt.Sprintf("p%d", 5+g.r.IntN(5))
		if _, ok := s.Policies[name]; ok {
			return ""
		}
		if s.Policies == nil {
			s.Policies = map[string]*pPolicy{}
		}
		s.Policies[name] = g.policy()
		return "add policy " + name
	},
	func(g *propGen, s *pSpec) string { // remove
		if len(s.Policies) == 0 {
			return ""
		}
		n := pick(g, sortedKeys(s.Policies))
		delete(s.Policies, n)
		return "remove policy " + n
	},
	func(g *propGen, s *pSpec) string { // rename
		if len(s.Policies) == 0 {
			return ""
		}
		n := pick(g, sortedKeys(s.Policies))
		to := n + "x"
		s.Policies[to] = s.Policies[n]
		delete(s.Policies, n)
		return "rename policy " + n + " to " + to
	},
	func(g *propGen, s *pSpec) string { // widen
		n, pol := g.somePolicy(s)
		if pol == nil {
			return ""
		}
		pat := pick(g, propPositive)
		if slices.Contains(pol.Patterns, pat) {
			return ""
		}
		pol.Patterns = append(pol.Patterns, pat)
		return "policy " + n + ": widen with " + pat
	},
	func(g *propGen, s *pSpec) string { // narrow: drop a positive pattern
		n, pol := g.somePolicy(s)
		if pol == nil {
			return ""
		}
		var pos []int
		for i, p := range pol.Patterns {
			if !strings.HasPrefix(p, "!") {
				pos = append(pos, i)
			}
		}
		if len(pos) < 2 {
			return ""
		}
		i := pick(g, pos)
		dropped := pol.Patterns[i]
		pol.Patterns = slices.Delete(pol.Patterns, i, i+1)
		return "policy " + n + ": narrow, dropping " + dropped
	},
	func(g *propGen, s *pSpec) string { // narrow: add a negation
		n, pol := g.somePolicy(s)
		if pol == nil {
			return ""
		}
		neg := pick(g, propNegative)
		if slices.Contains(pol.Patterns, neg) {
			return ""
		}
		pol.Patterns = append(pol.Patterns, neg)
		return "policy " + n + ": narrow with " + neg
	},
	func(g *propGen, s *pSpec) string { // widen: drop a negation
		n, pol := g.somePolicy(s)
		if pol == nil {
			return ""
		}
		for i, p := range pol.Patterns {
			if strings.HasPrefix(p, "!") {
				pol.Patterns = slices.Delete(pol.Patterns, i, i+1)
				return "policy " + n + ": widen, dropping " + p
			}
		}
		return ""
	},
	editGrants((*propGen).somePolicyGrants, "members"),
	editGrants((*propGen).somePolicyGrants, "member_groups"),
	editGrants((*propGen).somePolicyGrants, "push_rules"),
	func(g *propGen, s *pSpec) string { // description
		n, pol := g.somePolicy(s)
		if pol == nil {
			return ""
		}
		pol.Desc += " (edited)"
		return "policy " + n + ": description"
	},
	// Groups.
	func(g *propGen, s *pSpec) string { // visibility
		p, gr := g.someGroup(s)
		if gr == nil {
			return ""
		}
		gr.Vis = pick(g, []string{"", "private", "public"})
		return "group " + p + ": visibility " + gr.Vis
	},
	func(g *propGen, s *pSpec) string { // description
		p, gr := g.someGroup(s)
		if gr == nil {
			return ""
		}
		if g.chance(0.3) {
			gr.Desc = nil
			return "group " + p + ": description not managed"
		}
		d := pick(g, []string{"", "Payments", "Operations", "edited"})
		gr.Desc = &d
		return "group " + p + ": description " + d
	},
	func(g *propGen, s *pSpec) string { // member groups
		p, gr := g.someGroup(s)
		if gr == nil {
			return ""
		}
		return "group " + p + ": " + g.editRefs(&gr.MGs, propMGs, "member groups")
	},
	func(g *propGen, s *pSpec) string { // add
		if s.Groups == nil {
			return ""
		}
		var cands []string
		for _, p := range append(propNewGroups, groupPaths()...) {
			parent := p[:max(strings.LastIndex(p, "/"), 0)]
			_, listed := s.Groups[p]
			_, parentListed := s.Groups[parent]
			_, parentLive := liveGroup(parent)
			if !listed && (parent == "" || parentListed || parentLive) {
				cands = append(cands, p)
			}
		}
		if len(cands) == 0 {
			return ""
		}
		p := pick(g, cands)
		if lg, ok := liveGroup(p); ok {
			s.Groups[p] = g.group(lg)
		} else {
			s.Groups[p] = g.newGroup()
		}
		return "add group " + p
	},
	func(g *propGen, s *pSpec) string { // remove
		p, gr := g.someGroup(s)
		if gr == nil {
			return ""
		}
		for q := range s.Groups {
			if strings.HasPrefix(q, p+"/") {
				if _, live := liveGroup(q); !live {
					return "" // a group to create needs its parent
				}
			}
		}
		delete(s.Groups, p)
		return "remove group " + p
	},
	func(g *propGen, s *pSpec) string { // the section: everything is planned
		if !g.chance(0.3) {
			return ""
		}
		if s.Groups == nil {
			s.Groups = map[string]*pGroup{}
			for _, lg := range propGroups {
				s.Groups[lg.path] = &pGroup{}
			}
			return "add the groups section"
		}
		s.Groups = nil
		return "remove the groups section"
	},
	// Git authorizations.
	func(g *propGen, s *pSpec) string {
		if s.Auths == nil {
			s.Auths = map[string]pAuth{}
			return "add an empty git_auths section"
		}
		n := pick(g, sortedKeys(propAuths))
		a, ok := s.Auths[n]
		switch {
		case !ok:
			s.Auths[n] = propAuths[n]
			return "add git auth " + n
		case g.chance(0.3):
			delete(s.Auths, n)
			return "remove git auth " + n
		case g.chance(0.3):
			a.User += "2"
		case g.chance(0.5):
			a.Type = pick(g, []string{"github", "bitbucket", "devcloud"})
		default:
			a.Env += "_NEW"
		}
		s.Auths[n] = a
		return "modify git auth " + n
	},
	// What cannot be bounded: a plan of everything.
	func(g *propGen, s *pSpec) string {
		if !g.chance(0.15) {
			return ""
		}
		if s.Settings == "" {
			s.Settings = "{min_admins: 1}"
			return "add settings"
		}
		s.Settings = ""
		return "remove settings"
	},
	func(g *propGen, s *pSpec) string {
		if !g.chance(0.15) {
			return ""
		}
		s.Pins = !s.Pins
		return "toggle a user pin"
	},
}

func groupPaths() []string {
	var out []string
	for _, g := range propGroups {
		out = append(out, g.path)
	}
	return out
}

// editGrants is the mutation that edits one list (members, member_groups
// or push_rules) of the repository or policy that some picks.
func editGrants(some func(*propGen, *pSpec) (string, *pGrants, []string), list string) mutation {
	return func(g *propGen, s *pSpec) string {
		label, gr, users := some(g, s)
		if gr == nil {
			return ""
		}
		switch list {
		case "members":
			return label + ": " + g.editMembers(&gr.Members, users)
		case "member_groups":
			return label + ": " + g.editRefs(&gr.MGs, propMGs, "member groups")
		}
		return label + ": " + g.editRules(&gr.Rules)
	}
}

// someRepoGrants picks a listed repository: its label, grants and the users a
// repository's members come from.
func (g *propGen) someRepoGrants(s *pSpec) (string, *pGrants, []string) {
	if len(s.Repos) == 0 {
		return "", nil, nil
	}
	p := pick(g, sortedKeys(s.Repos))
	return "repository " + p, &s.Repos[p].pGrants, propRepoUsers
}

// somePolicyGrants is someRepoGrants for policies.
func (g *propGen) somePolicyGrants(s *pSpec) (string, *pGrants, []string) {
	n, pol := g.somePolicy(s)
	if pol == nil {
		return "", nil, nil
	}
	return "policy " + n, &pol.pGrants, propPolicyUsers
}

func (g *propGen) somePolicy(s *pSpec) (string, *pPolicy) {
	if len(s.Policies) == 0 {
		return "", nil
	}
	n := pick(g, sortedKeys(s.Policies))
	return n, s.Policies[n]
}

func (g *propGen) someGroup(s *pSpec) (string, *pGroup) {
	if len(s.Groups) == 0 {
		return "", nil
	}
	p := pick(g, sortedKeys(s.Groups))
	return p, s.Groups[p]
}

func (g *propGen) editMembers(m *map[string]pGrant, users []string) string {
	switch {
	case *m == nil:
		*m = g.members(users, 3)
		return "members managed"
	case g.chance(0.08):
		*m = nil
		return "members not managed"
	case g.chance(0.05):
		*m = map[string]pGrant{}
		return "members emptied"
	}
	u := pick(g, users)
	gr, ok := (*m)[u]
	switch {
	case !ok:
		(*m)[u] = pGrant{Role: pick(g, propRepoRoles)}
		return "add member " + u
	case g.chance(0.3):
		delete(*m, u)
		return "remove member " + u
	case g.chance(0.4):
		gr.Role = pick(g, propRepoRoles)
	case g.chance(0.6):
		gr.Expires = pick(g, append(propDates, ""))
	default:
		gr.Reason = fmt.Sprintf("R-%d", g.r.IntN(100))
	}
	(*m)[u] = gr
	return fmt.Sprintf("member %s becomes %+v", u, gr)
}

func (g *propGen) editRefs(rs *[]pRef, names []string, what string) string {
	switch {
	case *rs == nil:
		*rs = g.refs(names, 2, nil, true)
		return what + " managed"
	case g.chance(0.08):
		*rs = nil
		return what + " not managed"
	}
	n := pick(g, names)
	i := slices.IndexFunc(*rs, func(r pRef) bool { return r.Name == n })
	switch {
	case i < 0:
		gr := g.grant(true)
		*rs = append(*rs, pRef{Name: n, Expires: gr.Expires, Reason: gr.Reason})
		return what + ": add " + n
	case g.chance(0.5):
		*rs = slices.Delete(*rs, i, i+1)
		return what + ": remove " + n
	default:
		(*rs)[i].Expires = pick(g, append(propDates, ""))
		return what + ": " + n + " expires " + (*rs)[i].Expires
	}
}

func (g *propGen) editRules(m *map[string]pRule) string {
	switch {
	case *m == nil:
		*m = g.rules(2)
		return "push rules managed"
	case g.chance(0.08):
		*m = nil
		return "push rules not managed"
	}
	p := pick(g, propRulePaths)
	r, ok := (*m)[p]
	switch {
	case !ok:
		(*m)[p] = g.rule()
		return "add push rule " + p
	case g.chance(0.3):
		delete(*m, p)
		return "remove push rule " + p
	case g.chance(0.3):
		(*m)[p] = pRule{}
		return "nobody may push " + p
	default:
		what := "users"
		switch g.r.IntN(3) {
		case 0:
			r.Users = g.refs(propRepoUsers, 2, nil, true)
		case 1:
			r.MGs, what = g.refs(propMGs, 2, nil, true), "member groups"
		default:
			r.Roles, what = g.refs(propRoles, 2, nil, true), "roles"
		}
		(*m)[p] = r
		return "push rule " + p + ": " + what
	}
}

// edit applies one to three mutations to a copy of base, or writes base
// differently without changing its meaning.
func (g *propGen) edit(base *pSpec) (*pSpec, []string, string) {
	s := base.clone()
	if g.chance(0.04) {
		return s, []string{"write the same spec differently"}, s.render(rand.New(rand.NewPCG(g.r.Uint64(), 0)))
	}
	var did []string
	for want := 1 + g.r.IntN(3); len(did) < want; {
		if d := pick(g, propMutations)(g, s); d != "" {
			did = append(did, d)
		}
	}
	return s, did, s.render(nil)
}

// targets are one or two --target patterns: a group's path (the live
// groups no spec lists among them) as often as a pattern or a
// repository's path.
func (g *propGen) targets() []string {
	groups := append(append(groupPaths(), propNewGroups...), propUnlisted...)
	var repos []string
	for _, r := range propRepos {
		repos = append(repos, r.path)
	}
	one := func() string {
		switch g.r.IntN(3) {
		case 0:
			return pick(g, groups)
		case 1:
			return pick(g, repos)
		}
		return pick(g, propTargets)
	}
	out := []string{one()}
	if g.chance(0.3) {
		if p := one(); p != out[0] {
			out = append(out, p)
		}
	}
	return out
}
