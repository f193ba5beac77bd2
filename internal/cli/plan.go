package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/plan/render"
)

// PlanOptions are the inputs of `reposync plan`.
type PlanOptions struct {
	*Factory

	Conn             ConnOptions
	Changes          ChangeOptions
	Paths            []string
	Format           string
	Out              string
	DetailedExitcode bool
	Summary          bool
}

// NewCmdPlan reads the live state and prints what apply would change.
func NewCmdPlan(f *Factory) *cobra.Command {
	o := &PlanOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "plan [PATH...]",
		Short: "Show what apply would change (a dry run)",
		Long: `Load the spec below each PATH (default: the current directory), read the live
state of the CodeArts project and print the changes that would make it match.
Nothing is changed.

Output formats: text (terminal), markdown (a pull-request comment) and json
(the versioned plan document, see docs/plan-json.md). --out saves the plan for
'reposync apply --plan FILE'. With --format markdown a plan that cannot be
made still writes a comment, saying so with every problem at its line; under
GitHub Actions problems, warnings and refusals are annotations too.

With --changed-since REF, a grant the spec at REF made and the spec now does
not is removed without --prune: the change asks for it.

Exit status: 0 success; with --detailed-exitcode 0 no changes, 2 changes or
drift (live entries not in the spec), 1 when apply would refuse the plan;
1 error, or a scoped file taking away a live grant above its scope's
max_role (with or without --detailed-exitcode); 4 authentication or
permission failure; 130 interrupted.`,
		Example: `  reposync plan --format markdown > plan.md
  reposync plan --detailed-exitcode --format json > drift.json
  reposync plan --out plan.json && reposync apply --plan plan.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Changes.PruneSet = cmd.Flags().Changed("prune")
			return runPlan(cmd.Context(), o)
		},
	}
	addConnFlags(cmd, &o.Conn, defaultReadTimeout)
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "text", "output format: text, markdown or json")
	fl.StringVar(&o.Out, "out", "", "also save the plan as JSON to `FILE` for apply --plan")
	fl.BoolVar(&o.DetailedExitcode, "detailed-exitcode", false, "exit 2 on changes or drift, 1 when apply would refuse the plan, 0 when nothing differs")
	fl.BoolVar(&o.Summary, "summary", false, "print only the summary: one line of text, or with --format json the counts")
	addChangeFlags(cmd, &o.Changes)
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletions(render.Formats...))
	return cmd
}

func runPlan(ctx context.Context, o *PlanOptions) (err error) {
	ctx, cancel := o.Conn.withTimeout(ctx)
	defer cancel()
	format, err := render.ParseFormat(o.Format)
	if err != nil {
		return err
	}
	origin := originOf(ctx, findGitTree(ctx, "."), o.Paths)
	planned := false
	defer func() {
		if err != nil && !planned {
			planFailed(o, format, origin, err)
		}
	}()
	if o.Summary && format == render.FormatMarkdown {
		return fmt.Errorf("--summary prints text or JSON; it cannot be combined with --format markdown")
	}
	run := &planRun{Factory: o.Factory, origin: origin}
	if err := run.prepare(ctx, o.Conn, o.Changes, nil, true); err != nil {
		return err
	}
	p, d := run.res.plan, run.d
	if o.Out != "" {
		var buf bytes.Buffer
		if err := plan.Encode(&buf, p); err != nil {
			return err
		}
		if err := writeFileAtomic(o.Out, buf.Bytes()); err != nil {
			return err
		}
		how := "reposync apply --plan " + shellQuote(o.Out)
		if p.Context.Root != "git" {
			how += " (from this directory)"
		}
		fmt.Fprintf(o.IO.ErrOut, "Saved the plan to %s; apply exactly this plan with: %s\n", o.Out, how)
	}
	planned = true
	if o.Getenv("GITHUB_ACTIONS") == "true" {
		annotate(o.IO.ErrOut, "reposync plan", planProblems(p, origin))
	}
	switch {
	case o.Summary && format == render.FormatJSON:
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			FormatVersion int          `json:"format_version"`
			Project       string       `json:"project"`
			Summary       plan.Summary `json:"summary"`
		}{plan.FormatVersion, p.Project, p.Summary}); err != nil {
			return err
		}
	case o.Summary:
		fmt.Fprintln(o.IO.Out, p.Summary.Line())
	default:
		ro := render.Options{Color: format == render.FormatText && o.IO.ColorEnabled(), SourceLink: sourceLinker(o.Getenv, origin),
			FullPlan: fullPlanRef(o.Getenv, o.Out), Owners: scopeOwners(origin, d, run.r.base)}
		if err := render.Render(o.IO.Out, p, format, ro); err != nil {
			return err
		}
	}
	switch {
	case slices.ContainsFunc(p.Refusals, func(r plan.Refusal) bool { return r.Rule == plan.RuleMaxRole }):
		// A scoped file taking away what it could not grant: the plan
		// shows it, and fails with or without --detailed-exitcode.
		fmt.Fprintln(o.IO.ErrOut, "error: a scoped file takes away a live grant above its scope's max_role; apply would refuse this plan")
		return silentExit(ExitError)
	case !o.DetailedExitcode:
	case len(p.Refusals) > 0:
		// The plan is red before the merge: apply would refuse it.
		return silentExit(ExitError)
	case p.Summary.Drift():
		return silentExit(ExitChanges)
	}
	return nil
}

// planFailed tells of a plan that could not be made where CI looks: under
// GitHub Actions its located problems (or the error) as annotations, and
// with --format markdown a comment saying the plan failed, in place of
// the last plan's.
func planFailed(o *PlanOptions, format render.Format, origin *specOrigin, err error) {
	var problems []render.Problem
	if pe, ok := errors.AsType[*problemsError](err); ok {
		problems = slices.Clone(pe.problems)
	}
	for i := range problems {
		problems[i].File = origin.relFile(problems[i].File)
	}
	if o.Getenv("GITHUB_ACTIONS") == "true" {
		located := problems
		if len(located) == 0 {
			located = []render.Problem{{Message: err.Error()}}
		}
		annotate(o.IO.ErrOut, "reposync plan", located)
	}
	if format != render.FormatMarkdown {
		return
	}
	if werr := render.Failure(o.IO.Out, err.Error(), problems, render.Options{SourceLink: sourceLinker(o.Getenv, origin)}); werr != nil {
		fmt.Fprintf(o.IO.ErrOut, "warning: could not write the failure comment: %v\n", werr)
	}
}

// planProblems are what a plan says a reviewer should know, as located
// as it can be: its warnings (at the spec line some name first) and the
// guardrails apply would refuse it for.
func planProblems(p *plan.Plan, origin *specOrigin) []render.Problem {
	var out []render.Problem
	for _, r := range p.Refusals {
		out = append(out, render.Problem{Message: "apply would refuse this plan: " + r.String()})
	}
	for _, w := range p.Warnings {
		pr := render.Problem{Message: w, Warning: true}
		if at, rest, ok := strings.Cut(w, ": "); ok {
			if i := strings.LastIndexByte(at, ':'); i > 0 {
				if line, err := strconv.Atoi(at[i+1:]); err == nil && line > 0 {
					pr = render.Problem{File: origin.relFile(at[:i]), Line: line, Message: rest, Warning: true}
				}
			}
		}
		out = append(out, pr)
	}
	return out
}
