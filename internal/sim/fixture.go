// Package sim is reposync's API simulator: an http.Handler that serves the
// CodeArts Repo, ServiceStage and IAM endpoints reposync calls, over one
// coherent in-memory model loaded from a YAML fixture, with AK/SK and token
// authentication, rate limits and injected faults. It has its own wire structs
// and must not import any other internal package (in particular not
// internal/api), so a wrong JSON name cannot pass by agreeing with itself.
package sim

// The fixture format is the Fixture type below; docs/simulator.md describes
// its extensions, and the ids and defaults the checker (fixture_check.go)
// fills in when a fixture leaves them out.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Fixture is the simulator's whole world: the fixture file format and, with
// every id filled in, the state file format.
type Fixture struct {
	ProjectID      string          `yaml:"project_id" json:"project_id"`
	IAMProjectID   string          `yaml:"iam_project_id" json:"iam_project_id"`
	Namespace      string          `yaml:"namespace,omitempty" json:"namespace"`
	Credentials    Credentials     `yaml:"credentials" json:"-"`
	Behaviour      Behaviour       `yaml:"behaviour,omitempty" json:"behaviour"`
	ProjectMembers []ProjectMember `yaml:"project_members,omitempty" json:"project_members,omitempty"`
	Users          []User          `yaml:"users,omitempty" json:"users"`
	MemberGroups   []MemberGroup   `yaml:"member_groups,omitempty" json:"member_groups"`
	Roles          []Role          `yaml:"roles,omitempty" json:"roles"`
	Groups         []Group         `yaml:"groups,omitempty" json:"groups"`
	Repositories   []Repository    `yaml:"repositories,omitempty" json:"repositories"`
	GitAuths       []GitAuth       `yaml:"git_auths,omitempty" json:"git_auths"`
	// LastGroupID and LastPushRuleID are the highest ids the API has handed
	// out, so the id of a deleted group or rule is never handed out again.
	// Written by --state; fixtures leave them out.
	LastGroupID    int64 `yaml:"last_group_id,omitempty" json:"-"`
	LastPushRuleID int64 `yaml:"last_push_rule_id,omitempty" json:"-"`
}

// Credentials are the secrets the simulator accepts.
type Credentials struct {
	AccessKey string `yaml:"access_key,omitempty"`
	SecretKey string `yaml:"secret_key,omitempty"`
	Token     string `yaml:"token,omitempty"`
	User      string `yaml:"user,omitempty"`
	// TenantAdmin: the AK/SK and the static token act as a tenant
	// administrator, whom no role check denies (default: User is empty).
	TenantAdmin *bool     `yaml:"tenant_admin,omitempty"`
	IAMUsers    []IAMUser `yaml:"iam_users,omitempty"`
	// TokenTTL is how long a token from IAM login lives (0: 24h).
	TokenTTL time.Duration `yaml:"token_ttl,omitempty"`
	// DomainID is the account id that AK/SK-signed IAM calls may sign as
	// X-Domain-Id (default hexID("domain", "sim-tenant"), the tenant_id of
	// the member lists).
	DomainID string `yaml:"domain_id,omitempty"`
}

// ProjectMember is a member of the CodeArts project, synced into every
// repository and group with member_sync.
type ProjectMember struct {
	User string `yaml:"user" json:"user"`
	// Role is the project role name, e.g. "Project manager", "Committer".
	Role string `yaml:"role" json:"role"`
	// Level is the legacy access level the sync gives (0: by role name, see
	// defaultSyncLevel); any value, so an unknown level can be modelled.
	Level int `yaml:"level,omitempty" json:"level"`
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
	// TenantAdmin as Credentials.TenantAdmin, for this login's identity.
	TenantAdmin *bool `yaml:"tenant_admin,omitempty"`
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
	// Updated is the project-wide change counter at the group's last change
	// (list_order: updated lists higher first).
	Updated int64 `yaml:"updated,omitempty" json:"updated,omitempty"`
}

// Repository is a repository keyed by its full path.
type Repository struct {
	Path     string `yaml:"path" json:"path"`
	ID       int64  `yaml:"id,omitempty" json:"id"`
	UUID     string `yaml:"uuid,omitempty" json:"uuid"`
	Inherit  *bool  `yaml:"inherit,omitempty" json:"inherit,omitempty"`
	Archived bool   `yaml:"archived,omitempty" json:"archived,omitempty"`
	// Creator is the user who created the repository (member_sync: default
	// credentials.user, else the first user).
	Creator      string            `yaml:"creator,omitempty" json:"creator,omitempty"`
	Updated      int64             `yaml:"updated,omitempty" json:"updated,omitempty"`
	Members      map[string]string `yaml:"members,omitempty" json:"members,omitempty"`
	MemberGroups []string          `yaml:"member_groups,omitempty" json:"member_groups,omitempty"`
	PushRules    []PushRule        `yaml:"push_rules,omitempty" json:"push_rules,omitempty"`
	// Unsynced are project members the sync no longer gives the repository:
	// DeleteRepoMember removed them (sync_marker: none).
	Unsynced []string `yaml:"unsynced,omitempty" json:"unsynced,omitempty"`
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

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

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

// hexID is the deterministic 32-hex id of a named object of a kind.
func hexID(kind, name string) string {
	sum := sha256.Sum256([]byte(kind + ":" + name))
	return hex.EncodeToString(sum[:])[:32]
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
