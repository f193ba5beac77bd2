package state

import "cmp"

// Live is the world as the cloud has it, read by remote and diffed by plan.
// Members, member groups and push-rule entries carry both their names and
// ids, so plan compares by id (renames are not drift) and reports by name.
type Live struct {
	// Project is the CodeArts project UUID that was read.
	Project string

	// Groups and Repositories come from the tree walk, keyed by full path.
	Groups       map[string]*LiveGroup
	Repositories map[string]*LiveRepository

	// Lookups, keyed by name.
	Users        map[string]LiveUser
	MemberGroups map[string]LiveMemberGroup
	Roles        map[string]LiveRole

	// GitAuths is nil when authorizations were not read (the spec lists none
	// and pruning is off), so plan can tell "none" from "not looked at".
	GitAuths map[string]*LiveGitAuth

	// Warnings are what the read noticed a person should know (a full_path
	// that disagrees with the tree, say); plans show them.
	Warnings []string

	// Fingerprints maps the address of every object read to a digest of what
	// was read, so a saved plan can detect that the world changed since.
	Fingerprints map[string]string
}

// LiveUser is a user with both of its ids.
type LiveUser struct {
	Name  string
	ID    int64  // numeric CodeArts user id
	IAMID string // 32-character IAM user id
}

// LiveMemberGroup is a member group with both of its ids.
type LiveMemberGroup struct {
	Name   string
	ID     string // 32-character member group id
	TeamID int64  // integer id used by file push rules; 0 when unknown
}

// LiveRole is a project role.
type LiveRole struct {
	Name string
	ID   string
}

// LiveGroup is a repository group as read.
type LiveGroup struct {
	ID          int64
	Path        string
	ParentID    int64 // 0 at the project root
	Visibility  string
	Description string
	// MemberGroups are the names of attached member groups; nil when not read.
	MemberGroups []string
}

// LiveRepository is a repository as read. Details is false for repositories
// the spec does not manage: only the tree walk saw them.
type LiveRepository struct {
	ID      int64
	UUID    string
	Path    string
	GroupID int64
	Details bool
	// Archived repositories are not managed; they are known only where a
	// group's emptiness had to be checked (the tree lists leave them out).
	Archived bool

	// Members by user name: direct and inherited.
	Members map[string]LiveMember
	// MemberGroups are the names of attached member groups.
	MemberGroups []string
	// PushRules by path.
	PushRules map[string]LivePushRule
}

// LiveMember is one user's access to a repository.
type LiveMember struct {
	User LiveUser
	// Role is "" when the service reported a role reposync does not know
	// (RoleName says which): such a member is never changed, and a spec
	// that disagrees with it gets a manual change.
	Role Role
	// RoleName is the role as the service named it (a v4 role name, or
	// "level N"), for messages.
	RoleName string
	// Inherited is true when the access comes through a member group or a
	// parent group; such members are never removed or changed directly.
	Inherited bool
	// Via names where inherited access comes from: "member group X" or
	// "group a/b".
	Via string
	// Managed says why CodeArts itself manages the membership ("the
	// repository creator", "synced from the project as Project manager");
	// "" for a membership reposync may change. Managed members are never
	// removed or demoted, and are not drift when a spec leaves them out.
	Managed string

	// ViaMemberGroup and ViaGroup name the member group inherited access
	// comes through and the group it is attached to ("" for the repository
	// itself); ProjectRole ("" for no project member) and RoleID are the
	// member's project role and the id the service reports, which `reposync
	// access` matches with push rules' roles. None is compared or
	// fingerprinted: Via and Managed say what a plan needs.
	ViaMemberGroup string `json:"-"`
	ViaGroup       string `json:"-"`
	ProjectRole    string `json:"-"`
	RoleID         string `json:"-"`
	// MemberID is the id SetRepoRole and DeleteRepoMember address the
	// member by: its legacy list row's user_id, which need not be its IAM
	// id. "" when the legacy list did not show the member: nothing can
	// address it then. Plans carry it (Target.MemberID).
	MemberID string `json:"-"`
}

// LivePushRule is a file push rule as read, with resolved names.
type LivePushRule struct {
	ID   int64
	Path string
	// Disabled is true when the rule exists but is not enforced; the spec
	// always wants rules enforced.
	Disabled     bool
	Users        []LiveUser
	MemberGroups []LiveMemberGroup
	Roles        []LiveRole
}

// GrantIDs are the rule's grants as the ids a write takes: numeric user
// ids, integer member-group ids, project role ids, in the rule's order.
func (r LivePushRule) GrantIDs() (users, teams []int64, roles []string) {
	for _, u := range r.Users {
		users = append(users, u.ID)
	}
	for _, m := range r.MemberGroups {
		teams = append(teams, m.TeamID)
	}
	for _, ro := range r.Roles {
		roles = append(roles, ro.ID)
	}
	return users, teams, roles
}

// LiveGitAuth is a ServiceStage Git authorization as read (never its secret).
type LiveGitAuth struct {
	Name     string
	RepoType string
	User     string
}

// RoleText names the member's role for messages: the spec's role name, or
// the service's name for a role reposync does not know.
func (m LiveMember) RoleText() string { return cmp.Or(string(m.Role), m.RoleName, "unknown") }
