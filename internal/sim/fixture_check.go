package sim

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"gopkg.in/yaml.v3"
)

// checker validates a decoded fixture section by section, reporting every
// problem with the file and line of the value, and fills in the ids left out.
type checker struct {
	name string
	root *yaml.Node
	errs []error

	// Names defined by the sections checked so far, for references.
	users, memberGroups, roles, groups map[string]bool
}

// line finds the line of the value at a path of keys/indexes in the YAML
// tree, or of the deepest part of the path that is there.
func (c *checker) line(path ...any) int {
	n := c.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
					break
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return n.Line
}

func (c *checker) errf(path []any, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s:%d: %s", c.name, c.line(path...), fmt.Sprintf(format, args...)))
}

// unique records name in seen, and reports it (format, args) when it was
// there already.
func (c *checker) unique(p []any, seen map[string]bool, name, format string, args ...any) {
	if seen[name] {
		c.errf(p, format, args...)
	}
	seen[name] = true
}

// hex reports v, which what names, unless it is 32 lower-case hex characters.
func (c *checker) hex(p []any, v, what string) {
	if !hex32.MatchString(v) {
		c.errf(p, "%s %q must be 32 lower-case hex characters", what, v)
	}
}

// known reports each of names (the list at path) that defined lacks, at the
// line of its entry: "<subject>: unknown <kind> %q".
func (c *checker) known(path []any, defined map[string]bool, names []string, subject, kind string) {
	for j, n := range names {
		if !defined[n] {
			c.errf(append(slices.Clip(path), j), "%s: unknown %s %q", subject, kind, n)
		}
	}
}

// idAllocator hands out the integer ids of one kind: every explicit id is
// reserved first (so an assigned id never collides with one written later in
// the file), then each object without one gets the next free id from start.
type idAllocator struct {
	used map[int64]bool
	next int64
}

var (
	errIDRange     = errors.New("out of range")
	errIDDuplicate = errors.New("duplicate")
)

func newIDAllocator(start int64) *idAllocator {
	return &idAllocator{used: map[int64]bool{}, next: start}
}

// reserve claims an explicit id (0 = none): errIDRange outside
// 1-2147483647, errIDDuplicate when already claimed.
func (a *idAllocator) reserve(id int64) error {
	switch {
	case id == 0:
		return nil
	case id < 0 || id > 2147483647:
		return errIDRange
	case a.used[id]:
		return errIDDuplicate
	}
	a.used[id] = true
	return nil
}

// assign fills *id with the next free id when it is 0.
func (a *idAllocator) assign(id *int64) {
	if *id != 0 {
		return
	}
	for a.used[a.next] {
		a.next++
	}
	*id = a.next
	a.used[a.next] = true
}

// reserveID claims an explicit id (0 = none) of one kind through ids and
// reports one out of range or already claimed: "<subject>: <field> N out of
// range 1-2147483647", "<subject>: duplicate <field> N".
func (c *checker) reserveID(p []any, ids *idAllocator, id int64, subject, field string) {
	switch ids.reserve(id) {
	case errIDRange:
		c.errf(p, "%s: %s %d out of range 1-2147483647", subject, field, id)
	case errIDDuplicate:
		c.errf(p, "%s: duplicate %s %d", subject, field, id)
	}
}

// uniqueHex checks an explicit 32-hex id ("" = none): its form, and that no
// other object of its kind (used) has it.
func (c *checker) uniqueHex(p []any, used map[string]bool, v, subject, field string) {
	if v != "" {
		c.hex(p, v, subject+": "+field)
		c.unique(p, used, v, "%s: duplicate %s %q", subject, field, v)
	}
}

// check validates fx and fills in missing ids; the sections come in
// dependency order (references point back at sections already checked).
func (c *checker) check(fx *Fixture) {
	c.checkProjectIDs(fx)
	c.checkBehaviour(fx)
	c.checkUsers(fx)
	c.checkRefuseItems(fx)
	c.checkCredentials(fx)
	c.checkProjectMembers(fx)
	c.checkMemberGroups(fx)
	c.checkRoles(fx)
	c.checkGroups(fx)
	c.checkRepositories(fx)
	c.checkGitAuths(fx)
}

func (c *checker) checkProjectIDs(fx *Fixture) {
	if fx.LastGroupID < 0 || fx.LastPushRuleID < 0 {
		c.errf(nil, "last_group_id and last_push_rule_id must not be negative")
	}
	c.hex([]any{"project_id"}, fx.ProjectID, "project_id")
	c.hex([]any{"iam_project_id"}, fx.IAMProjectID, "iam_project_id")
	if fx.Namespace == "" {
		fx.Namespace = hexID("namespace", fx.ProjectID)
	}
	c.hex([]any{"namespace"}, fx.Namespace, "namespace")
}

// users: unique names, numeric ids from 1001, IAM ids hexID("user", name).
func (c *checker) checkUsers(fx *Fixture) {
	c.users = map[string]bool{}
	ids := newIDAllocator(1001)
	usedIAM := map[string]bool{}
	for i, u := range fx.Users {
		p := []any{"users", i}
		if u.Name == "" {
			c.errf(p, "users[%d]: name is required", i)
		}
		c.unique(p, c.users, u.Name, "users[%d]: duplicate user %q", i, u.Name)
		subject := fmt.Sprintf("user %q", u.Name)
		c.reserveID(p, ids, u.ID, subject, "id")
		c.uniqueHex(p, usedIAM, u.IAMID, subject, "iam_id")
	}
	for i := range fx.Users {
		u := &fx.Users[i]
		ids.assign(&u.ID)
		if u.IAMID == "" {
			u.IAMID = hexID("user", u.Name)
		}
	}
}

func (c *checker) checkCredentials(fx *Fixture) {
	cr := fx.Credentials
	if cr.AccessKey == "" && cr.Token == "" && len(cr.IAMUsers) == 0 {
		c.errf([]any{"credentials"}, "credentials: at least one of access_key, token or iam_users is needed")
	}
	if (cr.AccessKey == "") != (cr.SecretKey == "") {
		c.errf([]any{"credentials"}, "credentials: access_key and secret_key go together")
	}
	if cr.User != "" && !c.users[cr.User] {
		c.errf([]any{"credentials", "user"}, "credentials.user: unknown user %q", cr.User)
	}
	if cr.TokenTTL < 0 {
		c.errf([]any{"credentials", "token_ttl"}, "credentials.token_ttl: %v must be positive (0 = 24h)", cr.TokenTTL)
	}
	if cr.DomainID == "" {
		fx.Credentials.DomainID = hexID("domain", simTenant)
	}
	c.hex([]any{"credentials", "domain_id"}, fx.Credentials.DomainID, "credentials.domain_id")
	for i, iu := range cr.IAMUsers {
		p := []any{"credentials", "iam_users", i}
		if iu.Domain == "" || iu.Name == "" || iu.Password == "" {
			c.errf(p, "credentials.iam_users[%d]: domain, name and password are required", i)
		}
		if iu.User != "" && !c.users[iu.User] {
			c.errf(p, "credentials.iam_users[%d]: unknown user %q", i, iu.User)
		}
	}
}

// member groups: unique names, team ids from 200, string ids
// hexID("member_group", name), members among the users.
func (c *checker) checkMemberGroups(fx *Fixture) {
	c.memberGroups = map[string]bool{}
	teams := newIDAllocator(200)
	usedID := map[string]bool{}
	for i, m := range fx.MemberGroups {
		p := []any{"member_groups", i}
		if m.Name == "" {
			c.errf(p, "member_groups[%d]: name is required", i)
		}
		c.unique(p, c.memberGroups, m.Name, "member_groups[%d]: duplicate member group %q", i, m.Name)
		subject := fmt.Sprintf("member group %q", m.Name)
		c.uniqueHex(p, usedID, m.ID, subject, "id")
		c.reserveID(p, teams, m.TeamID, subject, "team_id")
		c.known([]any{"member_groups", i, "members"}, c.users, m.Members, subject, "user")
	}
	for i := range fx.MemberGroups {
		m := &fx.MemberGroups[i]
		teams.assign(&m.TeamID)
		if m.ID == "" {
			m.ID = hexID("member_group", m.Name)
		}
	}
}

// roles: unique names, ids hexID("role", name).
func (c *checker) checkRoles(fx *Fixture) {
	c.roles = map[string]bool{}
	for i := range fx.Roles {
		r := &fx.Roles[i]
		p := []any{"roles", i}
		if r.Name == "" {
			c.errf(p, "roles[%d]: name is required", i)
		}
		c.unique(p, c.roles, r.Name, "roles[%d]: duplicate role %q", i, r.Name)
		if r.ID == "" {
			r.ID = hexID("role", r.Name)
		}
		c.hex(p, r.ID, fmt.Sprintf("role %q: id", r.Name))
	}
}

// groups: valid unique paths, parents listed first, ids from 100,
// visibility private unless public.
func (c *checker) checkGroups(fx *Fixture) {
	c.groups = map[string]bool{}
	ids := newIDAllocator(100)
	for i, g := range fx.Groups {
		p := []any{"groups", i}
		if err := checkPath(g.Path); err != nil {
			c.errf(p, "groups[%d]: %v", i, err)
		}
		c.unique(p, c.groups, g.Path, "groups[%d]: duplicate group path %q", i, g.Path)
		if parent, _, ok := cutLast(g.Path); ok && !c.groups[parent] {
			c.errf(p, "group %q: parent group %q is not listed before it", g.Path, parent)
		}
		c.reserveID(p, ids, g.ID, fmt.Sprintf("group %q", g.Path), "id")
		if g.Updated < 0 {
			c.errf(p, "group %q: updated %d must not be negative", g.Path, g.Updated)
		}
		switch g.Visibility {
		case "", "public", "private":
		default:
			c.errf(p, "group %q: visibility %q must be public or private", g.Path, g.Visibility)
		}
		c.known([]any{"groups", i, "member_groups"}, c.memberGroups, g.MemberGroups, fmt.Sprintf("group %q", g.Path), "member group")
	}
	for i := range fx.Groups {
		g := &fx.Groups[i]
		ids.assign(&g.ID)
		if g.Visibility == "" {
			g.Visibility = "private"
		}
	}
}

// repositories: valid unique paths in listed groups, ids from 2000, uuids
// hexID("repository", path), members, member groups and push rules (ids
// from 1, unique across the project).
func (c *checker) checkRepositories(fx *Fixture) {
	paths := maps.Clone(c.groups) // a repository's path may be no group's either
	ids := newIDAllocator(2000)
	rules := newIDAllocator(1)
	usedUUID := map[string]bool{}
	for i, r := range fx.Repositories {
		p := []any{"repositories", i}
		if err := checkPath(r.Path); err != nil {
			c.errf(p, "repositories[%d]: %v", i, err)
		}
		c.unique(p, paths, r.Path, "repositories[%d]: duplicate path %q", i, r.Path)
		if parent, _, ok := cutLast(r.Path); ok && !c.groups[parent] {
			c.errf(p, "repository %q: group %q is not listed", r.Path, parent)
		}
		subject := fmt.Sprintf("repository %q", r.Path)
		c.reserveID(p, ids, r.ID, subject, "id")
		c.uniqueHex(p, usedUUID, r.UUID, subject, "uuid")
		if r.Updated < 0 {
			c.errf(p, "repository %q: updated %d must not be negative", r.Path, r.Updated)
		}
		if r.Creator != "" && !c.users[r.Creator] {
			c.errf([]any{"repositories", i, "creator"}, "repository %q: unknown creator %q", r.Path, r.Creator)
		}
		c.checkRepoMembers(i, r)
		c.checkPushRules(i, r, rules)
	}
	creator := ""
	if flag(fx.Behaviour.MemberSync) {
		// Someone created every repository: the caller, else the first user.
		if creator = fx.Credentials.User; creator == "" && len(fx.Users) > 0 {
			creator = fx.Users[0].Name
		}
	}
	for i := range fx.Repositories {
		r := &fx.Repositories[i]
		ids.assign(&r.ID)
		if r.UUID == "" {
			r.UUID = hexID("repository", r.Path)
		}
		if r.Creator == "" {
			r.Creator = creator
		}
		for j := range r.PushRules {
			rules.assign(&r.PushRules[j].ID)
		}
	}
}

func (c *checker) checkRepoMembers(i int, r Repository) {
	for _, n := range slices.Sorted(maps.Keys(r.Members)) {
		if !c.users[n] {
			c.errf([]any{"repositories", i, "members", n}, "repository %q: unknown user %q", r.Path, n)
		}
		if _, ok := levelOf[r.Members[n]]; !ok {
			c.errf([]any{"repositories", i, "members", n}, "repository %q: member %q has role %q, want viewer, developer or admin", r.Path, n, r.Members[n])
		}
	}
	subject := fmt.Sprintf("repository %q", r.Path)
	c.known([]any{"repositories", i, "member_groups"}, c.memberGroups, r.MemberGroups, subject, "member group")
	c.known([]any{"repositories", i, "unsynced"}, c.users, r.Unsynced, subject+": unsynced", "user")
}

func (c *checker) checkPushRules(i int, r Repository, ids *idAllocator) {
	paths := map[string]bool{}
	for j, pr := range r.PushRules {
		pp := []any{"repositories", i, "push_rules", j}
		if err := checkPushPath(pr.Path); err != nil {
			c.errf(pp, "repository %q: push rule: %v", r.Path, err)
		}
		c.unique(pp, paths, pr.Path, "repository %q: duplicate push rule path %q", r.Path, pr.Path)
		switch ids.reserve(pr.ID) {
		case errIDRange:
			c.errf(pp, "repository %q: push rule %q: id %d out of range", r.Path, pr.Path, pr.ID)
		case errIDDuplicate:
			c.errf(pp, "repository %q: duplicate push rule id %d", r.Path, pr.ID)
		}
		// Unknown grants are reported at the rule's line.
		unknown := func(defined map[string]bool, names []string, kind string) {
			for _, n := range names {
				if !defined[n] {
					c.errf(pp, "repository %q: push rule %q: unknown %s %q", r.Path, pr.Path, kind, n)
				}
			}
		}
		unknown(c.users, pr.Users, "user")
		unknown(c.memberGroups, pr.MemberGroups, "member group")
		unknown(c.roles, pr.Roles, "role")
	}
}

// git auths: unique names, a user, a known repo_type, create_time default
// 2025-01-01.
func (c *checker) checkGitAuths(fx *Fixture) {
	auths := map[string]bool{}
	for i := range fx.GitAuths {
		a, p := &fx.GitAuths[i], []any{"git_auths", i}
		if a.Name == "" || a.User == "" {
			c.errf(p, "git_auths[%d]: name and user are required", i)
		}
		c.unique(p, auths, a.Name, "git_auths[%d]: duplicate authorization %q", i, a.Name)
		if repoHosts[a.RepoType] == "" {
			c.errf(p, "git_auths[%d]: repo_type %q must be github, devcloud or bitbucket", i, a.RepoType)
		}
		if a.CreateTime == 0 {
			a.CreateTime = simEpochMillis
		}
	}
}
