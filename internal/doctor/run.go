package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// Thresholds of clock skew under AK/SK: the gateway refuses a signature
// whose X-Sdk-Date is 15 minutes or more off its clock (docs/api-reference.md
// §13.2); doctor warns from 5 minutes, while there is time to fix NTP.
const (
	ClockWarn   = 5 * time.Minute
	ClockRefuse = 15 * time.Minute
)

// run is one doctor run: the options, the client and what was read so far.
// Each step fills its part of the report; later steps use what earlier ones
// read, so nothing is read twice.
type run struct {
	o   Options
	c   *api.Client
	w   Walker
	rep *Report

	live     *state.Live
	managed  Managed // zero: no spec, or the spec could not be expanded
	scopeErr error

	users     []api.GrantedUser
	usersRead bool // ListProductPermissionResourcesGrantedUsers answered
	teams     []api.ProtectedRefsUserGroup
	roles     api.ProjectMemberSetting
	rolesErr  error
	samples   []*sample
	// serverOrder are the tree listings made in the server's default order,
	// with the walked path of the group listed ("" = the project root).
	serverOrder []listing
	orderErr    error

	// problems are findings of the steps that are not a status of their
	// own (outcome adds them).
	problems []string

	interrupted bool
}

// sample is one repository whose lists were read.
type sample struct {
	path      string
	repo      *state.LiveRepository
	members   []api.RepositoryMember
	legacy    []api.LegacyMember
	rules     []api.FilePushPermission
	hasMember bool // ListMembers answered
	hasLegacy bool // ListRepoMembers answered
	hasRules  bool // ListRepositoryFilePushPermissions answered
}

// join pairs the sample's two member lists as a plan does (api.JoinMembers).
func (s *sample) join() ([]api.MemberRow, []api.LegacyMember) {
	if !s.hasLegacy {
		return api.JoinMembers(s.members, nil)
	}
	return api.JoinMembers(s.members, s.legacy)
}

// listing is one tree listing kept as evidence.
type listing struct {
	parent string // walked path of the listed group, "" for the root
	items  []api.TreeItem
}

// Run checks the project and returns the report; it never changes anything
// unless o.WriteProbe names a repository, and then removes what it created.
// A cancelled ctx ends it early with Outcome "interrupted" (the probe's
// cleanup still runs).
func Run(ctx context.Context, c *api.Client, w Walker, o Options) *Report {
	r := &run{o: o, c: c, w: w, rep: &Report{
		FormatVersion: FormatVersion, ToolVersion: o.ToolVersion, Project: o.Project,
		Permissions: []Permission{}, Writes: []Write{}, Behaviour: []Check{},
		Tree:     Tree{Sampled: []string{}, Warnings: []string{}},
		Identity: Identity{Repositories: []RepositoryRole{}},
	}}
	r.connection()
	steps := []func(context.Context) bool{r.identity, r.walk, r.lookups, r.repositories, r.gitAuths, r.order}
	for _, step := range steps {
		if !step(ctx) {
			break
		}
	}
	if r.rep.Outcome.Status != OutcomeRefused && !r.interrupted {
		r.callerRoles()
		r.writes()
		r.behaviour()
		if o.WriteProbe != "" {
			r.rep.WriteProbe = r.probe(ctx)
			r.probeWrites()
		}
		sortChecks(r.rep.Behaviour)
	}
	r.rep.Connection.Clock = r.clock()
	r.rep.Quota = r.quota()
	r.outcome()
	return r.rep
}

// stopped records an interruption; steps call it when ctx ended.
func (r *run) stopped(ctx context.Context) bool {
	if ctx.Err() != nil {
		r.interrupted = true
		return true
	}
	return false
}

func (r *run) connection() {
	r.rep.Connection = Connection{Credentials: string(r.o.Credentials), Temporary: r.o.Temporary,
		Endpoint: api.RedactURL(r.o.Endpoint), Region: r.o.Region, Hosts: r.c.Endpoints(), IAMProjectID: r.o.IAMProjectID}
	if r.o.Spec != nil {
		r.rep.Spec = &SpecSummary{Paths: r.o.Spec.Paths, Groups: r.o.Spec.Groups, GitAuths: r.o.Spec.GitAuths}
	}
}

// identity asks who the credentials act as. A refusal ends the run: nothing
// else can be checked with credentials the service does not accept.
func (r *run) identity(ctx context.Context) bool {
	id := &r.rep.Identity
	caller, err := r.c.CallerIdentity(ctx)
	switch {
	case err == nil:
		id.Status, id.UserID, id.UserName, id.Source = IdentityKnown, caller.UserID, caller.UserName, caller.Source
		if caller.UserName != "" {
			id.NameSource = caller.Source
		}
	case errors.Is(err, api.ErrIdentityUnknown):
		id.Status = IdentityUnknown
		id.Note = "temporary AK/SK (HW_SECURITY_TOKEN) cannot name their user: IAM's ShowPermanentAccessKey knows permanent keys only (docs/api-assumptions.md A39); apply's guard for its own admin role is inactive"
	case r.stopped(ctx):
		return false
	case refused(err) || (r.o.Credentials == api.CredentialsIAMPassword && api.IsAuth(err)):
		id.Status, id.Error = IdentityRefused, apiError(err)
		r.rep.Outcome.Status = OutcomeRefused
		return false
	default:
		id.Status, id.Error = IdentityFailed, apiError(err)
	}
	if r.rep.Connection.IAMProjectID == "" {
		if p, err := r.c.IAMProjectID(ctx); err == nil {
			r.rep.Connection.IAMProjectID = p
		}
	}
	return !r.stopped(ctx)
}

// walk reads the tree, the first CodeArts Repo call: a refusal here is a
// refusal of the credentials.
func (r *run) walk(ctx context.Context) bool {
	live, err := r.w.Walk(ctx)
	p := Permission{Family: "tree", Operations: []string{"ListProjectSubgroupsAndRepositories", "ListGroupSubgroupsAndRepositories"},
		Target: "project", Status: classify(err), Error: apiError(err)}
	if r.stopped(ctx) {
		return false
	}
	r.rep.Permissions = append(r.rep.Permissions, p)
	if err != nil {
		if refused(err) {
			r.rep.Outcome.Status = OutcomeRefused
		}
		return false
	}
	r.live = live
	r.rep.Tree.Groups = len(live.Groups)
	r.rep.Tree.Warnings = append(r.rep.Tree.Warnings, live.Warnings...)
	var repos []string
	for p, repo := range live.Repositories {
		if !repo.Archived {
			repos = append(repos, p)
		}
	}
	slices.Sort(repos)
	r.rep.Tree.Repositories = len(repos)
	candidates := repos
	if s := r.o.Spec; s != nil && s.Managed != nil {
		m, err := s.Managed(repos)
		if err != nil {
			r.scopeErr = err
			candidates = nil
		} else {
			slices.Sort(m.Repositories)
			r.managed = m
			candidates = m.Repositories
			r.rep.Spec.ManagedRepositories = len(m.Repositories)
		}
	}
	for _, p := range candidates {
		if len(r.samples) == SampleSize {
			break
		}
		if repo := live.Repositories[p]; repo != nil {
			r.samples = append(r.samples, &sample{path: p, repo: repo})
			r.rep.Tree.Sampled = append(r.rep.Tree.Sampled, p)
		}
	}
	return true
}

// read records one family's read; fn makes the calls and returns the first
// error. needed is false (with why) when the spec does not need it.
func (r *run) read(ctx context.Context, family string, ops []string, target string, needed bool, why string, fn func(context.Context) error) bool {
	p := Permission{Family: family, Operations: ops, Target: target}
	switch {
	case !needed:
		p.Status, p.Reason = NotNeeded, why
	case fn == nil:
		p.Status, p.Reason = NotChecked, why
	default:
		err := fn(ctx)
		if r.stopped(ctx) {
			return false
		}
		p.Status, p.Error = classify(err), apiError(err)
		if t, ok := errors.AsType[*targetError](err); ok {
			p.Target = t.target
		}
	}
	r.rep.Permissions = append(r.rep.Permissions, p)
	return true
}

// targetError names the object a failed read was about, when a family reads
// several.
type targetError struct {
	target string
	err    error
}

func (e *targetError) Error() string { return e.target + ": " + e.err.Error() }
func (e *targetError) Unwrap() error { return e.err }

// lookups reads what every plan reads once per project.
func (r *run) lookups(ctx context.Context) bool {
	project := r.o.Project
	ok := r.read(ctx, "project_users", []string{"ListProductPermissionResourcesGrantedUsers"}, "project", true, "", func(ctx context.Context) (err error) {
		r.users, err = r.c.ListProductPermissionResourcesGrantedUsers(ctx, project)
		r.usersRead = err == nil
		return err
	}) && r.read(ctx, "member_group_ids", []string{"ListProjectProtectedRefsUserGroups"}, "project", true, "", func(ctx context.Context) (err error) {
		r.teams, err = r.c.ListProjectProtectedRefsUserGroups(ctx, project)
		return err
	}) && r.read(ctx, "roles", []string{"ShowProjectMemberSetting"}, "project", true, "", func(ctx context.Context) (err error) {
		r.roles, err = r.c.ShowProjectMemberSetting(ctx, project)
		r.rolesErr = err
		return err
	})
	if !ok {
		return false
	}
	// A plan reads the member-group catalogue from the first group's two
	// lists (remote.Read), and the member groups of every group the spec
	// lists: the first group stands for both.
	ops := []string{"ListGroupUserGroups", "ListGroupAddableUserGroups"}
	if len(r.live.Groups) == 0 {
		return r.read(ctx, "group_member_groups", ops, "", false, "the project has no group", nil)
	}
	anchor := r.live.Groups[slices.Min(slices.Collect(maps.Keys(r.live.Groups)))]
	return r.read(ctx, "group_member_groups", ops, "group "+anchor.Path, true, "", func(ctx context.Context) error {
		if _, err := r.c.ListGroupUserGroups(ctx, anchor.ID); err != nil {
			return err
		}
		_, err := r.c.ListGroupAddableUserGroups(ctx, anchor.ID, project)
		return err
	})
}

// repositories reads the four lists a plan reads per managed repository, on
// the sample: members (both APIs) and push rules on every sampled
// repository, since the behaviour checks look at them; member groups on the
// first only. A family stops at its first failure.
func (r *run) repositories(ctx context.Context) bool {
	needed, why := true, "" // why: not needed, or nothing to read
	switch {
	case r.scopeErr != nil:
		why = "the spec could not be expanded: " + r.scopeErr.Error()
	case r.o.Spec != nil && len(r.managed.Repositories) == 0:
		needed, why = false, "the spec manages no live repository"
	case len(r.samples) == 0:
		why = "no repository to read"
	}
	all, first := r.samples, r.samples[:min(1, len(r.samples))]
	return r.readEach(ctx, "repository_members", "ListMembers", all, needed, why, func(ctx context.Context, s *sample) (err error) {
		s.members, err = r.c.ListMembers(ctx, s.repo.ID)
		s.hasMember = err == nil
		return err
	}) && r.readEach(ctx, "repository_member_levels", "ListRepoMembers", all, needed, why, func(ctx context.Context, s *sample) (err error) {
		s.legacy, err = r.c.ListRepoMembers(ctx, s.repo.UUID)
		s.hasLegacy = err == nil
		return err
	}) && r.readEach(ctx, "repository_member_groups", "ListRepositoryUserGroups", first, needed, why, func(ctx context.Context, s *sample) error {
		_, err := r.c.ListRepositoryUserGroups(ctx, s.repo.ID)
		return err
	}) && r.readEach(ctx, "push_rules", "ListRepositoryFilePushPermissions", all, needed, why, func(ctx context.Context, s *sample) (err error) {
		s.rules, err = r.c.ListRepositoryFilePushPermissions(ctx, s.repo.ID)
		s.hasRules = err == nil
		return err
	})
}

// readEach records the read of one list of each of samples, in turn; the
// first failure ends it and names its repository.
func (r *run) readEach(ctx context.Context, family, op string, samples []*sample, needed bool, why string, f func(context.Context, *sample) error) bool {
	target := fmt.Sprintf("%d sampled repositories", len(samples))
	if len(samples) == 1 {
		target = "repository " + samples[0].path
	}
	var fn func(context.Context) error // nil: no repository to read
	if len(samples) > 0 {
		fn = func(ctx context.Context) error {
			for _, s := range samples {
				if err := f(ctx, s); err != nil {
					return &targetError{target: "repository " + s.path, err: err}
				}
			}
			return nil
		}
	}
	return r.read(ctx, family, []string{op}, target, needed, why, fn)
}

func (r *run) gitAuths(ctx context.Context) bool {
	ops := []string{"ListAuthorizations"}
	if r.o.Spec != nil && !r.o.Spec.GitAuths {
		return r.read(ctx, "git_auths", ops, "", false, "the spec has no git_auths", nil)
	}
	project := r.rep.Connection.IAMProjectID
	if project == "" {
		if r.o.Spec != nil {
			// A plan of this spec would stop here (connect needs the id).
			r.problems = append(r.problems, "the spec has git_auths, but the IAM project id they live in is unknown: set HW_PROJECT_ID")
		}
		return r.read(ctx, "git_auths", ops, "", true, "the IAM project id is unknown: set HW_PROJECT_ID", nil)
	}
	if r.o.Spec != nil {
		for _, a := range r.o.Spec.UnsetPasswords {
			r.problems = append(r.problems, "git_auths."+a+": password_env names a variable that is not set here; apply cannot create or re-create the authorization without it")
		}
	}
	return r.read(ctx, "git_auths", ops, "IAM project "+project, true, "", func(ctx context.Context) error {
		_, err := r.c.ListAuthorizations(ctx, project)
		return err
	})
}

// order lists the project root, and if that cannot show an order a group
// with at least two children of one kind, in the server's default order:
// the evidence of the full_path form (A1) and the default order (A21).
func (r *run) order(ctx context.Context) bool {
	root, err := r.c.ListProjectSubgroupsAndRepositoriesWith(ctx, r.o.Project, api.TreeQuery{ServerOrder: true})
	if r.stopped(ctx) {
		return false
	}
	if err != nil {
		r.orderErr = err
		return true
	}
	r.serverOrder = append(r.serverOrder, listing{items: root})
	if orderVisible(root) {
		return true
	}
	if g := busiestGroup(r.live); g != nil {
		items, err := r.c.ListGroupSubgroupsAndRepositoriesWith(ctx, g.ID, api.TreeQuery{ServerOrder: true})
		if r.stopped(ctx) {
			return false
		}
		if err != nil {
			r.orderErr = err
			return true
		}
		r.serverOrder = append(r.serverOrder, listing{parent: g.Path, items: items})
	}
	return true
}

// orderVisible reports whether a listing holds two items of one kind.
func orderVisible(items []api.TreeItem) bool {
	n := map[string]int{}
	for _, it := range items {
		n[it.DescendantType]++
		if n[it.DescendantType] >= 2 {
			return true
		}
	}
	return false
}

// busiestGroup is the group with the most children of one kind (at least
// two), the first by path among equals; nil when none has two.
func busiestGroup(live *state.Live) *state.LiveGroup {
	groups, repos := map[string]int{}, map[string]int{}
	for p := range live.Groups {
		groups[state.ParentPath(p)]++
	}
	for p, repo := range live.Repositories {
		if !repo.Archived {
			repos[state.ParentPath(p)]++
		}
	}
	var best *state.LiveGroup
	bestN := 1
	for _, p := range slices.Sorted(maps.Keys(live.Groups)) {
		if n := max(groups[p], repos[p]); n > bestN {
			best, bestN = live.Groups[p], n
		}
	}
	return best
}

// callerRoles finds the caller in the project's users and in the sampled
// repositories' member lists. Whether the caller is a project administrator
// comes from is_Project_admin on its ListMembers rows (docs/api-reference.md
// §6.3), the one documented per-user flag for it: the project user list has
// none, and the tree lists' is_project_admin, documented as "the caller
// created the project" (docs/api-assumptions.md A42), is not read as one.
func (r *run) callerRoles() {
	id := &r.rep.Identity
	if id.UserID == "" {
		id.ProjectAdminSource = "unknown: the identity is unknown"
		return
	}
	if r.usersRead {
		found := false
		for _, u := range r.users {
			if u.IAMID == id.UserID || u.Username == id.UserID {
				found = true
				if id.UserName == "" {
					id.UserName, id.NameSource = u.Name, "ListProductPermissionResourcesGrantedUsers"
				}
			}
		}
		id.ProjectMember = new(found)
	}
	admin, rows := false, 0
	for _, s := range r.samples {
		if !s.hasMember {
			continue
		}
		rr := RepositoryRole{Repository: s.path}
		paired, _ := s.join()
		for _, m := range paired {
			if m.UserIAMID != id.UserID {
				continue
			}
			rows++
			rr.Member, rr.Role = true, m.RepositoryRoleName
			admin = admin || m.IsProjectAdmin == 1
			rr.Admin = m.IsProjectAdmin == 1 || m.IsRepoCreator == 1
			if m.Legacy != nil {
				rr.Level = m.Legacy.Role
			}
		}
		if rr.Member && !rr.Admin {
			if rr.Level != 0 {
				rr.Admin = rr.Level >= api.RoleAdmin
			} else if role, ok := state.RoleForName(rr.Role); ok {
				rr.Admin = role == state.RoleAdmin
			}
		}
		id.Repositories = append(id.Repositories, rr)
	}
	rowsSource := fmt.Sprintf("is_Project_admin of the caller's ListMembers rows in %s", state.Count(rows, "sampled repository"))
	switch {
	case rows > 0:
		id.ProjectAdmin, id.ProjectAdminSource = new(admin), rowsSource
	case len(id.Repositories) == 0:
		id.ProjectAdminSource = "unknown: no repository member list was read"
	default:
		id.ProjectAdminSource = "unknown: the caller is a member of none of the sampled repositories"
	}
}

// clock reports each service's clock. Only AK/SK signatures depend on it.
func (r *run) clock() []Clock {
	facts := r.c.Facts()
	out := []Clock{}
	for _, svc := range slices.Sorted(maps.Keys(facts.ServerTime)) {
		t := facts.ServerTime[svc]
		skew := t.Skew()
		c := Clock{Service: svc, ServerDate: t.Date.UTC().Format(time.RFC3339), SkewSeconds: int64(math.Round(skew.Seconds())), Status: ClockOK}
		switch {
		case r.o.Credentials != api.CredentialsAKSK:
			c.Status = ClockNotRelevant
		case skew.Abs() >= ClockRefuse:
			c.Status = ClockRefused
		case skew.Abs() >= ClockWarn:
			c.Status = ClockWarning
		}
		out = append(out, c)
	}
	return out
}

// perPlanLists are the list operations a plan calls once per managed
// repository (remote.Read), each with its own budget.
var perPlanLists = []string{"ListMembers", "ListRepoMembers", "ListRepositoryUserGroups", "ListRepositoryFilePushPermissions"}

// quota sums the client's calls and estimates a full plan of what the spec
// manages, or of the whole project without a spec.
func (r *run) quota() Quota {
	q := Quota{RateLimit: r.o.RateLimit, PerOperation: map[string]OpCalls{}, FullPlan: Estimate{ListOperations: []string{}}}
	for op, s := range r.c.Stats() {
		q.PerOperation[op] = OpCalls(s)
		q.Calls += s.Calls
		q.Retries += s.Retries
		q.Throttled += s.Throttled
	}
	if r.live != nil {
		repos, groupsRead := r.rep.Tree.Repositories, len(r.live.Groups) // export reads every group's member groups
		if s := r.rep.Spec; s != nil {
			repos, groupsRead = s.ManagedRepositories, s.Groups
		}
		q.FullPlan = estimate(len(r.live.Groups), repos, groupsRead, r.o.RateLimit)
	}
	return q
}

// estimate is the time a full plan takes at rate calls a minute per
// operation: the walk lists each of groups once (one operation), then each
// list operation reads every repository once (and ListGroupUserGroups each
// group the spec lists), all operations at once; latency and lists longer
// than a page add to it.
func estimate(groups, repos, groupsRead, rate int) Estimate {
	e := Estimate{Groups: groups, Repositories: repos, ListOperations: []string{}}
	if repos > 0 {
		e.ListOperations = append(e.ListOperations, perPlanLists...)
	}
	if groupsRead > 0 {
		e.ListOperations = append(e.ListOperations, "ListGroupUserGroups")
	}
	perSecond := float64(max(rate, 1)) / 60
	e.WalkSeconds = round1(float64(groups) / perSecond)
	e.ReadSeconds = round1(float64(max(repos, groupsRead)) / perSecond)
	e.Seconds = round1(e.WalkSeconds + e.ReadSeconds)
	return e
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// outcome decides what the exit code follows: a refusal or an interruption
// as recorded, otherwise every problem found.
func (r *run) outcome() {
	o := &r.rep.Outcome
	o.Problems, o.Warnings = []string{}, []string{}
	if id := r.rep.Identity; id.Status == IdentityRefused {
		o.Problems = append(o.Problems, "the credentials were refused"+errText(id.Error))
	} else if id.Status == IdentityFailed {
		o.Problems = append(o.Problems, "the identity could not be looked up"+errText(id.Error)+"; apply needs it for the guard of its own admin role")
	}
	for _, c := range r.rep.Connection.Clock {
		if c.Status == ClockRefused {
			o.Problems = append(o.Problems, fmt.Sprintf("this machine's clock is %ds off %s's: the gateway refuses AK/SK signatures 15 minutes off", c.SkewSeconds, c.Service))
		}
	}
	for _, p := range r.rep.Permissions {
		if verb := map[string]string{Denied: "is denied", Failed: "failed"}[p.Status]; verb != "" {
			o.Problems = append(o.Problems, fmt.Sprintf("reading %s (%s) %s on %s%s", p.Family, strings.Join(p.Operations, ", "), verb, p.Target, errText(p.Error)))
		}
	}
	if r.scopeErr != nil {
		o.Problems = append(o.Problems, "the spec could not be expanded against the live repositories: "+r.scopeErr.Error())
	}
	o.Problems = append(o.Problems, r.problems...)
	// A write Denied was observed through a denied read or the write probe,
	// each a problem above already; only the inferred denials are warnings.
	for _, w := range r.rep.Writes {
		if w.Status == DeniedByRole {
			o.Warnings = append(o.Warnings, fmt.Sprintf("writing %s is likely denied, not tried: %s", w.Family, w.Reason))
		}
	}
	for _, c := range r.rep.Behaviour {
		if c.Status == DiffersUnsupported {
			o.Problems = append(o.Problems, fmt.Sprintf("%s %s differs in a way reposync does not support: %s — please report it", c.ID, c.Name, c.Summary))
		}
	}
	if p := r.rep.WriteProbe; p != nil && p.Status == ProbeFailed {
		o.Problems = append(o.Problems, "the write probe failed: "+p.Summary)
	}
	if p := r.rep.WriteProbe; p != nil && len(p.Cleanup.Failed) > 0 {
		o.Problems = append(o.Problems, "the write probe could not remove: "+strings.Join(p.Cleanup.Failed, "; "))
	}
	switch {
	case r.interrupted:
		o.Status = OutcomeInterrupted
	case o.Status != "": // refused
	case len(o.Problems) > 0:
		o.Status = OutcomeProblems
	case len(o.Warnings) > 0:
		o.Status = OutcomeWarnings
	default:
		o.Status = OutcomeOK
	}
}

func errText(e *APIError) string {
	if e == nil {
		return ""
	}
	s := ":"
	if e.HTTPStatus != 0 {
		s += " " + strconv.Itoa(e.HTTPStatus)
	}
	for _, part := range []string{e.Code, e.Message} {
		if part != "" {
			s += " " + part
		}
	}
	return s
}
