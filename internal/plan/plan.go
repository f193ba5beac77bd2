// Package plan holds the plan model — Plan, Change, Action, the structured
// Address of every object (text only at output) and the one typed set of
// write operations (Op, OpFor) that apply and remote share — the pure Diff
// that computes it from the desired and the live state, and the codec of
// saved plans (format_version). It imports only state: no I/O, no clock, no
// API.
package plan

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// FormatVersion is the version of the plan JSON document. It changes only
// when a change would break a consumer; new fields do not change it.
const FormatVersion = 1

// Action is what a change does.
type Action string

// The actions of a plan (docs/plan-json.md, "Changes").
const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Replace Action = "replace" // delete then create (Git authorizations)
	Manual  Action = "manual"  // wanted, but the API cannot do it: a person must
)

// Kind is the type of object a change is about.
type Kind string

// The kinds of managed objects.
const (
	KindGroup            Kind = "group"
	KindGroupMemberGroup Kind = "group_member_group"
	KindMember           Kind = "member"
	KindMemberGroup      Kind = "member_group"
	KindPushRule         Kind = "push_rule"
	KindGitAuth          Kind = "git_auth"
	// KindRepository is only an extra's: a repository the spec does not
	// list (reposync never creates or deletes repositories).
	KindRepository Kind = "repository"
)

// Plan is everything one run would change, and what it read to decide.
type Plan struct {
	FormatVersion int    `json:"format_version"`
	ToolVersion   string `json:"tool_version"`
	Project       string `json:"project"`
	SpecDigest    string `json:"spec_digest"`
	// Context is what the plan was made from, so that `apply --plan`
	// needs nothing else to run exactly what was reviewed.
	Context Context `json:"context"`
	// Prune records whether deletions were planned, for the reader (the
	// same as Context.Prune).
	Prune   bool    `json:"prune"`
	Summary Summary `json:"summary"`
	// ChangesDigest is ChangesDigest(p) once the plan is complete (sources
	// relative to the repository); "" until then.
	ChangesDigest string `json:"changes_digest,omitempty"`
	// Refusals are the guardrails the plan breaks: apply would refuse it.
	Refusals []Refusal `json:"refusals"`
	Changes  []Change  `json:"changes"`
	// Extras are live entries on a list the spec declares complete that the
	// spec does not list (summary.unlisted): drift, removed with --prune
	// where the API can remove them.
	Extras []Extra `json:"extras"`
	// Warnings are about the plan as a whole (renames, policies matching
	// nothing); each change also carries its own.
	Warnings []string `json:"warnings"`
	// Expiring lists the grants of the spec that still hold but end within
	// ExpiringWithin days, soonest first; absent from the JSON when none.
	Expiring []Expiring `json:"expiring,omitempty"`
	// Live maps the address of every live object read to its fingerprint.
	Live map[string]string `json:"live"`
}

// Context records what a plan was made from.
type Context struct {
	// SpecPaths are the spec paths that were loaded, relative to Root.
	SpecPaths []string `json:"spec_paths"`
	// Root is "git" when SpecPaths are relative to the top of the spec's Git
	// work tree, "" when relative to the run's directory (outside Git).
	Root string `json:"root,omitempty"`
	// Commit is the Git commit the spec was at (with Dirty when the work
	// tree had uncommitted changes); "" outside Git.
	Commit string `json:"commit,omitempty"`
	Dirty  bool   `json:"dirty,omitempty"`
	// The change flags the plan was made with.
	Prune             bool `json:"prune"`
	AllowDeleteGroups bool `json:"allow_delete_groups"`
	RotateSecrets     bool `json:"rotate_secrets"`
	// Scope is what the plan covers (--target, --changed-since); absent
	// when it covers everything.
	Scope *Scope `json:"scope,omitempty"`
}

// Summary counts changes per action, and the unlisted live entries.
type Summary struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Delete  int `json:"delete"`
	Replace int `json:"replace"`
	Manual  int `json:"manual"`
	// Unlisted counts live entries on complete lists that the spec does not
	// list (Plan.Extras): drift, even when they are not changes.
	Unlisted int `json:"unlisted"`
	// Unmanaged counts the live repositories and groups settings.unmanaged
	// declares out of scope (a full plan's; not drift).
	Unmanaged int `json:"unmanaged,omitempty"`
}

// Total is the number of changes of any action.
func (s Summary) Total() int { return s.Create + s.Update + s.Delete + s.Replace + s.Manual }

// add counts a change of action a; false for an action plans do not have.
func (s *Summary) add(a Action) bool {
	switch a {
	case Create:
		s.Create++
	case Update:
		s.Update++
	case Delete:
		s.Delete++
	case Replace:
		s.Replace++
	case Manual:
		s.Manual++
	default:
		return false
	}
	return true
}

// Drift reports whether the live state differs from the spec at all:
// changes of any action, or unlisted entries.
func (s Summary) Drift() bool { return s.Total() > 0 || s.Unlisted > 0 }

// Line is the one-line summary for logs and chat.
func (s Summary) Line() string {
	parts := make([]string, 0, 7)
	add := func(n int, what string, always bool) {
		if always || n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+what)
		}
	}
	add(s.Create, "to create", true)
	add(s.Update, "to update", true)
	add(s.Delete, "to delete", true)
	add(s.Replace, "to replace", false)
	add(s.Manual, "manual", true)
	add(s.Unlisted, "not in the spec", false)
	add(s.Unmanaged, "out of scope", false)
	return strings.Join(parts, ", ")
}

// Change is one planned change to one object.
type Change struct {
	Address Address `json:"address"`
	Kind    Kind    `json:"kind"`
	Action  Action  `json:"action"`
	// Before and After hold the object's managed attributes; nil when it does
	// not exist on that side. Their type depends on Kind (see Value types).
	Before Value `json:"before"`
	After  Value `json:"after"`
	// Source is the spec location that asked for the change ("file:line"),
	// empty for deletions of things the spec does not list.
	Source string `json:"source"`
	// Scope is the file of Source when that file has a scope (docs/spec.md,
	// scopes): the delegated owner that asked for the change.
	Scope string `json:"scope,omitempty"`
	// ScopeMaxRole is that scope's max_role when it is below admin: the
	// file may not take away a live grant above it (Check refuses the
	// plan). Absent otherwise.
	ScopeMaxRole state.Role `json:"scope_max_role,omitempty"`
	// Reason explains manual changes and notable decisions.
	Reason   string   `json:"reason,omitempty"`
	Warnings []string `json:"warnings"`
	// Expired lists the grants of the spec whose end date passed that this
	// change takes away: the spec asked for it, so without --prune (expiry.go).
	Expired []ExpiredGrant `json:"expired,omitempty"`
	// Withdrawn is the grant of the base spec that this change takes away,
	// without --prune (withdrawn.go); Source is its line at the Revision.
	Withdrawn *Withdrawn `json:"withdrawn,omitempty"`
	// Target carries the ids the API calls need, resolved at plan time, so
	// apply does exactly what was reviewed.
	Target Target `json:"target"`
}

// Target identifies the object of a change in the API's own ids.
type Target struct {
	Group          string `json:"group,omitempty"`
	GroupID        int64  `json:"group_id,omitempty"`
	ParentGroup    string `json:"parent_group,omitempty"`
	ParentGroupID  int64  `json:"parent_group_id,omitempty"`
	Repository     string `json:"repository,omitempty"`
	RepositoryID   int64  `json:"repository_id,omitempty"`
	RepositoryUUID string `json:"repository_uuid,omitempty"`
	User           string `json:"user,omitempty"`
	UserID         int64  `json:"user_id,omitempty"`
	UserIAMID      string `json:"user_iam_id,omitempty"`
	MemberID       string `json:"member_id,omitempty"` // SetRepoRole's and DeleteRepoMember's id (state.LiveMember.MemberID)
	MemberGroup    string `json:"member_group,omitempty"`
	MemberGroupID  string `json:"member_group_id,omitempty"`
	PushRuleID     int64  `json:"push_rule_id,omitempty"`
	// Push rule grants, as ids: numeric user ids, integer team ids, role ids.
	PushUserIDs []int64  `json:"push_user_ids,omitempty"`
	PushTeamIDs []int64  `json:"push_team_ids,omitempty"`
	PushRoleIDs []string `json:"push_role_ids,omitempty"`
	GitAuth     string   `json:"git_auth,omitempty"`
}

// Value is the before or after side of a change: *MemberValue,
// *PushRuleValue, *GroupValue, *MemberGroupValue or *GitAuthValue.
type Value interface{ isValue() }

// MemberValue is a repository member's role.
type MemberValue struct {
	// Role is "" for a live role reposync does not know; RoleName then
	// names it as the service did.
	Role     state.Role `json:"role"`
	RoleName string     `json:"role_name,omitempty"`
	// Via is set when the live access is inherited (member group or group).
	Via string `json:"via,omitempty"`
}

// PushRuleValue is who may push files matching a path, by name, sorted.
type PushRuleValue struct {
	Users        []string `json:"users"`
	MemberGroups []string `json:"member_groups"`
	Roles        []string `json:"roles"`
}

// GroupValue is a repository group's managed attributes.
type GroupValue struct {
	Visibility  string  `json:"visibility,omitempty"`
	Description *string `json:"description,omitempty"`
}

// MemberGroupValue is an attached member group.
type MemberGroupValue struct {
	Name string `json:"name"`
}

// GitAuthValue is a Git authorization. PasswordEnv names the environment
// variable holding the password; the password itself is never in a plan.
type GitAuthValue struct {
	RepoType    string `json:"repo_type"`
	User        string `json:"user"`
	PasswordEnv string `json:"password_env,omitempty"`
}

func (*MemberValue) isValue()      {}
func (*PushRuleValue) isValue()    {}
func (*GroupValue) isValue()       {}
func (*MemberGroupValue) isValue() {}
func (*GitAuthValue) isValue()     {}

// Extra is a live entry the spec does not list, left alone without pruning.
type Extra struct {
	Address Address `json:"address"`
	Kind    Kind    `json:"kind"`
	Detail  string  `json:"detail"`
	// Role is a member's live role, what the entry grants.
	Role state.Role `json:"role,omitempty"`
	// Grants are an unlisted repository's or group's direct grants
	// (unlisted.go); absent for other extras, and when it has none.
	Grants []Grant `json:"grants,omitempty"`
}

// Problem is a reason the plan cannot be made, located at its spec source.
type Problem struct {
	Source  state.Source
	Address Address
	Message string
}

// String renders the problem as "file:line:col: address: message".
func (p Problem) String() string {
	s := p.Message
	if p.Address != (Address{}) {
		s = p.Address.String() + ": " + s
	}
	if pos := p.Source.Position(); pos != "" {
		s = pos + ": " + s
	}
	return s
}

// finish sorts changes and extras, counts the summary and makes the nil
// slices empty so JSON shows [] rather than null.
func (p *Plan) finish() {
	slices.SortStableFunc(p.Changes, func(a, b Change) int { return a.Address.Compare(b.Address) })
	slices.SortStableFunc(p.Extras, func(a, b Extra) int { return a.Address.Compare(b.Address) })
	sort.Strings(p.Warnings)
	p.Summary = Summary{Unmanaged: p.Summary.Unmanaged} // counted by territory
	for i := range p.Changes {
		p.Changes[i].Warnings = nonNil(p.Changes[i].Warnings)
		p.Summary.add(p.Changes[i].Action)
	}
	p.Summary.Unlisted = len(p.Extras)
	p.Context.SpecPaths = nonNil(p.Context.SpecPaths)
	p.Changes = nonNil(p.Changes)
	p.Refusals = nonNil(p.Refusals)
	p.Extras = nonNil(p.Extras)
	p.Warnings = nonNil(p.Warnings)
	if p.Live == nil {
		p.Live = map[string]string{}
	}
}
