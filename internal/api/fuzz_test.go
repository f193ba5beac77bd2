package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// FuzzDecoders answers every request with fuzzed bytes (and a fuzzed status
// and X-Total) and drives the decoders of lists, legacy envelopes, quirky
// answers and error bodies through the real client: whatever the server
// sends, the client returns data or an error, never panics or loops.
//
//	go test ./internal/api -run '^$' -fuzz FuzzDecoders -fuzztime 10m
func FuzzDecoders(f *testing.F) {
	seeds := []string{
		`[{"user_id": 9124, "user_iam_id": "87b3dc2019f04ee788cb635eb26154ca", "repository_role_Id": "x"}]`,
		`{"status": "success", "result": {"total": 1, "users": [{"user_id": "a", "role": 40, "enabled": "true"}]}}`,
		`{"status": "failed", "error": {"code": "DEV.CH.10001", "message": "Param invalid"}}`,
		`{"status": "success", "result": {"id": "87b3", "name": null, "message": "add user success", "status": "success"}}`,
		`{"authorizations": [{"name": "a", "avartar": "u", "create_time": 1, "tag": null}], "count": "1"}`,
		`{"role_sync": [{"id": 1, "role_id": "r", "role_name": "n"}]}`,
		`{"error_code": "APIG.0308", "error_msg": "throttled"}`,
		`{"error": {"code": 1100, "message": "bad"}}`,
		`"Group 'g' was scheduled for deletion."`,
		`[{"user_group_name": "g", "user_group_id": "x", "user_count": "3"}]`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint16(200), uint8(i))
		f.Add([]byte(s), uint16(400), uint8(i))
	}
	var body atomic.Value
	var status, total atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if t := total.Load(); t >= 0 {
			w.Header().Set("X-Total", strconv.FormatInt(t, 10))
		}
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write(body.Load().([]byte))
	}))
	defer srv.Close()
	c, err := New(WithEndpoint(srv.URL), WithCredentials(Credentials{Token: "fuzz-token"}),
		WithRetry(RetryPolicy{MaxAttempts: 1}), WithRateLimit(1_000_000))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, code uint16, which uint8) {
		st := int(code%500) + 100 // 100..599
		if st < 200 {
			st = 200
		}
		body.Store(data)
		status.Store(int64(st))
		total.Store(int64(which%5) - 1)
		ctx := context.Background()
		switch which % 10 {
		case 0:
			_, _ = c.ListMembers(ctx, 1)
		case 1:
			_, _ = c.ListRepoMembers(ctx, "u")
		case 2:
			_, _ = c.AddRepoMembers(ctx, "u", []NewRepoMember{{ID: "i", Name: "n", Role: 30}})
		case 3:
			_, _ = c.ListAuthorizations(ctx, "p")
		case 4:
			_, _ = c.ShowProjectMemberSetting(ctx, "p")
		case 5:
			_, _ = c.ListRepositoryUserGroups(ctx, 1)
		case 6:
			_, _ = c.DeleteGroup(ctx, "p", 1)
		case 7:
			_, _ = c.AssociateGroupUserGroup(ctx, "p", 1, "g")
		case 8:
			_, _ = c.ListRepositoryFilePushPermissions(ctx, 1)
		case 9:
			_ = c.AssociateRepositoryUserGroup(ctx, "p", 1, "g")
		}
	})
}

// FuzzRedactURL builds URL-like strings whose user info holds a secret and
// checks that RedactURL never returns the secret, whatever surrounds it.
//
//	go test ./internal/api -run '^$' -fuzz FuzzRedactURL -fuzztime 1m
func FuzzRedactURL(f *testing.F) {
	f.Add("https", "user", "s3cr3t!", "host/path?x=1")
	f.Add("ftp", "u", "p%zz", "[::1")
	f.Add("", "", "pw/with/slashes", "h@evil")
	f.Add("http:\\\\", "a@b", "p?#q", "h")
	f.Fuzz(func(t *testing.T, prefix, user, secret, suffix string) {
		in := prefix + "://" + user + ":" + secret + "@" + suffix
		// The output is made of pieces of prefix, suffix and the marker: a
		// secret holding a byte none of them has cannot appear by chance.
		rare := false
		for i := range len(secret) {
			rare = rare || !strings.Contains(prefix+suffix+"://REDACTED@", secret[i:i+1])
		}
		if !rare {
			t.Skip()
		}
		if got := RedactURL(in); strings.Contains(got, secret) {
			t.Errorf("RedactURL(%q) = %q holds the secret %q", in, got, secret)
		}
	})
}
