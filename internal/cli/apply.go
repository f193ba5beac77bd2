package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/apply"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/plan/render"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/state"
)

var _ apply.Mutator = (*remote.Writer)(nil)

// ApplyOptions are the inputs of `reposync apply`.
type ApplyOptions struct {
	Conn       ConnOptions
	Paths      []string
	PlanFile   string
	Yes        bool
	Changes    ChangeOptions
	MaxDeletes int
	FailFast   bool
	Report     string
}

// NewCmdApply plans and applies, or applies a saved plan.
func NewCmdApply(f *Factory) *cobra.Command {
	o := &ApplyOptions{}
	cmd := &cobra.Command{
		Use:   "apply [PATH...]",
		Short: "Make the live state match the spec",
		Long: `Plan like 'reposync plan', check the guardrails, ask for confirmation (on a
terminal; --yes otherwise) and apply the changes concurrently.

With --plan FILE, apply a plan saved by 'reposync plan --out FILE' exactly as
reviewed: the spec must be unchanged and every live object the plan read is
read again; if any changed, the plan is stale and nothing is applied.

Guardrails, checked before the first write: deletions need --prune; at most
max_deletes deletions (settings or --max-deletes); no managed repository left
with fewer than min_admins admins; never the caller's own admin role; group
deletion needs --allow-delete-groups.

Exit status: 0 all done; 1 error, refused or stale plan; 3 some changes
failed (see --report); 4 authentication or permission failure.`,
		Example: `  reposync apply --yes
  reposync plan --out plan.json && reposync apply --plan plan.json --yes --report report.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return runApply(cmd, f, o)
		},
	}
	addConnFlags(cmd, &o.Conn)
	fl := cmd.Flags()
	fl.StringVar(&o.PlanFile, "plan", "", "apply the plan saved in `FILE` instead of planning again")
	fl.BoolVar(&o.Yes, "yes", false, "apply without asking (needed when no terminal can confirm)")
	addChangeFlags(cmd, &o.Changes)
	fl.IntVar(&o.MaxDeletes, "max-deletes", -1, "refuse plans with more deletions than this (default: settings.max_deletes, else 25)")
	fl.BoolVar(&o.FailFast, "fail-fast", false, "stop starting new changes after the first failure")
	fl.StringVar(&o.Report, "report", "", "write the result of every change as JSON to `FILE`")
	return cmd
}

// Report is the JSON document of --report.
type applyReport struct {
	FormatVersion int               `json:"format_version"`
	ToolVersion   string            `json:"tool_version"`
	Project       string            `json:"project"`
	SpecDigest    string            `json:"spec_digest"`
	StartedAt     string            `json:"started_at"`
	Seconds       float64           `json:"seconds"`
	Summary       apply.Counts      `json:"summary"`
	Results       []apply.Result    `json:"results"`
	Violations    []apply.Violation `json:"violations"`
}

func runApply(cmd *cobra.Command, f *Factory, o *ApplyOptions) error {
	ctx := cmd.Context()
	d, err := loadSpec(f, o.Paths)
	if err != nil {
		return err
	}
	po, err := o.Changes.resolve(cmd, d)
	if err != nil {
		return err
	}
	maxDeletes := 25
	if d.Settings.MaxDeletes != nil {
		maxDeletes = *d.Settings.MaxDeletes
	}
	if cmd.Flags().Changed("max-deletes") {
		if o.MaxDeletes < 0 {
			return fmt.Errorf("--max-deletes must be 0 or more")
		}
		maxDeletes = o.MaxDeletes
	}
	minAdmins := 1
	if d.Settings.MinAdmins != nil {
		minAdmins = *d.Settings.MinAdmins
	}
	// A saved plan is read before anything is contacted: a missing or
	// foreign file is the user's first problem to hear about.
	var saved *plan.Plan
	if o.PlanFile != "" {
		if saved, err = readPlanFile(o.PlanFile); err != nil {
			return err
		}
	}
	if !o.Yes && !f.IO.CanPrompt() {
		return fmt.Errorf("refusing to apply without confirmation: no terminal can answer, so pass --yes")
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
	if saved != nil {
		if stale := staleness(saved, p, d.Digest, s.conn.Project); len(stale) > 0 {
			for _, line := range stale {
				fmt.Fprintln(f.IO.ErrOut, "  "+line)
			}
			return fmt.Errorf("the saved plan %s is stale (%s); make a new plan and review it", o.PlanFile, count(len(stale), "difference"))
		}
		p = saved
	}
	if p.Summary.Total() == 0 {
		render.Text(f.IO.ErrOut, p, render.Options{Color: f.IO.ColorEnabled()})
		return writeReport(o.Report, p, &apply.Report{Results: []apply.Result{}}, nil, time.Now(), 0)
	}
	caller, err := callerIdentity(ctx, s, res.live)
	if err != nil {
		return apiExit(err)
	}
	violations := apply.Check(p, res.live, apply.Guardrails{
		MaxDeletes: maxDeletes, MinAdmins: minAdmins, Prune: po.prune, AllowDeleteGroups: po.allowDeleteGroups, Caller: caller,
	})
	secret := func(name string) (string, bool) { v := f.Getenv(name); return v, v != "" }
	for _, m := range remote.CheckSecrets(p, secret) {
		violations = append(violations, apply.Violation{Rule: "password_env", Message: m})
	}
	render.Text(f.IO.ErrOut, p, render.Options{Color: f.IO.ColorEnabled()})
	if len(violations) > 0 {
		fmt.Fprintln(f.IO.ErrOut, "\nRefusing to apply; nothing was changed:")
		for _, v := range violations {
			fmt.Fprintln(f.IO.ErrOut, "  - "+v.String())
		}
		_ = writeReport(o.Report, p, &apply.Report{Results: []apply.Result{}}, violations, time.Now(), 0)
		return withExit(ExitError, nil)
	}
	if caller == nil {
		fmt.Fprintln(f.IO.ErrOut, "note: the identity reposync runs as is unknown (AK/SK or token credentials), so the guard for its own admin role is inactive")
	}
	if !o.Yes {
		ok, err := confirm(f, fmt.Sprintf("Apply %s (%s)? Type 'yes' to continue: ", count(p.Summary.Total()-p.Summary.Manual, "change"), p.Summary.Line()))
		if err != nil {
			return err
		}
		if !ok {
			return withExit(ExitError, fmt.Errorf("apply cancelled; nothing was changed"))
		}
	}
	start := time.Now()
	prog := newProgress(f, start)
	rep := apply.Run(ctx, p, s.remote.NewWriter(secret), apply.Options{Concurrency: s.conn.Concurrency, FailFast: o.FailFast, OnProgress: prog.update})
	prog.finish()
	elapsed := time.Since(start)
	for _, r := range rep.Results {
		if r.Status == apply.StatusFailed {
			code := ""
			if r.Code != "" {
				code = " [" + r.Code + "]"
			}
			fmt.Fprintf(f.IO.ErrOut, "failed: %s%s: %s\n", r.Address, code, r.Message)
		}
	}
	fmt.Fprintf(f.IO.ErrOut, "Apply finished in %s: %d done, %d failed, %d skipped, %d manual.\n",
		elapsed.Round(10*time.Millisecond), rep.Summary.Done, rep.Summary.Failed, rep.Summary.Skipped, rep.Summary.Manual)
	if err := writeReport(o.Report, p, rep, nil, start, elapsed); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return withExit(ExitError, fmt.Errorf("interrupted; run plan to see what is left"))
	}
	if rep.Summary.Failed > 0 || rep.Summary.Skipped > 0 {
		return withExit(ExitApplyFailed, nil)
	}
	return nil
}

// callerIdentity finds the identity reposync runs as, when the credentials
// name it (IAM password login); AK/SK and tokens do not say who they are.
func callerIdentity(ctx context.Context, s *session, live *state.Live) (*state.LiveUser, error) {
	iamID, ok, err := s.api.CallerIAMID(ctx)
	if err != nil || !ok {
		return nil, err
	}
	for _, u := range live.Users {
		if u.IAMID == iamID {
			return &u, nil
		}
	}
	// Not a member of the project: it cannot lose an admin role here.
	return &state.LiveUser{IAMID: iamID}, nil
}

func readPlanFile(path string) (*plan.Plan, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer fh.Close()
	return plan.Decode(fh)
}

// staleness compares a saved plan with what was just read: the spec digest,
// the project, and every live object fingerprint the plan recorded.
func staleness(saved, fresh *plan.Plan, digest, project string) []string {
	var out []string
	if saved.Project != project {
		out = append(out, fmt.Sprintf("the plan is for project %s, not %s", saved.Project, project))
	}
	if saved.SpecDigest != digest {
		out = append(out, "the spec changed since the plan was made")
	}
	keys := make([]string, 0, len(saved.Live))
	for k := range saved.Live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		now, ok := fresh.Live[k]
		switch {
		case !ok:
			out = append(out, k+" is gone")
		case now != saved.Live[k]:
			out = append(out, k+" changed")
		}
	}
	return out
}

func confirm(f *Factory, question string) (bool, error) {
	fmt.Fprint(f.IO.ErrOut, question)
	line, err := bufio.NewReader(f.IO.In).ReadString('\n')
	if err != nil && line == "" {
		return false, fmt.Errorf("read confirmation: %w", err)
	}
	return strings.TrimSpace(line) == "yes", nil
}

func writeReport(path string, p *plan.Plan, rep *apply.Report, violations []apply.Violation, start time.Time, elapsed time.Duration) error {
	if path == "" {
		return nil
	}
	if violations == nil {
		violations = []apply.Violation{}
	}
	doc := applyReport{
		FormatVersion: 1, ToolVersion: Version, Project: p.Project, SpecDigest: p.SpecDigest,
		StartedAt: start.UTC().Format(time.RFC3339), Seconds: elapsed.Seconds(),
		Summary: rep.Summary, Results: rep.Results, Violations: violations,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return writeFileAtomic(path, buf.Bytes(), 0o644)
}

// progress shows apply's progress: a redrawn bar on a terminal, a line every
// tenth of the work otherwise.
type progress struct {
	f        *Factory
	start    time.Time
	tty      bool
	lastTick int
	drawn    bool
}

func newProgress(f *Factory, start time.Time) *progress {
	return &progress{f: f, start: start, tty: f.IO.ProgressEnabled()}
}

func (p *progress) update(pr apply.Progress) {
	finished := pr.Done + pr.Failed + pr.Skipped
	if pr.Total == 0 {
		return
	}
	elapsed := time.Since(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(finished) / elapsed
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(pr.Total-finished)/rate) * time.Second).Round(time.Second).String()
	}
	if p.tty {
		const width = 30
		filled := width * finished / pr.Total
		fmt.Fprintf(p.f.IO.ErrOut, "\r[%s%s] %d/%d changes, %.1f/s, ETA %s, %d failed ",
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), finished, pr.Total, rate, eta, pr.Failed)
		p.drawn = true
		return
	}
	tick := 10 * finished / pr.Total
	if tick > p.lastTick || finished == pr.Total {
		p.lastTick = tick
		fmt.Fprintf(p.f.IO.ErrOut, "progress: %d/%d changes (%d%%), %d failed, %.1f changes/s\n", finished, pr.Total, 100*finished/pr.Total, pr.Failed, rate)
	}
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.f.IO.ErrOut)
	}
}
