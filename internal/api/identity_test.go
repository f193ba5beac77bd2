package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCallerIdentity is the contract of the two IAM lookups (method, path,
// headers, signature recomputed) and of the login's token body, for every
// kind of credentials; the answer is looked up once per client.
func TestCallerIdentity(t *testing.T) {
	tests := []struct {
		name   string
		creds  Credentials
		method string
		path   string
		check  func(t *testing.T, r *http.Request)
		status int
		resp   string
		want   Identity
	}{
		{
			name: "token", creds: Credentials{Token: tToken},
			method: "GET", path: "/v3/auth/tokens",
			check: func(t *testing.T, r *http.Request) {
				for h, want := range map[string]string{"X-Auth-Token": tToken, "X-Subject-Token": tToken, "Authorization": "", "Content-Type": ""} {
					if got := r.Header.Get(h); got != want {
						t.Errorf("%s = %q, want %q", h, got, want)
					}
				}
			},
			status: 200,
			resp:   `{"token":{"expires_at":"2025-01-16T08:30:00Z","methods":["token"],"user":{"id":"` + tIAMUser + `","name":"ci-bot","domain":{"id":"d","name":"acme"}},"project":{"id":"` + tIAMProject + `"}}}`,
			want:   Identity{UserID: tIAMUser, UserName: "ci-bot", Source: "KeystoneValidateToken"},
		},
		{
			name: "aksk", creds: Credentials{AccessKey: tAK, SecretKey: tSK, ProjectID: tIAMProject},
			method: "GET", path: "/v3.0/OS-CREDENTIAL/credentials/" + tAK,
			check: func(t *testing.T, r *http.Request) {
				if err := verifySignature(r, nil, tAK, tSK); err != nil {
					t.Errorf("signature: %v", err)
				}
				for h, want := range map[string]string{"X-Project-Id": "", "X-Auth-Token": "", "X-Sdk-Date": "20250115T083000Z"} {
					if got := r.Header.Get(h); got != want {
						t.Errorf("%s = %q, want %q", h, got, want)
					}
				}
			},
			status: 200,
			resp:   `{"credential":{"user_id":"` + tIAMUser + `","access":"` + tAK + `","status":"active","created_at":"2024-01-01T00:00:00.000000Z","description":"ci"}}`,
			want:   Identity{UserID: tIAMUser, Source: "ShowPermanentAccessKey"},
		},
		{
			name: "iam password", creds: iamCreds,
			method: "POST", path: "/v3/auth/tokens",
			check:  func(t *testing.T, r *http.Request) {},
			status: 201,
			resp:   `{"token":{"expires_at":"2025-01-16T08:30:00Z","user":{"id":"` + tIAMUser + `","name":"ci-bot"},"project":{"id":"` + tIAMProject + `"}}}`,
			want:   Identity{UserID: tIAMUser, UserName: "ci-bot", Source: "KeystoneCreateUserTokenByPassword"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			mux.HandleFunc(tt.method+" "+tt.path, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if body := readBody(t, r); tt.method == "GET" && len(body) != 0 {
					t.Errorf("unexpected body %s", body)
				}
				if tt.method == "GET" && r.URL.RawQuery != "" {
					t.Errorf("unexpected query %q", r.URL.RawQuery)
				}
				tt.check(t, r)
				w.Header().Set("X-Subject-Token", "iam-tok")
				answer(w, tt.status, "", tt.resp)
			})
			c := newClient(t, srv, newFakeClock(true), WithCredentials(tt.creds), WithRegion("cn-north-4"))
			for range 2 {
				got, err := c.CallerIdentity(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("identity (-want +got):\n%s", diff)
				}
			}
			if hits.Load() != 1 {
				t.Errorf("%d lookups, want 1", hits.Load())
			}
			if tt.name != "iam password" {
				if st := c.Stats()[tt.want.Source]; st.Calls != 1 {
					t.Errorf("stats of %s: %+v", tt.want.Source, c.Stats())
				}
			}
		})
	}
}

func TestCallerIdentityFailures(t *testing.T) {
	tests := []struct {
		name    string
		creds   Credentials
		status  int
		resp    string
		want    string
		is      func(error) bool
		noCalls bool
	}{
		{name: "temporary AK/SK", creds: Credentials{AccessKey: tAK, SecretKey: tSK, SecurityToken: "sts-SECRET", ProjectID: tIAMProject},
			want: "the identity of temporary AK/SK cannot be looked up", is: func(err error) bool { return errors.Is(err, ErrIdentityUnknown) }, noCalls: true},
		{name: "no credentials", creds: Credentials{}, want: "no credentials", is: func(err error) bool { return errors.Is(err, ErrIdentityUnknown) }, noCalls: true},
		{name: "token rejected", creds: Credentials{Token: tToken}, status: 401,
			resp: `{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information: decrypt token fail ` + tToken + `"}`,
			want: "status 401 APIG.0301", is: IsAuth},
		{name: "access key unknown", creds: Credentials{AccessKey: tAK, SecretKey: tSK}, status: 404,
			resp: `{"error":{"code":1105,"message":"credential not found"}}`, want: "status 404", is: IsNotFound},
		{name: "token body without a user", creds: Credentials{Token: tToken}, status: 200, resp: `{"token":{}}`,
			want: "names no user", is: func(err error) bool { e := asError(err); return e != nil && e.Kind == KindDecode }},
		{name: "another access key in the answer", creds: Credentials{AccessKey: tAK, SecretKey: tSK}, status: 200,
			resp: `{"credential":{"user_id":"u","access":"OTHER"}}`, want: "another access key",
			is: func(err error) bool { e := asError(err); return e != nil && e.Kind == KindDecode }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				answer(w, tt.status, "", tt.resp)
			})
			c := newClient(t, srv, newFakeClock(true), WithCredentials(tt.creds))
			_, err := c.CallerIdentity(context.Background())
			if err == nil || !tt.is(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			for _, secret := range []string{tToken, tSK, "sts-SECRET"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error reveals a secret: %v", err)
				}
			}
			if tt.noCalls && hits.Load() != 0 {
				t.Errorf("%d requests, want none", hits.Load())
			}
			// A failure is not cached: the next call asks again.
			_, _ = c.CallerIdentity(context.Background())
			if !tt.noCalls && hits.Load() != 2 {
				t.Errorf("%d requests after two calls, want 2", hits.Load())
			}
		})
	}
}

func TestCallerIdentityCancelled(t *testing.T) {
	for _, cr := range []Credentials{{Token: tToken}, {AccessKey: tAK, SecretKey: tSK}, iamCreds} {
		t.Run(string(cr.Kind()), func(t *testing.T) {
			srv, _ := newServer(t)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(cr), WithRegion("cn-north-4"))
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := c.CallerIdentity(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want cancellation", err)
			}
		})
	}
}
