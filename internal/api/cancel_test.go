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

// waitForTimer blocks until some goroutine waits on clk, then cancels.
func cancelWhenWaiting(clk *fakeClock, cancel context.CancelFunc) {
	clk.mu.Lock()
	for clk.waiting == 0 {
		clk.cond.Wait()
	}
	clk.mu.Unlock()
	cancel()
}

// TestCancellationIsCanceled: whatever the call is doing when its context is
// cancelled, the error satisfies errors.Is(err, context.Canceled), so the
// CLI can say "not started" or "interrupted" instead of reporting a failure.
func TestCancellationIsCanceled(t *testing.T) {
	tests := []struct {
		name string
		// run starts the call; arrived is closed when a request reaches
		// the server's blocking handler.
		run       func(t *testing.T, srv *serverUnderTest) error
		ambiguous bool
		want      string
	}{
		{name: "cancelled before the call", want: "not started", run: func(t *testing.T, s *serverUnderTest) error {
			c := s.client(t, newFakeClock(true), Credentials{Token: tToken})
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := c.ShowRepository(ctx, 1)
			if s.hits.Load() != 0 {
				t.Errorf("%d requests sent after cancellation", s.hits.Load())
			}
			return err
		}},
		{name: "waiting for the rate budget", want: "wait for rate budget", run: func(t *testing.T, s *serverUnderTest) error {
			clk := newFakeClock(false) // timers fire only when driven: the budget wait ends by cancellation
			c := s.client(t, clk, Credentials{Token: tToken}, WithRateLimit(1))
			if _, err := c.ShowRepository(context.Background(), 2); err != nil { // spends the budget
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			go cancelWhenWaiting(clk, cancel)
			_, err := c.ShowRepository(ctx, 2)
			return err
		}},
		{name: "in a back-off", want: "back-off", run: func(t *testing.T, s *serverUnderTest) error {
			clk := newFakeClock(false)
			c := s.client(t, clk, Credentials{Token: tToken})
			ctx, cancel := context.WithCancel(context.Background())
			go cancelWhenWaiting(clk, cancel)
			_, err := c.ShowRepository(ctx, 3) // 503, then a back-off that never ends on its own
			return err
		}},
		{name: "GET in flight", run: func(t *testing.T, s *serverUnderTest) error {
			c := s.client(t, newFakeClock(true), Credentials{Token: tToken})
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-s.arrived; cancel() }()
			_, err := c.ShowRepository(ctx, 1)
			return err
		}},
		{name: "POST in flight", ambiguous: true, run: func(t *testing.T, s *serverUnderTest) error {
			c := s.client(t, newFakeClock(true), Credentials{Token: tToken})
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-s.arrived; cancel() }()
			return c.BatchDeleteRepositoryFilePushPermissions(ctx, 1, []int64{1})
		}},
		{name: "DELETE in flight", ambiguous: true, run: func(t *testing.T, s *serverUnderTest) error {
			c := s.client(t, newFakeClock(true), Credentials{Token: tToken})
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-s.arrived; cancel() }()
			_, err := c.DeleteGroup(ctx, "p", 1)
			return err
		}},
		{name: "IAM login in flight", run: func(t *testing.T, s *serverUnderTest) error {
			s.hangLogin = true
			c := s.client(t, newFakeClock(true), iamCreds, WithRegion("cn-north-4"))
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-s.arrived; cancel() }()
			_, err := c.ShowRepository(ctx, 2)
			return err
		}},
		{name: "IAM project id while logging in", run: func(t *testing.T, s *serverUnderTest) error {
			s.hangLogin = true
			c := s.client(t, newFakeClock(true), iamCreds, WithRegion("cn-north-4"))
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-s.arrived; cancel() }()
			_, err := c.IAMProjectID(ctx)
			return err
		}},
		{name: "waiting for another request's IAM login", want: "wait for the IAM login", run: func(t *testing.T, s *serverUnderTest) error {
			s.hangLogin = true
			c := s.client(t, newFakeClock(true), iamCreds, WithRegion("cn-north-4"))
			first, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = c.ShowRepository(first, 2) // logs in, and hangs there
			}()
			<-s.arrived
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := c.tokens.get(ctx, "") // must not queue behind the hanging login
			stop()
			<-done
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServerUnderTest(t)
			err := tt.run(t, s)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v does not satisfy errors.Is(err, context.Canceled)", err)
			}
			if IsAmbiguous(err) != tt.ambiguous {
				t.Errorf("IsAmbiguous = %v, want %v", IsAmbiguous(err), tt.ambiguous)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

// serverUnderTest serves repository 1 and the file push batch delete by
// hanging until the client goes away, repository 2 at once, repository 3
// with 503, and IAM logins (hanging when hangLogin is set).
type serverUnderTest struct {
	url       string
	hits      atomic.Int32
	arrived   chan struct{} // closed when the first hanging request arrives
	once      atomic.Bool
	hangLogin bool
}

func newServerUnderTest(t *testing.T) *serverUnderTest {
	srv, mux := newServer(t)
	s := &serverUnderTest{url: srv.URL, arrived: make(chan struct{})}
	hang := func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		if s.once.CompareAndSwap(false, true) {
			close(s.arrived)
		}
		<-r.Context().Done()
	}
	mux.HandleFunc("GET /v4/repositories/1", hang)
	mux.HandleFunc("POST /v4/repositories/1/file-push-permissions/batch-delete", hang)
	mux.HandleFunc("DELETE /v4/p/groups/1", hang)
	mux.HandleFunc("GET /v4/repositories/2", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		answer(w, 200, "", `{"id":2}`)
	})
	mux.HandleFunc("GET /v4/repositories/3", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		answer(w, 503, "", "")
	})
	mux.HandleFunc("POST /v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) {
		if s.hangLogin {
			hang(w, r)
			return
		}
		w.Header().Set("X-Subject-Token", "iam-tok")
		answer(w, 201, "", `{"token":{"expires_at":"2025-01-16T08:30:00Z","user":{"id":"`+tIAMUser+`"},"project":{"id":"`+tIAMProject+`"}}}`)
	})
	return s
}

func (s *serverUnderTest) client(t *testing.T, clk Clock, cr Credentials, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithEndpoint(s.url), WithClock(clk), WithCredentials(cr), WithCallTimeout(time.Hour), WithAttemptTimeout(time.Hour),
		WithRetry(RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 8 * time.Second, Seed: 7})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
