package apply

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/reposync/reposync/internal/plan"
)

// Mutator performs one step — one API write covering the given changes —
// against the world. It returns nil when every change took effect. An error
// implementing PartialError names the changes of a batch that failed while
// the others took effect; any other error fails every change of the step.
// Retries belong to the API client, not here.
type Mutator interface {
	Apply(ctx context.Context, op plan.Op, changes []plan.Change) error
}

// PartialError is implemented by errors that fail only some changes of a
// batch: FailedChanges maps change addresses to their errors.
type PartialError interface {
	error
	FailedChanges() map[plan.Address]error
}

// Status is the outcome of one change.
type Status string

// The outcomes of a change.
const (
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped" // a step it depends on failed, or --fail-fast stopped the run
	StatusManual  Status = "manual"  // needs a person; nothing was called
	// StatusNotStarted: the run was interrupted before the change was sent.
	StatusNotStarted Status = "not_started"
)

// Result is what happened to one change.
type Result struct {
	Address plan.Address `json:"address"`
	Kind    plan.Kind    `json:"kind"`
	Action  plan.Action  `json:"action"`
	Status  Status       `json:"status"`
	Op      plan.Op      `json:"operation,omitempty"`
	// Code and Message carry the API's error_code and error_msg on failure,
	// or why a change was skipped.
	Code    string `json:"error_code,omitempty"`
	Message string `json:"message,omitempty"`
	// Confirmed: a read after the write shows the change made (the caller
	// reads back; Run never sets it).
	Confirmed bool `json:"confirmed,omitempty"`
}

// Report is the result of every change of the plan, sorted by address.
type Report struct {
	Results []Result `json:"results"`
	Summary Counts   `json:"summary"`
}

// Counts tallies results per status.
type Counts struct {
	Done       int `json:"done"`
	Failed     int `json:"failed"`
	Skipped    int `json:"skipped"`
	Manual     int `json:"manual"`
	NotStarted int `json:"not_started"`
}

// Line is the one-line tally for people: "3 done, 1 failed, 0 skipped,
// 2 manual", with the changes not started when there are any.
func (c Counts) Line() string {
	s := fmt.Sprintf("%d done, %d failed, %d skipped, %d manual", c.Done, c.Failed, c.Skipped, c.Manual)
	if c.NotStarted > 0 {
		s += fmt.Sprintf(", %d not started", c.NotStarted)
	}
	return s
}

// Progress is reported after every finished step.
type Progress struct {
	Done, Failed, Skipped, NotStarted, Total int // changes
}

// Options tune a run.
type Options struct {
	// Concurrency bounds the steps in flight; at least 1.
	Concurrency int
	// FailFast stops starting new steps after the first failure.
	FailFast bool
	// OnProgress, when set, is called after each step, from one goroutine
	// at a time.
	OnProgress func(Progress)
	// OnSettled, when set, is called once for each object the plan writes
	// to (a repository, a group, the Git authorizations: a change's
	// address's Owner) as soon as every step writing to it has ended, with
	// the results of its changes, from one goroutine at a time, while the
	// other objects are still being written: apply confirms a repository
	// then, in the read budget the writes leave idle. It must not block.
	OnSettled func(owner plan.Address, results []Result)
	// Grace is how long writes already in flight may finish after the run
	// is interrupted (ctx ends): an interrupted run stops starting steps at
	// once, but a write cut off mid-request leaves an outcome nobody knows.
	// 0 cancels them with ctx.
	Grace time.Duration
}

// coder is implemented by API errors that carry an error code.
type coder interface{ ErrorCode() string }

// Run executes the plan's steps with at most o.Concurrency in flight. A
// failing step never cancels its independent siblings; steps that depend on
// it are skipped. Cancelling ctx stops starting new steps; in-flight ones
// get o.Grace to finish before their context is cancelled too.
func Run(ctx context.Context, p *plan.Plan, m Mutator, o Options) *Report {
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer wcancel()
	stopGrace := context.AfterFunc(ctx, func() {
		if o.Grace <= 0 {
			wcancel()
			return
		}
		t := time.AfterFunc(o.Grace, wcancel)
		context.AfterFunc(wctx, func() { t.Stop() })
	})
	defer stopGrace()
	steps := BuildSteps(p)
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	results := map[plan.Address]*Result{}
	for _, c := range p.Changes {
		r := &Result{Address: c.Address, Kind: c.Kind, Action: c.Action}
		if c.Action == plan.Manual {
			r.Status, r.Message = StatusManual, c.Reason
		}
		results[c.Address] = r
	}
	total := 0
	// open counts each owner's steps not ended yet; a step's changes have
	// one owner (batches are per owner).
	open := map[plan.Address]int{}
	owned := map[plan.Address][]plan.Address{}
	for _, s := range steps {
		total += len(s.Changes)
		owner := s.Changes[0].Address.Owner()
		open[owner]++
		for _, c := range s.Changes {
			owned[owner] = append(owned[owner], c.Address)
		}
	}
	ended := func(id int) {
		owner := steps[id].Changes[0].Address.Owner()
		if open[owner]--; open[owner] > 0 || o.OnSettled == nil {
			return
		}
		rs := make([]Result, len(owned[owner]))
		for i, a := range owned[owner] {
			rs[i] = *results[a]
		}
		o.OnSettled(owner, rs)
	}

	dependents := map[int][]int{}
	pending := make([]int, len(steps))
	for _, s := range steps {
		pending[s.ID] = len(s.Deps)
		for _, d := range s.Deps {
			dependents[d] = append(dependents[d], s.ID)
		}
	}
	type outcome struct {
		step *Step
		err  error
	}
	done := make(chan outcome, len(steps))
	var g errgroup.Group
	g.SetLimit(o.Concurrency)

	// Only this goroutine touches results and prog; workers just call the
	// mutator and send their outcome.
	prog := Progress{Total: total}
	finished := make([]bool, len(steps))
	stopped := ""
	stoppedAs := StatusSkipped
	launch := func(s *Step) {
		for _, c := range s.Changes {
			results[c.Address].Op = s.Op
		}
		g.Go(func() error {
			done <- outcome{s, m.Apply(wctx, s.Op, s.Changes)}
			return nil
		})
	}
	var skip func(id int, status Status, why string)
	skip = func(id int, status Status, why string) {
		if finished[id] {
			return
		}
		finished[id] = true
		for _, c := range steps[id].Changes {
			r := results[c.Address]
			r.Status, r.Op, r.Message = status, steps[id].Op, why
			if status == StatusNotStarted {
				prog.NotStarted++
			} else {
				prog.Skipped++
			}
		}
		ended(id)
		for _, dep := range dependents[id] {
			if status == StatusNotStarted {
				skip(dep, status, why)
			} else {
				skip(dep, status, "skipped because "+steps[id].Changes[0].Address.String()+" did not succeed")
			}
		}
	}

	// The coordinator keeps a queue of ready steps and launches one only
	// when a slot is free, so it can stop launching at once (fail-fast,
	// interruption); errgroup's limit is the hard bound on what runs.
	var ready []*Step
	for _, s := range steps {
		if pending[s.ID] == 0 {
			ready = append(ready, s)
		}
	}
	queue := interleave(ready)
	inFlight := 0
	for {
		if stopped == "" && ctx.Err() != nil {
			stopped, stoppedAs = "not started: the run was interrupted", StatusNotStarted
		}
		if stopped != "" {
			for _, s := range queue {
				skip(s.ID, stoppedAs, stopped)
			}
			queue = nil
		}
		for inFlight < o.Concurrency && len(queue) > 0 {
			launch(queue[0])
			queue = queue[1:]
			inFlight++
		}
		if inFlight == 0 {
			break
		}
		out := <-done
		inFlight--
		finished[out.step.ID] = true
		failedAll := record(results, out.step, out.err, &prog)
		ended(out.step.ID)
		if out.err != nil && o.FailFast && stopped == "" {
			stopped = "not started: --fail-fast stopped the run after the first failure"
		}
		for _, id := range dependents[out.step.ID] {
			if failedAll || out.err != nil && !isPartial(out.err) {
				if ctx.Err() != nil {
					skip(id, StatusNotStarted, "not started: the run was interrupted")
				} else {
					skip(id, StatusSkipped, "skipped because "+out.step.Changes[0].Address.String()+" failed")
				}
				continue
			}
			pending[id]--
			if pending[id] == 0 && !finished[id] {
				queue = append(queue, steps[id])
			}
		}
		if o.OnProgress != nil {
			o.OnProgress(prog)
		}
	}
	_ = g.Wait()
	// Anything never started (only possible when stopped) is skipped.
	for _, s := range steps {
		if !finished[s.ID] {
			skip(s.ID, stoppedAs, stopped)
		}
	}

	rep := &Report{}
	for _, r := range results {
		rep.Results = append(rep.Results, *r)
		switch r.Status {
		case StatusDone:
			rep.Summary.Done++
		case StatusFailed:
			rep.Summary.Failed++
		case StatusSkipped:
			rep.Summary.Skipped++
		case StatusManual:
			rep.Summary.Manual++
		case StatusNotStarted:
			rep.Summary.NotStarted++
		}
	}
	sort.Slice(rep.Results, func(i, j int) bool { return rep.Results[i].Address.Less(rep.Results[j].Address) })
	return rep
}

// interleave orders steps round-robin by operation, keeping each
// operation's own order. The gateway budgets every operation separately, so
// a queue of one operation's steps would leave the workers waiting on one
// bucket while the others sit idle.
func interleave(steps []*Step) []*Step {
	var ops []plan.Op
	byOp := map[plan.Op][]*Step{}
	for _, s := range steps {
		if _, ok := byOp[s.Op]; !ok {
			ops = append(ops, s.Op)
		}
		byOp[s.Op] = append(byOp[s.Op], s)
	}
	out := make([]*Step, 0, len(steps))
	for len(out) < len(steps) {
		for _, op := range ops {
			if q := byOp[op]; len(q) > 0 {
				out = append(out, q[0])
				byOp[op] = q[1:]
			}
		}
	}
	return out
}

func isPartial(err error) bool {
	var pe PartialError
	return errors.As(err, &pe)
}

// record stores a step's outcome in its changes' results and reports whether
// every change of the step failed.
func record(results map[plan.Address]*Result, s *Step, err error, prog *Progress) (failedAll bool) {
	var pe PartialError
	partial := errors.As(err, &pe)
	var ce map[plan.Address]error
	if partial {
		ce = pe.FailedChanges()
	}
	failed := 0
	for _, c := range s.Changes {
		r := results[c.Address]
		var cerr error
		switch {
		case err == nil:
		case partial:
			cerr = ce[c.Address]
		default:
			cerr = err
		}
		if cerr == nil {
			r.Status = StatusDone
			prog.Done++
			continue
		}
		failed++
		if errors.Is(cerr, context.Canceled) && !outcomeUnknown(cerr) {
			// Interrupted before the write was sent (waiting for the rate
			// budget or a back-off): nothing happened.
			r.Status, r.Message = StatusNotStarted, "not started: the run was interrupted"
			prog.NotStarted++
			continue
		}
		r.Status, r.Message = StatusFailed, cerr.Error()
		var cd coder
		if errors.As(cerr, &cd) {
			r.Code = cd.ErrorCode()
		}
		prog.Failed++
	}
	return failed == len(s.Changes) && failed > 0
}

// outcomeUnknown reports whether err says a write was sent and its answer
// never came (the API client's ambiguous outcome), through an optional
// method so this package need not import the client.
func outcomeUnknown(err error) bool {
	var u interface{ OutcomeUnknown() bool }
	return errors.As(err, &u) && u.OutcomeUnknown()
}
