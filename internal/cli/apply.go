package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/apply"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/plan/render"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/state"
)

var _ apply.Mutator = (*remote.Writer)(nil)

// ApplyOptions are the inputs of `reposync apply`.
type ApplyOptions struct {
	*Factory

	Conn     ConnOptions
	Changes  ChangeOptions
	Paths    []string
	PlanFile string
	// ExpectChanges is the changes digest of the reviewed plan, when the CI
	// cannot hand the saved plan over: apply refuses a plan that differs.
	ExpectChanges string
	Yes           bool
	FailFast      bool
	Report        string
}

// NewCmdApply plans and applies, or applies a saved plan.
func NewCmdApply(f *Factory) *cobra.Command {
	o := &ApplyOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "apply [PATH...]",
		Short: "Make the live state match the spec",
		Long: `Plan like 'reposync plan', check the guardrails, ask for confirmation (on a
terminal; --yes otherwise) and apply the changes concurrently.

With --plan FILE, apply a plan saved by 'reposync plan --out FILE' exactly as
reviewed: the spec must be unchanged and every live object the plan read is
read again; if any changed, the plan is stale and nothing is applied.

Guardrails, checked before the first write: deletions need --prune (except
removals of grants whose expires date has passed, or that the change since
--changed-since REF took out of the spec: the spec asks for those); at most
max_deletes deletions (settings or --max-deletes); no managed repository left
with fewer than min_admins admins; never the caller's own admin role; group
deletion needs --allow-delete-groups.

The plan and the results go to standard output; progress, the confirmation
prompt and errors to standard error.

Exit status: 0 all done; 1 error, refused or stale plan; 3 some changes
failed (see --report); 4 authentication or permission failure; 130
interrupted (what was not started is reported as such).`,
		Example: `  reposync apply --yes
  reposync plan --out plan.json && reposync apply --plan plan.json --yes --report report.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			o.Changes.PruneSet = cmd.Flags().Changed("prune")
			return runApply(cmd.Context(), o)
		},
	}
	addConnFlags(cmd, &o.Conn, 0) // apply stops only when asked, and then reports what it did
	fl := cmd.Flags()
	fl.StringVar(&o.PlanFile, "plan", "", "apply the plan saved in `FILE` instead of planning again")
	fl.StringVar(&o.ExpectChanges, "expect-changes", "", "refuse unless the plan's changes digest is `DIGEST` (the reviewed plan's, from its JSON or PR comment)")
	fl.BoolVar(&o.Yes, "yes", false, "apply without asking (needed when no terminal can confirm)")
	addChangeFlags(cmd, &o.Changes)
	fl.BoolVar(&o.FailFast, "fail-fast", false, "stop starting new changes after the first failure")
	fl.StringVar(&o.Report, "report", "", "write the result of every change as JSON to `FILE`")
	return cmd
}

// applyReport is the JSON document of --report.
type applyReport struct {
	FormatVersion int            `json:"format_version"`
	ToolVersion   string         `json:"tool_version"`
	Project       string         `json:"project"`
	SpecDigest    string         `json:"spec_digest"`
	StartedAt     string         `json:"started_at"`
	Seconds       float64        `json:"seconds"`
	Interrupted   bool           `json:"interrupted"`
	Summary       apply.Counts   `json:"summary"`
	Results       []apply.Result `json:"results"`
	Violations    []plan.Refusal `json:"violations"`
}

func runApply(ctx context.Context, o *ApplyOptions) error {
	ctx, cancel := o.Conn.withTimeout(ctx)
	defer cancel()
	// A saved plan is read before anything is contacted: a missing, foreign
	// or edited file is the user's first problem to hear about. It names
	// the spec and the flags it was made with; nothing else is needed.
	var saved *plan.Plan
	var tree *gitTree
	paths := o.Paths
	if o.PlanFile != "" {
		var err error
		if saved, err = readPlanFile(o.PlanFile); err != nil {
			return err
		}
		if len(paths) == 0 {
			if paths, tree, err = savedSpecPaths(ctx, saved, o.PlanFile); err != nil {
				return err
			}
		}
	}
	if tree == nil {
		tree = findGitTree(ctx, ".")
	}
	// Found once: the sources of every plan of this run are made relative
	// to the same tree as the saved plan's, or they would all differ.
	run := &planRun{Factory: o.Factory, origin: originOf(ctx, tree, paths)}
	err := run.prepare(ctx, o.Conn, o.Changes, func(d *state.Desired, r *resolved) error {
		if saved != nil {
			if saved.SpecDigest != d.Digest { // known before the live state is read
				return fmt.Errorf("the saved plan %s is stale: the spec changed since the plan was made; make a new plan and review it", o.PlanFile)
			}
			if err := savedFlags(saved, o.Changes, r); err != nil {
				return err
			}
			if saved.Context.Dirty {
				fmt.Fprintln(o.IO.ErrOut, "note: the saved plan was made from spec files with uncommitted changes")
			}
		}
		if !o.Yes && !o.IO.CanPrompt() {
			return fmt.Errorf("refusing to apply without confirmation: no terminal can answer, so pass --yes")
		}
		return nil
	}, saved == nil)
	if err != nil {
		return err
	}
	p := run.res.plan
	if o.ExpectChanges != "" && p.ChangesDigest != o.ExpectChanges {
		return fmt.Errorf("the plan now differs from the reviewed one: its changes digest is %s, not %s; review the new plan", p.ChangesDigest, o.ExpectChanges)
	}
	if saved != nil {
		if n := run.stale(saved, p); n > 0 {
			return fmt.Errorf("the saved plan %s is stale: %s from what would run now; make a new plan and review it", o.PlanFile, state.Count(n, "difference"))
		}
		p = saved
		// Reviewed already: one line says which plan runs.
		fmt.Fprintf(o.IO.Out, "Applying the reviewed plan %s: %s (changes %s).\n", o.PlanFile, p.Summary.Line(), p.ChangesDigest)
	} else {
		render.Text(o.IO.Out, p, render.Options{Color: o.IO.ColorEnabled()})
	}
	if p.Summary.Total() == 0 {
		return writeReport(o.Report, p, &apply.Report{Results: []apply.Result{}}, nil, o.Now(), 0, false)
	}
	if err := run.guard(ctx, o, p); err != nil {
		return err
	}
	return run.apply(ctx, o, p)
}

// guard refuses the plan when it breaks a guardrail — checked again here,
// against the state apply is about to change: a saved plan's refusals are
// what the reviewer saw — and asks for confirmation unless --yes.
func (run *planRun) guard(ctx context.Context, o *ApplyOptions, p *plan.Plan) error {
	violations := plan.Check(p, run.res.live, run.guardrails(run.res.caller))
	if len(violations) > 0 {
		fmt.Fprintln(o.IO.ErrOut, "\nRefusing to apply; nothing was changed:")
		for _, v := range violations {
			fmt.Fprintln(o.IO.ErrOut, "  - "+v.String())
		}
		_ = writeReport(o.Report, p, &apply.Report{Results: []apply.Result{}}, violations, o.Now(), 0, false)
		return silentExit(ExitError)
	}
	if run.res.caller == nil {
		fmt.Fprintln(o.IO.ErrOut, "note: temporary AK/SK cannot say which user they belong to, so the guard for reposync's own admin role is inactive")
	}
	if o.Yes {
		return nil
	}
	question := fmt.Sprintf("Apply %s (%s)?", state.Count(p.Summary.Total()-p.Summary.Manual, "change"), p.Summary.Line())
	if err := confirm(o.IO, question, "apply cancelled; nothing was changed"); err != nil {
		return err
	}
	// Someone may have changed the live state while the question was open:
	// read again what the plan read, and refuse if it moved.
	again, err := run.makePlan(ctx)
	if err != nil {
		return err
	}
	if n := run.stale(p, again.plan); n > 0 {
		return fmt.Errorf("the live state changed while waiting for confirmation (%s); nothing was changed, plan again", state.Count(n, "difference"))
	}
	return nil
}

// apply runs the plan's changes, reading each repository back as soon as
// its writes end while the others are written (converge.go), and reports.
func (run *planRun) apply(ctx context.Context, o *ApplyOptions, p *plan.Plan) error {
	start := o.Now()
	cctx, stopConfirm := context.WithCancel(ctx)
	defer stopConfirm()
	conf := startConfirm(cctx, run, p)
	prog := newProgress(o.IO, o.Now, conf.progress)
	secret := func(name string) (string, bool) { v := o.Getenv(name); return v, v != "" }
	rep := apply.Run(ctx, p, run.s.remote.NewWriter(secret), apply.Options{Concurrency: run.s.conn.Concurrency, FailFast: o.FailFast,
		OnProgress: prog.update, OnSettled: conf.settled, Grace: interruptGrace})
	prog.finish()
	if err := conf.finish(cctx, rep); err != nil && ctx.Err() == nil {
		fmt.Fprintf(o.IO.ErrOut, "warning: could not read back what apply changed, so whether every change took effect is not confirmed: %v\n", err)
	}
	elapsed := o.Now().Sub(start)
	confirmed := 0
	for _, r := range rep.Results {
		if r.Status == apply.StatusFailed {
			code := ""
			if r.Code != "" {
				code = " [" + r.Code + "]"
			}
			fmt.Fprintln(o.IO.Out, state.Visible(fmt.Sprintf("failed: %s%s: %s", r.Address, code, r.Message))) // a live name may hold any character
		}
		if r.Confirmed {
			confirmed++
		}
	}
	interrupted := ctx.Err() != nil
	fmt.Fprintf(o.IO.Out, "Apply %s in %s: %s; %d of the done changes confirmed by reading back.\n", map[bool]string{false: "finished", true: "interrupted"}[interrupted],
		elapsed.Round(10*time.Millisecond), rep.Summary.Line(), confirmed)
	if err := writeReport(o.Report, p, rep, nil, start, elapsed, interrupted); err != nil {
		return err
	}
	if interrupted {
		return stoppedError(ctx, fmt.Sprintf("with %s done and %d not started; run plan to see what is left", state.Count(rep.Summary.Done, "change"), rep.Summary.NotStarted))
	}
	if rep.Summary.Failed > 0 || rep.Summary.Skipped > 0 {
		return silentExit(ExitApplyFailed)
	}
	return nil
}

// interruptGrace is how long writes in flight may finish after Ctrl-C, so
// the report can say what they did; a second Ctrl-C ends the process at
// once (cmd/reposync restores the default signal handling after the first).
const interruptGrace = 30 * time.Second

// savedSpecPaths finds the spec a saved plan was made from: its paths are
// relative to the top of the Git checkout it was made in, which is the one
// holding the working directory, or else the plan file. That work tree is
// returned too (nil for a plan made outside Git).
func savedSpecPaths(ctx context.Context, saved *plan.Plan, planFile string) ([]string, *gitTree, error) {
	c := saved.Context
	if len(c.SpecPaths) == 0 {
		return nil, nil, fmt.Errorf("the saved plan %s does not say which spec it was made from (an older reposync?); name the spec: reposync apply --plan %s PATH...", planFile, shellQuote(planFile))
	}
	if c.Root != "git" {
		return c.SpecPaths, nil, nil
	}
	t := findGitTree(ctx, ".")
	if t == nil {
		t = findGitTree(ctx, filepath.Dir(planFile))
	}
	if t == nil {
		return nil, nil, fmt.Errorf("the saved plan %s was made from %s in a Git checkout; run apply inside that checkout, or name the spec paths", planFile, strings.Join(c.SpecPaths, " "))
	}
	out := make([]string, len(c.SpecPaths))
	for i, sp := range c.SpecPaths {
		out[i] = filepath.Join(t.top, filepath.FromSlash(sp))
	}
	return out, t, nil
}

// savedFlags takes the change flags a saved plan was made with: what was
// reviewed is what runs. A flag given now that says otherwise is an error,
// not a silent override.
func savedFlags(saved *plan.Plan, now ChangeOptions, r *resolved) error {
	c := saved.Context
	conflict := func(flag string, was bool) error {
		return fmt.Errorf("the saved plan was made with --%s=%t; drop --%s or make a new plan", flag, was, flag)
	}
	if now.PruneSet && now.Prune != c.Prune {
		return conflict("prune", c.Prune)
	}
	if now.AllowDeleteGroups && !c.AllowDeleteGroups {
		return conflict("allow-delete-groups", false)
	}
	if now.RotateSecrets && !c.RotateSecrets {
		return conflict("rotate-secrets", false)
	}
	if len(now.Targets) > 0 || now.ChangedSince != "" {
		return fmt.Errorf("the saved plan says what it covers; drop --target and --changed-since, or make a new plan")
	}
	r.Prune, r.AllowDeleteGroups, r.RotateSecrets = c.Prune, c.AllowDeleteGroups, c.RotateSecrets
	r.Scope = c.Scope
	r.Withdrawn = plan.WithdrawalsOf(saved) // what the reviewed change removed from the spec
	return nil
}

// confirm asks question on the terminal; any answer but "yes" is the error
// cancelled.
func confirm(ios *iostreams.IOStreams, question, cancelled string) error {
	fmt.Fprint(ios.ErrOut, question+" Type 'yes' to continue: ")
	line, err := bufio.NewReader(ios.In).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read confirmation: %w", err)
	}
	if strings.TrimSpace(line) != "yes" {
		return errors.New(cancelled)
	}
	return nil
}

func writeReport(path string, p *plan.Plan, rep *apply.Report, violations []plan.Refusal, start time.Time, elapsed time.Duration, interrupted bool) error {
	if path == "" {
		return nil
	}
	if violations == nil {
		violations = []plan.Refusal{}
	}
	doc := applyReport{
		FormatVersion: 1, ToolVersion: Version, Project: p.Project, SpecDigest: p.SpecDigest,
		StartedAt: start.UTC().Format(time.RFC3339), Seconds: elapsed.Seconds(), Interrupted: interrupted,
		Summary: rep.Summary, Results: rep.Results, Violations: violations,
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}
