package cli

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/access"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/state"
)

// AccessOptions are the inputs of `reposync access`.
type AccessOptions struct {
	*Factory

	Conn    ConnOptions
	Paths   []string
	User    string
	Repo    string
	Format  string
	Offline bool
}

// NewCmdAccess answers "who has access to what".
func NewCmdAccess(f *Factory) *cobra.Command {
	o := &AccessOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "access [PATH...]",
		Short: "Show who has access to what: by user, by repository or for the whole project",
		Long: `List the effective access to the project's repositories as CodeArts has it:
direct members, members inherited from member groups attached to a parent
group, members through member groups attached to the repository, memberships
CodeArts manages itself (the creator, synced project members), and file push
rules' grants to users, member groups and project roles. Each entry says
where it comes from; given a spec (PATH...), entries the spec grants too
also say where the spec does: file:line, the policy, the end date and the
reason.

--user NAME asks about one user, --repo PATH about one repository (both: one
user on one repository); neither asks about the whole project. Only what the
question needs is read: --repo lists the groups on its path and that
repository's lists; --user lists every repository's members and the push
rules only where the user is a member.

No API lists a member group's members: every member group attached to the
repository or a group above it, and every one a push rule grants, is an entry
of its own saying so ("members_known": false in JSON), besides the users
seen through it.

--offline answers from the spec below PATH (default: the current directory)
alone, without credentials: what the spec grants today (expired grants left
out; member groups' members are not known offline).

Exit status: 0 success (also when a user of the project has no access); 1
error, and a user or repository that does not exist (the spec's, offline),
with the nearest name; 4 authentication or permission failure; 130
interrupted.`,
		Example: `  reposync access --user alice
  reposync access --repo payments/api/gateway --format markdown
  reposync access --format csv specs/ > access.csv
  reposync access --offline --user alice specs/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return runAccess(cmd.Context(), o)
		},
	}
	addConnFlags(cmd, &o.Conn, defaultReadTimeout)
	fl := cmd.Flags()
	fl.StringVar(&o.User, "user", "", "only the access of the user `NAME`")
	fl.StringVar(&o.Repo, "repo", "", "only the access to the repository `PATH` (its full path)")
	fl.StringVar(&o.Format, "format", "text", "output format: text, markdown, json or csv")
	fl.BoolVar(&o.Offline, "offline", false, "answer from the spec alone, without contacting the cloud")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions(access.Formats...))
	return cmd
}

func runAccess(ctx context.Context, o *AccessOptions) error {
	ctx, cancel := o.Conn.withTimeout(ctx)
	defer cancel()
	if !slices.Contains(access.Formats, o.Format) {
		return fmt.Errorf("unknown --format %q: choose %s", o.Format, strings.Join(access.Formats, ", "))
	}
	o.Repo = strings.Trim(o.Repo, "/")
	q := access.Query{User: o.User, Repository: o.Repo}
	day := state.DateOf(o.Now())

	// The spec: needed offline; otherwise used, when given, to say where
	// the spec grants the same. (Not looked for in the current directory:
	// a live answer must not fail on unrelated YAML files there.)
	var d *state.Desired
	if o.Offline || len(o.Paths) > 0 {
		var err error
		if d, err = loadSpec(o.IO, o.Paths, nil); err != nil {
			return err
		}
	}
	res := &access.Result{FormatVersion: access.FormatVersion, Query: q, Today: day}
	if o.Offline {
		var paths []string
		if o.Repo != "" {
			paths = []string{o.Repo}
		}
		eff, err := expand(o.IO, d, paths, "")
		if err != nil {
			return err
		}
		res.From, res.Project, res.Entries = "spec", d.Project, access.FromSpec(d, eff, q, day)
		if err := unknownInSpec(d, eff, q, res.Entries); err != nil {
			return err
		}
		return writeAccess(o, res)
	}

	s, err := connect(ctx, o.Factory, o.Conn, connectOptions{spec: d,
		projectHint: "set --project or REPOSYNC_PROJECT, or give a spec with `project:`"})
	if err != nil {
		return err
	}
	stopMeter := startReadMeter(o.IO, s)
	live, repos, err := readAccess(ctx, s.remote, q)
	stopMeter()
	if err != nil {
		if ctx.Err() != nil {
			return stoppedError(ctx, "while reading the live state")
		}
		return err
	}
	var eff map[string]*state.EffectiveRepository
	if d != nil {
		if eff, err = expand(o.IO, d, repos, "live repositories"); err != nil {
			return err
		}
	}
	for _, w := range live.Warnings {
		fmt.Fprintln(o.IO.ErrOut, "warning: "+w)
	}
	res.From, res.Project, res.Entries = "live", live.Project, access.FromLive(live, d, eff, repos, q, day)
	if q.User != "" && len(res.Entries) == 0 {
		// Nobody by that name, or a user without access? A typo must not
		// read as a clean result.
		users, err := s.remote.UserNames(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(users, q.User) {
			return fmt.Errorf("project %s has no user %s%s", live.Project, q.User, state.DidYouMean(q.User, users))
		}
	}
	return writeAccess(o, res)
}

// unknownInSpec fails, offline, for a user the spec names nowhere and a
// repository it neither lists nor reaches with a policy: the spec is all
// there is to ask, so these are mistakes, not answers.
func unknownInSpec(d *state.Desired, eff map[string]*state.EffectiveRepository, q access.Query, entries []access.Entry) error {
	if q.Repository != "" && eff[q.Repository] == nil {
		return fmt.Errorf("the spec neither lists repository %s nor selects it with a policy%s", q.Repository, state.DidYouMean(q.Repository, slices.Sorted(maps.Keys(d.Repositories))))
	}
	if q.User == "" || len(entries) > 0 {
		return nil
	}
	names := maps.Clone(d.Users)
	grants := func(members map[string]state.Member, rules map[string]state.PushRule) {
		for n := range members {
			names[n] = state.UserPin{}
		}
		for _, r := range rules {
			for _, u := range r.Users {
				names[u.Name] = state.UserPin{}
			}
		}
	}
	for _, r := range d.Repositories {
		grants(r.Members, r.PushRules)
	}
	for _, pol := range d.Policies {
		grants(pol.Members, pol.PushRules)
	}
	if _, ok := names[q.User]; ok {
		return nil
	}
	return fmt.Errorf("the spec names no user %s%s", q.User, state.DidYouMean(q.User, slices.Sorted(maps.Keys(names))))
}

// readAccess reads what the question needs: for one repository the groups
// on its path and its lists; otherwise the tree and, for one user, every
// repository's members (remote.ReadAccess).
func readAccess(ctx context.Context, rc *remote.Client, q access.Query) (*state.Live, []string, error) {
	if q.Repository != "" {
		live, err := rc.WalkTo(ctx, q.Repository)
		if err != nil {
			return nil, nil, err
		}
		repos := []string{q.Repository}
		return live, repos, rc.ReadAccess(ctx, live, remote.AccessRequest{Repositories: repos, User: q.User, Groups: q.User == ""})
	}
	live, err := rc.Walk(ctx, remote.WalkRequest{})
	if err != nil {
		return nil, nil, err
	}
	repos := slices.DeleteFunc(slices.Sorted(maps.Keys(live.Repositories)), func(p string) bool { return live.Repositories[p].Archived })
	return live, repos, rc.ReadAccess(ctx, live, remote.AccessRequest{Repositories: repos, User: q.User, Groups: q.User == ""})
}

func writeAccess(o *AccessOptions, res *access.Result) error {
	if len(res.Entries) == 0 && o.Format != "text" {
		fmt.Fprintf(o.IO.ErrOut, "note: no access found for %s\n", cmp.Or(o.User, "anyone"))
	}
	return access.Render(o.IO.Out, res, o.Format)
}
