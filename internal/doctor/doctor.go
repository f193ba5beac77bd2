// Package doctor checks, without changing anything, what reposync needs from
// a real CodeArts project: the credentials and who they act as, one read of
// every operation family a plan would use, the rate budget a full plan would
// spend, and the service's behaviour against docs/api-assumptions.md. On
// request it also runs a reversible write probe in one scratch repository
// (probe.go), which removes everything it created even when interrupted.
//
// The result is a Report: plain data with stable JSON names, rendered as text
// or JSON here and mapped to an exit code by cli. doctor imports only api (the
// calls) and state (the tree a Walker returns, role names); it must not import
// remote, spec, plan or cli: the spec reaches it as a Scope the caller builds,
// and the tree walk through the Walker interface.
package doctor

import (
	"context"
	"errors"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// FormatVersion is the version of the Report's JSON shape; it changes only
// when a field is removed or changes meaning.
const FormatVersion = 1

// SampleSize is the number of repositories whose lists doctor reads: enough
// to see the members CodeArts syncs and the push rules' roles, few enough
// that a project of 10 000 repositories is checked in seconds.
const SampleSize = 5

// Walker walks the project tree; *remote.Client is one.
type Walker interface {
	Walk(ctx context.Context) (*state.Live, error)
}

// Scope is what a spec manages, as far as doctor needs it. A nil *Scope in
// Options means there is no spec: doctor checks everything a spec could need.
type Scope struct {
	// Paths are the spec paths, for the report.
	Paths []string
	// Managed expands the spec against the live repositories (not archived)
	// and returns what it manages among them.
	Managed func(liveRepositories []string) (Managed, error)
	// Groups: the spec lists groups (CreateGroup, DeleteGroup may follow).
	Groups int
	// GroupMemberGroups: some listed group lists member groups.
	GroupMemberGroups bool
	// GitAuths: the spec has a git_auths section (ListAuthorizations).
	GitAuths bool
	// UnsetPasswords are the spec's Git authorizations whose password_env
	// names a variable that is not set here, as "name (VARIABLE)": apply
	// cannot create or re-create them. Never a value.
	UnsetPasswords []string
}

// Managed is what the spec manages among the live repositories.
type Managed struct {
	// Repositories are the managed repositories' paths: a plan reads their
	// members, member groups and push rules.
	Repositories []string
	// Members, MemberGroups and PushRules say which lists the spec manages
	// on at least one of them (which writes apply may need).
	Members, MemberGroups, PushRules bool
}

// Options configure a run.
type Options struct {
	// Project is the CodeArts project UUID.
	Project string
	// Credentials is the kind of credentials the client uses; Temporary
	// marks AK/SK with a security token.
	Credentials api.CredentialKind
	Temporary   bool
	// Endpoint and Region are where the client connects (one of them set).
	Endpoint, Region string
	// IAMProjectID is the IAM project id the credentials name (HW_PROJECT_ID);
	// "" lets the client find it (IAM password login), if it can.
	IAMProjectID string
	// RateLimit is the client's budget in calls per minute per operation.
	RateLimit int
	// Spec is what the spec manages; nil without a spec.
	Spec *Scope
	// WriteProbe names the repository of the write probe ("" = none). The
	// caller has obtained the user's confirmation.
	WriteProbe string
	// ProbeSuffix makes the probe rule's path unique
	// (/.reposync-doctor-probe-<suffix>/**); the caller draws it at random.
	ProbeSuffix string
	// ToolVersion goes into the report.
	ToolVersion string
}

// Report is everything a run found. Its JSON is meant to be attached to a bug
// report: field names are stable and it never holds a secret.
type Report struct {
	FormatVersion int          `json:"format_version"`
	ToolVersion   string       `json:"tool_version"`
	Project       string       `json:"project"`
	Spec          *SpecSummary `json:"spec"`
	Connection    Connection   `json:"connection"`
	Identity      Identity     `json:"identity"`
	Tree          Tree         `json:"tree"`
	Permissions   []Permission `json:"permissions"`
	Writes        []Write      `json:"writes"`
	Quota         Quota        `json:"quota"`
	Behaviour     []Check      `json:"behaviour"`
	WriteProbe    *Probe       `json:"write_probe"`
	Outcome       Outcome      `json:"outcome"`
}

// SpecSummary says which spec was checked against.
type SpecSummary struct {
	Paths               []string `json:"paths"`
	ManagedRepositories int      `json:"managed_repositories"`
	Groups              int      `json:"groups"`
	GitAuths            bool     `json:"git_auths"`
}

// Connection is how reposync connects.
type Connection struct {
	// Credentials is "aksk", "token" or "iam-password".
	Credentials string `json:"credentials"`
	// Temporary marks AK/SK with a security token.
	Temporary bool   `json:"temporary"`
	Endpoint  string `json:"endpoint"`
	Region    string `json:"region"`
	// Hosts are the base URLs per service ("codearts-repo", "iam", …).
	Hosts map[string]string `json:"hosts"`
	// IAMProjectID is the IAM project of the region, "" when unknown.
	IAMProjectID string `json:"iam_project_id"`
	// Clock is each service's clock as its last answer showed it.
	Clock []Clock `json:"clock"`
}

// Clock statuses.
const (
	ClockOK          = "ok"           // within ClockWarn of the server
	ClockWarning     = "warning"      // more than ClockWarn off: fix it before it reaches 15 minutes
	ClockRefused     = "refused"      // 15 minutes or more off: the gateway refuses AK/SK requests
	ClockNotRelevant = "not_relevant" // tokens do not depend on the clock
)

// Clock is one service's clock against this machine's.
type Clock struct {
	Service string `json:"service"`
	// ServerDate is the Date header of the service's last answer (RFC 3339).
	ServerDate string `json:"server_date"`
	// SkewSeconds is the server's clock minus this machine's.
	SkewSeconds int64  `json:"skew_seconds"`
	Status      string `json:"status"`
}

// Identity statuses.
const (
	IdentityKnown   = "known"
	IdentityUnknown = "unknown" // the credentials cannot tell (temporary AK/SK)
	IdentityRefused = "refused" // the credentials were refused
	IdentityFailed  = "failed"  // the lookup failed otherwise
)

// Identity is who reposync acts as.
type Identity struct {
	Status string `json:"status"`
	// UserID is the IAM user id.
	UserID string `json:"user_id"`
	// UserName is the user's name; NameSource the operation that told it.
	UserName   string `json:"user_name"`
	NameSource string `json:"name_source"`
	// Source is the IAM operation that named the user.
	Source string `json:"source"`
	// ProjectMember: the user is in the CodeArts project's user list
	// (ListProductPermissionResourcesGrantedUsers); nil when unknown.
	ProjectMember *bool `json:"project_member"`
	// ProjectAdmin: is_Project_admin of the user's ListMembers rows in the
	// sampled repositories; nil when unknown. ProjectAdminSource says which.
	ProjectAdmin       *bool  `json:"project_admin"`
	ProjectAdminSource string `json:"project_admin_source"`
	// Repositories is the user's role on each sampled repository.
	Repositories []RepositoryRole `json:"repositories"`
	Note         string           `json:"note"`
	Error        *APIError        `json:"error"`
}

// RepositoryRole is the caller's role on one repository.
type RepositoryRole struct {
	Repository string `json:"repository"`
	// Role is the v4 repository_role_name, Level the legacy access level
	// (0 when the legacy list did not have the user).
	Role  string `json:"role"`
	Level int64  `json:"level"`
	// Admin: may change the repository's settings (level 40, creator or
	// project administrator).
	Admin bool `json:"admin"`
	// Member: the caller has a row in the repository's member list.
	Member bool `json:"member"`
}

// APIError is an API failure as the report shows it (never a secret: the api
// client redacts its messages).
type APIError struct {
	Operation  string `json:"operation"`
	HTTPStatus int    `json:"http_status"`
	Code       string `json:"code"`
	Message    string `json:"message"`
}

// Tree summarises the walk.
type Tree struct {
	Groups       int `json:"groups"`
	Repositories int `json:"repositories"`
	// Sampled are the repositories whose lists were read.
	Sampled []string `json:"sampled"`
	// Warnings are the walk's own (a full_path that disagrees with it).
	Warnings []string `json:"warnings"`
}

// Permission statuses.
const (
	Allowed    = "allowed"
	Denied     = "denied"      // 401/403: the API's code says why
	Failed     = "failed"      // another error
	NotNeeded  = "not_needed"  // the spec does not manage it
	NotChecked = "not_checked" // could not be tried (Reason says why)
)

// Permission is one read family a plan uses.
type Permission struct {
	// Family is a stable key: tree, project_users, member_group_ids, roles,
	// group_member_groups, repository_members, repository_member_levels,
	// repository_member_groups, push_rules, git_auths.
	Family     string   `json:"family"`
	Operations []string `json:"operations"`
	Status     string   `json:"status"`
	// Target is what was read: "project", "group pay", "repository pay/gw",
	// "3 repositories".
	Target string    `json:"target"`
	Reason string    `json:"reason"`
	Error  *APIError `json:"error"`
}

// Write statuses. LikelyAllowed, DeniedByRole and Unknown are inferred from
// the caller's roles, never tried; DeniedByRole is reported as "likely
// denied, not tried", a warning. A write is Denied only where a denial was
// observed (the family's read was denied, or the write probe's write), and
// Allowed only where the write probe made it.
const (
	LikelyAllowed = "likely_allowed"
	DeniedByRole  = "denied_by_role"
	Unknown       = "unknown"
)

// Write is one write family apply may need.
type Write struct {
	// Family is a stable key: groups, group_member_groups,
	// repository_members, repository_member_groups, push_rules, git_auths.
	Family     string   `json:"family"`
	Operations []string `json:"operations"`
	Status     string   `json:"status"`
	Reason     string   `json:"reason"`
}

// Quota is what doctor spent and what a full plan would.
type Quota struct {
	// RateLimit is the budget in calls per minute per operation.
	RateLimit int `json:"rate_limit"`
	Calls     int `json:"calls"`
	Retries   int `json:"retries"`
	// Throttled counts 429 / APIG.0308 answers.
	Throttled    int                `json:"throttled"`
	PerOperation map[string]OpCalls `json:"per_operation"`
	FullPlan     Estimate           `json:"full_plan"`
}

// OpCalls are the calls of one operation.
type OpCalls struct {
	Calls     int `json:"calls"`
	Retries   int `json:"retries"`
	Throttled int `json:"throttled"`
}

// Estimate is the time a full plan of the project would take at the rate
// limit: the walk lists every group, then each list operation reads every
// repository, all operations at once, each within its own budget.
type Estimate struct {
	Repositories   int      `json:"repositories"`
	Groups         int      `json:"groups"`
	ListOperations []string `json:"list_operations"`
	WalkSeconds    float64  `json:"walk_seconds"`
	ReadSeconds    float64  `json:"read_seconds"`
	Seconds        float64  `json:"seconds"`
}

// Check statuses.
const (
	AsAssumed          = "as_assumed"
	DiffersHandled     = "differs_handled"     // reposync handles the difference
	DiffersUnsupported = "differs_unsupported" // please report
	NotObserved        = "not_observed"        // nothing to look at
)

// Check compares one behaviour of the service with an assumption row of
// docs/api-assumptions.md.
type Check struct {
	// ID is the assumption row ("A1").
	ID string `json:"id"`
	// Name is a stable key of the check ("full_path").
	Name    string `json:"name"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	// Observed holds the values seen; its keys are stable per check.
	Observed map[string]any `json:"observed"`
}

// Outcome statuses.
const (
	OutcomeOK = "ok"
	// OutcomeWarnings: no problem, but writes apply may need are likely
	// denied by the caller's roles, inferred and not tried.
	OutcomeWarnings    = "warnings"
	OutcomeProblems    = "problems"
	OutcomeRefused     = "refused"
	OutcomeInterrupted = "interrupted"
)

// Outcome sums the run up: what the exit code follows.
type Outcome struct {
	Status string `json:"status"`
	// Problems are the findings that make the run fail, one line each.
	Problems []string `json:"problems"`
	// Warnings are inferred findings, not observed: writes likely denied by
	// the caller's roles, not tried. Alone they make the outcome "warnings".
	Warnings []string `json:"warnings"`
}

// apiError converts err for the report; nil for nil.
func apiError(err error) *APIError {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*api.Error](err); ok {
		return &APIError{Operation: e.Op, HTTPStatus: e.Status, Code: e.Code, Message: e.Message}
	}
	return &APIError{Message: err.Error()}
}

// refused reports whether err means the credentials themselves were
// refused: a 401 other than CH.080401 ("no permission on the resource",
// docs/api-reference.md §15.2), which is a permission failure.
func refused(err error) bool {
	e, ok := errors.AsType[*api.Error](err)
	return ok && api.IsAuth(err) && e.Status == 401 && e.Code != "CH.080401"
}

// classify turns a read's error into a permission status.
func classify(err error) string {
	switch {
	case err == nil:
		return Allowed
	case api.IsAuth(err):
		return Denied
	}
	return Failed
}
