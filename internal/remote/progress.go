package remote

import (
	"context"
	"maps"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Progress counts the client's reads by API operation, each expected as it
// is queued and done as it ends (a read is one list, all its pages). A nil
// *Progress counts nothing; it is safe for concurrent use, and Counts is
// what a display polls.
type Progress struct {
	mu       sync.Mutex
	expected map[string]int
	done     map[string]int
}

// ReadCounts is a snapshot of a Progress.
type ReadCounts struct {
	Expected, Done int
	// Remaining is the reads still to make, by API operation.
	Remaining map[string]int
}

// NewProgress returns an empty Progress.
func NewProgress() *Progress {
	return &Progress{expected: map[string]int{}, done: map[string]int{}}
}

func (p *Progress) expect(op string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.expected[op]++
	p.mu.Unlock()
}

func (p *Progress) finish(op string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done[op]++
	p.mu.Unlock()
}

// Counts returns the totals so far.
func (p *Progress) Counts() ReadCounts {
	var c ReadCounts
	if p == nil {
		return c
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c.Remaining = maps.Clone(p.expected)
	for op, n := range p.expected {
		c.Expected += n
		c.Done += p.done[op]
		c.Remaining[op] = max(0, n-p.done[op])
	}
	return c
}

// SetProgress makes the client count its reads in p (nil: no counting).
func (c *Client) SetProgress(p *Progress) { c.progress.Store(p) }

// reads is a pool of read tasks, counted in the client's Progress. A task
// may add tasks while the pool runs (the walk adds a group's listing, or a
// repository's lists, as it finds them). Workers take the API operations
// in turn, each one's tasks in the order they came: the gateway budgets
// every operation separately, so a queue of one operation's tasks would
// leave the workers waiting on one bucket while the others sit idle.
type reads struct {
	progress *Progress

	mu     sync.Mutex
	cond   *sync.Cond
	queues map[string][]func(context.Context) error
	ops    []string // the operations in the order they first came
	turn   int      // the operation whose task is taken next
	queued int
	// busy counts the tasks running and the holds: the pool ends when
	// nothing is queued or busy.
	busy int
}

func (c *Client) newReads() *reads { return newReads(c.progress.Load()) }

func newReads(p *Progress) *reads {
	r := &reads{progress: p, queues: map[string][]func(context.Context) error{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *reads) add(op string, f func(context.Context) error) {
	r.progress.expect(op)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.queues[op]; !ok {
		r.ops = append(r.ops, op)
	}
	r.queues[op] = append(r.queues[op], func(ctx context.Context) error {
		defer r.progress.finish(op)
		return f(ctx)
	})
	r.queued++
	r.cond.Signal()
}

// hold keeps the pool running while a producer outside it may still add
// tasks; release ends the hold.
func (r *reads) hold() {
	r.mu.Lock()
	r.busy++
	r.mu.Unlock()
}

func (r *reads) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.busy--
	if r.busy == 0 && r.queued == 0 {
		r.cond.Broadcast()
	}
}

// take returns the next task, or nil when the pool is done or ctx ended.
func (r *reads) take(ctx context.Context) func(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ctx.Err() == nil {
		if r.queued > 0 {
			for {
				op := r.ops[r.turn%len(r.ops)]
				r.turn++
				if q := r.queues[op]; len(q) > 0 {
					r.queues[op] = q[1:]
					r.queued--
					r.busy++
					return q[0]
				}
			}
		}
		if r.busy == 0 {
			return nil
		}
		r.cond.Wait()
	}
	return nil
}

// run runs the tasks, those added while it runs included, at most limit at
// once, until none is queued or running; the first error cancels the rest.
// The bound is limit workers taking from the queue rather than errgroup's
// SetLimit: a task adding a task would block in g.Go while every slot is
// busy, and with all of them adding, none would ever free one.
func (r *reads) run(ctx context.Context, limit int) error {
	g, gctx := errgroup.WithContext(ctx)
	stop := context.AfterFunc(gctx, func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer stop()
	for range max(limit, 1) {
		g.Go(func() error {
			for {
				t := r.take(gctx)
				if t == nil {
					return gctx.Err()
				}
				err := t(gctx)
				r.release()
				if err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}
