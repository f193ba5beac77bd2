package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// The pipeline every command that reads the cloud shares: load the spec,
// connect, read the live state the spec needs (readLive), diff it
// (makePlan). Commands differ only in what they do with the result.

// loadSpec loads and validates the spec, printing every diagnostic; when
// the spec is invalid it returns a silent exit error (the diagnostics said
// it all).
func loadSpec(ios *iostreams.IOStreams, paths []string) (*state.Desired, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	d, diags := spec.Load(paths...)
	for _, dg := range diags {
		fmt.Fprintln(ios.ErrOut, dg.String())
	}
	if d == nil {
		errs, _ := diags.Count()
		fmt.Fprintf(ios.ErrOut, "%s: invalid: %s\n", strings.Join(paths, " "), count(errs, "error"))
		return nil, silentExit(ExitError)
	}
	return d, nil
}

// session is a connection to one CodeArts project.
type session struct {
	api    *api.Client
	remote *remote.Client
	conn   ConnOptions
	kind   credentialKind
}

// connectOptions are what connect needs besides the flags.
type connectOptions struct {
	getenv func(string) string
	// specProject is the spec's project ("" without a spec) and
	// projectHint says where else it can come from.
	specProject, projectHint string
	// iamProject: the IAM project id is needed (ServiceStage calls).
	iamProject bool
}

// connect builds the API client from flags and environment and checks that
// the credentials and identifiers are usable, before any request is made.
func connect(ctx context.Context, conn ConnOptions, o connectOptions) (*session, error) {
	if o.projectHint == "" {
		o.projectHint = "set `project:` in the spec, --project or REPOSYNC_PROJECT"
	}
	if err := conn.resolve(o.getenv, o.specProject, o.projectHint); err != nil {
		return nil, err
	}
	creds, kind, err := credentialsFromEnv(o.getenv)
	if err != nil {
		return nil, err
	}
	opts := []api.Option{
		api.WithCredentials(creds),
		api.WithRateLimit(conn.RateLimit),
		api.WithUserAgent("reposync/" + Version),
	}
	if conn.Endpoint != "" {
		opts = append(opts, api.WithEndpoint(conn.Endpoint))
	}
	if conn.Region != "" {
		opts = append(opts, api.WithRegion(conn.Region))
	}
	if conn.Insecure {
		opts = append(opts, api.WithInsecureSkipVerify())
	}
	client, err := api.New(opts...)
	if err != nil {
		return nil, err
	}
	iamProject := creds.ProjectID
	if o.iamProject || (kind == "aksk" && iamProject == "") {
		if iamProject, err = client.IAMProjectID(ctx); err != nil {
			return nil, err
		}
	}
	return &session{api: client, remote: remote.New(client, conn.Project, iamProject, conn.Concurrency), conn: conn, kind: kind}, nil
}

// liveState is what readLive read: the live state and, with a spec, the
// desired access of every managed repository after policies were expanded
// against the live repositories.
type liveState struct {
	live *state.Live
	eff  map[string]*state.EffectiveRepository
}

// readLive walks the project tree and reads what d manages: the managed
// repositories' lists, the listed groups' member groups, the Git
// authorizations when d lists any. With all, it reads everything instead
// (export). A spec that conflicts with itself on live repositories is an
// error, its conflicts printed.
func readLive(ctx context.Context, ios *iostreams.IOStreams, s *session, d *state.Desired, all bool) (ls *liveState, err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = interruptedError{"interrupted while reading the live state; nothing was changed"}
		}
	}()
	live, err := s.remote.Walk(ctx)
	if err != nil {
		return nil, err
	}
	req := remote.ReadRequest{GitAuths: all || d.GitAuths != nil}
	var eff map[string]*state.EffectiveRepository
	if all {
		for p := range live.Repositories {
			req.Repositories = append(req.Repositories, p)
		}
		for p := range live.Groups {
			req.Groups = append(req.Groups, p)
		}
	} else {
		paths := make([]string, 0, len(live.Repositories))
		for p := range live.Repositories {
			paths = append(paths, p)
		}
		var conflicts spec.Diagnostics
		eff, conflicts = spec.Expand(d, paths)
		if len(conflicts) > 0 {
			for _, c := range conflicts {
				fmt.Fprintln(ios.ErrOut, c.String())
			}
			return nil, fmt.Errorf("the spec conflicts with itself on live repositories (%s)", count(len(conflicts), "conflict"))
		}
		for p := range eff {
			if live.Repositories[p] != nil {
				req.Repositories = append(req.Repositories, p)
			}
		}
		for p := range d.Groups {
			req.Groups = append(req.Groups, p)
		}
	}
	if err := s.remote.Read(ctx, live, req); err != nil {
		return nil, err
	}
	return &liveState{live: live, eff: eff}, nil
}

// planResult is a computed plan with the live state it came from.
type planResult struct {
	plan *plan.Plan
	*liveState
}

// makePlan reads the live state the spec needs and diffs it. Problems (names
// that cannot be resolved, impossible requests) are printed and make it fail.
func makePlan(ctx context.Context, ios *iostreams.IOStreams, s *session, d *state.Desired, r resolved) (*planResult, error) {
	ls, err := readLive(ctx, ios, s, d, false)
	if err != nil {
		return nil, err
	}
	for _, name := range policyMisses(d, ls.eff) {
		fmt.Fprintf(ios.ErrOut, "warning: policy %s selects no live repository\n", name)
	}
	p, problems := plan.Diff(d, ls.eff, ls.live, plan.Options{
		Prune: r.prune, AllowDeleteGroups: r.allowDeleteGroups, RotateSecrets: r.rotateSecrets, ToolVersion: Version,
	})
	if len(problems) > 0 {
		for _, pr := range problems {
			fmt.Fprintln(ios.ErrOut, "error: "+pr.String())
		}
		return nil, fmt.Errorf("cannot plan: %s", count(len(problems), "problem"))
	}
	return &planResult{plan: p, liveState: ls}, nil
}

// policyMisses lists policies that select no live repository.
func policyMisses(d *state.Desired, eff map[string]*state.EffectiveRepository) []string {
	hit := map[string]bool{}
	for _, e := range eff {
		for _, p := range e.Policies {
			hit[p] = true
		}
	}
	var out []string
	for name := range d.Policies {
		if !hit[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
