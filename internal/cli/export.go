package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// ExportOptions are the inputs of `reposync export`.
type ExportOptions struct {
	*Factory

	Conn   ConnOptions
	Out    string
	Split  string
	PinIDs bool
	Force  bool
	// Targets print only the matching repositories and groups.
	Targets []string
}

// NewCmdExport writes the live state as a spec.
func NewCmdExport(f *Factory) *cobra.Command {
	o := &ExportOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write today's live state as a spec that plans to zero changes",
		Long: `Read the whole CodeArts project — groups, repositories with their direct
members, member groups and file push rules, and the Git authorizations — and
write it as spec YAML. Members inherited through groups or member groups are
not written: they are not members of the repository itself. Nor are the
members CodeArts manages itself (the repository's creator, members synced
from the project): a comment over the file's repositories names them, so
the file does not look as if they were lost. Passwords cannot be read back:
each Git authorization gets a password_env to fill in.

Without --out the spec is printed. With --out DIR the files are written there
(with reposync.schema.json for editors); a non-empty DIR needs --force. With
--split group, each top-level group gets its own file, groups/<group>.yaml,
and a scope under scopes: in reposync.yaml that limits it to the group: fill
in who reviews each file (owners; validate refuses the placeholders until
then), then write CODEOWNERS with reposync codeowners.

--target PATTERN (repeatable) prints only the repositories and groups that
match, ready to paste into a spec: what a plan shows as not in the spec.
Only they are read.`,
		Example: `  reposync export --project 0b234373cf3f4b04ab2d8a245155e12b --out specs --split group --pin-ids
  reposync validate specs && reposync plan specs   # plans to zero changes
  reposync export --target payments/sandbox/shadow-prod   # one entry to paste`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runExport(cmd.Context(), o)
		},
	}
	addConnFlags(cmd, &o.Conn, defaultReadTimeout)
	fl := cmd.Flags()
	fl.StringVar(&o.Out, "out", "", "write the spec files into `DIR` instead of printing them")
	fl.StringVar(&o.Split, "split", "single", "single: one file; group: one file per top-level group")
	fl.BoolVar(&o.PinIDs, "pin-ids", false, "pin the ids of every user, member group and role used, so renames are detected")
	fl.BoolVar(&o.Force, "force", false, "write into a non-empty --out directory, replacing files of the same name")
	fl.StringArrayVar(&o.Targets, "target", nil, "print only repositories and groups matching `PATTERN` (the spec's glob syntax), to paste into a spec; repeatable")
	return cmd
}

func runExport(ctx context.Context, o *ExportOptions) error {
	ctx, cancel := o.Conn.withTimeout(ctx)
	defer cancel()
	if o.Split != "single" && o.Split != "group" {
		return fmt.Errorf("unknown --split %q: choose single or group", o.Split)
	}
	if o.Split == "group" && o.Out == "" {
		return fmt.Errorf("--split group writes several files: pass --out DIR")
	}
	var scope *plan.Scope
	if len(o.Targets) > 0 {
		if o.Out != "" || o.Split != "single" || o.PinIDs {
			return fmt.Errorf("--target prints entries to paste into a spec; it cannot be combined with --out, --split or --pin-ids")
		}
		scope = &plan.Scope{Repositories: o.Targets, Groups: o.Targets}
		if err := scope.Compile(); err != nil {
			return fmt.Errorf("--%w", err)
		}
	}
	if o.Out != "" && !o.Force {
		if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty: pass --force to write into it", o.Out)
		}
	}
	s, err := connect(ctx, o.Factory, o.Conn, connectOptions{iamProject: true,
		projectHint: "pass --project or set REPOSYNC_PROJECT (export writes the spec; it has no spec to read it from)"})
	if err != nil {
		return err
	}
	live, err := exportWalk(ctx, o.IO, s, scope)
	if err != nil {
		return err
	}
	if scope != nil {
		if err := onlyTargets(live, scope, o.Targets); err != nil {
			return err
		}
	}
	origin := "project " + s.conn.Project
	if s.conn.Region != "" {
		origin += " in " + s.conn.Region
	}
	eo := spec.ExportOptions{SplitByGroup: o.Split == "group", PinIDs: o.PinIDs, Entries: scope != nil, Origin: origin, Now: o.Now(), ToolVersion: Version}
	if o.Out != "" {
		eo.SchemaFile = schemaFileName // written next to the spec by writeExport
	}
	files, err := spec.Export(live, eo)
	if err != nil {
		return err
	}
	if o.Out == "" {
		_, err := o.IO.Out.Write(files[0].Data)
		return err
	}
	if err := writeExport(o.Out, files); err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Exported %s, %s and %s into %s (%s).\n",
		state.Count(len(live.Groups), "group"), state.Count(len(live.Repositories), "repository"), state.Count(len(live.GitAuths), "Git authorization"), o.Out, state.Count(len(files), "file"))
	return nil
}

// exportWalk reads every list of every repository within scope, the groups
// and the Git authorizations; with --target, entries to paste: names, no
// ids to pin.
func exportWalk(ctx context.Context, ios *iostreams.IOStreams, s *session, scope *plan.Scope) (*state.Live, error) {
	req := remote.WalkRequest{Lists: func(p string) (remote.RepoRead, bool) { return remote.AllLists(p), true },
		Groups: scope.Group, GitAuths: scope.Auths()}
	if scope != nil {
		req = remote.WalkRequest{Lists: func(p string) (remote.RepoRead, bool) { return remote.RepoRead{Path: p, All: true}, scope.Repo(p) },
			ShowGroups: scope.Group, Reach: scope.Reaches, GitAuths: scope.Auths()}
	}
	defer startReadMeter(ios, s)()
	live, err := s.remote.Walk(ctx, req)
	if err != nil && ctx.Err() != nil {
		return nil, stoppedError(ctx, "while reading the live state; nothing was changed")
	}
	return live, err
}

// onlyTargets keeps in live the groups and repositories --target matches
// (the walk also saw the groups on their way); a target that matches
// nothing is an error, with a near miss among the paths the walk saw.
func onlyTargets(live *state.Live, scope *plan.Scope, targets []string) error {
	if missed := targetMisses(targets, &state.Desired{}, live); len(missed) > 0 {
		paths := slices.Sorted(maps.Keys(live.Repositories))
		paths = append(paths, slices.Sorted(maps.Keys(live.Groups))...)
		return fmt.Errorf("--target %s matches no repository or group of project %s%s", missed[0], live.Project, state.DidYouMean(missed[0], paths))
	}
	maps.DeleteFunc(live.Groups, func(p string, _ *state.LiveGroup) bool { return !scope.Group(p) })
	maps.DeleteFunc(live.Repositories, func(_ string, r *state.LiveRepository) bool { return !r.Details })
	return nil
}
