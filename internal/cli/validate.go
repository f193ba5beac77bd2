package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/plan/render"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// ValidateOptions are the inputs of `reposync validate`.
type ValidateOptions struct {
	*Factory
	Paths  []string
	Format string
	// WarnExpiring, when given (>= 0), also lists the grants that end
	// within that many days.
	WarnExpiring daysValue
}

// NewCmdValidate checks a spec offline: schema, merge and semantic checks.
func NewCmdValidate(f *Factory) *cobra.Command {
	opts := &ValidateOptions{Factory: f, WarnExpiring: daysValue{n: -1}}
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check a spec offline and report every problem with file:line:column",
		Long: `Check the spec below each PATH (default: the current directory) without
contacting the cloud: every *.yaml and *.yml file (hidden directories such as
.git and .github are skipped) is decoded strictly, validated against the JSON
Schema, merged with the others and checked for duplicates, conflicts, bad
globs and literal secrets. All problems are reported at once.

Names of users, member groups and roles that are not pinned are resolved at
plan time. A grant whose expires date has passed is a warning (it counts as
absent from the spec); --warn-expiring 14d also lists the grants that end
within 14 days. Exit status: 0 valid (warnings allowed), 1 invalid.`,
		Example: `  reposync validate
  reposync validate specs/ teams/payments.yaml
  reposync validate --format github   # annotations in GitHub Actions
  reposync validate --warn-expiring 14d`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runValidate(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or github (workflow annotations)")
	cmd.Flags().Var(&opts.WarnExpiring, "warn-expiring", "also warn about grants that end within `DAYS` (for example 14d)")
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions(validateFormats...))
	return cmd
}

var validateFormats = []string{"text", "json", "github"}

func runValidate(opts *ValidateOptions) error {
	if !slices.Contains(validateFormats, opts.Format) {
		return fmt.Errorf("unknown --format %q: choose text, json or github", opts.Format)
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	desired, diags := spec.Load(paths...)
	expiring := spec.Expiries(desired, state.DateOf(opts.Now()), opts.WarnExpiring.n)
	if len(expiring) > 0 {
		diags = append(diags, spec.ExpiryDiagnostics(expiring)...).Sort()
	}
	errs, warns := diags.Count()
	switch opts.Format {
	case "json":
		out := struct {
			Valid       bool             `json:"valid"`
			Errors      int              `json:"errors"`
			Warnings    int              `json:"warnings"`
			Diagnostics spec.Diagnostics `json:"diagnostics"`
			// Expiring lists the grants that expired, and with
			// --warn-expiring those ending soon (also warnings above).
			Expiring []spec.GrantExpiry `json:"expiring"`
		}{Valid: errs == 0, Errors: errs, Warnings: warns, Diagnostics: diags, Expiring: expiring}
		if out.Diagnostics == nil {
			out.Diagnostics = spec.Diagnostics{}
		}
		if out.Expiring == nil {
			out.Expiring = []spec.GrantExpiry{}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	case "github":
		problems := diagProblems(diags)
		origin := &specOrigin{tree: findGitTree(context.Background(), ".")}
		for i := range problems {
			problems[i].File = origin.relFile(problems[i].File)
		}
		annotate(opts.IO.Out, "reposync validate", problems)
		fallthrough
	default:
		for _, d := range diags {
			fmt.Fprintln(opts.IO.ErrOut, d.String())
		}
	}
	if errs > 0 {
		if opts.Format != "json" {
			fmt.Fprintf(opts.IO.ErrOut, "%s: invalid: %s, %s\n", strings.Join(paths, " "), state.Count(errs, "error"), state.Count(warns, "warning"))
		}
		return silentExit(ExitError)
	}
	if opts.Format != "json" {
		fmt.Fprintf(opts.IO.Out, "%s: %s\n", strings.Join(paths, " "), describeDesired(desired, warns))
	}
	return nil
}

// describeDesired is the summary of a valid spec: what it manages, or that
// it manages nothing.
func describeDesired(d *state.Desired, warns int) string {
	s := "valid: " + strings.Join([]string{
		state.Count(len(d.Files), "file"),
		state.Count(len(d.Groups), "group"),
		state.Count(len(d.Repositories), "repository"),
		state.Count(len(d.Policies), "policy"),
		state.Count(len(d.GitAuths), "Git authorization"),
	}, ", ")
	switch {
	case len(d.Files) == 0 && spec.Empty(d):
		s = "valid, but empty: no spec file has content"
	case spec.Empty(d):
		s = "valid, but manages nothing: " + state.Count(len(d.Files), "file")
	}
	if warns > 0 {
		s += " (" + state.Count(warns, "warning") + ")"
	}
	return s
}

// annotate prints problems as GitHub Actions workflow commands, so they
// show on the pull request's lines: the file relative to the repository
// root (as the runner names it), the line and column, a title, and the
// message as plain text (the runner shows Markdown literally, so a quoted
// `name` becomes 'name').
func annotate(w io.Writer, title string, problems []render.Problem) {
	esc := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", "`", "'")
	prop := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	for _, p := range problems {
		level := "error"
		if p.Warning {
			level = "warning"
		}
		props := []string{}
		if p.File != "" {
			props = append(props, "file="+prop.Replace(state.Visible(p.File)))
			if p.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", p.Line))
				if p.Column > 0 {
					props = append(props, fmt.Sprintf("col=%d", p.Column))
				}
			}
		}
		props = append(props, "title="+prop.Replace(title))
		fmt.Fprintf(w, "::%s %s::%s\n", level, strings.Join(props, ","), esc.Replace(state.Visible(p.Message))) // a name may hold any character
	}
}
