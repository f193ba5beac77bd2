package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pagedServer serves n protected-refs user groups in offset/limit pages,
// with or without X-Total, and records the offsets requested.
func pagedServer(t *testing.T, mux *http.ServeMux, path string, n int, xTotal bool, offsets *[]string) {
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		*offsets = append(*offsets, q.Get("offset"))
		off, _ := strconv.Atoi(q.Get("offset"))
		lim, _ := strconv.Atoi(q.Get("limit"))
		var items []string
		for i := off; i < min(off+lim, n); i++ {
			items = append(items, fmt.Sprintf(`{"id":%d,"name":"g%d"}`, i+1, i+1))
		}
		if xTotal {
			w.Header().Set("X-Total", strconv.Itoa(n))
		}
		answer(w, 200, "", "["+strings.Join(items, ",")+"]")
	})
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name        string
		n           int
		xTotal      bool
		wantOffsets []string
	}{
		{"X-Total stops exactly", 4, true, []string{"0", "2"}},
		{"X-Total with a short last page", 5, true, []string{"0", "2", "4"}},
		{"no total: until a short page", 5, false, []string{"0", "2", "4"}},
		{"no total: full pages end with an empty one", 4, false, []string{"0", "2", "4"}},
		{"empty", 0, false, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var offsets []string
			pagedServer(t, mux, "/v4/repositories/1/protected-refs/user-groups", tt.n, tt.xTotal, &offsets)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			c.pageSize = 2
			got, err := c.ListRepositoryProtectedRefsUserGroups(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			var want []ProtectedRefsUserGroup
			for i := 1; i <= tt.n; i++ {
				want = append(want, ProtectedRefsUserGroup{ID: int64(i), Name: fmt.Sprintf("g%d", i)})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOffsets, offsets); diff != "" {
				t.Errorf("offsets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLegacyPagination(t *testing.T) {
	srv, mux := newServer(t)
	var pages []string
	mux.HandleFunc("GET /v1/repositories/"+tUUID+"/members", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pages = append(pages, q.Get("page_index")+"/"+q.Get("page_size"))
		users := map[string]string{
			"1": `[{"user_id":"a","role":40},{"user_id":"b","role":30}]`,
			"2": `[{"user_id":"c","role":20}]`,
		}[q.Get("page_index")]
		answer(w, 200, "", `{"status":"success","result":{"total":3,"users":`+users+`}}`)
	})
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
	c.pageSize = 2
	got, err := c.ListRepoMembers(context.Background(), tUUID)
	if err != nil {
		t.Fatal(err)
	}
	want := []LegacyMember{{UserID: "a", Role: 40}, {UserID: "b", Role: 30}, {UserID: "c", Role: 20}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1/2", "2/2"}, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestFlexDecoding(t *testing.T) {
	tests := []struct {
		in      string
		str     FlexString
		num     FlexInt
		wantErr bool
	}{
		{in: `"12"`, str: "12", num: 12},
		{in: `12`, str: "12", num: 12},
		{in: `null`, str: "", num: 0},
		{in: `"abc"`, str: "abc", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var s FlexString
			if err := s.UnmarshalJSON([]byte(tt.in)); err != nil || s != tt.str {
				t.Errorf("FlexString = %q, %v; want %q", s, err, tt.str)
			}
			var n FlexInt
			err := n.UnmarshalJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr || (!tt.wantErr && n != tt.num) {
				t.Errorf("FlexInt = %d, %v; want %d (error %v)", n, err, tt.num, tt.wantErr)
			}
		})
	}
}
