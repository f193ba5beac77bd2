package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	vecAK = "AKEXAMPLE0123456789A"
	vecSK = "SKexample0123456789abcdefghijklmnopqrstuv"
	vecB  = `{"path":"/config/*","actions":[{"action":"push","enable":true,"user_ids":[9124],"user_team_ids":[247],"related_role_ids":["24f72d0b611746c3a43da596ea5065f5"]}]}`
)

type signInput struct {
	method, path string
	query        url.Values
	header       http.Header
	body         []byte
}

func vectorA() signInput {
	return signInput{
		method: "GET", path: "/v4/repositories/2111667253/members",
		query: url.Values{"search": {"li wei"}, "offset": {"0"}, "limit": {"100"}, "permission": {"code"}},
		header: http.Header{
			"Host":         {"codehub-ext.cn-north-4.myhuaweicloud.com"},
			"Content-Type": {"application/json"},
			"X-Project-Id": {"0b234373cf3f4b04ab2d8a245155e12b"},
			"X-Sdk-Date":   {"20250115T083000Z"},
		},
	}
}

func vectorB() signInput {
	return signInput{
		method: "POST", path: "/v4/repositories/2111667253/file-push-permissions", query: url.Values{},
		header: http.Header{
			"Content-Type": {"application/json;charset=UTF-8"},
			"User-Agent":   {"huaweicloud-usdk-go/3.0"},
			"X-Project-Id": {"0b234373cf3f4b04ab2d8a245155e12b"},
			"X-Sdk-Date":   {"20250115T083000Z"},
		},
		body: []byte(vecB),
	}
}

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		name      string
		in        signInput
		canonical string
		auth      string
	}{
		{
			name:      "A GET with query and host",
			in:        vectorA(),
			canonical: "GET\n/v4/repositories/2111667253/members/\nlimit=100&offset=0&permission=code&search=li%20wei\nhost:codehub-ext.cn-north-4.myhuaweicloud.com\nx-project-id:0b234373cf3f4b04ab2d8a245155e12b\nx-sdk-date:20250115T083000Z\n\nhost;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			auth:      "SDK-HMAC-SHA256 Access=AKEXAMPLE0123456789A, SignedHeaders=host;x-project-id;x-sdk-date, Signature=ea9c4010b8ffcd09f309f4d819854d85f071b09f7b6bdf39ffdcd60c7bfc31f0",
		},
		{
			name:      "B POST with JSON body",
			in:        vectorB(),
			canonical: "POST\n/v4/repositories/2111667253/file-push-permissions/\n\nuser-agent:huaweicloud-usdk-go/3.0\nx-project-id:0b234373cf3f4b04ab2d8a245155e12b\nx-sdk-date:20250115T083000Z\n\nuser-agent;x-project-id;x-sdk-date\n0b72b2cfe790811f51343f21efa4efc23c68b80c52fedb742676cb0a9c610a6b",
			auth:      "SDK-HMAC-SHA256 Access=AKEXAMPLE0123456789A, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=62abac6ee873c76ac5b5855f18897b259cd76204efaf1ddbf55991dde7b50f05",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			canon, _ := canonicalRequest(in.method, in.path, in.query, in.header, in.body)
			if diff := cmp.Diff(tt.canonical, canon); diff != "" {
				t.Errorf("canonical request (-want +got):\n%s", diff)
			}
			got := signature(vecAK, vecSK, in.method, in.path, in.query, in.header, in.body)
			if diff := cmp.Diff(tt.auth, got); diff != "" {
				t.Errorf("authorization (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSignatureVectorBBody checks that the client's own wire struct encodes
// vector B's body to exactly the 160 signed bytes.
func TestSignatureVectorBBody(t *testing.T) {
	p := NewFilePushPermission{Path: "/config/*", Actions: normActions([]PushActionBody{{
		Action: "push", Enable: true, UserIDs: []int64{9124}, UserTeamIDs: []int64{247},
		RelatedRoleIDs: []string{"24f72d0b611746c3a43da596ea5065f5"}}})}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(vecB, string(b)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if len(b) != 160 {
		t.Errorf("body is %d bytes, want 160", len(b))
	}
}

func TestSignatureTampering(t *testing.T) {
	base := vectorB()
	want := signature(vecAK, vecSK, base.method, base.path, base.query, base.header.Clone(), base.body)
	tamper := []struct {
		name string
		mod  func(*signInput)
	}{
		{"method", func(s *signInput) { s.method = "PUT" }},
		{"path", func(s *signInput) { s.path = "/v4/repositories/2111667254/file-push-permissions" }},
		{"query", func(s *signInput) { s.query = url.Values{"a": {"1"}} }},
		{"body", func(s *signInput) { s.body = append([]byte(nil), s.body...); s.body[10] = 'X' }},
		{"date", func(s *signInput) { s.header.Set("X-Sdk-Date", "20250115T083001Z") }},
		{"project header", func(s *signInput) { s.header.Set("X-Project-Id", "1b234373cf3f4b04ab2d8a245155e12b") }},
		{"user agent", func(s *signInput) { s.header.Set("User-Agent", "other") }},
		{"added header", func(s *signInput) { s.header.Set("X-Security-Token", "t") }},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			in := vectorB()
			in.header = in.header.Clone()
			tt.mod(&in)
			got := signature(vecAK, vecSK, in.method, in.path, in.query, in.header, in.body)
			if got == want {
				t.Errorf("tampering with %s left the signature unchanged", tt.name)
			}
		})
	}
	t.Run("content type is not signed", func(t *testing.T) {
		in := vectorB()
		in.header = in.header.Clone()
		in.header.Set("Content-Type", "application/json")
		if got := signature(vecAK, vecSK, in.method, in.path, in.query, in.header, in.body); got != want {
			t.Errorf("content-type changed the signature")
		}
	})
	t.Run("other secret key", func(t *testing.T) {
		in := vectorB()
		if got := signature(vecAK, vecSK+"x", in.method, in.path, in.query, in.header.Clone(), in.body); got == want {
			t.Errorf("secret key did not change the signature")
		}
	})
}

// TestQuerySpaceEncodedAsPercent20 sends vector A's query (a search value
// with a space) through the client and checks the wire and the signature:
// %20 on the wire, never "+", and the canonical query and Authorization of
// docs/api-reference.md §14.1 recomputed from the raw wire query read
// strictly ("+" as a plus, as a gateway may).
func TestQuerySpaceEncodedAsPercent20(t *testing.T) {
	srv, mux := newServer(t)
	var rawQuery string
	mux.HandleFunc("GET /v4/repositories/2111667253/members", func(w http.ResponseWriter, r *http.Request) {
		rawQuery = r.URL.RawQuery
		if err := verifySignature(r, nil, vecAK, vecSK); err != nil {
			t.Errorf("signature: %v", err)
		}
		answer(w, 200, "", `[]`)
	})
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{AccessKey: vecAK, SecretKey: vecSK, ProjectID: "0b234373cf3f4b04ab2d8a245155e12b"}))
	q := url.Values{"search": {"li wei"}, "offset": {"0"}, "limit": {"100"}, "permission": {"code"}}
	if _, err := c.getJSON(context.Background(), get("ListMembers", svcRepo, "/v4/repositories/2111667253/members", q), new([]RepositoryMember)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("limit=100&offset=0&permission=code&search=li%20wei", rawQuery); diff != "" {
		t.Errorf("wire query (-want +got):\n%s", diff)
	}
	strict := url.Values{}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		ku, err1 := url.PathUnescape(k) // PathUnescape keeps "+" a plus
		vu, err2 := url.PathUnescape(v)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad wire query %q", rawQuery)
		}
		strict.Add(ku, vu)
	}
	a := vectorA()
	canon, _ := canonicalRequest(a.method, a.path, strict, a.header, nil)
	if line := strings.Split(canon, "\n")[2]; line != "limit=100&offset=0&permission=code&search=li%20wei" {
		t.Errorf("canonical query %q", line)
	}
	want := "SDK-HMAC-SHA256 Access=AKEXAMPLE0123456789A, SignedHeaders=host;x-project-id;x-sdk-date, Signature=ea9c4010b8ffcd09f309f4d819854d85f071b09f7b6bdf39ffdcd60c7bfc31f0"
	if got := signature(vecAK, vecSK, a.method, a.path, strict, a.header.Clone(), nil); got != want {
		t.Errorf("vector A from the wire query:\n got %s\nwant %s", got, want)
	}
}

func TestEncodeQuery(t *testing.T) {
	tests := []struct {
		in   url.Values
		want string
	}{
		{url.Values{"search": {"li wei"}}, "search=li%20wei"},
		{url.Values{"q": {"a+b&c=d/é"}}, "q=a%2Bb%26c%3Dd%2F%C3%A9"},
		{url.Values{"b": {"2", "1"}, "a": {"x"}}, "a=x&b=2&b=1"},
		{url.Values{}, ""},
	}
	for _, tt := range tests {
		got := encodeQuery(tt.in)
		if got != tt.want {
			t.Errorf("encodeQuery(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := url.ParseQuery(got)
		if err != nil || (len(tt.in) > 0 && !cmp.Equal(tt.in, back)) {
			t.Errorf("%q does not decode back to %v: %v %v", got, tt.in, back, err)
		}
	}
}
