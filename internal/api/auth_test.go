package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const tPassword = "ci-bot-pass-SECRET"

// iamServer answers POST /v3/auth/tokens, issuing "iam-tok-N" on the N-th
// login, and checks the login request exactly.
func iamServer(t *testing.T, mux *http.ServeMux, wantScope string, logins *atomic.Int32, ok bool) {
	mux.HandleFunc("POST /v3/auth/tokens", func(w http.ResponseWriter, r *http.Request) {
		body := readBody(t, r)
		want := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"ci-bot","password":"` + tPassword +
			`","domain":{"name":"acme"}}}},"scope":{"project":` + wantScope + `}}}`
		if diff := jsonDiff(want, string(body)); diff != "" {
			t.Errorf("login body (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff("nocatalog=true", r.URL.RawQuery); diff != "" {
			t.Errorf("login query (-want +got):\n%s", diff)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
			t.Errorf("login Content-Type %q", ct)
		}
		for _, h := range credentialHeaders {
			if r.Header.Get(h) != "" {
				t.Errorf("login carries %s", h)
			}
		}
		if !ok {
			answer(w, 401, "", `{"error":{"code":1100,"message":"Incorrect password `+tPassword+`"}}`)
			return
		}
		n := logins.Add(1)
		w.Header().Set("X-Subject-Token", fmt.Sprintf("iam-tok-%d", n))
		answer(w, 201, "", `{"token":{"expires_at":"2025-01-16T08:30:00.000000Z","user":{"id":"`+tIAMUser+`","name":"ci-bot"},"project":{"id":"`+tIAMProject+`","name":"cn-north-4"}}}`)
	})
}

var iamCreds = Credentials{IAMUser: "ci-bot", IAMPassword: tPassword, IAMDomain: "acme"}

func TestIAMPasswordLoginCachedAndRefreshedOnce(t *testing.T) {
	srv, mux := newServer(t)
	var logins atomic.Int32
	iamServer(t, mux, `{"name":"cn-north-4"}`, &logins, true)
	valid := "iam-tok-1"
	var seen []string
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		seen = append(seen, tok)
		if tok != valid {
			answer(w, 401, "", `{"error_code":"DEV.00000003","error_msg":"Authentication information expired."}`)
			return
		}
		answer(w, 200, "", `{"id":1}`)
	})
	c := newClient(t, srv, newFakeClock(true), WithCredentials(iamCreds), WithRegion("cn-north-4"))
	ctx := context.Background()
	for range 2 {
		if _, err := c.ShowRepository(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	valid = "iam-tok-2" // the server expires the first token
	if _, err := c.ShowRepository(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"iam-tok-1", "iam-tok-1", "iam-tok-1", "iam-tok-2"}, seen); diff != "" {
		t.Errorf("tokens sent (-want +got):\n%s", diff)
	}
	if logins.Load() != 2 {
		t.Errorf("%d logins, want 2", logins.Load())
	}
	pid, err := c.IAMProjectID(ctx)
	if err != nil || pid != tIAMProject {
		t.Errorf("IAMProjectID = %q, %v", pid, err)
	}

	valid = "never" // refresh happens once per request, then the 401 is returned
	_, err = c.ShowRepository(ctx, 1)
	if !IsAuth(err) {
		t.Fatalf("error %v is not an auth error", err)
	}
	if logins.Load() != 3 {
		t.Errorf("%d logins, want 3", logins.Load())
	}
}

func TestIAMScopeByProjectID(t *testing.T) {
	srv, mux := newServer(t)
	var logins atomic.Int32
	iamServer(t, mux, `{"id":"`+tIAMProject+`"}`, &logins, true)
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) { answer(w, 200, "", `{"id":1}`) })
	cr := iamCreds
	cr.ProjectID = tIAMProject
	c := newClient(t, srv, newFakeClock(true), WithCredentials(cr))
	if _, err := c.ShowRepository(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestIAMLoginFailureIsAuthAndHidesPassword(t *testing.T) {
	srv, mux := newServer(t)
	var logins, hits atomic.Int32
	iamServer(t, mux, `{"name":"cn-north-4"}`, &logins, false)
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	c := newClient(t, srv, newFakeClock(true), WithCredentials(iamCreds), WithRegion("cn-north-4"))
	_, err := c.ShowRepository(context.Background(), 1)
	if !IsAuth(err) {
		t.Fatalf("error %v is not an auth error", err)
	}
	if strings.Contains(err.Error(), tPassword) {
		t.Errorf("error reveals the password: %v", err)
	}
	if e := asError(err); e.Code != "1100" {
		t.Errorf("code %q, want IAM's numeric 1100", e.Code)
	}
	if hits.Load() != 0 {
		t.Errorf("request sent %d times without a token", hits.Load())
	}
}

func TestCredentialsPrecedenceAndRedaction(t *testing.T) {
	all := Credentials{AccessKey: "AKIDEXAMPLE", SecretKey: "sk-SECRET", SecurityToken: "sts-SECRET", ProjectID: tIAMProject,
		Token: "tok-SECRET", IAMUser: "ci-bot", IAMPassword: "pw-SECRET", IAMDomain: "acme"}
	tests := []struct {
		name  string
		creds Credentials
		kind  CredentialKind
	}{
		{"aksk wins", all, CredentialsAKSK},
		{"token next", Credentials{Token: "tok-SECRET", IAMUser: "u", IAMPassword: "pw-SECRET", IAMDomain: "d"}, CredentialsToken},
		{"password last", Credentials{IAMUser: "u", IAMPassword: "pw-SECRET", IAMDomain: "d"}, CredentialsIAMPassword},
		{"none", Credentials{AccessKey: "only-ak"}, CredentialsNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.creds.Kind(); got != tt.kind {
				t.Errorf("kind %s, want %s", got, tt.kind)
			}
			for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
				if out := fmt.Sprintf(format, tt.creds); strings.Contains(out, "SECRET") {
					t.Errorf("%s reveals a secret: %s", format, out)
				}
			}
		})
	}
	tok := Token{Value: "tok-SECRET", UserID: "u"}
	if out := fmt.Sprintf("%v %+v %#v", tok, tok, tok); strings.Contains(out, "SECRET") {
		t.Errorf("token formatting reveals it: %s", out)
	}
	pa := PasswordAuth{Name: "a", User: "u", Password: "pw-SECRET"}
	if out := fmt.Sprintf("%v %+v %#v", pa, pa, pa); strings.Contains(out, "SECRET") {
		t.Errorf("password auth formatting reveals it: %s", out)
	}
}

// TestNoRedirectFollowed answers every kind of redirect, for every kind of
// credentials and for GETs and POSTs that carry a secret in their body, and
// checks that the target never hears of the request and that the error names
// the target without revealing a secret.
func TestNoRedirectFollowed(t *testing.T) {
	const gitPassword = "git-pass-SECRET"
	modes := []struct {
		name  string
		creds Credentials
	}{
		{"token", Credentials{Token: tToken}},
		{"aksk", Credentials{AccessKey: tAK, SecretKey: tSK, SecurityToken: "sts-token-SECRET", ProjectID: tIAMProject}},
		{"iam password", iamCreds},
	}
	calls := []struct {
		name   string
		method string
		path   string // the redirecting path on the API server
		call   func(context.Context, *Client) error
	}{
		{"GET", "GET", "/v4/repositories/1", func(ctx context.Context, c *Client) error {
			_, err := c.ShowRepository(ctx, 1)
			return err
		}},
		{"CreatePasswordAuth POST", "POST", "/v1/" + tIAMProject + "/git/auths/bitbucket/password", func(ctx context.Context, c *Client) error {
			_, err := c.CreatePasswordAuth(ctx, tIAMProject, "bitbucket", PasswordAuth{Name: "a", User: "u", Password: gitPassword})
			return err
		}},
		{"login POST", "POST", "/v3/auth/tokens", func(ctx context.Context, c *Client) error {
			_, err := c.createUserToken(ctx, iamCreds)
			return err
		}},
	}
	for _, m := range modes {
		for _, cl := range calls {
			for _, status := range []int{301, 302, 307, 308} {
				t.Run(fmt.Sprintf("%s/%s/%d", m.name, cl.name, status), func(t *testing.T) {
					other, otherMux := newServer(t)
					var otherHits atomic.Int32
					otherMux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
						otherHits.Add(1)
						answer(w, 200, "", `{"id":1}`)
					})
					srv, mux := newServer(t)
					var logins atomic.Int32
					if m.name == "iam password" && cl.name != "login POST" {
						iamServer(t, mux, `{"id":"`+tIAMProject+`"}`, &logins, true)
					}
					var hits atomic.Int32
					target := other.URL + "/elsewhere?x=1"
					mux.HandleFunc(cl.method+" "+cl.path, func(w http.ResponseWriter, r *http.Request) {
						hits.Add(1)
						http.Redirect(w, r, target, status)
					})
					cr := m.creds
					cr.ProjectID = tIAMProject
					clk := newFakeClock(true)
					c := newClient(t, srv, clk, WithCredentials(cr))
					err := cl.call(context.Background(), c)
					if otherHits.Load() != 0 {
						t.Errorf("the redirect target received %d requests, want none", otherHits.Load())
					}
					if hits.Load() != 1 || len(clk.Sleeps()) != 0 {
						t.Errorf("%d requests and back-offs %v, want one request and no retry", hits.Load(), clk.Sleeps())
					}
					if !IsRedirect(err) {
						t.Fatalf("error %v is not a redirect error", err)
					}
					e := asError(err)
					if e.Location != target || e.Status != status {
						t.Errorf("location %q status %d, want %q %d", e.Location, e.Status, target, status)
					}
					msg := err.Error()
					for _, want := range []string{"redirected to " + target, "never follows redirects", "is --endpoint right?"} {
						if !strings.Contains(msg, want) {
							t.Errorf("error %q does not say %q", msg, want)
						}
					}
					for _, secret := range []string{tToken, tSK, "sts-token-SECRET", tPassword, gitPassword} {
						if strings.Contains(msg, secret) {
							t.Errorf("error reveals a secret: %s", msg)
						}
					}
				})
			}
		}
	}
}

func TestRedirectWithoutLocationOrRelative(t *testing.T) {
	srv, mux := newServer(t)
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		answer(w, 304, "", "")
	})
	mux.HandleFunc("GET /v4/repositories/2", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/v4/repositories/3?access_token=tok-SECRET")
		w.WriteHeader(http.StatusFound)
	})
	var followed atomic.Int32
	mux.HandleFunc("GET /v4/repositories/3", func(w http.ResponseWriter, r *http.Request) { followed.Add(1) })
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
	_, err := c.ShowRepository(context.Background(), 1)
	if !IsRedirect(err) || !strings.Contains(err.Error(), "answered 304 without a Location") {
		t.Errorf("error %v, want a redirect without Location", err)
	}
	_, err = c.ShowRepository(context.Background(), 2)
	if e := asError(err); !IsRedirect(err) || e.Location != srv.URL+"/v4/repositories/3?access_token=REDACTED" {
		t.Errorf("error %v, want a same-host redirect resolved and redacted", err)
	}
	if followed.Load() != 0 {
		t.Errorf("a same-host redirect was followed")
	}
}

func TestIAMLoginNeedsScope(t *testing.T) {
	srv, mux := newServer(t)
	var hits atomic.Int32
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	clk := newFakeClock(true)
	c := newClient(t, srv, clk, WithCredentials(iamCreds)) // no project id, no region
	_, err := c.ShowRepository(context.Background(), 1)
	if err == nil || !strings.Contains(err.Error(), "HW_PROJECT_ID") {
		t.Fatalf("error %v, want a scope error", err)
	}
	if hits.Load() != 0 || len(clk.Sleeps()) != 0 {
		t.Errorf("%d requests and %d back-offs, want none", hits.Load(), len(clk.Sleeps()))
	}
}

func TestIAMTokenRenewedBeforeExpiry(t *testing.T) {
	srv, mux := newServer(t)
	var logins atomic.Int32
	iamServer(t, mux, `{"name":"cn-north-4"}`, &logins, true)
	var seen []string
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("X-Auth-Token"))
		answer(w, 200, "", `{"id":1}`)
	})
	clk := newFakeClock(true)
	c := newClient(t, srv, clk, WithCredentials(iamCreds), WithRegion("cn-north-4"))
	steps := []time.Duration{0, 23 * time.Hour, 56 * time.Minute} // the token expires at t0+24h
	for _, d := range steps {
		clk.mu.Lock()
		clk.now = clk.now.Add(d)
		clk.mu.Unlock()
		if _, err := c.ShowRepository(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]string{"iam-tok-1", "iam-tok-1", "iam-tok-2"}, seen); diff != "" {
		t.Errorf("tokens (-want +got):\n%s", diff)
	}
}

func TestIAMTokenRenewedOnEveryExpiredCode(t *testing.T) {
	tests := []struct {
		code       string
		wantLogins int32
		wantErr    bool
	}{
		{"DEV.00000003", 2, false},
		{"APIG.0301", 2, false},
		{"APIG.0307", 2, false},
		{"CH.080401", 1, true}, // no permission: a new token would not help
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			srv, mux := newServer(t)
			var logins atomic.Int32
			iamServer(t, mux, `{"name":"cn-north-4"}`, &logins, true)
			var seen []string
			mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
				tok := r.Header.Get("X-Auth-Token")
				seen = append(seen, tok)
				if tok == "iam-tok-1" {
					answer(w, 401, "", `{"error_code":"`+tt.code+`","error_msg":"token rejected"}`)
					return
				}
				answer(w, 200, "", `{"id":1}`)
			})
			c := newClient(t, srv, newFakeClock(true), WithCredentials(iamCreds), WithRegion("cn-north-4"))
			_, err := c.ShowRepository(context.Background(), 1)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if logins.Load() != tt.wantLogins {
				t.Errorf("%d logins, want %d (tokens sent %v)", logins.Load(), tt.wantLogins, seen)
			}
		})
	}
}
