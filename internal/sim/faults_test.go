package sim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRateLimit(t *testing.T) {
	s, hs, clk := newTestServer(t, Options{RateLimit: 60}) // 1 per second, burst 1
	steps := []struct {
		name, path  string
		advance     time.Duration
		wantStatus  int
		retryAfter  string
		wantThrottl int
	}{
		{"first passes", "/v4/repositories/12345/members", 0, 200, "", 0},
		{"second is throttled", "/v4/repositories/12345/members", 0, 429, "1", 1},
		{"other operation has its own budget", "/v4/repositories/12345", 0, 200, "", 1},
		{"half a second is not enough", "/v4/repositories/12345/members", 500 * time.Millisecond, 429, "1", 2},
		{"refilled", "/v4/repositories/12345/members", 600 * time.Millisecond, 200, "", 2},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.Add(st.advance)
			r := call(t, hs, "token", "GET", st.path, "")
			if r.status != st.wantStatus {
				t.Fatalf("status %d, want %d", r.status, st.wantStatus)
			}
			if got := r.header.Get("Retry-After"); got != st.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, st.retryAfter)
			}
			if st.wantStatus == 429 {
				if diff := cmp.Diff(obj{"error_code": "APIG.0308"}, pick(r.json(t), "error_code")); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
			if got := s.Stats().Throttled["ListMembers"]; got != st.wantThrottl {
				t.Errorf("throttled = %d, want %d", got, st.wantThrottl)
			}
		})
	}
	t.Run("burst is ceil(N/60)", func(t *testing.T) {
		_, hs, _ := newTestServer(t, Options{RateLimit: 600}) // burst 10
		var codes []int
		for i := 0; i < 11; i++ {
			codes = append(codes, call(t, hs, "token", "GET", "/v4/repositories/12345", "").status)
		}
		want := []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429}
		if diff := cmp.Diff(want, codes); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("Retry-After counts down on the clock", func(t *testing.T) {
		_, hs, clk := newTestServer(t, Options{RateLimit: 6}) // one per 10 s
		type answer struct {
			Status     int
			RetryAfter string
		}
		var got []answer
		for _, advance := range []time.Duration{0, 0, 4 * time.Second, 5500 * time.Millisecond, 500 * time.Millisecond, time.Hour, 0} {
			clk.Add(advance)
			r := call(t, hs, "token", "GET", "/v4/repositories/12345", "")
			got = append(got, answer{r.status, r.header.Get("Retry-After")})
		}
		want := []answer{{200, ""}, {429, "10"}, {429, "6"}, {429, "1"}, {200, ""}, {200, ""}, {429, "10"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("zero is unlimited", func(t *testing.T) {
		_, hs, _ := newTestServer(t, Options{RateLimit: 0})
		for i := 0; i < 50; i++ {
			if r := call(t, hs, "token", "GET", "/v4/repositories/12345", ""); r.status != 200 {
				t.Fatalf("call %d: status %d", i, r.status)
			}
		}
	})
}

func TestFailRate(t *testing.T) {
	s, hs, _ := newTestServer(t, Options{FailRate: 1, Seed: 3})
	r := call(t, hs, "token", "POST", "/v4/"+testProject+"/groups", `{"name":"x"}`)
	if r.status != 500 && r.status != 503 {
		t.Fatalf("status %d, want 500 or 503", r.status)
	}
	if code := pick(r.json(t), "error_code").(map[string]any)["error_code"]; code == nil || code == "" {
		t.Errorf("no error_code in %s", r.body)
	}
	st := s.Stats()
	if diff := cmp.Diff(map[string]int{"CreateGroup": 1}, st.Failed); diff != "" {
		t.Errorf("failed (-want +got):\n%s", diff)
	}
	if st.Writes != 0 || len(s.Snapshot().Groups) != 3 {
		t.Errorf("a failed request acted: writes %d, groups %d", st.Writes, len(s.Snapshot().Groups))
	}
}

func TestFailRateIsSeeded(t *testing.T) {
	run := func() []int {
		_, hs, _ := newTestServer(t, Options{FailRate: 0.5, Seed: 42})
		var out []int
		for i := 0; i < 20; i++ {
			out = append(out, call(t, hs, "token", "GET", "/v4/repositories/12345", "").status)
		}
		return out
	}
	a, b := run(), run()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
	fails := 0
	for _, c := range a {
		if c != 200 {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("fail-rate 0.5 gave %d failures of %d", fails, len(a))
	}
}

func TestDropRate(t *testing.T) {
	s, hs, _ := newTestServer(t, Options{DropRate: 1, StatePath: filepath.Join(t.TempDir(), "state.yaml")})
	body := `{"name":"dropped"}`
	req, _ := http.NewRequest("POST", hs.URL+"/v4/"+testProject+"/groups", stringsReader(body))
	req.Header.Set("X-Auth-Token", testToken)
	resp, err := hs.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d), want a closed connection", resp.StatusCode)
	}
	st := s.Stats()
	if diff := cmp.Diff(map[string]int{"CreateGroup": 1}, st.Dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
	if st.Writes != 1 {
		t.Errorf("writes = %d, want 1 (the change is made before the drop)", st.Writes)
	}
	fx, err := LoadFixture(s.opts.StatePath) // as a crash now would leave it
	if err != nil {
		t.Fatal(err)
	}
	if got := fx.Groups[len(fx.Groups)-1].Path; got != "dropped" {
		t.Errorf("persisted last group %q, want dropped", got)
	}
	// Reads are never dropped.
	if r := call(t, hs, "token", "GET", "/v4/repositories/12345", ""); r.status != 200 {
		t.Errorf("read status %d", r.status)
	}
}

func TestLatency(t *testing.T) {
	t.Run("delays and counts", func(t *testing.T) {
		s, hs, _ := newTestServer(t, Options{Latency: time.Millisecond})
		call(t, hs, "token", "GET", "/v4/repositories/12345", "")
		if diff := cmp.Diff(map[string]int{"ShowRepository": 1}, s.Stats().Delayed); diff != "" {
			t.Errorf("delayed (-want +got):\n%s", diff)
		}
	})
	t.Run("cancelled request is not held", func(t *testing.T) {
		s, _, _ := newTestServer(t, Options{Latency: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequest("GET", "/v4/repositories/12345", nil).WithContext(ctx)
		req.Header.Set("X-Auth-Token", testToken)
		s.ServeHTTP(httptest.NewRecorder(), req)
		st := s.Stats()
		if st.Calls["ShowRepository"] != 1 || st.Delayed["ShowRepository"] != 0 {
			t.Errorf("calls %d delayed %d, want 1 and 0", st.Calls["ShowRepository"], st.Delayed["ShowRepository"])
		}
	})
}

func TestConcurrentClients(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.yaml")
	s, hs, _ := newTestServer(t, Options{StatePath: state})
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for _, c := range []struct{ path, body string }{
				{"/v4/" + testProject + "/groups", fmt.Sprintf(`{"name":"g%d","parent_id":100}`, i)},
				{"/v4/repositories/12345/file-push-permissions", fmt.Sprintf(`{"path":"/p%d"}`, i)},
			} {
				req, _ := http.NewRequest("POST", hs.URL+c.path, stringsReader(c.body))
				signRequest(req, []byte(c.body), t0, testAK, testSK)
				resp, err := hs.Client().Do(req)
				if err != nil {
					errs[i] = err
					return
				}
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					errs[i] = fmt.Errorf("%s: status %d", c.path, resp.StatusCode)
				}
			}
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	snap := s.Snapshot()
	ids := map[int64]bool{}
	for _, g := range snap.Groups {
		ids[g.ID] = true
	}
	rules := map[int64]bool{}
	for _, p := range snap.Repositories[0].PushRules {
		rules[p.ID] = true
	}
	if len(snap.Groups) != 3+n || len(ids) != 3+n || len(rules) != 1+n {
		t.Errorf("groups %d (distinct ids %d), rules %d (distinct %d)", len(snap.Groups), len(ids), len(snap.Repositories[0].PushRules), len(rules))
	}
	if got := s.Stats().Writes; got != 2*n {
		t.Errorf("writes = %d, want %d", got, 2*n)
	}
	saved, err := LoadFixture(state) // as a crash now would leave it
	if err != nil {
		t.Fatalf("reload state: %v", err)
	}
	if diff := cmp.Diff(snap, saved); diff != "" {
		t.Errorf("persisted state differs from memory (-mem +file):\n%s", diff)
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.yaml")
	_, hs, _ := newTestServer(t, Options{StatePath: state})
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v4/" + testProject + "/groups", `{"name":"new","parent_id":101}`},
		{"PUT", "/v1/repositories/" + gwUUID + "/members/" + hexID("user", "bob"), `{"role":20}`}, // alice is the creator
		{"POST", "/v1/" + testIAM + "/git/auths/bitbucket/password", `{"name":"b2","user":"u","password":"p"}`},
	} {
		if r := call(t, hs, "token", c.method, c.path, c.body); r.status >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	before := call(t, hs, "token", "GET", "/_sim/state", "").json(t)
	hs.Close()

	fx, err := LoadFixture(state) // no Close: as a crash would leave it
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(fx, Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	hs2 := httptest.NewServer(s2)
	defer hs2.Close()
	after := call(t, hs2, "token", "GET", "/_sim/state", "").json(t)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("state after restart (-before +after):\n%s", diff)
	}
	r := call(t, hs2, "token", "GET", "/v1/repositories/"+gwUUID+"/members?subject=bob", "")
	if diff := cmp.Diff(obj{"name": "bob", "role": 20.0}, pick(r.json(t).(map[string]any)["result"].(map[string]any)["users"].([]any)[0], "name", "role")); diff != "" {
		t.Errorf("bob's role after restart (-want +got):\n%s", diff)
	}
}

func TestStatsEndpoint(t *testing.T) {
	_, hs, _ := newTestServer(t, Options{})
	call(t, hs, "token", "GET", "/v4/repositories/12345", "")
	call(t, hs, "token", "DELETE", "/v4/"+testProject+"/groups/102", "")
	r := call(t, hs, "", "GET", "/_sim/stats", "")
	want := obj{"calls": obj{"ShowRepository": 1.0, "DeleteGroup": 1.0}, "throttled": obj{}, "failed": obj{}, "dropped": obj{}, "delayed": obj{}, "writes": 1.0}
	if diff := cmp.Diff(want, r.json(t)); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	st := call(t, hs, "", "GET", "/_sim/state", "")
	if st.status != 200 {
		t.Fatalf("state status %d", st.status)
	}
	for _, secret := range []string{testSK, testToken, "ci-bot-pass", `"secret"`} {
		if bytesContains(st.body, secret) {
			t.Errorf("/_sim/state leaks %q", secret)
		}
	}
}
