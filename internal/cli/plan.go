package cli

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/plan/render"
)

// PlanOptions are the inputs of `reposync plan`.
type PlanOptions struct {
	Conn             ConnOptions
	Paths            []string
	Format           string
	Out              string
	DetailedExitcode bool
	Summary          bool
	Changes          ChangeOptions
}

// NewCmdPlan reads the live state and prints what apply would change.
func NewCmdPlan(f *Factory) *cobra.Command {
	o := &PlanOptions{}
	cmd := &cobra.Command{
		Use:   "plan [PATH...]",
		Short: "Show what apply would change (a dry run)",
		Long: `Load the spec below each PATH (default: the current directory), read the live
state of the CodeArts project and print the changes that would make it match.
Nothing is changed.

Output formats: text (terminal), markdown (a pull-request comment) and json
(the versioned plan document, see docs/plan-json.md). --out saves the plan for
'reposync apply --plan FILE'.

Exit status: 0 success; with --detailed-exitcode 0 no changes, 2 changes;
1 error; 4 authentication or permission failure.`,
		Example: `  reposync plan --format markdown > plan.md
  reposync plan --detailed-exitcode --format json > drift.json
  reposync plan --out plan.json && reposync apply --plan plan.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return runPlan(cmd, f, o)
		},
	}
	addConnFlags(cmd, &o.Conn)
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "text", "output format: text, markdown or json")
	fl.StringVar(&o.Out, "out", "", "also save the plan as JSON to `FILE` for apply --plan")
	fl.BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 2 when there are changes, 0 when there are none")
	fl.BoolVar(&o.Summary, "summary", false, "print only the one-line summary")
	addChangeFlags(cmd, &o.Changes)
	return cmd
}

func runPlan(cmd *cobra.Command, f *Factory, o *PlanOptions) error {
	format, err := render.ParseFormat(o.Format)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	d, err := loadSpec(f, o.Paths)
	if err != nil {
		return err
	}
	po, err := o.Changes.resolve(cmd, d)
	if err != nil {
		return err
	}
	s, err := connect(ctx, f, o.Conn, d, d.GitAuths != nil)
	if err != nil {
		return err
	}
	res, err := makePlan(ctx, f, s, d, po)
	if err != nil {
		return err
	}
	p := res.plan
	if o.Out != "" {
		var buf bytes.Buffer
		if err := plan.Encode(&buf, p); err != nil {
			return err
		}
		if err := writeFileAtomic(o.Out, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "Saved the plan to %s; apply it with: reposync apply --plan %s\n", o.Out, o.Out)
	}
	if o.Summary {
		fmt.Fprintln(f.IO.Out, p.Summary.Line())
	} else if err := render.Render(f.IO.Out, p, format, render.Options{Color: format == render.FormatText && f.IO.ColorEnabled()}); err != nil {
		return err
	}
	if o.DetailedExitcode && p.Summary.Total() > 0 {
		return withExit(ExitChanges, nil)
	}
	return nil
}
