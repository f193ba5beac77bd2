package state

import (
	"fmt"
	"strings"
)

// Role is a repository member's role as the spec names it.
type Role string

// The three roles a repository member can have; their legacy access levels
// are 20, 30 and 40 (docs/api-reference.md §6.1).
const (
	RoleViewer    Role = "viewer"
	RoleDeveloper Role = "developer"
	RoleAdmin     Role = "admin"
)

// Roles lists the valid roles from least to most privileged.
var Roles = []Role{RoleViewer, RoleDeveloper, RoleAdmin}

// Level is the legacy API access level of r (20, 30, 40), or 0 when r is not a
// valid role.
func (r Role) Level() int {
	switch r {
	case RoleViewer:
		return 20
	case RoleDeveloper:
		return 30
	case RoleAdmin:
		return 40
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.Level() != 0 }

// RoleForLevel maps a legacy access level back to a Role.
func RoleForLevel(level int) (Role, error) {
	for _, r := range Roles {
		if r.Level() == level {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown repository access level %d (want 20, 30 or 40)", level)
}

// RoleForName maps a role name the service reports (a v4 repository role,
// a project role synced into repositories) to a Role when the name is one
// documented or observed (docs/api-assumptions.md); ok is false for any
// other, which callers treat as unknown, never guess.
func RoleForName(name string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "viewer", "reporter", "guest", "read-only member", "readonly member":
		return RoleViewer, true
	case "developer", "committer", "common member", "member":
		return RoleDeveloper, true
	case "administrator", "admin", "maintainer", "project manager", "project administrator", "repository administrator":
		return RoleAdmin, true
	}
	return "", false
}
