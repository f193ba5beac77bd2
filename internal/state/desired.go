package state

// Desired is the world as the spec wants it, before policies are expanded
// against live repositories. Maps are keyed by the natural name used in the
// spec (a full path for groups and repositories).
//
// Throughout, a nil map or slice means "not managed" (the field was left out
// of the spec) and a non-nil empty one means "managed, and empty".
type Desired struct {
	// Project is the CodeArts project UUID; "" when no file sets it.
	Project       string
	ProjectSource Source
	Settings      Settings

	Users        map[string]UserPin
	MemberGroups map[string]MemberGroupPin
	Roles        map[string]RolePin

	// Groups and GitAuths are nil when no file has the section: then live
	// groups and authorizations are not managed at all.
	Groups       map[string]*Group
	Repositories map[string]*Repository
	Policies     map[string]*Policy
	GitAuths     map[string]*GitAuth

	// Scopes are the `scope:` blocks, by the file that declares them
	// (Source.File); a file not in it has no scope.
	Scopes map[string]*FileScope
	// GroupsScopedOnly is true when only files with a scope have a
	// `groups:` section: then a live group the spec does not list is
	// managed (drift, deleted with pruning) only inside the scope of such
	// a file (FileScope.ListsGroups), never elsewhere.
	GroupsScopedOnly bool

	// Files are the spec files the state was loaded from, in load order.
	Files []string
	// Digest is "sha256:<hex>" over the file names and contents, so a saved
	// plan can tell whether the spec changed since it was made.
	Digest string
}

// Settings are the spec's run settings; nil fields were not set.
type Settings struct {
	Prune      *bool
	MaxDeletes *int
	MinAdmins  *int
	// Unmanaged are the patterns of settings.unmanaged: the paths declared
	// out of scope (territory.go).
	Unmanaged []Pattern
	Source    Source
}

// UserPin records the ids of a user name; zero fields were not pinned.
type UserPin struct {
	Name   string
	ID     int64
	IAMID  string
	Source Source
}

// MemberGroupPin records the ids of a member group name; zero fields were not
// pinned. ID is the 32-character id, TeamID the integer one.
type MemberGroupPin struct {
	Name   string
	ID     string
	TeamID int64
	Source Source
}

// RolePin records the id of a project role name.
type RolePin struct {
	Name   string
	ID     string
	Source Source
}

// Ref is a reference by name to a user, member group or role, with where it
// was written. Grant is set when the spec used the long form
// (`{name: …, expires: …, reason: …}`).
type Ref struct {
	Name   string
	Source Source
	// Policy names the policy a member group attachment comes from after
	// expansion; "" for a repository's own, and for every other Ref.
	Policy string
	Grant
}

// Group is a repository group. Visibility and Description are "" when not
// managed; MemberGroups is nil when not managed.
type Group struct {
	Path         string
	Visibility   string
	Description  *string
	MemberGroups []Ref
	Source       Source
}

// Repository is the access settings of one existing repository.
type Repository struct {
	Path         string
	Members      map[string]Member
	MemberGroups []Ref
	PushRules    map[string]PushRule
	Source       Source
}

// Member is one user's role on a repository.
type Member struct {
	User   string
	Role   Role
	Source Source
	// Policy names the policy the member comes from after expansion; such a
	// member is a baseline ("at least this role"), never a reason to demote.
	Policy string
	// Grant is set when the spec used the long form
	// (`alice: {role: …, expires: …, reason: …}`).
	Grant
}

// PushRule is who may push files matching Path. All three lists empty means
// nobody may push matching files.
type PushRule struct {
	Path         string
	Users        []Ref
	MemberGroups []Ref
	Roles        []Ref
	Source       Source
	// Policy names the policy the rule comes from after expansion; "" for
	// a repository's own.
	Policy string
}

// Policy is a baseline applied to every repository matching Patterns. Its
// lists only add entries; they never make a repository's list complete.
type Policy struct {
	Name         string
	Description  string
	Patterns     []Pattern
	Members      map[string]Member
	MemberGroups []Ref
	PushRules    map[string]PushRule
	Source       Source
}

// GitAuth is a ServiceStage Git password authorization. PasswordEnv names the
// environment variable that holds the password, which is never in the state.
type GitAuth struct {
	Name        string
	RepoType    string
	User        string
	PasswordEnv string
	Source      Source
}
