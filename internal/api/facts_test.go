package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFacts(t *testing.T) {
	srv, mux := newServer(t)
	serverNow := t0.Add(7 * time.Minute) // the server's clock runs about 7 minutes ahead
	dated := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", serverNow.Format(http.TimeFormat))
			h.ServeHTTP(w, r)
		})
	}
	mux.Handle("GET /v4/projects/p1/protected-refs/user-groups", dated(&cappingServer{n: 45, capAt: 20, total: -1}))
	mux.Handle("GET /v4/repositories/1/members", dated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Total", "2")
		answer(w, 200, "", `[{"user_id":1},{"user_id":2}]`)
	})))
	mux.HandleFunc("GET /v1/"+tIAMProject+"/git/auths", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil // no Date at all: nothing recorded for ServiceStage
		answer(w, 200, "", `{"authorizations":[]}`)
	})
	mux.Handle("GET /v4/repositories/2", dated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(w, 500, "", `{"error_code":"CH.000001","error_msg":"x"}`)
	})))
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}), WithRetry(RetryPolicy{MaxAttempts: 1}))
	ctx := context.Background()
	if _, err := c.ListProjectProtectedRefsUserGroups(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListMembers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListAuthorizations(ctx, tIAMProject); err != nil {
		t.Fatal(err)
	}
	received := c.clock.Now()
	if _, err := c.ShowRepository(ctx, 2); err == nil { // failed answers are not recorded
		t.Fatal("no error")
	}
	got := c.Facts()
	want := Facts{
		ServerTime: map[string]ServerTime{"codearts-repo": {Date: serverNow, Received: received}},
		Lists: map[string]ListFacts{
			"ListProjectProtectedRefsUserGroups": {Pages: 3, LargestPage: 20, PageCap: 20},
			"ListMembers":                        {Pages: 1, PagesWithTotal: 1, LargestPage: 2},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	if skew, want := got.ServerTime["codearts-repo"].Skew(), serverNow.Sub(received); skew != want {
		t.Errorf("skew %s, want %s", skew, want)
	}
	got.Lists["ListMembers"] = ListFacts{}
	if c.Facts().Lists["ListMembers"].Pages != 1 {
		t.Errorf("Facts returned the client's own map, not a copy")
	}
}

func TestClientEndpoints(t *testing.T) {
	c, err := New(WithRegion("cn-north-4"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"codearts-repo": "https://codehub-ext.cn-north-4.myhuaweicloud.com",
		"servicestage":  "https://servicestage.cn-north-4.myhuaweicloud.com",
		"iam":           "https://iam.cn-north-4.myhuaweicloud.com",
		"projectman":    "https://projectman-ext.cn-north-4.myhuaweicloud.com",
	}
	if diff := cmp.Diff(want, c.Endpoints()); diff != "" {
		t.Errorf("regional endpoints (-want +got):\n%s", diff)
	}
	// A region without ServiceStage or ProjectMan leaves them out.
	c, err = New(WithRegion("cn-south-2"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Endpoints(); got["servicestage"] != "" || got["projectman"] != "" || got["codearts-repo"] == "" {
		t.Errorf("cn-south-2 endpoints %v", got)
	}
	c, err = New(WithEndpoint("http://127.0.0.1:8080/base/"))
	if err != nil {
		t.Fatal(err)
	}
	for svc, u := range c.Endpoints() {
		if u != "http://127.0.0.1:8080/base" {
			t.Errorf("%s at %s, want the one endpoint", svc, u)
		}
	}
}
