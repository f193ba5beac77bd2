package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
	"github.com/reposync/reposync/schema"
)

// ExportOptions are the inputs of `reposync export`.
type ExportOptions struct {
	Conn   ConnOptions
	Out    string
	Split  string
	PinIDs bool
	Force  bool
}

// NewCmdExport writes the live state as a spec.
func NewCmdExport(f *Factory) *cobra.Command {
	o := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write today's live state as a spec that plans to zero changes",
		Long: `Read the whole CodeArts project — groups, repositories with their direct
members, member groups and file push rules, and the Git authorizations — and
write it as spec YAML. Members inherited through groups or member groups are
not written: they are not members of the repository itself. Passwords cannot
be read back: each Git authorization gets a password_env to fill in.

Without --out the spec is printed. With --out DIR the files are written there
(with reposync.schema.json for editors); a non-empty DIR needs --force.`,
		Example: `  reposync export --project 0b234373cf3f4b04ab2d8a245155e12b --out specs --split group --pin-ids
  reposync validate specs && reposync plan specs   # plans to zero changes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runExport(cmd, f, o) },
	}
	addConnFlags(cmd, &o.Conn)
	fl := cmd.Flags()
	fl.StringVar(&o.Out, "out", "", "write the spec files into `DIR` instead of printing them")
	fl.StringVar(&o.Split, "split", "single", "single: one file; group: one file per top-level group")
	fl.BoolVar(&o.PinIDs, "pin-ids", false, "pin the ids of every user, member group and role used, so renames are detected")
	fl.BoolVar(&o.Force, "force", false, "write into a non-empty --out directory, replacing files of the same name")
	return cmd
}

func runExport(cmd *cobra.Command, f *Factory, o *ExportOptions) error {
	if o.Split != "single" && o.Split != "group" {
		return fmt.Errorf("unknown --split %q: choose single or group", o.Split)
	}
	if o.Split == "group" && o.Out == "" {
		return fmt.Errorf("--split group writes several files: pass --out DIR")
	}
	if o.Out != "" && !o.Force {
		if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty: pass --force to write into it", o.Out)
		}
	}
	ctx := cmd.Context()
	s, err := connect(ctx, f, o.Conn, &state.Desired{}, true)
	if err != nil {
		return err
	}
	live, err := s.remote.Walk(ctx)
	if err != nil {
		return apiExit(err)
	}
	req := remote.ReadRequest{GitAuths: true}
	for p := range live.Repositories {
		req.Repositories = append(req.Repositories, p)
	}
	for p := range live.Groups {
		req.Groups = append(req.Groups, p)
	}
	if err := s.remote.Read(ctx, live, req); err != nil {
		return apiExit(err)
	}
	origin := "project " + s.conn.Project
	if s.conn.Region != "" {
		origin += " in " + s.conn.Region
	}
	files, err := spec.Export(live, spec.ExportOptions{
		SplitByGroup: o.Split == "group", PinIDs: o.PinIDs, Origin: origin, Now: time.Now(), ToolVersion: Version,
	})
	if err != nil {
		return err
	}
	if o.Out == "" {
		_, err := f.IO.Out.Write(files[0].Data)
		return err
	}
	if err := writeExport(o.Out, files); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.ErrOut, "Exported %s, %s and %s into %s (%s).\n",
		count(len(live.Groups), "group"), count(len(live.Repositories), "repository"), count(len(live.GitAuths), "Git authorization"), o.Out, count(len(files), "file"))
	return nil
}

// writeExport writes the files into dir. A new directory is filled under a
// temporary name and renamed into place, so it appears complete or not at
// all; into an existing one (--force) each file is replaced atomically.
func writeExport(dir string, files []spec.ExportFile) error {
	all := append(files, spec.ExportFile{Name: "reposync.schema.json", Data: schema.JSON})
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		parent := filepath.Dir(filepath.Clean(dir))
		tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		defer os.RemoveAll(tmp)
		for _, fl := range all {
			if err := writeFileAtomic(filepath.Join(tmp, fl.Name), fl.Data, 0o644); err != nil {
				return err
			}
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			return fmt.Errorf("write %s: %w", dir, err)
		}
		return nil
	}
	for _, fl := range all {
		if err := writeFileAtomic(filepath.Join(dir, fl.Name), fl.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
