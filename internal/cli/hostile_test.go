package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

// Hostile servers (issue 12): a command run against a server that
// redirects, downgrades, never answers, trickles or asks to wait forever
// sends no secret anywhere else and ends within its bound with a clear
// message.

const hostileSecret = "HOSTILE-SECRET-9f3k"

// credentialEnvs are the three kinds of credentials, each carrying
// hostileSecret where a secret goes.
var credentialEnvs = map[string]map[string]string{
	"aksk":     {"HW_ACCESS_KEY": "HOSTILEAK0000000000000", "HW_SECRET_KEY": hostileSecret, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786"},
	"token":    {"HW_AUTH_TOKEN": hostileSecret, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786"},
	"password": {"HW_USER_NAME": "ci-bot", "HW_USER_PASSWORD": hostileSecret, "HW_DOMAIN_NAME": "acme", "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786"},
}

// recorder is a second server that counts what reaches it and whether a
// secret did.
type recorder struct {
	mu      sync.Mutex
	hits    int
	secrets int
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.hits++
	all := string(body) + req.URL.String()
	for k, vs := range req.Header {
		all += k + strings.Join(vs, " ")
	}
	if strings.Contains(all, hostileSecret) {
		r.secrets++
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`[]`))
}

func runWith(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Main(context.Background(), args, ios, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func withEndpoint(env map[string]string, endpoint string) map[string]string {
	out := map[string]string{"REPOSYNC_ENDPOINT": endpoint, "E2E_BB_PASSWORD": hostileSecret}
	for k, v := range env {
		out[k] = v
	}
	return out
}

func TestRedirectsAreNeverFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		for kind, creds := range credentialEnvs {
			t.Run(http.StatusText(status)+"/"+kind, func(t *testing.T) {
				elsewhere := &recorder{}
				other := httptest.NewServer(elsewhere)
				defer other.Close()
				first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					http.Redirect(w, r, other.URL+r.URL.Path, status)
				}))
				defer first.Close()
				code, out, errOut := runWith(t, withEndpoint(creds, first.URL), "plan", e2eSpec)
				if code == 0 {
					t.Fatalf("a redirect was taken for an answer: exit 0\n%s", out)
				}
				if elsewhere.hits != 0 {
					t.Errorf("the redirect target got %d requests (%d with the secret)", elsewhere.hits, elsewhere.secrets)
				}
				if !strings.Contains(errOut, "redirected to "+other.URL) || !strings.Contains(errOut, "never follows redirects") {
					t.Errorf("the error does not name the redirect:\n%s", errOut)
				}
				if strings.Contains(out+errOut, hostileSecret) {
					t.Error("the secret is in the output")
				}
			})
		}
	}
}

// A Git authorization's password goes only to the API: a 307 from
// CreatePasswordAuth must not re-send it elsewhere, nor count as done.
func TestPasswordBodyNeverFollowsARedirect(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	elsewhere := &recorder{}
	other := httptest.NewServer(elsewhere)
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/git/auths/") {
			io.Copy(io.Discard, r.Body)
			http.Redirect(rw, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer front.Close()
	w.env["REPOSYNC_ENDPOINT"] = front.URL
	w.env["E2E_BB_PASSWORD"] = hostileSecret
	code, out, errOut := w.run("apply", "--yes", e2eSpec)
	if code != ExitApplyFailed {
		t.Fatalf("exit %d, want 3 (the authorization failed)\n%s%s", code, out, errOut)
	}
	if elsewhere.hits != 0 {
		t.Errorf("the password went to the redirect target (%d requests, %d with the secret)", elsewhere.hits, elsewhere.secrets)
	}
	if !strings.Contains(out, "failed: git_auth[bitbucket-ci]") || !strings.Contains(out, "never follows redirects") {
		t.Errorf("the authorization is not reported as failed by the redirect:\n%s", out)
	}
	if strings.Contains(out+errOut, hostileSecret) {
		t.Error("the password is in the output")
	}
}

// An https endpoint that redirects to plain http on the same host and port
// is refused like any redirect; a plain http endpoint off this machine is
// refused before any request.
func TestNoDowngradeToPlainHTTP(t *testing.T) {
	plain := &recorder{}
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+r.URL.Path, http.StatusPermanentRedirect)
	}))
	defer tlsSrv.Close()
	code, out, errOut := runWith(t, withEndpoint(credentialEnvs["token"], tlsSrv.URL), "plan", "--insecure-skip-tls-verify", e2eSpec)
	if code == 0 || !strings.Contains(errOut, "redirected to http://") || plain.hits != 0 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runWith(t, withEndpoint(credentialEnvs["token"], "http://codehub.example.invalid"), "plan", e2eSpec)
	if code != ExitError || !strings.Contains(errOut, "clear text") || !strings.Contains(errOut, "--allow-insecure-http") {
		t.Errorf("plain http off this machine: exit %d\n%s", code, errOut)
	}
	if strings.Contains(errOut, hostileSecret) {
		t.Error("the token is in the output")
	}
}

// A malformed --endpoint never echoes the user info it carries, whatever
// its shape.
func TestMalformedEndpointHidesItsPassword(t *testing.T) {
	for _, ep := range []string{
		"ftp://user:" + hostileSecret + "@host/x",
		"https://user:" + hostileSecret + "@host%zz/x",
		"https://user:" + hostileSecret + "@[::1/x",
		"user:" + hostileSecret + "@host",
		"https://user:" + hostileSecret + "@codehub.example.com",
	} {
		code, out, errOut := runWith(t, withEndpoint(credentialEnvs["token"], ep), "plan", e2eSpec)
		if code == 0 || strings.Contains(out+errOut, hostileSecret) {
			t.Errorf("%q: exit %d, output shows the password:\n%s%s", ep, code, out, errOut)
		}
	}
}

// A server that never answers, or trickles its answer, cannot hold a
// command past --timeout; the message says what stopped it.
func TestSlowServersEndWithinTheTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	defer close(block)
	servers := map[string]http.HandlerFunc{
		"never answers": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		},
		"trickles": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			for {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-block:
					return
				case <-r.Context().Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		},
	}
	for name, h := range servers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			code, _, errOut := runWith(t, withEndpoint(credentialEnvs["aksk"], srv.URL), "plan", "--timeout", "1s", e2eSpec)
			if code != ExitError || !strings.Contains(errOut, "reposync: stopped by --timeout after 1s while reading the live state; nothing was changed") {
				t.Errorf("exit %d\n%s", code, errOut)
			}
		})
	}
}

// A Retry-After far in the future is capped and said out loud.
func TestHugeRetryAfterIsCappedAndShown(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "100000")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error_code":"APIG.0308","error_msg":"throttled"}`))
	}))
	defer srv.Close()
	code, _, errOut := runWith(t, withEndpoint(credentialEnvs["aksk"], srv.URL), "plan", "--timeout", "2s", e2eSpec)
	// The cap is a minute, so a 2 s --timeout stops it at once, saying why.
	if code != ExitError || !strings.Contains(errOut, "waiting 60s (Retry-After said 100000s, capped at 60s)") || !strings.Contains(errOut, "would pass the deadline") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// A wait the server asks for is said while it happens.
func TestWaitIsAnnounced(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "aksk", sim.Options{})
	var once sync.Once
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		throttle := false
		if strings.HasSuffix(r.URL.Path, "/subgroups-and-repositories") { // the walk's first call (who runs reposync is asked meanwhile)
			once.Do(func() { throttle = true })
		}
		if throttle {
			rw.Header().Set("Retry-After", "2")
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(http.StatusTooManyRequests)
			rw.Write([]byte(`{"error_code":"APIG.0308","error_msg":"throttled"}`))
			return
		}
		w.sim.ServeHTTP(rw, r)
	}))
	defer front.Close()
	w.env["REPOSYNC_ENDPOINT"] = front.URL
	code, _, errOut := w.run("plan", e2eSpec)
	if code != 0 || !strings.Contains(errOut, "note: waiting 2s (Retry-After) before retrying ListProjectSubgroupsAndRepositories") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}
