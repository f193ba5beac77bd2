package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/plan/render"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// loadSpec loads and validates the spec, printing every diagnostic; when
// the spec is invalid it returns a silent exit error (the diagnostics said
// it all) that carries them (problemsError).
func loadSpec(ios *iostreams.IOStreams, paths []string, cache *spec.Cache) (*state.Desired, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	opts := spec.DefaultOptions()
	opts.Cache = cache
	d, diags := spec.LoadWith(opts, paths...)
	for _, dg := range diags {
		fmt.Fprintln(ios.ErrOut, dg.String())
	}
	if d == nil {
		errs, _ := diags.Count()
		summary := fmt.Sprintf("%s: invalid: %s", strings.Join(paths, " "), state.Count(errs, "error"))
		fmt.Fprintln(ios.ErrOut, summary)
		return nil, &problemsError{err: silentExit(ExitError), headline: summary, problems: diagProblems(diags)}
	}
	return d, nil
}

// problemsError is a failure with the problems it found at their spec
// locations (an invalid spec, conflicts, names that do not resolve), all
// printed already: a failed plan's comment and annotations list them.
type problemsError struct {
	err error
	// headline says what failed when err, a silent exit, does not.
	headline string
	problems []render.Problem
}

func (e *problemsError) Error() string { return cmp.Or(e.headline, e.err.Error()) }

func (e *problemsError) Unwrap() error { return e.err }

// diagProblems are spec diagnostics as problems.
func diagProblems(diags spec.Diagnostics) []render.Problem {
	out := make([]render.Problem, 0, len(diags))
	for _, d := range diags {
		msg := d.Message
		if d.Path != "" {
			msg = d.Path + ": " + msg
		}
		out = append(out, render.Problem{File: d.File, Line: d.Line, Column: d.Column, Message: msg, Warning: d.Severity == spec.SeverityWarning})
	}
	return out
}

// session is a connection to one CodeArts project.
type session struct {
	api    *api.Client
	remote *remote.Client
	conn   ConnOptions
	// creds are the credentials the client signs with (doctor reports
	// their kind and the IAM project id they name).
	creds api.Credentials
	// notices serialises what the session writes to standard error from
	// other goroutines: wait notices and the read meter.
	notices *sync.Mutex
}

// connectOptions are what connect needs besides the flags.
type connectOptions struct {
	// spec (nil without one) names the project, projectHint where else
	// it can come from.
	spec        *state.Desired
	projectHint string
	// iamProject: the IAM project id is needed (ServiceStage calls).
	iamProject bool
}

// connect builds the API client from flags and environment and checks that
// the credentials and identifiers are usable, before any request is made;
// notices of long waits the server asks for go to f's standard error.
func connect(ctx context.Context, f *Factory, conn ConnOptions, o connectOptions) (*session, error) {
	hint := cmp.Or(o.projectHint, "set `project:` in the spec, --project or REPOSYNC_PROJECT")
	specProject := ""
	if o.spec != nil {
		specProject = o.spec.Project
	}
	if err := conn.resolve(f.Getenv, specProject, hint); err != nil {
		return nil, err
	}
	creds, err := credentialsFromEnv(f.Getenv)
	if err != nil {
		return nil, err
	}
	if creds.ProjectID == conn.Project {
		// The two ids look alike and are easy to swap: every call would be
		// refused with a 401 that does not say which id is wrong.
		return nil, authConfigError(fmt.Sprintf("HW_PROJECT_ID is %s, the CodeArts project (project:, --project or REPOSYNC_PROJECT); "+
			"HW_PROJECT_ID must name the IAM project of the region, a different id (the console lists it under My Credentials, API Credentials)", conn.Project))
	}
	opts := []api.Option{
		api.WithCredentials(creds),
		api.WithEndpoint(conn.Endpoint), // "": the official hosts of the region
		api.WithRegion(conn.Region),
		api.WithRateLimit(conn.RateLimit),
		api.WithUserAgent("reposync/" + Version),
	}
	if conn.Insecure {
		opts = append(opts, api.WithInsecureSkipVerify())
	}
	if conn.AllowInsecureHTTP {
		opts = append(opts, api.WithAllowInsecureHTTP())
	}
	notices := &sync.Mutex{}
	opts = append(opts, api.WithWaitNotice(func(n api.WaitNotice) {
		notices.Lock()
		defer notices.Unlock()
		if f.IO.ProgressEnabled() {
			// Over a progress line being redrawn, not after it.
			fmt.Fprint(f.IO.ErrOut, "\r\x1b[K")
		}
		fmt.Fprintln(f.IO.ErrOut, "note: "+n.String())
	}))
	client, err := api.New(opts...)
	if err != nil {
		return nil, err
	}
	iamProject := creds.ProjectID
	if o.iamProject || (creds.Kind() == api.CredentialsAKSK && iamProject == "") {
		if iamProject, err = client.IAMProjectID(ctx); err != nil {
			return nil, err
		}
	}
	return &session{api: client, remote: remote.New(client, conn.Project, iamProject, conn.Concurrency), conn: conn, creds: creds, notices: notices}, nil
}

// liveState is what readLive read: the live state and the desired access
// of every managed repository after policies were expanded against the
// live repositories.
type liveState struct {
	live *state.Live
	eff  map[string]*state.EffectiveRepository
	// baseEff is resolved.base expanded against the live repositories.
	baseEff map[string]*state.EffectiveRepository
}

// alsoManaged says which lists of a repository the base spec of
// --changed-since, or else the grants a saved plan withdrew, need read
// besides the spec's own, so that what the change removed can be removed.
func (r *resolved) alsoManaged(path string) (spec.Managed, bool) {
	if r.base != nil {
		return spec.Manages(r.base, path)
	}
	var m spec.Managed
	ok := false
	for _, w := range r.Withdrawn {
		if a := w.Address; a.Object == plan.ObjectRepository && a.Name == path {
			ok = true
			m.Members = m.Members || a.Entry == plan.EntryMember
			m.MemberGroups = m.MemberGroups || a.Entry == plan.EntryMemberGroup
			m.PushRules = m.PushRules || a.Entry == plan.EntryPushRule
		}
	}
	return m, ok
}

// readLive walks the project tree within r.Scope (nil: everything) and
// reads, as the walk finds them, the lists d manages of each repository
// (spec.Manages, which agrees with expand below), the listed groups' member
// groups and the Git authorizations when d lists any; a full plan also
// reads the territory (an unlisted repository's lists, an unlisted group's
// member groups) to show its grants. A spec that conflicts with itself on
// live repositories is an error, its conflicts printed.
func readLive(ctx context.Context, ios *iostreams.IOStreams, s *session, d *state.Desired, r *resolved) (ls *liveState, err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = stoppedError(ctx, "while reading the live state; nothing was changed")
		}
	}()
	defer startReadMeter(ios, s)()
	full := r.Scope == nil
	// The groups that hold a listed group or repository are needed where
	// they are, so never unlisted.
	holds := ancestors(maps.Keys(d.Groups), maps.Keys(d.Repositories))
	req := remote.WalkRequest{
		Lists: func(p string) (remote.RepoRead, bool) {
			m, ok := spec.Manages(d, p)
			if b, also := r.alsoManaged(p); also {
				ok, m = true, spec.Managed{Members: m.Members || b.Members, MemberGroups: m.MemberGroups || b.MemberGroups, PushRules: m.PushRules || b.PushRules}
			}
			rr := remote.RepoRead{Path: p, Members: m.Members, MemberGroups: m.MemberGroups, PushRules: m.PushRules,
				All: full && d.UnlistedRepository(p, ok)}
			return rr, (ok || rr.All) && r.Scope.Repo(p)
		},
		Groups: func(p string) bool { _, listed := d.Groups[p]; return listed && r.Scope.Group(p) },
		ShowGroups: func(p string) bool {
			_, listed := d.Groups[p]
			return full && !listed && !holds[p] && d.ManagesGroup(p) && !d.GroupOutOfScope(p)
		},
		Reach:    r.Scope.Reaches, // a nil scope reaches everything
		GitAuths: d.GitAuths != nil && r.Scope.Auths(),
	}
	for p := range d.Groups {
		req.MemberGroups = req.MemberGroups || r.Scope.Group(p)
	}
	req.Lookups = lookups(r.Scope, d, r.base)
	live, err := s.remote.Walk(ctx, req)
	if err != nil {
		return nil, err
	}
	if r.Prune && r.AllowDeleteGroups && d.Groups != nil {
		// The plan may delete unlisted empty groups: those that look empty
		// are listed again with archived repositories.
		if err := s.remote.FindArchived(ctx, live, emptyLooking(d, live, r.Scope)); err != nil {
			return nil, err
		}
	}
	paths := slices.DeleteFunc(slices.Collect(maps.Keys(live.Repositories)), func(p string) bool { return live.Repositories[p].Archived })
	ls = &liveState{live: live}
	if ls.eff, err = expand(ios, d, paths, "live repositories"); err != nil {
		return nil, err
	}
	if r.base != nil {
		// The base's own conflicts on these repositories were its review's
		// problem: the first source wins, as in Expand.
		ls.baseEff, _ = spec.Expand(r.base, paths)
	}
	return ls, nil
}

// lookups are the lists whose lookups the walk asks for as it starts: those
// of the specs' policies, wherever they reach (a scoped plan may ask for one
// it then does not need), and of the entries they list in scope; never
// spec.Manages of each, which matches every policy before the walk starts.
func lookups(scope *plan.Scope, specs ...*state.Desired) remote.RepoRead {
	var need remote.RepoRead
	add := func(members, rules bool) {
		need.Members, need.PushRules = need.Members || members, need.PushRules || rules
	}
	for _, d := range specs {
		if d == nil {
			continue
		}
		for _, pol := range d.Policies {
			add(pol.Members != nil, pol.PushRules != nil)
		}
		for p, repo := range d.Repositories {
			if need.Members && need.PushRules {
				return need
			}
			if scope.Repo(p) {
				add(repo.Members != nil, repo.PushRules != nil)
			}
		}
	}
	return need
}

// ancestors are the groups above any of paths.
func ancestors(paths ...iter.Seq[string]) map[string]bool {
	out := map[string]bool{}
	for _, seq := range paths {
		for p := range seq {
			for g := state.ParentPath(p); g != "" && !out[g]; g = state.ParentPath(g) {
				out[g] = true
			}
		}
	}
	return out
}

// expand expands d's policies against the repositories paths. Conflicts
// (a member with two roles, a push path with two rule bodies) make any
// answer ambiguous: they are printed and an error. against says what the
// spec was expanded against ("live repositories"), "" for its own.
func expand(ios *iostreams.IOStreams, d *state.Desired, paths []string, against string) (map[string]*state.EffectiveRepository, error) {
	eff, conflicts := spec.Expand(d, paths)
	if len(conflicts) == 0 {
		return eff, nil
	}
	for _, c := range conflicts {
		fmt.Fprintln(ios.ErrOut, c.String())
	}
	what := "the spec conflicts with itself"
	if against != "" {
		what += " on " + against
	}
	return nil, &problemsError{err: fmt.Errorf("%s (%s)", what, state.Count(len(conflicts), "conflict")), problems: diagProblems(conflicts)}
}

// emptyLooking lists the live groups within scope that the spec does not
// list and that hold no repository the tree walk saw: the ones a pruning
// plan would delete.
func emptyLooking(d *state.Desired, live *state.Live, scope *plan.Scope) []string {
	occupied := ancestors(maps.Keys(live.Repositories))
	var out []string
	for p := range live.Groups {
		if _, listed := d.Groups[p]; !listed && !occupied[p] && scope.Subtree(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// planResult is a computed plan with the live state it came from and the
// identity reposync runs as (nil when the credentials cannot tell).
type planResult struct {
	plan   *plan.Plan
	caller *state.LiveUser
	*liveState
}

// makePlan reads the live state the spec needs, diffs it, records where
// the spec came from (recordOrigin) and evaluates the guardrails, so the
// plan says what apply would refuse. Problems (names that cannot be
// resolved, impossible requests) are printed and make it fail.
func (run *planRun) makePlan(ctx context.Context) (*planResult, error) {
	ios, s, d, r := run.IO, run.s, run.d, &run.r
	// Who runs reposync matters only to a plan with changes, but is asked
	// while the live state is read, in its own idle budget, so that such a
	// plan does not wait one more round trip for it.
	who := make(chan func(*state.Live) (*state.LiveUser, error), 1)
	go func() {
		id, err := s.api.CallerIdentity(ctx)
		who <- func(live *state.Live) (*state.LiveUser, error) { return callerIdentity(id, err, live) }
	}()
	ls, err := readLive(ctx, ios, s, d, r)
	if err != nil {
		return nil, err
	}
	if r.base != nil {
		r.Withdrawn = plan.Withdrawals(r.base, d, ls.baseEff, ls.eff, r.baseRev, r.Today)
	}
	if r.Scope == nil {
		// A scoped plan walks part of the tree: a policy can miss there.
		for _, name := range policyMisses(d, ls.eff) {
			fmt.Fprintf(ios.ErrOut, "warning: policy %s selects no live repository\n", name)
		}
	} else if r.Scope.ChangedSince == "" {
		// A mistyped --target plans nothing and looks like no drift.
		for _, t := range targetMisses(r.Scope.Repositories, d, ls.live) {
			fmt.Fprintf(ios.ErrOut, "warning: --target %s matches no repository or group, live or in the spec\n", t)
		}
	}
	p, problems := plan.Diff(d, ls.eff, ls.live, r.Options)
	if len(problems) > 0 {
		located := make([]render.Problem, len(problems))
		for i, pr := range problems {
			fmt.Fprintln(ios.ErrOut, "error: "+pr.String())
			located[i] = render.Problem{File: pr.Source.File, Line: pr.Source.Line, Column: pr.Source.Column, Message: pr.Message}
		}
		return nil, &problemsError{err: fmt.Errorf("cannot plan: %s", state.Count(len(problems), "problem")), problems: located}
	}
	res := &planResult{plan: p, liveState: ls}
	if p.Summary.Total() > 0 {
		if res.caller, err = (<-who)(ls.live); err != nil {
			return nil, err
		}
	}
	recordOrigin(p, run.origin)
	p.Refusals = plan.Check(p, ls.live, run.guardrails(res.caller))
	return res, nil
}

// planRun is what plan and apply share: the spec, the flags resolved
// against it, the connection and the plan made from them.
type planRun struct {
	*Factory
	origin *specOrigin
	d      *state.Desired
	r      resolved
	s      *session
	res    *planResult
}

// prepare loads the spec below the origin's paths, resolves the change
// flags, narrows the plan to --changed-since or --target when scoped, lets
// before adjust the flags or refuse (on the spec), connects and makes the plan.
func (run *planRun) prepare(ctx context.Context, conn ConnOptions, changes ChangeOptions, before func(*state.Desired, *resolved) error, scoped bool) error {
	// --changed-since loads the spec at its base too: mostly the same
	// files, which that load need not parse again.
	var cache *spec.Cache
	if scoped && changes.ChangedSince != "" {
		cache = spec.NewCache()
	}
	d, err := loadSpec(run.IO, run.origin.paths, cache)
	if err != nil {
		return err
	}
	r, err := changes.resolve(d)
	if err != nil {
		return err
	}
	r.Today = state.DateOf(run.Now())
	if scoped && changes.ChangedSince != "" {
		if err := changedScope(ctx, run.IO, run.origin, d, changes.ChangedSince, cache, &r); err != nil {
			return err
		}
	}
	if before != nil {
		if err := before(d, &r); err != nil {
			return err
		}
	}
	s, err := connect(ctx, run.Factory, conn, connectOptions{spec: d, iamProject: d.GitAuths != nil})
	if err != nil {
		return err
	}
	run.d, run.r, run.s = d, r, s
	run.res, err = run.makePlan(ctx)
	return err
}

// stale prints how a plan differs from a fresh one of the same spec (the
// project, each live object it recorded, its changes) and returns the
// number of differences: 0 means it still holds.
func (run *planRun) stale(old, fresh *plan.Plan) int {
	var diffs []string
	if project := run.s.conn.Project; old.Project != project {
		diffs = append(diffs, fmt.Sprintf("the plan is for project %s, not %s", old.Project, project))
	}
	for _, k := range slices.Sorted(maps.Keys(old.Live)) {
		now, ok := fresh.Live[k]
		switch {
		case !ok:
			diffs = append(diffs, k+" is gone")
		case now != old.Live[k]:
			diffs = append(diffs, k+" changed")
		}
	}
	diffs = append(diffs, plan.ChangesDiffer(old, fresh)...)
	for _, line := range diffs {
		fmt.Fprintln(run.IO.ErrOut, "  "+line)
	}
	return len(diffs)
}

// guardrails are the limits a plan is checked against, from the resolved
// settings and flags.
func (run *planRun) guardrails(caller *state.LiveUser) plan.Guardrails {
	r := &run.r
	return plan.Guardrails{MaxDeletes: r.maxDeletes, MinAdmins: r.minAdmins, Prune: r.Prune, AllowDeleteGroups: r.AllowDeleteGroups,
		Caller: caller, HasSecret: func(name string) bool { return run.Getenv(name) != "" }}
}

// callerIdentity is the live user reposync runs as, from the answer of
// api.CallerIdentity: the login's user (IAM password), the token's user
// (IAM token validation) or the access key's owner (IAM credential query).
// Only temporary AK/SK cannot say who they are; then it is nil and the
// guard for the caller's own admin role is inactive, which apply says.
func callerIdentity(id api.Identity, err error, live *state.Live) (*state.LiveUser, error) {
	if errors.Is(err, api.ErrIdentityUnknown) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find out who reposync runs as (for the guard of its own admin role): %w", err)
	}
	for _, u := range live.Users {
		if u.IAMID == id.UserID {
			return &u, nil
		}
	}
	// Not a member of the project: it cannot lose an admin role here.
	return &state.LiveUser{IAMID: id.UserID, Name: id.UserName}, nil
}

// policyMisses lists policies that select no live repository.
func policyMisses(d *state.Desired, eff map[string]*state.EffectiveRepository) []string {
	hit := map[string]bool{}
	for _, e := range eff {
		for _, p := range e.Policies {
			hit[p] = true
		}
	}
	return slices.DeleteFunc(slices.Sorted(maps.Keys(d.Policies)), func(name string) bool { return hit[name] })
}

// targetMisses lists the --target patterns that match no repository or
// group, neither live (what the scoped walk saw) nor listed in the spec.
func targetMisses(targets []string, d *state.Desired, live *state.Live) []string {
	var out []string
targets:
	for _, t := range targets {
		p, err := state.ParsePattern(t)
		if err != nil {
			continue // resolve has reported it
		}
		for _, paths := range []iter.Seq[string]{maps.Keys(live.Repositories), maps.Keys(live.Groups), maps.Keys(d.Repositories), maps.Keys(d.Groups)} {
			for path := range paths {
				if p.Match(path) {
					continue targets
				}
			}
		}
		out = append(out, t)
	}
	return out
}

// recordOrigin writes into p.Context where the spec came from (its paths
// from the Git work tree's top, or as given outside Git; the commit; whether
// it had uncommitted changes) and makes every change's source relative to
// that top: a saved plan applies from anywhere in the checkout, and a
// reviewer's link points at the right line.
func recordOrigin(p *plan.Plan, origin *specOrigin) {
	defer func() { p.ChangesDigest = plan.ChangesDigest(p) }()
	t := origin.tree
	if t == nil || origin.rels == nil {
		// Outside Git, or a spec path outside the work tree: everything
		// stays relative to the working directory.
		p.Context.SpecPaths = slices.Clone(origin.paths)
		return
	}
	p.Context.SpecPaths, p.Context.Root, p.Context.Commit = origin.rels, "git", t.commit
	p.Context.Dirty = origin.dirty
	for i := range p.Changes {
		if p.Changes[i].Withdrawn != nil {
			continue // a line of the base revision, named from the top already
		}
		p.Changes[i].Source = t.relSource(p.Changes[i].Source)
		p.Changes[i].Scope = origin.relFile(p.Changes[i].Scope)
		for j := range p.Changes[i].Expired {
			p.Changes[i].Expired[j].Source = t.relSource(p.Changes[i].Expired[j].Source)
		}
	}
	for i := range p.Expiring {
		p.Expiring[i].Source = t.relSource(p.Expiring[i].Source)
	}
}

// sourceLinker links a source (relative to the repository root) to its line
// at the spec's commit, or at rev for a line the change removed, when the CI
// (GitHub Actions, GitLab CI) says where the repository is hosted; none for
// uncommitted files, whose lines at the commit are not the lines planned.
func sourceLinker(getenv func(string) string, origin *specOrigin) func(src, rev string) string {
	if origin.rels == nil || origin.tree.commit == "" || origin.dirty {
		return nil
	}
	var base string
	switch {
	case getenv("GITHUB_ACTIONS") == "true" && getenv("GITHUB_SERVER_URL") != "" && getenv("GITHUB_REPOSITORY") != "":
		base = strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/") + "/" + getenv("GITHUB_REPOSITORY") + "/blob/"
	case getenv("GITLAB_CI") == "true" && getenv("CI_PROJECT_URL") != "":
		base = strings.TrimRight(getenv("CI_PROJECT_URL"), "/") + "/-/blob/"
	default:
		return nil
	}
	return func(src, rev string) string {
		i := strings.LastIndexByte(src, ':')
		if i <= 0 || strings.HasPrefix(src, "/") || strings.HasPrefix(src, "..") {
			return ""
		}
		segs := strings.Split(src[:i], "/")
		for j, s := range segs {
			segs[j] = url.PathEscape(s)
		}
		return base + url.PathEscape(cmp.Or(rev, origin.tree.commit)) + "/" + strings.Join(segs, "/") + "#L" + src[i+1:]
	}
}

// fullPlanRef is where the comment's reader finds the whole plan, as inert
// Markdown: the saved plan's file (--out) and, in CI, the run that keeps
// it as an artifact (GitHub Actions: the run page; GitLab CI: the job's
// page); "" when the plan was not saved.
func fullPlanRef(getenv func(string) string, out string) string {
	if out == "" {
		return ""
	}
	s := "the saved plan " + render.InertCode(filepath.Base(out))
	switch {
	case getenv("GITHUB_ACTIONS") == "true" && getenv("GITHUB_SERVER_URL") != "" && getenv("GITHUB_REPOSITORY") != "" && getenv("GITHUB_RUN_ID") != "":
		s += ", an artifact of " + render.InertLink("this workflow run", strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/")+"/"+getenv("GITHUB_REPOSITORY")+"/actions/runs/"+url.PathEscape(getenv("GITHUB_RUN_ID")))
	case getenv("GITLAB_CI") == "true" && getenv("CI_JOB_URL") != "":
		s += ", an artifact of " + render.InertLink("this job", getenv("CI_JOB_URL"))
	}
	return s
}

// scopeOwners are the owners of every scope of d and of the base spec, by
// the scope's file relative to the top of the work tree (as a plan names
// it): the renderers name them next to a scoped change.
func scopeOwners(origin *specOrigin, d, base *state.Desired) map[string][]string {
	out := map[string][]string{}
	for f, sc := range d.Scopes {
		out[origin.relFile(f)] = sc.Owners
	}
	if base != nil {
		for f, sc := range base.Scopes { // named from the top already
			if _, ok := out[f]; !ok {
				out[f] = sc.Owners
			}
		}
	}
	return out
}
