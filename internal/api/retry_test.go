package api

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// answer writes status, optional Retry-After and a JSON error body.
func answer(w http.ResponseWriter, status int, retryAfter, body string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("X-Request-Id", "req-1")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

const throttleBody = `{"error_code":"APIG.0308","error_msg":"The request is throttled."}`

func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http date", t0.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		// No back-off at all: the retry waits only for the operation's
		// budget to allow the next call (600/min: 100 ms apart).
		{"date in the past", t0.Add(-time.Hour).Format(http.TimeFormat), 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					answer(w, 429, tt.retryAfter, throttleBody)
					return
				}
				answer(w, 200, "", `{"id":1}`)
			})
			clk := newFakeClock(true)
			c := newClient(t, srv, clk, WithCredentials(Credentials{Token: tToken}))
			repo, err := c.ShowRepository(context.Background(), 1)
			if err != nil || repo.ID != 1 {
				t.Fatalf("ShowRepository = %+v, %v", repo, err)
			}
			var want []time.Duration
			if tt.want > 0 {
				want = []time.Duration{tt.want}
			}
			if diff := cmp.Diff(want, clk.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]OpStats{"ShowRepository": {Calls: 2, Retries: 1, Throttled: 1}}, c.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestThrottleStormBacksOff(t *testing.T) {
	srv, mux := newServer(t)
	var hits atomic.Int32
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		answer(w, 429, "", throttleBody)
	})
	clk := newFakeClock(true)
	c := newClient(t, srv, clk, WithCredentials(Credentials{Token: tToken}))
	_, err := c.ShowRepository(context.Background(), 1)
	if !IsThrottled(err) {
		t.Fatalf("error %v is not throttled", err)
	}
	e := asError(err)
	if e.Code != "APIG.0308" || e.RequestID != "req-1" || e.Op != "ShowRepository" || e.Method != "GET" {
		t.Errorf("error fields: %+v", e)
	}
	if hits.Load() != 4 {
		t.Errorf("%d attempts, want 4 (MaxAttempts)", hits.Load())
	}
	sleeps := clk.Sleeps()
	if len(sleeps) != 3 {
		t.Fatalf("sleeps %v, want 3", sleeps)
	}
	// Equal jitter: attempt n waits within [d/2, d], d = min(8s, 1s·2^(n-1)).
	for i, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if sleeps[i] < d/2 || sleeps[i] > d {
			t.Errorf("sleep %d = %s, want within [%s, %s]", i, sleeps[i], d/2, d)
		}
	}
}

func TestBackoffCappedAndDeterministic(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: 5 * time.Second}
	a, b := newJitter(42), newJitter(42)
	for n := 1; n <= 10; n++ {
		da, db := p.backoff(n, a), p.backoff(n, b)
		if da != db {
			t.Errorf("attempt %d: same seed gave %s and %s", n, da, db)
		}
		if da > 5*time.Second {
			t.Errorf("attempt %d: %s exceeds the cap", n, da)
		}
	}
}

func TestRetryByMethodAndStatus(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		statuses []int // answers in order; the last repeats
		wantHits int32
		wantErr  bool
	}{
		{"GET 503 then ok", "GET", []int{503, 200}, 2, false},
		{"GET 500 then ok", "GET", []int{500, 200}, 2, false},
		{"GET 502 504 then ok", "GET", []int{502, 504, 200}, 3, false},
		{"GET 404 not retried", "GET", []int{404}, 1, true},
		{"DELETE 503 then ok", "DELETE", []int{503, 200}, 2, false},
		{"DeleteAuthorize 500 not retried", "DELETE", []int{500}, 1, true},
		{"DeleteAuthorize 502 not retried", "DELETE", []int{502}, 1, true},
		{"DeleteAuthorize 429 then ok", "DELETE", []int{429, 204}, 2, false},
		{"DeleteGroup 500 then ok", "DELETE group", []int{500, 202}, 2, false},
		{"POST 429 then ok", "POST", []int{429, 204}, 2, false},
		{"POST 503 then ok", "POST", []int{503, 204}, 2, false},
		{"POST 500 not retried", "POST", []int{500}, 1, true},
		{"POST 502 not retried", "POST", []int{502}, 1, true},
		{"POST 504 not retried", "POST", []int{504}, 1, true},
		{"GET 503 forever", "GET", []int{503}, 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			h := func(w http.ResponseWriter, r *http.Request) {
				n := int(hits.Add(1))
				st := tt.statuses[min(n, len(tt.statuses))-1]
				body := `{"error_code":"CH.000001","error_msg":"boom"}`
				if st < 300 {
					body = `{"status":"success"}`
				}
				answer(w, st, "", body)
			}
			mux.HandleFunc("GET /v4/repositories/1", h)
			mux.HandleFunc("POST /v4/repositories/1/file-push-permissions/batch-delete", h)
			mux.HandleFunc("DELETE /v1/"+tIAMProject+"/git/auths/a", h)
			mux.HandleFunc("DELETE /v4/"+tProject+"/groups/7", h)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			ctx := context.Background()
			var err error
			switch tt.method {
			case "GET":
				_, err = c.ShowRepository(ctx, 1)
			case "POST":
				err = c.BatchDeleteRepositoryFilePushPermissions(ctx, 1, []int64{1})
			case "DELETE":
				err = c.DeleteAuthorize(ctx, tIAMProject, "a")
			case "DELETE group":
				_, err = c.DeleteGroup(ctx, tProject, 7)
			}
			if (err != nil) != tt.wantErr {
				t.Errorf("error = %v, want error %v", err, tt.wantErr)
			}
			if hits.Load() != tt.wantHits {
				t.Errorf("%d attempts, want %d", hits.Load(), tt.wantHits)
			}
		})
	}
}

// dropAfterRead reads the request and closes the connection unanswered: the
// simulator's --drop-rate.
func dropAfterRead(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

func TestAmbiguousPostNotResent(t *testing.T) {
	srv, mux := newServer(t)
	var hits atomic.Int32
	mux.HandleFunc("POST /v4/repositories/1/file-push-permissions", dropAfterRead(&hits))
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
	_, err := c.CreateFilePushPermission(context.Background(), 1, NewFilePushPermission{Path: "/a"})
	if !IsAmbiguous(err) {
		t.Fatalf("error %v is not ambiguous", err)
	}
	if hits.Load() != 1 {
		t.Errorf("POST sent %d times, want 1", hits.Load())
	}
}

func TestDroppedGetRetried(t *testing.T) {
	srv, mux := newServer(t)
	var hits atomic.Int32
	mux.HandleFunc("GET /v4/repositories/1", dropAfterRead(&hits))
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
	_, err := c.ShowRepository(context.Background(), 1)
	e := asError(err)
	if e == nil || e.Kind != KindTransport || IsAmbiguous(err) {
		t.Fatalf("error %v, want a transport error", err)
	}
	if hits.Load() != 4 {
		t.Errorf("GET sent %d times, want 4", hits.Load())
	}
}

func TestPostNotWrittenIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // connection refused: nothing reached the server
	clk := newFakeClock(true)
	c := newClient(t, srv, clk, WithCredentials(Credentials{Token: tToken}))
	err := c.BatchDeleteRepositoryFilePushPermissions(context.Background(), 1, []int64{1})
	e := asError(err)
	if e == nil || e.Kind != KindTransport {
		t.Fatalf("error %v, want a transport error", err)
	}
	if got := len(clk.Sleeps()); got != 3 {
		t.Errorf("%d back-offs, want 3", got)
	}
}

func TestRetryResignsWithFreshDate(t *testing.T) {
	srv, mux := newServer(t)
	var dates []string
	mux.HandleFunc("POST /v4/repositories/1/file-push-permissions/batch-delete", func(w http.ResponseWriter, r *http.Request) {
		body := readBody(t, r)
		if err := verifySignature(r, body, tAK, tSK); err != nil {
			t.Errorf("attempt %d: %v", len(dates)+1, err)
		}
		dates = append(dates, r.Header.Get("X-Sdk-Date"))
		if len(dates) == 1 {
			answer(w, 429, "3", throttleBody)
			return
		}
		w.WriteHeader(204)
	})
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{AccessKey: tAK, SecretKey: tSK, ProjectID: tIAMProject}))
	if err := c.BatchDeleteRepositoryFilePushPermissions(context.Background(), 1, []int64{1}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"20250115T083000Z", "20250115T083003Z"}, dates); diff != "" {
		t.Errorf("X-Sdk-Date per attempt (-want +got):\n%s", diff)
	}
}

func TestContextCancelStopsBackoff(t *testing.T) {
	srv, mux := newServer(t)
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) { answer(w, 503, "", "") })
	clk := newFakeClock(false) // timers never fire: only cancellation ends the wait
	c := newClient(t, srv, clk, WithCredentials(Credentials{Token: tToken}))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		clk.mu.Lock()
		for clk.waiting == 0 {
			clk.cond.Wait()
		}
		clk.mu.Unlock()
		cancel()
	}()
	if _, err := c.ShowRepository(ctx, 1); err == nil || ctx.Err() == nil {
		t.Fatalf("error %v, want cancellation", err)
	}
}

func TestRetryAfterCappedAndAnnounced(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		policy     RetryPolicy
		wantSleep  time.Duration
		want       []WaitNotice
		wantText   string
	}{
		{name: "huge seconds", status: 429, retryAfter: "100000", wantSleep: 60 * time.Second,
			want:     []WaitNotice{{Op: "ShowRepository", Attempt: 2, Wait: 60 * time.Second, Reason: "Retry-After", RetryAfter: 100000 * time.Second}},
			wantText: "waiting 60s (Retry-After said 100000s, capped at 60s) before retrying ShowRepository"},
		{name: "far HTTP date", status: 429, retryAfter: t0.Add(2 * time.Hour).Format(http.TimeFormat), wantSleep: 60 * time.Second,
			want:     []WaitNotice{{Op: "ShowRepository", Attempt: 2, Wait: 60 * time.Second, Reason: "Retry-After", RetryAfter: 2 * time.Hour}},
			wantText: "waiting 60s (Retry-After said 7200s, capped at 60s) before retrying ShowRepository"},
		{name: "absurd seconds do not overflow", status: 503, retryAfter: "99999999999999999", wantSleep: 60 * time.Second,
			want: []WaitNotice{{Op: "ShowRepository", Attempt: 2, Wait: 60 * time.Second, Reason: "Retry-After", RetryAfter: time.Duration(math.MaxInt64/time.Second) * time.Second}}},
		{name: "under the cap", status: 503, retryAfter: "7", wantSleep: 7 * time.Second,
			want:     []WaitNotice{{Op: "ShowRepository", Attempt: 2, Wait: 7 * time.Second, Reason: "Retry-After", RetryAfter: 7 * time.Second}},
			wantText: "waiting 7s (Retry-After) before retrying ShowRepository"},
		{name: "one second is not announced", status: 429, retryAfter: "1", wantSleep: time.Second},
		{name: "throttled without Retry-After", status: 429, policy: RetryPolicy{MaxAttempts: 2, BaseDelay: 4 * time.Second, MaxDelay: 4 * time.Second, Seed: 1}},
		{name: "a 503 back-off is the client's own", status: 503, policy: RetryPolicy{MaxAttempts: 2, BaseDelay: 4 * time.Second, MaxDelay: 4 * time.Second, Seed: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					body := throttleBody
					if tt.status != 429 {
						body = `{"error_code":"CH.000001","error_msg":"busy"}`
					}
					answer(w, tt.status, tt.retryAfter, body)
					return
				}
				answer(w, 200, "", `{"id":1}`)
			})
			var mu sync.Mutex
			var got []WaitNotice
			clk := newFakeClock(true)
			opts := []Option{WithCredentials(Credentials{Token: tToken}), WithWaitNotice(func(n WaitNotice) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, n)
			})}
			if tt.policy.MaxAttempts > 0 {
				opts = append(opts, WithRetry(tt.policy))
			}
			c := newClient(t, srv, clk, opts...)
			if _, err := c.ShowRepository(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			sleeps := clk.Sleeps()
			if len(sleeps) == 0 {
				t.Fatal("no wait")
			}
			want := tt.want
			switch {
			case tt.name == "throttled without Retry-After":
				want = []WaitNotice{{Op: "ShowRepository", Attempt: 2, Wait: sleeps[0], Reason: "throttled"}}
			case tt.wantSleep != sleeps[0] && tt.wantSleep != 0:
				t.Errorf("waited %s, want %s", sleeps[0], tt.wantSleep)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("notices (-want +got):\n%s", diff)
			}
			if tt.wantText != "" && len(got) == 1 && got[0].String() != tt.wantText {
				t.Errorf("notice text %q, want %q", got[0].String(), tt.wantText)
			}
		})
	}
}
