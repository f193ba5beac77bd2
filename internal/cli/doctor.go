package cli

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/doctor"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/state"
)

var _ doctor.Walker = (*remoteWalker)(nil)

// remoteWalker adapts the session's remote client to doctor.Walker.
type remoteWalker struct{ s *session }

func (w *remoteWalker) Walk(ctx context.Context) (*state.Live, error) {
	return w.s.remote.Walk(ctx, remote.WalkRequest{})
}

// DoctorOptions are the inputs of `reposync doctor`.
type DoctorOptions struct {
	*Factory

	Conn       ConnOptions
	Paths      []string
	Format     string
	WriteProbe string
	Yes        bool
}

// defaultDoctorTimeout bounds doctor unless --timeout says otherwise: it
// walks the whole tree (about a minute per 600 groups at the gateway's
// budget) and reads a handful of lists.
const defaultDoctorTimeout = 30 * time.Minute

// NewCmdDoctor checks credentials, permissions, quota and the API's
// behaviour.
func NewCmdDoctor(f *Factory) *cobra.Command {
	o := &DoctorOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "doctor [PATH...]",
		Short: "Check credentials, permissions, quota and the API's behaviour, changing nothing",
		Long: `Check what reposync needs from a real CodeArts project, without changing
anything:

  - the connection and the credentials: which kind, where, the clock against
    the server's (AK/SK signatures are refused 15 minutes off), who they act
    as and whether that user is a project administrator;
  - one read of every list a plan of this spec makes (allowed, denied with the
    API's error code, or not needed), and the writes apply would make, inferred
    from the user's roles (never tried: "likely denied, not tried" is a
    warning, exit 5) unless a denied read or the write probe observed them;
  - the calls doctor made, any throttling, and how long a full plan of the
    project would take at --rate-limit;
  - the API's behaviour against docs/api-assumptions.md, each check with its
    assumption row: as assumed, differs (handled), or differs (not supported:
    please report, with --format json attached).

With PATH, doctor checks what that spec needs; without, everything a spec could
need (the project then comes from --project or REPOSYNC_PROJECT).

--write-probe REPOSITORY also runs a reversible write test in that scratch
repository, after confirmation (a terminal prompt, or --yes): it creates a
push rule on a path no repository has, updates it and reads it back (does
BatchUpdate replace or merge?), deletes it, and attaches an already attached
member group again (which error code?). What it creates it removes, even when
interrupted.

Exit status: 0 everything needed is allowed and the API behaves as assumed or
in ways reposync handles; 1 an observed problem: a denied read or write, a
difference reposync does not support, a failed write probe, or an error; 4 the
credentials were refused; 5 nothing observed fails, but writes apply may need
are likely denied by the caller's roles (inferred, not tried); 130 interrupted.`,
		Example: `  reposync doctor --project 0b234373cf3f4b04ab2d8a245155e12b --region cn-north-4
  reposync doctor specs --format json > doctor.json
  reposync doctor specs --write-probe sandbox/doctor-probe --yes`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return runDoctor(cmd.Context(), o)
		},
	}
	addConnFlags(cmd, &o.Conn, defaultDoctorTimeout)
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "text", "output format: text or json")
	fl.StringVar(&o.WriteProbe, "write-probe", "", "also run a reversible write test in the scratch repository `REPOSITORY` (asks for confirmation)")
	fl.BoolVar(&o.Yes, "yes", false, "run --write-probe without asking (needed when no terminal can confirm)")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions("text", "json"))
	return cmd
}

func runDoctor(ctx context.Context, o *DoctorOptions) error {
	ctx, cancel := o.Conn.withTimeout(ctx)
	defer cancel()
	if o.Format != "text" && o.Format != "json" {
		return fmt.Errorf("unknown --format %q: choose text or json", o.Format)
	}
	var d *state.Desired
	if len(o.Paths) > 0 {
		var err error
		if d, err = loadSpec(o.IO, o.Paths, nil); err != nil {
			return err
		}
	}
	if o.WriteProbe != "" && !o.Yes {
		if !o.IO.CanPrompt() {
			return fmt.Errorf("refusing the write probe without confirmation: no terminal can answer, so pass --yes")
		}
		question := fmt.Sprintf("The write probe creates, changes and deletes a push rule in %s and attaches an already attached member group again.", o.WriteProbe)
		if err := confirm(o.IO, question, "write probe cancelled; nothing was checked or changed"); err != nil {
			return err
		}
	}
	s, err := connect(ctx, o.Factory, o.Conn, connectOptions{spec: d,
		projectHint: "pass --project or set REPOSYNC_PROJECT, or name a spec that sets `project:`"})
	if err != nil {
		return err
	}
	opts := doctor.Options{
		Project: s.conn.Project, Credentials: s.creds.Kind(), Temporary: s.creds.SecurityToken != "",
		Endpoint: s.conn.Endpoint, Region: s.conn.Region, IAMProjectID: s.creds.ProjectID, RateLimit: s.conn.RateLimit,
		WriteProbe: o.WriteProbe, ToolVersion: Version,
	}
	if o.WriteProbe != "" {
		opts.ProbeSuffix = fmt.Sprintf("%08x", rand.Uint32()) // so two probes never share a path
	}
	if d != nil {
		opts.Spec = doctorScope(o.IO, d, o.Paths)
		for _, name := range slices.Sorted(maps.Keys(d.GitAuths)) {
			if env := d.GitAuths[name].PasswordEnv; o.Getenv(env) == "" {
				opts.Spec.UnsetPasswords = append(opts.Spec.UnsetPasswords, name+" ("+env+")")
			}
		}
	}
	rep := doctor.Run(ctx, s.api, &remoteWalker{s}, opts)
	if o.Format == "json" {
		err = doctor.WriteJSON(o.IO.Out, rep)
	} else {
		err = doctor.WriteText(o.IO.Out, rep)
	}
	if err != nil {
		return err
	}
	switch rep.Outcome.Status {
	case doctor.OutcomeInterrupted:
		return stoppedError(ctx, "during the checks; the report above is incomplete")
	case doctor.OutcomeRefused:
		return silentExit(ExitAuth)
	case doctor.OutcomeProblems:
		return silentExit(ExitError)
	case doctor.OutcomeWarnings:
		return silentExit(ExitWarnings)
	}
	return nil
}

// doctorScope tells doctor what the spec manages: the same repositories a
// plan reads (readLive: the policies expanded against the live repositories),
// the groups it lists, whether it has Git authorizations.
func doctorScope(ios *iostreams.IOStreams, d *state.Desired, paths []string) *doctor.Scope {
	sc := &doctor.Scope{Paths: paths, Groups: len(d.Groups), GitAuths: d.GitAuths != nil}
	for _, g := range d.Groups {
		sc.GroupMemberGroups = sc.GroupMemberGroups || g.MemberGroups != nil
	}
	sc.Managed = func(live []string) (doctor.Managed, error) {
		eff, err := expand(ios, d, live, "live repositories")
		if err != nil {
			return doctor.Managed{}, err
		}
		var m doctor.Managed
		for _, p := range live {
			e := eff[p]
			if e == nil {
				continue
			}
			m.Repositories = append(m.Repositories, p)
			m.Members = m.Members || e.Members != nil
			m.MemberGroups = m.MemberGroups || e.MemberGroups != nil
			m.PushRules = m.PushRules || e.PushRules != nil
		}
		return m, nil
	}
	return sc
}
