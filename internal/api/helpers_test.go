package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2025, 1, 15, 8, 30, 0, 0, time.UTC)

// fakeClock is the injected clock of the tests. In auto mode After advances
// time at once and records the delay; otherwise a driver (run) advances time
// to the earliest timer whenever every participant is blocked.
type fakeClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	auto    bool
	sleeps  []time.Duration
	timers  []fakeTimer
	waiting int
	exited  int
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(auto bool) *fakeClock {
	f := &fakeClock{now: t0, auto: auto}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	f.sleeps = append(f.sleeps, d)
	if f.auto {
		f.now = f.now.Add(d)
		ch <- f.now
		return ch
	}
	f.timers = append(f.timers, fakeTimer{at: f.now.Add(d), ch: ch})
	f.waiting++
	f.cond.Broadcast()
	return ch
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// exit marks one participant of run as finished.
func (f *fakeClock) exit() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exited++
	f.cond.Broadcast()
}

// run drives time for n participants until all of them exited.
func (f *fakeClock) run(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		for f.waiting+f.exited < n {
			f.cond.Wait()
		}
		if f.exited == n {
			return
		}
		sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].at.Before(f.timers[j].at) })
		f.now = f.timers[0].at
		for len(f.timers) > 0 && !f.timers[0].at.After(f.now) {
			f.timers[0].ch <- f.now
			f.timers = f.timers[1:]
			f.waiting--
		}
	}
}

// newServer starts an httptest server on a fresh mux.
func newServer(t *testing.T) (*httptest.Server, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, mux
}

func newClient(t *testing.T, srv *httptest.Server, clk Clock, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithEndpoint(srv.URL), WithClock(clk), WithUserAgent("reposync/test"),
		WithRetry(RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 8 * time.Second, Seed: 7})}
	c, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// jsonDiff compares two JSON texts semantically.
func jsonDiff(want, got string) string {
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		return fmt.Sprintf("bad want JSON %q: %v", want, err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return fmt.Sprintf("bad got JSON %q: %v", got, err)
	}
	return cmp.Diff(w, g)
}

// testEscape is an independent implementation of the signer's encoding:
// RFC 3986 unreserved characters stay, every other byte becomes %XX.
func testEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// verifySignature recomputes an SDK-HMAC-SHA256 signature as a gateway
// would, from the headers named in SignedHeaders, and reports a mismatch.
func verifySignature(r *http.Request, body []byte, ak, sk string) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "SDK-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("authorization %q is not SDK-HMAC-SHA256", auth)
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	if parts["Access"] != ak {
		return fmt.Errorf("access %q, want %q", parts["Access"], ak)
	}
	names := strings.Split(parts["SignedHeaders"], ";")
	if !strings.Contains(";"+parts["SignedHeaders"]+";", ";x-sdk-date;") {
		return fmt.Errorf("x-sdk-date not signed: %q", parts["SignedHeaders"])
	}
	var lines []string
	lines = append(lines, r.Method)
	segs := strings.Split(r.URL.Path, "/")
	for i := range segs {
		segs[i] = testEscape(segs[i])
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	lines = append(lines, uri)
	var qs []string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			qs = append(qs, testEscape(k)+"="+testEscape(v))
		}
	}
	sort.Strings(qs)
	lines = append(lines, strings.Join(qs, "&"))
	var hs strings.Builder
	for _, n := range names {
		v := r.Header.Get(n)
		if n == "host" {
			v = r.Host
		}
		hs.WriteString(n + ":" + strings.TrimSpace(v) + "\n")
	}
	lines = append(lines, hs.String(), parts["SignedHeaders"])
	sum := sha256.Sum256(body)
	lines = append(lines, hex.EncodeToString(sum[:]))
	creq := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	sts := "SDK-HMAC-SHA256\n" + r.Header.Get("X-Sdk-Date") + "\n" + hex.EncodeToString(creq[:])
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte(sts))
	if want := hex.EncodeToString(mac.Sum(nil)); want != parts["Signature"] {
		return fmt.Errorf("signature %s, want %s", parts["Signature"], want)
	}
	return nil
}

func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read request body: %v", err)
	}
	return b
}

func mustQuery(s string) url.Values {
	q, err := url.ParseQuery(s)
	if err != nil {
		panic(err)
	}
	return q
}

// ShowRepository is the plain GET most client tests send: an operation
// reposync itself no longer calls, so its client method lives here.
func (c *Client) ShowRepository(ctx context.Context, repoID int64) (struct{ ID int64 }, error) {
	var out struct{ ID int64 }
	_, err := c.getJSON(ctx, get("ShowRepository", svcRepo, "/v4/repositories/"+itoa(repoID), nil), &out)
	return out, err
}
