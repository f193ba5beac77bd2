package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAK      = "SIMAK00000000000000000"
	testSK      = "SIMSKsecret000000000000000000000000000"
	testProject = "0b234373cf3f4b04ab2d8a245155e12b"
	testIAM     = "5109940fad834a4eb3e408182d3b5786"
	testToken   = "sim-token"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2025, 1, 15, 8, 30, 0, 0, time.UTC)

func loadTestFixture(t *testing.T) *Fixture {
	t.Helper()
	fx, err := LoadFixture("testdata/basic.yaml")
	if err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return fx
}

// newTestServer runs a simulator over testdata/basic.yaml on a real listener.
func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server, *fakeClock) {
	t.Helper()
	return newServerWith(t, loadTestFixture(t), opts)
}

// basicWith is testdata/basic.yaml with extra top-level YAML appended (a
// behaviour section, project members…) and edit applied to its text.
func basicWith(t *testing.T, extra string, edits ...string) *Fixture {
	t.Helper()
	data, err := os.ReadFile("testdata/basic.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(src, edits[i]) {
			t.Fatalf("basic.yaml has no %q", edits[i])
		}
		src = strings.Replace(src, edits[i], edits[i+1], 1)
	}
	fx, err := ParseFixture([]byte(src+extra), "basic.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return fx
}

// newServerWith runs a simulator over fx on a real listener, on a fake clock
// unless opts has one.
func newServerWith(t *testing.T, fx *Fixture, opts Options) (*Server, *httptest.Server, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: t0}
	if opts.Clock == nil {
		opts.Clock = clk.Now
	}
	s, err := New(fx, opts)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs, clk
}

// signRequest signs req as the SDK does: user-agent, x-project-id, x-sdk-date.
func signRequest(req *http.Request, body []byte, date time.Time, ak, sk string) {
	req.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	if req.Header.Get("X-Project-Id") == "" {
		req.Header.Set("X-Project-Id", testIAM)
	}
	d := date.UTC().Format(sdkDateLayout)
	req.Header.Set("X-Sdk-Date", d)
	h := map[string]string{"user-agent": req.Header.Get("User-Agent"), "x-project-id": req.Header.Get("X-Project-Id"), "x-sdk-date": d}
	sig := Sign(sk, req.Method, req.URL.EscapedPath(), req.URL.RawQuery, h, body, d)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+ak+", SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature="+sig)
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	return v
}

// call sends a request authenticated with the static token (auth "token"),
// signed with AK/SK (auth "aksk") or with nothing (auth "").
func call(t *testing.T, hs *httptest.Server, auth, method, path, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, hs.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch auth {
	case "token":
		req.Header.Set("X-Auth-Token", testToken)
	case "aksk":
		signRequest(req, []byte(body), t0, testAK, testSK)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: bytes.TrimSpace(b)}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func bytesContains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
