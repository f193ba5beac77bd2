package remote

import (
	"context"
	"maps"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Progress counts the reads of Walk and Read by API operation: what is
// expected grows as the walk finds groups and as Read plans its lists,
// and what is done as each finishes (a read is one list, all its pages). A nil *Progress
// counts nothing. It is safe for concurrent use; Counts is what a display
// polls.
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

func (p *Progress) expect(op string, n int) {
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	p.expected[op] += n
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
func (c *Client) SetProgress(p *Progress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.progress = p
}

func (c *Client) readProgress() *Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.progress
}

// reads is a batch of read tasks, each counted in the client's Progress
// under its API operation when it is added and when it finishes.
type reads struct {
	progress *Progress
	tasks    []func(context.Context) error
}

func (c *Client) newReads() *reads { return &reads{progress: c.readProgress()} }

func (r *reads) add(op string, f func(context.Context) error) {
	r.progress.expect(op, 1)
	r.tasks = append(r.tasks, func(ctx context.Context) error {
		defer r.progress.finish(op)
		return f(ctx)
	})
}

// run runs the tasks concurrently, at most limit at once; the first error
// cancels the rest.
func (r *reads) run(ctx context.Context, limit int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for _, t := range r.tasks {
		g.Go(func() error { return t(gctx) })
	}
	return g.Wait()
}
