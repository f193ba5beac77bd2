package api

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// budget holds one token bucket per API operation, shared by every goroutine
// using the client. The gateway limits each operation separately, so one
// exhausted operation never delays another.
type budget struct {
	perMinute int
	clock     Clock

	mu  sync.Mutex
	ops map[string]*opBucket
}

type opBucket struct {
	lim         *rate.Limiter
	pausedUntil time.Time // set by a 429 with a wait: the whole operation pauses
}

func newBudget(perMinute int, clock Clock) *budget {
	return &budget{perMinute: perMinute, clock: clock, ops: map[string]*opBucket{}}
}

// burst is 1: calls leave evenly spaced at the budget's rate. The gateway's
// own bucket allows a burst, which then absorbs network jitter instead of
// answering 429 to a call that arrives a few milliseconds early; a client
// burst would only spend that margin (and a full minute's burst would let
// twice the limit through in the first minute).
func (b *budget) burst() int { return 1 }

func (b *budget) bucket(op string) *opBucket {
	b.mu.Lock()
	defer b.mu.Unlock()
	ob := b.ops[op]
	if ob == nil {
		// A new bucket starts full: one burst, then perMinute/60 per second.
		ob = &opBucket{lim: rate.NewLimiter(rate.Limit(float64(b.perMinute)/60), b.burst())}
		b.ops[op] = ob
	}
	return ob
}

// wait blocks until op may make one call, or ctx ends.
func (b *budget) wait(ctx context.Context, op string) error {
	ob := b.bucket(op)
	for {
		now := b.clock.Now()
		b.mu.Lock()
		paused := ob.pausedUntil.Sub(now)
		b.mu.Unlock()
		if paused > 0 {
			if err := sleep(ctx, b.clock, paused); err != nil {
				return err
			}
			continue
		}
		r := ob.lim.ReserveN(now, 1)
		if !r.OK() {
			return fmt.Errorf("rate budget of %s cannot grant a call", op)
		}
		d := r.DelayFrom(now)
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, b.clock, d); err != nil {
			r.CancelAt(b.clock.Now())
			return err
		}
		return nil
	}
}

// pause stops op until t: the gateway said its budget is spent.
func (b *budget) pause(op string, until time.Time) {
	ob := b.bucket(op)
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(ob.pausedUntil) {
		ob.pausedUntil = until
	}
}

func sleep(ctx context.Context, clk Clock, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-clk.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
