package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hang answers nothing until the client gives up. It reads the body first:
// the server notices a closed connection only once the body is consumed.
func hang(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}
}

// trickle starts a 200 answer and then sends one byte every 10 ms, forever.
func trickle(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(200)
		for {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// neverClock is a Clock whose timers never fire: a back-off sleep ends only
// with its context.
type neverClock struct{}

func (neverClock) Now() time.Time                       { return t0 }
func (neverClock) After(time.Duration) <-chan time.Time { return nil }

// TestBoundedWaiting uses small real durations: the transport needs real
// time. It asserts on the error only, never on elapsed time.
func TestBoundedWaiting(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		handler  func(*atomic.Int32) http.HandlerFunc
		opts     []Option
		clock    Clock
		ctx      func() (context.Context, context.CancelFunc)
		want     string
		wantHits int32
		kind     Kind
		timeout  bool // IsTimeout
	}{
		{name: "never answers: every attempt cut off", method: "GET", handler: hang,
			opts: []Option{WithAttemptTimeout(50 * time.Millisecond), WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Second})},
			want: "no answer within 50ms (attempt 2 of 2)", wantHits: 2, kind: KindTimeout, timeout: true},
		{name: "trickling answer cut off", method: "GET", handler: trickle,
			opts: []Option{WithAttemptTimeout(100 * time.Millisecond), WithRetry(RetryPolicy{MaxAttempts: 1})},
			want: "answer (status 200) not complete within 100ms (attempt 1 of 1)", wantHits: 1, kind: KindTimeout, timeout: true},
		{name: "call timeout during an attempt", method: "GET", handler: hang,
			opts: []Option{WithAttemptTimeout(time.Minute), WithCallTimeout(100 * time.Millisecond)},
			want: "gave up after 100ms across 1 attempt", wantHits: 1, kind: KindTimeout, timeout: true},
		{name: "call timeout during a back-off", method: "GET",
			handler: func(hits *atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					answer(w, 503, "", `{"error_code":"CH.000001","error_msg":"busy"}`)
				}
			},
			opts:  []Option{WithCallTimeout(100 * time.Millisecond), WithRetry(RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})},
			clock: neverClock{},
			want:  "gave up after 100ms across 1 attempt; last failure: status 503 CH.000001: busy", wantHits: 1, kind: KindTimeout, timeout: true},
		{name: "a back-off longer than the call has left", method: "GET",
			handler: func(hits *atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { hits.Add(1); answer(w, 429, "30", throttleBody) }
			},
			opts: []Option{WithCallTimeout(5 * time.Second)},
			want: "gave up after 1 attempt: waiting 30s (Retry-After) before retrying ShowRepository would pass the call timeout of 5s; last failure: status 429 APIG.0308", wantHits: 1, kind: KindTimeout, timeout: true},
		{name: "POST cut off after its write is ambiguous", method: "POST", handler: hang,
			opts: []Option{WithAttemptTimeout(50 * time.Millisecond)},
			want: "outcome unknown (the request was sent; no complete answer came back): no answer within 50ms (attempt 1 of 4)", wantHits: 1, kind: KindAmbiguous, timeout: true},
		{name: "POST ended by the call timeout is ambiguous", method: "POST", handler: hang,
			opts: []Option{WithCallTimeout(50 * time.Millisecond)},
			want: "gave up after 50ms across 1 attempt", wantHits: 1, kind: KindAmbiguous, timeout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			mux.HandleFunc("GET /v4/repositories/1", tt.handler(&hits))
			mux.HandleFunc("POST /v4/repositories/1/file-push-permissions/batch-delete", tt.handler(&hits))
			clk := tt.clock
			if clk == nil {
				clk = newFakeClock(true)
			}
			c := newClient(t, srv, clk, append([]Option{WithCredentials(Credentials{Token: tToken})}, tt.opts...)...)
			var err error
			if tt.method == "GET" {
				_, err = c.ShowRepository(context.Background(), 1)
			} else {
				err = c.BatchDeleteRepositoryFilePushPermissions(context.Background(), 1, []int64{1})
			}
			t.Log(err)
			e := asError(err)
			if e == nil || e.Kind != tt.kind {
				t.Fatalf("error %v, want an *Error of kind %d", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if IsTimeout(err) != tt.timeout || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("IsTimeout %v, errors.Is DeadlineExceeded %v", IsTimeout(err), errors.Is(err, context.DeadlineExceeded))
			}
			if hits.Load() != tt.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), tt.wantHits)
			}
		})
	}
}

// TestCallerDeadlineWins: a shorter deadline of the caller's context ends
// the call with the caller's own error, not the client's bound.
func TestCallerDeadlineWins(t *testing.T) {
	tests := []struct {
		name    string
		handler func(*atomic.Int32) http.HandlerFunc
		want    string
	}{
		{"during an attempt", hang, "context deadline exceeded"},
		{"before a long wait", func(hits *atomic.Int32) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { hits.Add(1); answer(w, 429, "30", throttleBody) }
		}, "waiting 30s (Retry-After) before retrying ShowRepository would pass the deadline: context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			mux.HandleFunc("GET /v4/repositories/1", tt.handler(&hits))
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}), WithCallTimeout(time.Hour))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if tt.name == "during an attempt" {
				cancel()
				ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
			}
			defer cancel()
			_, err := c.ShowRepository(ctx, 1)
			t.Log(err)
			if !errors.Is(err, context.DeadlineExceeded) || IsTimeout(err) {
				t.Fatalf("error %v, want the caller's deadline", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "gave up") {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestTimeoutOptionsValidated(t *testing.T) {
	for _, o := range []Option{WithAttemptTimeout(0), WithCallTimeout(-time.Second)} {
		if _, err := New(WithEndpoint("http://127.0.0.1:1"), o); err == nil || !strings.Contains(err.Error(), "must be positive") {
			t.Errorf("error %v, want a positive-timeout error", err)
		}
	}
}

// TestCallerDeadlineKeepsTheCause: when the caller's deadline ends the
// retries early, the error still says what the last attempt met.
func TestCallerDeadlineKeepsTheCause(t *testing.T) {
	srv, mux := newServer(t)
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		answer(w, 503, "", `{"error_code":"CH.000503","error_msg":"backend unavailable"}`)
	})
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}), WithCallTimeout(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.ShowRepository(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "would pass the deadline") || !strings.Contains(err.Error(), "backend unavailable") {
		t.Fatalf("error %v: want the deadline and the last failure", err)
	}
	if strings.Contains(err.Error(), tToken) {
		t.Errorf("the token leaked: %v", err)
	}
}
