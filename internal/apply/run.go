package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/reposync/reposync/internal/plan"
)

// Mutator performs one step, one API write covering the given changes. It
// returns nil when every change took effect; a PartialError names the
// changes of a batch that failed while the others took effect, any other
// error fails them all. Retries belong to the API client, not here.
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

// Run executes the plan's steps with at most o.Concurrency in flight. A
// failing step never cancels its independent siblings; steps that depend on
// it are skipped. Cancelling ctx stops starting new steps; in-flight ones
// get o.Grace to finish before their context is cancelled too.
func Run(ctx context.Context, p *plan.Plan, m Mutator, o Options) *Report {
	wctx, cancel := graceContext(ctx, o.Grace)
	defer cancel()
	o.Concurrency = max(o.Concurrency, 1)
	s := newScheduler(p, m, o)
	s.run(ctx, wctx)
	return s.report()
}

// graceContext is the context writes run under: it ends grace after ctx
// does, at once when grace is 0 (Options.Grace).
func graceContext(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	wctx, wcancel := context.WithCancel(context.WithoutCancel(ctx))
	stopGrace := context.AfterFunc(ctx, func() {
		if grace <= 0 {
			wcancel()
			return
		}
		t := time.AfterFunc(grace, wcancel)
		context.AfterFunc(wctx, func() { t.Stop() })
	})
	return wctx, func() { stopGrace(); wcancel() }
}

// scheduler runs one plan's steps. Only the goroutine of run touches its
// fields; workers just call the mutator and send their outcome on done.
type scheduler struct {
	steps   []*Step
	m       Mutator
	o       Options
	results map[plan.Address]*Result
	prog    Progress
	// open counts each owner's steps not ended yet; a step's changes have
	// one owner (batches are per owner). owned lists each owner's changes.
	open  map[plan.Address]int
	owned map[plan.Address][]plan.Address
	// dependents of each step; pending: how many of its own deps have not
	// succeeded yet.
	dependents map[int][]int
	pending    []int
	finished   []bool
	// stopped says why no more steps start ("" while they do), as stoppedAs.
	stopped   string
	stoppedAs Status
	done      chan outcome
	g         errgroup.Group
}

type outcome struct {
	step *Step
	err  error
}

func newScheduler(p *plan.Plan, m Mutator, o Options) *scheduler {
	steps := BuildSteps(p)
	s := &scheduler{steps: steps, m: m, o: o, results: map[plan.Address]*Result{},
		open: map[plan.Address]int{}, owned: map[plan.Address][]plan.Address{},
		dependents: map[int][]int{}, pending: make([]int, len(steps)), finished: make([]bool, len(steps)),
		stoppedAs: StatusSkipped, done: make(chan outcome, len(steps))}
	for _, c := range p.Changes {
		r := &Result{Address: c.Address, Kind: c.Kind, Action: c.Action}
		if c.Action == plan.Manual {
			r.Status, r.Message = StatusManual, c.Reason
		}
		s.results[c.Address] = r
	}
	for _, st := range steps {
		s.prog.Total += len(st.Changes)
		owner := st.Changes[0].Address.Owner()
		s.open[owner]++
		for _, c := range st.Changes {
			s.owned[owner] = append(s.owned[owner], c.Address)
		}
		s.pending[st.ID] = len(st.Deps)
		for _, d := range st.Deps {
			s.dependents[d] = append(s.dependents[d], st.ID)
		}
	}
	s.g.SetLimit(o.Concurrency)
	return s
}

// run keeps a queue of ready steps and launches one only when a slot is
// free, so it can stop launching at once (fail-fast, interruption);
// errgroup's limit is the hard bound on what runs.
func (s *scheduler) run(ctx, wctx context.Context) {
	var ready []*Step
	for _, st := range s.steps {
		if s.pending[st.ID] == 0 {
			ready = append(ready, st)
		}
	}
	queue := interleave(ready)
	inFlight := 0
	for {
		if s.stopped == "" && ctx.Err() != nil {
			s.stopped, s.stoppedAs = interrupted, StatusNotStarted
		}
		if s.stopped != "" {
			for _, st := range queue {
				s.skip(st.ID, s.stoppedAs, s.stopped)
			}
			queue = nil
		}
		for ; inFlight < s.o.Concurrency && len(queue) > 0; inFlight++ {
			s.launch(wctx, queue[0])
			queue = queue[1:]
		}
		if inFlight == 0 {
			break
		}
		out := <-s.done
		inFlight--
		queue = append(queue, s.finish(ctx, out)...)
		if s.o.OnProgress != nil {
			s.o.OnProgress(s.prog)
		}
	}
	_ = s.g.Wait()
	// Anything never started (only possible when stopped) is skipped.
	for _, st := range s.steps {
		if !s.finished[st.ID] {
			s.skip(st.ID, s.stoppedAs, s.stopped)
		}
	}
}

func (s *scheduler) launch(wctx context.Context, st *Step) {
	for _, c := range st.Changes {
		s.results[c.Address].Op = st.Op
	}
	s.g.Go(func() error {
		s.done <- outcome{st, s.m.Apply(wctx, st.Op, st.Changes)}
		return nil
	})
}

// finish records a step's outcome and returns the dependents it made ready;
// those it made impossible are skipped.
func (s *scheduler) finish(ctx context.Context, out outcome) (ready []*Step) {
	s.finished[out.step.ID] = true
	failedAll := s.record(out.step, out.err)
	s.ended(out.step.ID)
	if out.err != nil && s.o.FailFast && s.stopped == "" {
		s.stopped = "not started: --fail-fast stopped the run after the first failure"
	}
	for _, id := range s.dependents[out.step.ID] {
		if failedAll {
			if ctx.Err() != nil {
				s.skip(id, StatusNotStarted, interrupted)
			} else {
				s.skip(id, StatusSkipped, "skipped because "+out.step.Changes[0].Address.String()+" failed")
			}
			continue
		}
		s.pending[id]--
		if s.pending[id] == 0 && !s.finished[id] {
			ready = append(ready, s.steps[id])
		}
	}
	return ready
}

// skip marks a step and everything depending on it as not run.
func (s *scheduler) skip(id int, status Status, why string) {
	if s.finished[id] {
		return
	}
	s.finished[id] = true
	st := s.steps[id]
	for _, c := range st.Changes {
		r := s.results[c.Address]
		r.Status, r.Op, r.Message = status, st.Op, why
	}
	if status == StatusNotStarted {
		s.prog.NotStarted += len(st.Changes)
	} else {
		s.prog.Skipped += len(st.Changes)
		why = "skipped because " + st.Changes[0].Address.String() + " did not succeed"
	}
	s.ended(id)
	for _, dep := range s.dependents[id] {
		s.skip(dep, status, why)
	}
}

// ended counts one step of its owner as over, and calls OnSettled when it
// was the owner's last.
func (s *scheduler) ended(id int) {
	owner := s.steps[id].Changes[0].Address.Owner()
	if s.open[owner]--; s.open[owner] > 0 || s.o.OnSettled == nil {
		return
	}
	rs := make([]Result, len(s.owned[owner]))
	for i, a := range s.owned[owner] {
		rs[i] = *s.results[a]
	}
	s.o.OnSettled(owner, rs)
}

func (s *scheduler) report() *Report {
	rep := &Report{}
	n := map[Status]int{}
	for _, r := range s.results {
		rep.Results = append(rep.Results, *r)
		n[r.Status]++
	}
	rep.Summary = Counts{Done: n[StatusDone], Failed: n[StatusFailed], Skipped: n[StatusSkipped], Manual: n[StatusManual],
		NotStarted: n[StatusNotStarted]}
	slices.SortFunc(rep.Results, func(a, b Result) int { return a.Address.Compare(b.Address) })
	return rep
}

// interleave orders steps round-robin by operation, each in its own order:
// the gateway budgets every operation separately, and a queue of one
// operation's steps would keep the workers on one bucket, the others idle.
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

// interrupted is why a change was not sent when the run was interrupted.
const interrupted = "not started: the run was interrupted"

// record stores a step's outcome in its changes' results and reports whether
// they all failed (always so for an error that is not a PartialError).
func (s *scheduler) record(st *Step, err error) (failedAll bool) {
	pe, partial := errors.AsType[PartialError](err)
	failed := 0
	for _, c := range st.Changes {
		r := s.results[c.Address]
		cerr := err
		if partial {
			cerr = pe.FailedChanges()[c.Address]
		}
		if cerr == nil {
			r.Status = StatusDone
			s.prog.Done++
			continue
		}
		failed++
		if errors.Is(cerr, context.Canceled) && !outcomeUnknown(cerr) {
			// Interrupted before the write was sent (waiting for the rate
			// budget or a back-off): nothing happened.
			r.Status, r.Message = StatusNotStarted, interrupted
			s.prog.NotStarted++
			continue
		}
		r.Status, r.Message = StatusFailed, cerr.Error()
		var cd interface{ ErrorCode() string } // an API error's error_code
		if errors.As(cerr, &cd) {
			r.Code = cd.ErrorCode()
		}
		s.prog.Failed++
	}
	return failed == len(st.Changes)
}

// outcomeUnknown reports whether err says a write was sent and its answer
// never came (the API client's ambiguous outcome), through an optional
// method so this package need not import the client.
func outcomeUnknown(err error) bool {
	var u interface{ OutcomeUnknown() bool }
	return errors.As(err, &u) && u.OutcomeUnknown()
}
