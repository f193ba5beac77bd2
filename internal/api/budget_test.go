package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// checkSpacing asserts that a token bucket of perMinute (burst perMinute/60,
// at least 1) admitted the calls at times: in any window of length w, at
// most burst + perMinute·w/60s calls.
func checkSpacing(t *testing.T, name string, times []time.Time, perMinute int) {
	t.Helper()
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	burst := max(1, perMinute/60)
	interval := time.Minute / time.Duration(perMinute)
	// Calls i and i+burst+k must be at least (k+1) intervals apart.
	for i := range times {
		for k := 0; i+burst+k < len(times); k++ {
			if gap := times[i+burst+k].Sub(times[i]); gap < time.Duration(k+1)*interval {
				t.Fatalf("%s: calls %d and %d only %s apart, budget allows %s", name, i, i+burst+k, gap, time.Duration(k+1)*interval)
			}
		}
	}
}

func TestBudgetPerOperationInParallel(t *testing.T) {
	const perMinute, calls = 6, 20 // one call per 10 s, burst 1
	clk := newFakeClock(false)
	b := newBudget(perMinute, clk)
	var mu sync.Mutex
	times := map[string][]time.Time{}
	ops := []string{"ListMembers", "ListRepositoryUserGroups", "ListRepositoryFilePushPermissions"}
	n := calls * len(ops)
	for _, op := range ops {
		for range calls {
			go func() {
				defer clk.exit()
				if err := b.wait(context.Background(), op); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				times[op] = append(times[op], clk.Now())
				mu.Unlock()
			}()
		}
	}
	clk.run(n)
	for _, op := range ops {
		if len(times[op]) != calls {
			t.Fatalf("%s: %d calls admitted, want %d", op, len(times[op]), calls)
		}
		checkSpacing(t, op, times[op], perMinute)
	}
	// Every operation spends its own budget at the same time: the run takes
	// as long as one operation alone, (calls-1)·10 s, not three times that.
	if got, want := clk.Now().Sub(t0), time.Duration(calls-1)*10*time.Second; got != want {
		t.Errorf("run took %s of fake time, want %s", got, want)
	}
}

func TestBudgetPauseAfterThrottle(t *testing.T) {
	clk := newFakeClock(true)
	b := newBudget(600, clk)
	b.pause("ListMembers", t0.Add(30*time.Second))
	if err := b.wait(context.Background(), "ShowRepository"); err != nil {
		t.Fatal(err)
	}
	if got := len(clk.Sleeps()); got != 0 {
		t.Errorf("another operation waited %v", clk.Sleeps())
	}
	if err := b.wait(context.Background(), "ListMembers"); err != nil {
		t.Fatal(err)
	}
	if s := clk.Sleeps(); len(s) != 1 || s[0] != 30*time.Second {
		t.Errorf("paused operation slept %v, want [30s]", s)
	}
}

// TestBudgetThroughClient runs concurrent calls through the HTTP client and
// checks, at the server, that no operation exceeded its budget.
func TestBudgetThroughClient(t *testing.T) {
	const perMinute, workers = 12, 15 // one call per 5 s per operation
	srv, mux := newServer(t)
	clk := newFakeClock(false)
	var mu sync.Mutex
	seen := map[string][]time.Time{}
	record := func(op string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[op] = append(seen[op], clk.Now())
			mu.Unlock()
			answer(w, 200, "", `[]`)
		}
	}
	mux.HandleFunc("GET /v4/repositories/1/members", record("ListMembers"))
	mux.HandleFunc("GET /v4/repositories/1/user-groups", record("ListRepositoryUserGroups"))
	c := newClient(t, srv, clk, WithCredentials(Credentials{Token: tToken}), WithRateLimit(perMinute))
	for i := range workers {
		go func() {
			defer clk.exit()
			var err error
			if i%2 == 0 {
				_, err = c.ListMembers(context.Background(), 1)
			} else {
				_, err = c.ListRepositoryUserGroups(context.Background(), 1)
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	clk.run(workers)
	total := 0
	for op, times := range seen {
		checkSpacing(t, op, times, perMinute)
		total += len(times)
	}
	if total != workers {
		t.Errorf("server saw %d calls, want %d", total, workers)
	}
}

func TestRateLimitOptionValidated(t *testing.T) {
	_, err := New(WithEndpoint("http://127.0.0.1:1"), WithRateLimit(0))
	if err == nil || !strings.Contains(err.Error(), "rate limit") {
		t.Errorf("error %v, want a rate limit error", err)
	}
}
