package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// loadSpec loads and validates the spec, printing every diagnostic; it
// returns a silent exit error when the spec is invalid.
func loadSpec(f *Factory, paths []string) (*state.Desired, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	d, diags := spec.Load(paths...)
	for _, dg := range diags {
		fmt.Fprintln(f.IO.ErrOut, dg.String())
	}
	if d == nil {
		errs, _ := diags.Count()
		fmt.Fprintf(f.IO.ErrOut, "%s: invalid: %s\n", strings.Join(paths, " "), count(errs, "error"))
		return nil, withExit(ExitError, nil)
	}
	return d, nil
}

// session is a connection to one CodeArts project.
type session struct {
	api    *api.Client
	remote *remote.Client
	conn   ConnOptions
}

// connect builds the API client from flags and environment and checks that
// the credentials and identifiers are usable, before any request is made.
func connect(ctx context.Context, f *Factory, conn ConnOptions, d *state.Desired, needIAMProject bool) (*session, error) {
	if err := conn.resolve(f.Getenv, d.Project); err != nil {
		return nil, err
	}
	creds, err := credentialsFromEnv(f.Getenv)
	if err != nil {
		return nil, withExit(ExitAuth, err)
	}
	opts := []api.Option{
		api.WithCredentials(api.Credentials{
			AccessKey: creds.AccessKey, SecretKey: creds.SecretKey, SecurityToken: creds.SecurityToken,
			ProjectID: creds.IAMProjectID, Token: creds.Token,
			IAMUser: creds.UserName, IAMPassword: creds.Password, IAMDomain: creds.Domain,
		}),
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
	iamProject := creds.IAMProjectID
	if needIAMProject || (creds.Kind == "aksk" && iamProject == "") {
		if iamProject, err = client.IAMProjectID(ctx); err != nil {
			return nil, apiExit(err)
		}
	}
	return &session{api: client, remote: remote.New(client, conn.Project, iamProject, conn.Concurrency), conn: conn}, nil
}

// apiExit maps an API failure to its exit code: 4 for authentication and
// permission failures, 1 otherwise.
func apiExit(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	if api.IsAuth(err) {
		return withExit(ExitAuth, err)
	}
	return withExit(ExitError, err)
}

// planResult is a computed plan with the live state it came from.
type planResult struct {
	plan *plan.Plan
	live *state.Live
	eff  map[string]*state.EffectiveRepository
}

// planOptions are the inputs of a plan beyond the spec.
type planOptions struct {
	prune, allowDeleteGroups, rotateSecrets bool
}

// ChangeOptions are the flags plan and apply share about what may change.
type ChangeOptions struct {
	Prune             bool
	AllowDeleteGroups bool
	RotateSecrets     bool
}

func addChangeFlags(cmd *cobra.Command, o *ChangeOptions) {
	fl := cmd.Flags()
	fl.BoolVar(&o.Prune, "prune", false, "delete live entries the spec does not list (default: the spec's settings.prune)")
	fl.BoolVar(&o.AllowDeleteGroups, "allow-delete-groups", false, "with --prune, also delete empty groups the spec does not list")
	fl.BoolVar(&o.RotateSecrets, "rotate-secrets", false, "re-create every listed Git authorization with the current password")
}

// resolve applies the spec's settings.prune unless --prune was given.
func (o ChangeOptions) resolve(cmd *cobra.Command, d *state.Desired) (planOptions, error) {
	prune := o.Prune
	if !cmd.Flags().Changed("prune") && d.Settings.Prune != nil {
		prune = *d.Settings.Prune
	}
	if o.AllowDeleteGroups && !prune {
		return planOptions{}, fmt.Errorf("--allow-delete-groups needs --prune")
	}
	return planOptions{prune: prune, allowDeleteGroups: o.AllowDeleteGroups, rotateSecrets: o.RotateSecrets}, nil
}

// makePlan reads the live state the spec needs and diffs it. Problems (names
// that cannot be resolved, impossible requests) are printed and make it fail.
func makePlan(ctx context.Context, f *Factory, s *session, d *state.Desired, po planOptions) (*planResult, error) {
	live, err := s.remote.Walk(ctx)
	if err != nil {
		return nil, apiExit(err)
	}
	paths := make([]string, 0, len(live.Repositories))
	for p := range live.Repositories {
		paths = append(paths, p)
	}
	eff, conflicts := spec.Expand(d, paths)
	if len(conflicts) > 0 {
		for _, c := range conflicts {
			fmt.Fprintln(f.IO.ErrOut, c.String())
		}
		return nil, withExit(ExitError, fmt.Errorf("the spec conflicts with itself on live repositories (%s)", count(len(conflicts), "conflict")))
	}
	req := remote.ReadRequest{GitAuths: d.GitAuths != nil}
	for p := range eff {
		if live.Repositories[p] != nil {
			req.Repositories = append(req.Repositories, p)
		}
	}
	for p := range d.Groups {
		req.Groups = append(req.Groups, p)
	}
	if err := s.remote.Read(ctx, live, req); err != nil {
		return nil, apiExit(err)
	}
	for _, name := range sortedPolicyMisses(d, eff) {
		fmt.Fprintf(f.IO.ErrOut, "warning: policy %s selects no live repository\n", name)
	}
	p, problems := plan.Diff(d, eff, live, plan.Options{
		Prune: po.prune, AllowDeleteGroups: po.allowDeleteGroups, RotateSecrets: po.rotateSecrets, ToolVersion: Version,
	})
	if len(problems) > 0 {
		for _, pr := range problems {
			fmt.Fprintln(f.IO.ErrOut, "error: "+pr.String())
		}
		return nil, withExit(ExitError, fmt.Errorf("cannot plan: %s", count(len(problems), "problem")))
	}
	return &planResult{plan: p, live: live, eff: eff}, nil
}

// sortedPolicyMisses lists policies that select no live repository.
func sortedPolicyMisses(d *state.Desired, eff map[string]*state.EffectiveRepository) []string {
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

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
