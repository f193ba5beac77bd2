package sim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRequestLimits(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
	}{
		{"unknown endpoint", "GET", "/v4/nothing", "", 404, "CH.000404"},
		{"wrong method", "PATCH", "/v4/repositories/12345", "", 404, "CH.000404"},
		{"body over 12 MB", "POST", "/v4/repositories/12345/file-push-permissions", `{"path":"/` + strings.Repeat("a", 12<<20) + `"}`, 413, "APIG.0201"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hs, _ := newTestServer(t, Options{})
			r := call(t, hs, "token", tt.method, tt.path, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d", r.status, tt.wantStatus)
			}
			if diff := pick(r.json(t), "error_code"); diff.(map[string]any)["error_code"] != tt.wantCode {
				t.Errorf("error_code %v, want %s", diff, tt.wantCode)
			}
			if s.Stats().Writes != 0 {
				t.Errorf("a rejected request wrote")
			}
		})
	}
}

// countingBody is an endless request body that counts the bytes read from it.
type countingBody struct{ n atomic.Int64 }

func (c *countingBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	c.n.Add(int64(len(p)))
	return len(p), nil
}

func (c *countingBody) Close() error { return nil }

// TestBodyReadOnlyAfterAuthentication sends endless bodies: a request whose
// headers fail authentication is answered without reading a byte of it, an
// authenticated one reads at most the cap, and the unauthenticated IAM login
// reads at most 64 KiB.
func TestBodyReadOnlyAfterAuthentication(t *testing.T) {
	const path = "/v4/repositories/12345/file-push-permissions"
	tests := []struct {
		name       string
		path       string
		headers    func(r *http.Request)
		wantStatus int
		wantCode   string
		wantRead   int64 // bytes the simulator consumed
	}{
		{"no credentials", path, func(r *http.Request) {}, 401, "APIG.0301", 0},
		{"bad token", path, func(r *http.Request) { r.Header.Set("X-Auth-Token", "nope") }, 401, "APIG.0301", 0},
		{"malformed Authorization", path, func(r *http.Request) { r.Header.Set("Authorization", "Basic eA==") }, 401, "APIG.0301", 0},
		{"unknown access key", path, func(r *http.Request) { signRequest(r, nil, t0, "OTHERAK", testSK) }, 401, "APIG.0301", 0},
		{"date skew", path, func(r *http.Request) { signRequest(r, nil, t0.Add(-time.Hour), testAK, testSK) }, 401, "APIG.0301", 0},
		{"wrong project", path, func(r *http.Request) {
			r.Header.Set("X-Project-Id", strings.Repeat("a", 32))
			signRequest(r, nil, t0, testAK, testSK)
		}, 401, "APIG.0301", 0},
		{"signing headers right, body too big", path, func(r *http.Request) { signRequest(r, nil, t0, testAK, testSK) }, 413, "APIG.0201", maxBody + 1},
		{"token, body too big", path, func(r *http.Request) { r.Header.Set("X-Auth-Token", testToken) }, 413, "APIG.0201", maxBody + 1},
		{"IAM login capped at 64 KiB", "/v3/auth/tokens", func(r *http.Request) {}, 413, "APIG.0201", maxLoginBody + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newTestServer(t, Options{})
			body := &countingBody{}
			req := httptest.NewRequest("POST", tt.path, nil)
			req.Body = body
			req.ContentLength = -1
			tt.headers(req)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			got := struct {
				Status int
				Code   any
				Read   int64
			}{rec.Code, pick(result{body: rec.Body.Bytes()}.json(t), "error_code").(map[string]any)["error_code"], body.n.Load()}
			want := struct {
				Status int
				Code   any
				Read   int64
			}{tt.wantStatus, tt.wantCode, tt.wantRead}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnauthenticatedBodiesOverHTTP: 16 unauthenticated 12 MB POSTs over real
// connections are answered 401 and the simulator reads none of their bytes.
func TestUnauthenticatedBodiesOverHTTP(t *testing.T) {
	s, _, _ := newTestServer(t, Options{})
	var read atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &countingReadCloser{rc: r.Body, n: &read}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	for i := 0; i < 16; i++ {
		req, _ := http.NewRequest("POST", hs.URL+"/v4/"+testProject+"/groups", strings.NewReader(strings.Repeat("x", maxBody)))
		resp, err := hs.Client().Do(req)
		if err != nil {
			// The server may close the connection before the client has
			// sent the whole body; that is a rejection too.
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("request %d: status %d, want 401", i, resp.StatusCode)
		}
	}
	if got := read.Load(); got != 0 {
		t.Errorf("the simulator read %d body bytes of unauthenticated requests, want 0", got)
	}
	if got := s.Stats().Calls["CreateGroup"]; got == 0 {
		t.Errorf("no CreateGroup call counted: %v", fmt.Sprint(s.Stats().Calls))
	}
}

type countingReadCloser struct {
	rc io.ReadCloser
	n  *atomic.Int64
}

func (c *countingReadCloser) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReadCloser) Close() error { return c.rc.Close() }
