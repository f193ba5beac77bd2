package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBodyLimits(t *testing.T) {
	srv, mux := newServer(t)
	big := "[" + strings.Repeat(`{"id":1,"name":"xxxxxxxxxxxxxxxx"},`, 100) + `{"id":1}]`
	mux.HandleFunc("GET /v4/projects/p1/protected-refs/user-groups", func(w http.ResponseWriter, r *http.Request) {
		answer(w, 200, "", big)
	})
	mux.HandleFunc("GET /v4/repositories/2", func(w http.ResponseWriter, r *http.Request) {
		answer(w, 400, "", `{"error_code":"CH.010001","error_msg":"`+strings.Repeat("y", 5000)+`"}`)
	})
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
	c.maxBody, c.maxErrorBody = 1024, 512
	_, err := c.ListProjectProtectedRefsUserGroups(context.Background(), "p1")
	e := asError(err)
	if e == nil || e.Kind != KindDecode || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("error %v, want a too-large error", err)
	}
	_, err = c.ShowRepository(context.Background(), 2)
	e = asError(err)
	if e == nil || e.Status != 400 {
		t.Fatalf("error %v, want the 400", err)
	}
	if len(e.Message) > 512 {
		t.Errorf("error message of %d bytes passed the error body cap", len(e.Message))
	}
}

func TestErrorExtraction(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantMsg  string
		is       func(error) bool
	}{
		{"v4", 404, `{"error_code":"CH.000404","error_msg":"not found"}`, "CH.000404", "not found", IsNotFound},
		{"legacy nested", 400, `{"status":"failed","error":{"code":"DEV.CH.10001","message":"Param invalid"}}`, "DEV.CH.10001", "Param invalid", nil},
		{"iam numeric", 401, `{"error":{"code":1101,"message":"bad"}}`, "1101", "bad", IsAuth},
		{"raw text", 502, `bad gateway`, "", "bad gateway", nil},
		{"empty", 403, ``, "", "Forbidden", IsAuth},
		{"echoed secret redacted", 400, `{"error_code":"X","error_msg":"token tok-abc-123 rejected"}`, "X", "token REDACTED rejected", nil},
		{"secret json field redacted", 400, `{"password":"p4ss","oops":true}`, "", `{"password":"REDACTED","oops":true}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			mux.HandleFunc("POST /v4/repositories/1/file-push-permissions/batch-delete", func(w http.ResponseWriter, r *http.Request) {
				answer(w, tt.status, "", tt.body)
			})
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			err := c.BatchDeleteRepositoryFilePushPermissions(context.Background(), 1, []int64{1})
			e := asError(err)
			if e == nil {
				t.Fatalf("error %v is not *Error", err)
			}
			got := []string{e.Code, e.Message, e.Op, e.Method, e.RequestID}
			want := []string{tt.wantCode, tt.wantMsg, "BatchDeleteRepositoryFilePushPermissions", "POST", "req-1"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error fields (-want +got):\n%s", diff)
			}
			if tt.is != nil && !tt.is(err) {
				t.Errorf("kind helper false for %v", err)
			}
			if strings.Contains(err.Error(), tToken) {
				t.Errorf("error reveals the token: %v", err)
			}
		})
	}
}

func TestSanitizeURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@h.example/v1/x?access_token=abc&Password=p&name=ok&x-security-token=s")
	got := sanitizeURL(u)
	for _, bad := range []string{"abc", "=p&", "pw", "user", "=s"} {
		if strings.Contains(got, bad) {
			t.Errorf("sanitised URL %q still contains %q", got, bad)
		}
	}
	if !strings.Contains(got, "name=ok") {
		t.Errorf("sanitised URL %q lost a harmless value", got)
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no endpoint or region", nil, "neither an endpoint nor a region"},
		{"bad endpoint", []Option{WithEndpoint("ftp://x")}, "not an http(s) URL"},
		{"endpoint with user info", []Option{WithEndpoint("https://u:SECRET@x")}, "must not carry user info"},
		{"user info, other scheme", []Option{WithEndpoint("ftp://user:SECRET@host")}, "must not carry user info"},
		{"user info, bad percent-escape", []Option{WithEndpoint("https://user:SECRET%zz@host")}, "must not carry user info"},
		{"user info, unclosed IPv6 bracket", []Option{WithEndpoint("https://user:SECRET@[::1")}, "must not carry user info"},
		{"user info, numeric password prefix", []Option{WithEndpoint("https://user:123/SECRET@host")}, "must not carry user info"},
		{"user info without scheme", []Option{WithEndpoint("user:SECRET@host")}, "must not carry user info"},
		{"bad percent-escape", []Option{WithEndpoint("https://host/%zz")}, "not an http(s) URL"},
		{"query", []Option{WithEndpoint("https://host/?access_token=SECRET")}, "a query or a fragment"},
		{"plain http to a remote host", []Option{WithEndpoint("http://10.0.0.1:8080")}, "credentials would cross the network in clear text; use https, or pass --allow-insecure-http"},
		{"plain http to a name", []Option{WithEndpoint("http://codehub.example.com")}, "clear text"},
		{"plain http to a name that starts like localhost", []Option{WithEndpoint("http://localhost.example.com")}, "clear text"},
		{"unknown region", []Option{WithRegion("xx-nowhere-1")}, "no CodeArts Repo endpoint"},
		{"bad retry", []Option{WithRegion("cn-north-4"), WithRetry(RetryPolicy{})}, "at least 1 attempt"},
		{"nil clock", []Option{WithRegion("cn-north-4"), WithClock(nil)}, "nil clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error reveals the secret: %v", err)
			}
		})
	}
}

func TestEndpointSchemes(t *testing.T) {
	tests := []struct {
		endpoint string
		allow    bool
		ok       bool
	}{
		{"https://codehub.example.com", false, true},
		{"https://10.0.0.1:8443/proxy", false, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://127.3.2.1", false, true},
		{"http://[::1]:8080", false, true},
		{"http://localhost:8080", false, true},
		{"http://LOCALHOST", false, true},
		{"http://0.0.0.0:8080", false, false},
		{"http://10.0.0.1:8080", false, false},
		{"http://[::2]:8080", false, false},
		{"http://127.0.0.1.nip.io", false, false},
		{"http://10.0.0.1:8080", true, true},
		{"http://codehub.example.com", true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/allow=%v", tt.endpoint, tt.allow), func(t *testing.T) {
			opts := []Option{WithEndpoint(tt.endpoint)}
			if tt.allow {
				opts = append(opts, WithAllowInsecureHTTP())
			}
			_, err := New(opts...)
			if (err == nil) != tt.ok {
				t.Errorf("New error %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// hostileURLs all carry SECRET where a URL's user info or a secret query
// value would be, in shapes url.Parse accepts and shapes it rejects.
var hostileURLs = []string{
	"https://user:SECRET@host/path",
	"ftp://user:SECRET@host",
	"user:SECRET@host",
	"SECRET@host",
	"//user:SECRET@host/x",
	"https://SECRET@host",
	"https://user:SECRET%zz@host",
	"https://user:SECRET@[::1",
	"https://user:SECRET@[::1]:8080/x",
	"https://user:123/SECRET@host",
	"https://user:SECRET/x@host",
	"https://user:SECRET?@host",
	"https://user:pw#SECRET@host",
	"https://user:SEC@SECRET@host",
	"https://user:SECRET@host@evil",
	"https://a@b:SECRET@host",
	"https://user%40x:SECRET@host",
	"http:\\\\user:SECRET@host",
	" https://user:SECRET@host ",
	"https://user:SECRET@",
	"https://user:SECRET\n@host",
	"https://user:SECRET@host/p?next=https://x@y",
	"https://user:SEC RET SECRET@host",
	"https://host/v4?access_token=SECRET&offset=0",
	"https://host/v4?offset=0&X-Auth-Token=SECRET",
	"https://host/v4;password=SECRET",
	"https://host/cb#access_token=SECRET",
	"https://host/v4?Signature=SECRET#f",
}

func TestRedactURL(t *testing.T) {
	for _, in := range hostileURLs {
		t.Run(in, func(t *testing.T) {
			if got := RedactURL(in); strings.Contains(got, "SECRET") {
				t.Errorf("RedactURL(%q) = %q still holds the secret", in, got)
			}
		})
	}
	kept := []struct{ in, want string }{
		{"https://user:pw@host:8443/v4/x?offset=0", "https://REDACTED@host:8443/v4/x?offset=0"},
		{"https://host:8443/v4/x?offset=0&limit=100", "https://host:8443/v4/x?offset=0&limit=100"},
		{"https://host/v4?access_token=abc&offset=0", "https://host/v4?access_token=REDACTED&offset=0"},
		{"http://[::1]:8080/proxy", "http://[::1]:8080/proxy"},
		{"", ""},
	}
	for _, tt := range kept {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRegionHosts(t *testing.T) {
	tests := []struct {
		svc    service
		region string
		want   string
	}{
		{svcRepo, "cn-north-4", "codehub-ext.cn-north-4.myhuaweicloud.com"},
		{svcRepo, "la-south-2", "codeartsrepo-ext.la-south-2.myhuaweicloud.com"},
		{svcRepo, "me-east-1", "repo.me-east-1.myhuaweicloud.com"},
		{svcRepo, "ap-southeast-1", ""},
		{svcServiceStage, "cn-north-4", "servicestage.cn-north-4.myhuaweicloud.com"},
		{svcServiceStage, "cn-south-2", ""},
		{svcIAM, "cn-north-4", "iam.cn-north-4.myhuaweicloud.com"},
		{svcIAM, "eu-west-101", "iam.eu-west-101.myhuaweicloud.eu"},
		{svcProjectMan, "cn-north-4", "projectman-ext.cn-north-4.myhuaweicloud.com"},
		{svcProjectMan, "me-east-1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.svc.String()+"/"+tt.region, func(t *testing.T) {
			if got := regionHost(tt.svc, tt.region); got != tt.want {
				t.Errorf("host %q, want %q", got, tt.want)
			}
		})
	}
}

func TestServiceWithoutEndpointInRegion(t *testing.T) {
	// cn-south-2 has CodeArts Repo but no ServiceStage.
	c, err := New(WithRegion("cn-south-2"), WithCredentials(Credentials{Token: tToken}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListAuthorizations(context.Background(), tIAMProject)
	if err == nil || !strings.Contains(err.Error(), "servicestage has no endpoint") {
		t.Errorf("error %v, want a missing endpoint error", err)
	}
}

func TestEndpointWithPathPrefix(t *testing.T) {
	srv, mux := newServer(t)
	mux.HandleFunc("GET /proxy/v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		if err := verifySignature(r, nil, tAK, tSK); err != nil {
			t.Error(err)
		}
		answer(w, 200, "", `{"id":1}`)
	})
	c, err := New(WithEndpoint(srv.URL+"/proxy/"), WithClock(newFakeClock(true)),
		WithCredentials(Credentials{AccessKey: tAK, SecretKey: tSK, ProjectID: tIAMProject}))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.ShowRepository(context.Background(), 1); err != nil || r.ID != 1 {
		t.Fatalf("ShowRepository = %+v, %v", r, err)
	}
}

func TestInsecureOption(t *testing.T) {
	c, err := New(WithRegion("cn-north-4"))
	if err != nil {
		t.Fatal(err)
	}
	if tr, ok := c.authed.Transport.(*authTransport).base.(*http.Transport); !ok || tr.TLSClientConfig != nil && tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("default client does not use a verifying transport")
	} else if tr == http.DefaultTransport || tr.MaxIdleConnsPerHost != maxIdlePerHost {
		t.Errorf("default client uses the shared default transport or keeps %d idle connections per host, want its own keeping %d", tr.MaxIdleConnsPerHost, maxIdlePerHost)
	}
	c, err = New(WithRegion("cn-north-4"), WithInsecureSkipVerify())
	if err != nil {
		t.Fatal(err)
	}
	tr := c.authed.Transport.(*authTransport).base.(*http.Transport)
	if !tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("insecure option did not turn verification off")
	}
	if http.DefaultTransport.(*http.Transport).TLSClientConfig != nil && http.DefaultTransport.(*http.Transport).TLSClientConfig.InsecureSkipVerify {
		t.Errorf("insecure option changed the shared default transport")
	}
}

type countingTransport struct {
	n    int
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.base.RoundTrip(r)
}

func TestWithHTTPClientTransportUsed(t *testing.T) {
	srv, mux := newServer(t)
	mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Auth-Token") != tToken {
			t.Errorf("token missing on a custom transport")
		}
		answer(w, 200, "", `{"id":1}`)
	})
	ct := &countingTransport{base: http.DefaultTransport}
	hc := &http.Client{Transport: ct}
	c := newClient(t, srv, newFakeClock(true), WithHTTPClient(hc), WithCredentials(Credentials{Token: tToken}))
	if _, err := c.ShowRepository(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if ct.n != 1 {
		t.Errorf("custom transport used %d times, want 1", ct.n)
	}
	if hc.Transport != ct || hc.CheckRedirect != nil {
		t.Errorf("the caller's http.Client was modified")
	}
}

func TestErrorURLSanitised(t *testing.T) {
	c, err := New(WithEndpoint("http://127.0.0.1:1"), WithCredentials(Credentials{Token: tToken}))
	if err != nil {
		t.Fatal(err)
	}
	cl := get("ListMembers", svcRepo, "/v4/repositories/1/members", url.Values{"access_token": {"tok-abc-123"}, "offset": {"0"}})
	u, _ := c.url(cl)
	e := c.newError(cl, u, &response{status: 500, header: http.Header{}, body: []byte(`{"error_code":"E","error_msg":"m"}`)}, KindHTTP, nil)
	if strings.Contains(e.Error(), "tok-abc-123") || !strings.Contains(e.Error(), "offset=0") {
		t.Errorf("error %q: secret query value not redacted or harmless one lost", e.Error())
	}
}

// quotingCount fails to decode with an error quoting what it was given, as
// a lenient decoder of a count may.
type quotingCount struct{}

func (*quotingCount) UnmarshalJSON(b []byte) error { return fmt.Errorf("want a count, got %s", b) }

// TestNoUserinfoInErrors drives every error path that can carry a URL with
// one that holds user info, and checks that no error text reveals it.
func TestNoUserinfoInErrors(t *testing.T) {
	const hostile = "https://user:SECRET@[::1"
	tests := []struct {
		name  string
		setup func(t *testing.T, mux *http.ServeMux) []Option
		call  func(context.Context, *Client) error
	}{
		{"server message quoting a URL", func(t *testing.T, mux *http.ServeMux) []Option {
			mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
				answer(w, 400, "", `{"error_code":"CH.010001","error_msg":"bad mirror ftp://user:SECRET@mirror.example.com/x"}`)
			})
			return nil
		}, func(ctx context.Context, c *Client) error { _, err := c.ShowRepository(ctx, 1); return err }},
		{"decode error quoting a value", func(t *testing.T, mux *http.ServeMux) []Option {
			mux.HandleFunc("GET /v4/repositories/1/user-groups", func(w http.ResponseWriter, r *http.Request) {
				answer(w, 200, "", `[{"user_group_id":"g","user_count":"https://user:SECRET@host/x"}]`)
			})
			return nil
		}, func(ctx context.Context, c *Client) error {
			_, err := listAll[quotingCount](ctx, c, get("ListRepositoryUserGroups", svcRepo, "/v4/repositories/1/user-groups", nil))
			return err
		}},
		{"unparseable redirect target", func(t *testing.T, mux *http.ServeMux) []Option {
			mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", hostile)
				w.WriteHeader(http.StatusTemporaryRedirect)
			})
			return nil
		}, func(ctx context.Context, c *Client) error { _, err := c.ShowRepository(ctx, 1); return err }},
		{"redirect target with user info", func(t *testing.T, mux *http.ServeMux) []Option {
			mux.HandleFunc("GET /v4/repositories/1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "https://user:123/SECRET@other.example.com/x")
				w.WriteHeader(http.StatusFound)
			})
			return nil
		}, func(ctx context.Context, c *Client) error { _, err := c.ShowRepository(ctx, 1); return err }},
		{"proxy error quoting the proxy URL", func(t *testing.T, mux *http.ServeMux) []Option {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.Proxy = func(*http.Request) (*url.URL, error) {
				return nil, fmt.Errorf("invalid proxy address %q: bad port", "http://proxyuser:SECRET@proxy:99999")
			}
			return []Option{WithHTTPClient(&http.Client{Transport: tr}), WithRetry(RetryPolicy{MaxAttempts: 1})}
		}, func(ctx context.Context, c *Client) error { _, err := c.ShowRepository(ctx, 1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			opts := append([]Option{WithCredentials(Credentials{Token: tToken})}, tt.setup(t, mux)...)
			c := newClient(t, srv, newFakeClock(true), opts...)
			err := tt.call(context.Background(), c)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error reveals user info: %v", err)
			}
			if e := asError(err); e == nil || strings.Contains(e.URL+e.Location+e.Message, "SECRET") {
				t.Errorf("error fields reveal user info: %#v", e)
			}
			if strings.Contains(tt.name, "redirect") && !IsRedirect(err) {
				t.Errorf("error %v is not a redirect error", err)
			}
		})
	}
	t.Run("url.Error with an unparseable URL", func(t *testing.T) {
		c, err := New(WithEndpoint("http://127.0.0.1:1"))
		if err != nil {
			t.Fatal(err)
		}
		cl := get("ShowRepository", svcRepo, "/v4/repositories/1", nil)
		u, _ := c.url(cl)
		e := c.newError(cl, u, nil, KindTransport, &url.Error{Op: "Get", URL: hostile, Err: fmt.Errorf("boom")})
		if strings.Contains(e.Error(), "SECRET") {
			t.Errorf("error reveals user info: %v", e)
		}
	})
}

func TestIsAlreadyExists(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		conflict bool
		exists   bool
	}{
		{"409 CH_23_51308", &Error{Kind: KindHTTP, Status: 409, Code: "CH_23_51308"}, true, true},
		{"409 another code", &Error{Kind: KindHTTP, Status: 409, Code: "CH.009409"}, true, false},
		{"409 without a code", &Error{Kind: KindHTTP, Status: 409}, true, false},
		{"CH_23_51308 on a 400", &Error{Kind: KindHTTP, Status: 400, Code: "CH_23_51308"}, false, false},
		{"wrapped", fmt.Errorf("attach: %w", &Error{Kind: KindHTTP, Status: 409, Code: "CH_23_51308"}), true, true},
		{"not an api error", fmt.Errorf("409"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsConflict(tt.err); got != tt.conflict {
				t.Errorf("IsConflict = %v, want %v", got, tt.conflict)
			}
			if got := IsAlreadyExists(tt.err); got != tt.exists {
				t.Errorf("IsAlreadyExists = %v, want %v", got, tt.exists)
			}
		})
	}
}

// Per-item failures inside a 2xx answer are server text in the error too:
// they pass the same redaction as the error message.
func TestPartialFailuresRedacted(t *testing.T) {
	tests := []struct {
		name, path, resp string
		call             func(context.Context, *Client) error
	}{
		{"AddRepoMembers", "POST /v1/repositories/" + tUUID + "/members",
			`{"status":"success","result":[{"id":"x ` + tToken + `","name":"alice ` + tToken + `","message":"token ` + tToken + ` rejected","status":"failed"}]}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.AddRepoMembers(ctx, tUUID, []NewRepoMember{{ID: tIAMUser, Name: "alice", Role: RoleAdmin}})
				return err
			}},
		{"AssociateGroupUserGroup", "POST /v4/" + tProject + "/groups/100/user-group/" + tUserGroup,
			`{"success":[],"failure":[{"iam_id":"x ` + tToken + `","message":["token ` + tToken + ` rejected"]}]}`,
			func(ctx context.Context, c *Client) error {
				_, err := c.AssociateGroupUserGroup(ctx, tProject, 100, tUserGroup)
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			mux.HandleFunc(tt.path, func(w http.ResponseWriter, r *http.Request) { answer(w, 200, "", tt.resp) })
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			err := tt.call(context.Background(), c)
			e := asError(err)
			if e == nil || e.Kind != KindPartial || len(e.Failures) != 1 {
				t.Fatalf("error %v, want one per-item failure", err)
			}
			if strings.Contains(err.Error(), tToken) || !strings.Contains(e.Failures[0].Message, "token REDACTED rejected") {
				t.Errorf("error reveals the token or lost the message: %v", err)
			}
		})
	}
}
