// Package cli wires reposync's commands together. One file per command
// (an Options struct, NewCmdX, runX taking only its options, so commands run
// without cobra in tests); pipeline.go is the one read path the commands
// share (load the spec, connect, read the live state, plan); flags.go the
// shared flags and the credentials from the environment; files.go the one
// atomic file writer; exit.go the one mapping from typed errors to exit
// codes. It is the only package that may import every other internal
// package, and Main is the only place that returns an exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/iostreams"
)

// Version is the tool version, set at build time with
// -ldflags "-X github.com/reposync/reposync/internal/cli.Version=v1.2.3".
var Version = "dev"

// Factory carries what every command needs from the outside world, so tests
// can run commands against in-memory streams and a fake environment; each
// command's Options embeds it.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	// Now is the one clock of a run ("today" for expiring grants, the
	// timestamps of reports); nothing below the commands reads the clock
	// (plan.Diff is given the day). Main gives time.Now, tests a fixed one.
	Now func() time.Time
}

// Main runs reposync with args (without the program name) and returns the
// process exit code. It never panics on user input and never calls os.Exit.
func Main(ctx context.Context, args []string, ios *iostreams.IOStreams, getenv func(string) string) int {
	return execute(ctx, args, &Factory{IO: ios, Getenv: getenv, Now: time.Now})
}

// execute is Main with the outside world in f (tests give it a fixed clock).
func execute(ctx context.Context, args []string, f *Factory) int {
	if f.Getenv == nil {
		f.Getenv = func(string) string { return "" }
	}
	ios := f.IO
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	err := root.ExecuteContext(ctx)
	if _, said := errors.AsType[silentExit](err); err != nil && !said { // else the command said it all
		fmt.Fprintf(ios.ErrOut, "reposync: %s\n", strings.TrimSpace(err.Error()))
	}
	return exitCode(err)
}

// NewCmdRoot builds the whole command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "reposync <command>",
		Short: "Keep Huawei Cloud CodeArts Repo access policy as code",
		Long: `reposync keeps CodeArts Repo access policy in YAML files kept in Git:
repository groups, repository members and roles, member groups, per-path file
push permissions and ServiceStage Git password authorizations.

It validates the YAML offline, plans the changes against the live state and
applies them concurrently within the API's rate limits.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           Version,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
	}
	root.SetVersionTemplate("reposync {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath())
	})
	root.AddCommand(
		NewCmdValidate(f),
		NewCmdCodeowners(f),
		NewCmdAccess(f),
		NewCmdPlan(f),
		NewCmdApply(f),
		NewCmdExport(f),
		NewCmdDoctor(f),
		NewCmdSim(f),
		NewCmdSchema(f),
		NewCmdVersion(f),
		NewCmdCompletion(f),
	)
	return root
}
