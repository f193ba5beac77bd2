package api

// Options and helpers that only the tests use.

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// WithHTTPClient uses hc's transport. The client installs its own
// authentication transport and redirect policy on a copy, without hc's
// Timeout (WithAttemptTimeout and WithCallTimeout bound every request); hc is
// not changed.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("nil http client")
		}
		c.base = hc
		return nil
	}
}

// WithAttemptTimeout bounds one attempt, from sending the request to the
// last byte of the answer (a server that never answers, or trickles its
// answer, is cut off); the default is DefaultAttemptTimeout. An idempotent
// call is then retried; a POST that was sent is ambiguous.
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("attempt timeout must be positive, got %s", d)
		}
		c.attemptTimeout = d
		return nil
	}
}

// WithCallTimeout bounds one call across all its attempts, back-offs and
// rate-budget waits; the default is DefaultCallTimeout. A shorter deadline of
// the call's context still wins. The CLI's --timeout is an overall bound of
// its own, set on the context.
func WithCallTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("call timeout must be positive, got %s", d)
		}
		c.callTimeout = d
		return nil
	}
}

// WithClock injects the clock used for signing dates, budgets and back-off.
func WithClock(clk Clock) Option {
	return func(c *Client) error {
		if clk == nil {
			return fmt.Errorf("nil clock")
		}
		c.clock = clk
		return nil
	}
}

func asError(err error) *Error {
	e, _ := errors.AsType[*Error](err)
	return e
}

// IsRedirect reports whether err is a 3xx answer, which the client never
// follows: the endpoint (or a proxy in front of it) points somewhere else.
func IsRedirect(err error) bool {
	e := asError(err)
	return e != nil && e.Kind == KindRedirect
}
