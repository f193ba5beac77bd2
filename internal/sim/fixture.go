// Package sim is reposync's API simulator: an http.Handler that serves the
// CodeArts Repo, ServiceStage and IAM endpoints reposync calls, over one
// coherent in-memory model loaded from a YAML fixture, with AK/SK and token
// authentication, rate limits and injected faults. It has its own wire structs
// and must not import any other internal package (in particular not
// internal/api), so a wrong JSON name cannot pass by agreeing with itself.
package sim

// Fixture format: DESIGN.md, "The simulator", plus these optional extensions.
//
//   - member_groups[].members: [user names] — the users in that member group.
//     Users reaching a repository through a member group attached to the
//     repository or to any ancestor group appear in v4 ListMembers with
//     member_source = member group name (and member_group_source = the
//     repository group's full path when the member group is attached to a
//     group), role developer (30), unless they are also direct members.
//   - credentials.user: the fixture user the AK/SK and the static token act as.
//   - iam_users[].user: the fixture user an IAM password login acts as; the
//     token body's token.user.id is that user's iam_id.
//   - repositories[].inherit: permission-inherit-setting (default true).
//   - git_auths[].create_time: epoch milliseconds (default fixed).
//
// Legacy ListRepoMembers returns direct members only. DeleteRepoMember and
// SetRepoRole on a user who is only inherited answer the legacy failed wrapper
// with code DEV.CH.10003 (HTTP 400): the real service does not document this
// case; an inherited member cannot be changed on the repository itself.
//
// Ids left out are assigned in file order within each kind: users from 1001,
// groups from 100, repositories from 2000, member-group team ids from 200,
// push rules from 1; 32-hex ids are the first 32 hex characters of
// sha256("<kind>:<name or path>").

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Fixture is the simulator's whole world: the fixture file format and, with
// every id filled in, the state file format.
type Fixture struct {
	ProjectID    string        `yaml:"project_id" json:"project_id"`
	IAMProjectID string        `yaml:"iam_project_id" json:"iam_project_id"`
	Credentials  Credentials   `yaml:"credentials" json:"-"`
	Users        []User        `yaml:"users,omitempty" json:"users"`
	MemberGroups []MemberGroup `yaml:"member_groups,omitempty" json:"member_groups"`
	Roles        []Role        `yaml:"roles,omitempty" json:"roles"`
	Groups       []Group       `yaml:"groups,omitempty" json:"groups"`
	Repositories []Repository  `yaml:"repositories,omitempty" json:"repositories"`
	GitAuths     []GitAuth     `yaml:"git_auths,omitempty" json:"git_auths"`
	// JournalSeq is written by --state: the last journal record the state
	// file contains. Fixtures leave it out.
	JournalSeq int64 `yaml:"journal_seq,omitempty" json:"-"`
}

// Credentials are the secrets the simulator accepts.
type Credentials struct {
	AccessKey string    `yaml:"access_key,omitempty"`
	SecretKey string    `yaml:"secret_key,omitempty"`
	Token     string    `yaml:"token,omitempty"`
	User      string    `yaml:"user,omitempty"`
	IAMUsers  []IAMUser `yaml:"iam_users,omitempty"`
}

// String hides the secrets.
func (c Credentials) String() string {
	return fmt.Sprintf("credentials{access_key: %s, secret_key: <redacted>, token: <redacted>, iam_users: %d}", c.AccessKey, len(c.IAMUsers))
}

// IAMUser is an account that may log in through POST /v3/auth/tokens.
type IAMUser struct {
	Domain   string `yaml:"domain"`
	Name     string `yaml:"name"`
	Password string `yaml:"password"`
	User     string `yaml:"user,omitempty"`
}

// User is a CodeArts user with its numeric and IAM ids.
type User struct {
	Name  string `yaml:"name" json:"name"`
	ID    int64  `yaml:"id,omitempty" json:"id"`
	IAMID string `yaml:"iam_id,omitempty" json:"iam_id"`
}

// MemberGroup is a project member group with both of its ids.
type MemberGroup struct {
	Name    string   `yaml:"name" json:"name"`
	ID      string   `yaml:"id,omitempty" json:"id"`
	TeamID  int64    `yaml:"team_id,omitempty" json:"team_id"`
	Members []string `yaml:"members,omitempty" json:"members,omitempty"`
}

// Role is a project role.
type Role struct {
	Name string `yaml:"name" json:"name"`
	ID   string `yaml:"id,omitempty" json:"id"`
}

// Group is a repository group keyed by its full path.
type Group struct {
	Path         string   `yaml:"path" json:"path"`
	ID           int64    `yaml:"id,omitempty" json:"id"`
	Visibility   string   `yaml:"visibility,omitempty" json:"visibility"`
	Description  string   `yaml:"description,omitempty" json:"description"`
	MemberGroups []string `yaml:"member_groups,omitempty" json:"member_groups,omitempty"`
}

// Repository is a repository keyed by its full path.
type Repository struct {
	Path         string            `yaml:"path" json:"path"`
	ID           int64             `yaml:"id,omitempty" json:"id"`
	UUID         string            `yaml:"uuid,omitempty" json:"uuid"`
	Inherit      *bool             `yaml:"inherit,omitempty" json:"inherit,omitempty"`
	Members      map[string]string `yaml:"members,omitempty" json:"members,omitempty"`
	MemberGroups []string          `yaml:"member_groups,omitempty" json:"member_groups,omitempty"`
	PushRules    []PushRule        `yaml:"push_rules,omitempty" json:"push_rules,omitempty"`
}

// PushRule is a file push permission.
type PushRule struct {
	ID           int64    `yaml:"id,omitempty" json:"id"`
	Path         string   `yaml:"path" json:"path"`
	Disabled     bool     `yaml:"disabled,omitempty" json:"disabled,omitempty"`
	Users        []string `yaml:"users,omitempty" json:"users,omitempty"`
	MemberGroups []string `yaml:"member_groups,omitempty" json:"member_groups,omitempty"`
	Roles        []string `yaml:"roles,omitempty" json:"roles,omitempty"`
}

// GitAuth is a ServiceStage password authorization.
type GitAuth struct {
	Name       string `yaml:"name" json:"name"`
	RepoType   string `yaml:"repo_type" json:"repo_type"`
	User       string `yaml:"user" json:"user"`
	Password   string `yaml:"password,omitempty" json:"-"`
	CreateTime int64  `yaml:"create_time,omitempty" json:"create_time"`
}

var (
	hex32     = regexp.MustCompile(`^[0-9a-f]{32}$`)
	roleNames = map[string]int{"viewer": 20, "developer": 30, "admin": 40}
)

// LoadFixture reads and checks the fixture (or state) file at path.
func LoadFixture(path string) (*Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load fixture: %w", err)
	}
	return ParseFixture(data, path)
}

// ParseFixture strictly decodes data (named name in errors), checks every
// reference and fills in missing ids deterministically.
func ParseFixture(data []byte, name string) (*Fixture, error) {
	var fx Fixture
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fx); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty fixture", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := checker{name: name, root: &root}
	c.check(&fx)
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return &fx, nil
}

type checker struct {
	name string
	root *yaml.Node
	errs []error
}

// line finds the line of the value at a path of keys/indexes in the YAML tree.
func (c *checker) line(path ...any) int {
	n := c.root
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	last := n.Line
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return last
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					n = n.Content[i+1]
					last = n.Line
					found = true
					break
				}
			}
			if !found {
				return last
			}
		case int:
			if n.Kind != yaml.SequenceNode || k >= len(n.Content) {
				return last
			}
			n = n.Content[k]
			last = n.Line
		}
	}
	return last
}

func (c *checker) errf(path []any, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%s:%d: %s", c.name, c.line(path...), fmt.Sprintf(format, args...)))
}

// hexID is the deterministic 32-hex id of a named object of a kind.
func hexID(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + ":" + name))
	return hex.EncodeToString(sum[:])[:32]
}

func (c *checker) check(fx *Fixture) {
	if !hex32.MatchString(fx.ProjectID) {
		c.errf([]any{"project_id"}, "project_id %q must be 32 lower-case hex characters", fx.ProjectID)
	}
	if !hex32.MatchString(fx.IAMProjectID) {
		c.errf([]any{"iam_project_id"}, "iam_project_id %q must be 32 lower-case hex characters", fx.IAMProjectID)
	}
	cr := fx.Credentials
	if cr.AccessKey == "" && cr.Token == "" && len(cr.IAMUsers) == 0 {
		c.errf([]any{"credentials"}, "credentials: at least one of access_key, token or iam_users is needed")
	}
	if (cr.AccessKey == "") != (cr.SecretKey == "") {
		c.errf([]any{"credentials"}, "credentials: access_key and secret_key go together")
	}
	users := map[string]bool{}
	usedNum := map[int64]bool{}
	usedIAM := map[string]bool{}
	for i, u := range fx.Users {
		p := []any{"users", i}
		if u.Name == "" {
			c.errf(p, "users[%d]: name is required", i)
		}
		if users[u.Name] {
			c.errf(p, "users[%d]: duplicate user %q", i, u.Name)
		}
		users[u.Name] = true
		if u.ID < 0 || u.ID > 2147483647 {
			c.errf(p, "user %q: id %d out of range 1-2147483647", u.Name, u.ID)
		}
		if u.ID != 0 {
			if usedNum[u.ID] {
				c.errf(p, "user %q: duplicate id %d", u.Name, u.ID)
			}
			usedNum[u.ID] = true
		}
		if u.IAMID != "" {
			if !hex32.MatchString(u.IAMID) {
				c.errf(p, "user %q: iam_id %q must be 32 lower-case hex characters", u.Name, u.IAMID)
			}
			if usedIAM[u.IAMID] {
				c.errf(p, "user %q: duplicate iam_id %q", u.Name, u.IAMID)
			}
			usedIAM[u.IAMID] = true
		}
	}
	next := int64(1001)
	for i := range fx.Users {
		u := &fx.Users[i]
		if u.ID == 0 {
			for usedNum[next] {
				next++
			}
			u.ID = next
			usedNum[next] = true
		}
		if u.IAMID == "" {
			u.IAMID = hexID("user", u.Name)
		}
	}
	if cr.User != "" && !users[cr.User] {
		c.errf([]any{"credentials", "user"}, "credentials.user: unknown user %q", cr.User)
	}
	for i, iu := range cr.IAMUsers {
		p := []any{"credentials", "iam_users", i}
		if iu.Domain == "" || iu.Name == "" || iu.Password == "" {
			c.errf(p, "credentials.iam_users[%d]: domain, name and password are required", i)
		}
		if iu.User != "" && !users[iu.User] {
			c.errf(p, "credentials.iam_users[%d]: unknown user %q", i, iu.User)
		}
	}

	mgs := map[string]bool{}
	usedTeam := map[int64]bool{}
	usedMG := map[string]bool{}
	for i, m := range fx.MemberGroups {
		p := []any{"member_groups", i}
		if m.Name == "" {
			c.errf(p, "member_groups[%d]: name is required", i)
		}
		if mgs[m.Name] {
			c.errf(p, "member_groups[%d]: duplicate member group %q", i, m.Name)
		}
		mgs[m.Name] = true
		if m.ID != "" {
			if !hex32.MatchString(m.ID) {
				c.errf(p, "member group %q: id %q must be 32 lower-case hex characters", m.Name, m.ID)
			}
			if usedMG[m.ID] {
				c.errf(p, "member group %q: duplicate id %q", m.Name, m.ID)
			}
			usedMG[m.ID] = true
		}
		if m.TeamID < 0 || m.TeamID > 2147483647 {
			c.errf(p, "member group %q: team_id %d out of range", m.Name, m.TeamID)
		}
		if m.TeamID != 0 {
			if usedTeam[m.TeamID] {
				c.errf(p, "member group %q: duplicate team_id %d", m.Name, m.TeamID)
			}
			usedTeam[m.TeamID] = true
		}
		for j, un := range m.Members {
			if !users[un] {
				c.errf([]any{"member_groups", i, "members", j}, "member group %q: unknown user %q", m.Name, un)
			}
		}
	}
	next = 200
	for i := range fx.MemberGroups {
		m := &fx.MemberGroups[i]
		if m.TeamID == 0 {
			for usedTeam[next] {
				next++
			}
			m.TeamID = next
			usedTeam[next] = true
		}
		if m.ID == "" {
			m.ID = hexID("member_group", m.Name)
		}
	}
	roles := map[string]bool{}
	for i := range fx.Roles {
		r := &fx.Roles[i]
		p := []any{"roles", i}
		if r.Name == "" {
			c.errf(p, "roles[%d]: name is required", i)
		}
		if roles[r.Name] {
			c.errf(p, "roles[%d]: duplicate role %q", i, r.Name)
		}
		roles[r.Name] = true
		if r.ID == "" {
			r.ID = hexID("role", r.Name)
		} else if !hex32.MatchString(r.ID) {
			c.errf(p, "role %q: id %q must be 32 lower-case hex characters", r.Name, r.ID)
		}
	}

	groups := map[string]bool{}
	usedGroup := map[int64]bool{}
	for i, g := range fx.Groups {
		p := []any{"groups", i}
		if err := checkPath(g.Path); err != nil {
			c.errf(p, "groups[%d]: %v", i, err)
		}
		if groups[g.Path] {
			c.errf(p, "groups[%d]: duplicate group path %q", i, g.Path)
		}
		if parent, _, ok := cutLast(g.Path); ok && !groups[parent] {
			c.errf(p, "group %q: parent group %q is not listed before it", g.Path, parent)
		}
		groups[g.Path] = true
		if g.ID < 0 || g.ID > 2147483647 {
			c.errf(p, "group %q: id %d out of range", g.Path, g.ID)
		}
		if g.ID != 0 {
			if usedGroup[g.ID] {
				c.errf(p, "group %q: duplicate id %d", g.Path, g.ID)
			}
			usedGroup[g.ID] = true
		}
		switch g.Visibility {
		case "", "public", "private":
		default:
			c.errf(p, "group %q: visibility %q must be public or private", g.Path, g.Visibility)
		}
		for j, m := range g.MemberGroups {
			if !mgs[m] {
				c.errf([]any{"groups", i, "member_groups", j}, "group %q: unknown member group %q", g.Path, m)
			}
		}
	}
	next = 100
	for i := range fx.Groups {
		g := &fx.Groups[i]
		if g.ID == 0 {
			for usedGroup[next] {
				next++
			}
			g.ID = next
			usedGroup[next] = true
		}
		if g.Visibility == "" {
			g.Visibility = "private"
		}
	}

	repos := map[string]bool{}
	usedRepo := map[int64]bool{}
	usedUUID := map[string]bool{}
	usedRule := map[int64]bool{}
	for i, r := range fx.Repositories {
		p := []any{"repositories", i}
		if err := checkPath(r.Path); err != nil {
			c.errf(p, "repositories[%d]: %v", i, err)
		}
		if repos[r.Path] || groups[r.Path] {
			c.errf(p, "repositories[%d]: duplicate path %q", i, r.Path)
		}
		repos[r.Path] = true
		if parent, _, ok := cutLast(r.Path); ok && !groups[parent] {
			c.errf(p, "repository %q: group %q is not listed", r.Path, parent)
		}
		if r.ID < 0 || r.ID > 2147483647 {
			c.errf(p, "repository %q: id %d out of range", r.Path, r.ID)
		}
		if r.ID != 0 {
			if usedRepo[r.ID] {
				c.errf(p, "repository %q: duplicate id %d", r.Path, r.ID)
			}
			usedRepo[r.ID] = true
		}
		if r.UUID != "" {
			if !hex32.MatchString(r.UUID) {
				c.errf(p, "repository %q: uuid %q must be 32 lower-case hex characters", r.Path, r.UUID)
			}
			if usedUUID[r.UUID] {
				c.errf(p, "repository %q: duplicate uuid %q", r.Path, r.UUID)
			}
			usedUUID[r.UUID] = true
		}
		names := make([]string, 0, len(r.Members))
		for n := range r.Members {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !users[n] {
				c.errf([]any{"repositories", i, "members", n}, "repository %q: unknown user %q", r.Path, n)
			}
			if _, ok := roleNames[r.Members[n]]; !ok {
				c.errf([]any{"repositories", i, "members", n}, "repository %q: member %q has role %q, want viewer, developer or admin", r.Path, n, r.Members[n])
			}
		}
		for j, m := range r.MemberGroups {
			if !mgs[m] {
				c.errf([]any{"repositories", i, "member_groups", j}, "repository %q: unknown member group %q", r.Path, m)
			}
		}
		paths := map[string]bool{}
		for j, pr := range r.PushRules {
			pp := []any{"repositories", i, "push_rules", j}
			if err := checkPushPath(pr.Path); err != nil {
				c.errf(pp, "repository %q: push rule: %v", r.Path, err)
			}
			if paths[pr.Path] {
				c.errf(pp, "repository %q: duplicate push rule path %q", r.Path, pr.Path)
			}
			paths[pr.Path] = true
			if pr.ID != 0 {
				if usedRule[pr.ID] {
					c.errf(pp, "repository %q: duplicate push rule id %d", r.Path, pr.ID)
				}
				usedRule[pr.ID] = true
			}
			for _, u := range pr.Users {
				if !users[u] {
					c.errf(pp, "repository %q: push rule %q: unknown user %q", r.Path, pr.Path, u)
				}
			}
			for _, m := range pr.MemberGroups {
				if !mgs[m] {
					c.errf(pp, "repository %q: push rule %q: unknown member group %q", r.Path, pr.Path, m)
				}
			}
			for _, ro := range pr.Roles {
				if !roles[ro] {
					c.errf(pp, "repository %q: push rule %q: unknown role %q", r.Path, pr.Path, ro)
				}
			}
		}
	}
	nextRepo, nextRule := int64(2000), int64(1)
	for i := range fx.Repositories {
		r := &fx.Repositories[i]
		if r.ID == 0 {
			for usedRepo[nextRepo] {
				nextRepo++
			}
			r.ID = nextRepo
			usedRepo[nextRepo] = true
		}
		if r.UUID == "" {
			r.UUID = hexID("repository", r.Path)
		}
		for j := range r.PushRules {
			if r.PushRules[j].ID == 0 {
				for usedRule[nextRule] {
					nextRule++
				}
				r.PushRules[j].ID = nextRule
				usedRule[nextRule] = true
			}
		}
	}
	auths := map[string]bool{}
	for i, a := range fx.GitAuths {
		p := []any{"git_auths", i}
		if a.Name == "" || a.User == "" {
			c.errf(p, "git_auths[%d]: name and user are required", i)
		}
		if auths[a.Name] {
			c.errf(p, "git_auths[%d]: duplicate authorization %q", i, a.Name)
		}
		auths[a.Name] = true
		if !validRepoType(a.RepoType) {
			c.errf(p, "git_auths[%d]: repo_type %q must be github, devcloud or bitbucket", i, a.RepoType)
		}
	}
	for i := range fx.GitAuths {
		if fx.GitAuths[i].CreateTime == 0 {
			fx.GitAuths[i].CreateTime = 1735689600000
		}
	}
}

func validRepoType(t string) bool {
	return t == "github" || t == "devcloud" || t == "bitbucket"
}

var segment = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)

func checkPath(p string) error {
	if p == "" {
		return errors.New("path is required")
	}
	for _, s := range strings.Split(p, "/") {
		if !segment.MatchString(s) {
			return fmt.Errorf("path %q: segment %q must be 1-100 of letters, digits, '_', '.', '-' and not start with '.' or '-'", p, s)
		}
	}
	return nil
}

func checkPushPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q must be absolute", p)
	}
	if len(p) > 256 {
		return fmt.Errorf("path %q is longer than 256 characters", p)
	}
	return nil
}

func cutLast(p string) (parent, name string, ok bool) {
	i := strings.LastIndex(p, "/")
	if i < 0 {
		return "", p, false
	}
	return p[:i], p[i+1:], true
}

// String hides the password.
func (a GitAuth) String() string {
	return fmt.Sprintf("git_auth{name: %s, repo_type: %s, user: %s, password: <redacted>}", a.Name, a.RepoType, a.User)
}

// String hides the password.
func (u IAMUser) String() string {
	return fmt.Sprintf("iam_user{domain: %s, name: %s, password: <redacted>}", u.Domain, u.Name)
}
