package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
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
		// A full page always asks for the next, even when X-Total says the end
		// was reached: a stale total must not cut the list short.
		{"X-Total on a full last page", 4, true, []string{"0", "2", "4"}},
		{"X-Total with a short last page", 5, true, []string{"0", "2", "4"}},
		{"no total: until a short page", 5, false, []string{"0", "2", "4"}},
		{"no total: full pages end with an empty one", 4, false, []string{"0", "2", "4"}},
		{"empty", 0, false, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			var offsets []string
			pagedServer(t, mux, "/v4/projects/p1/protected-refs/user-groups", tt.n, tt.xTotal, &offsets)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			c.pageSize = 2
			got, err := c.ListProjectProtectedRefsUserGroups(context.Background(), "p1")
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

// cappingServer serves n protected-refs user groups, at most capAt a page
// whatever limit asks (0: no cap), with X-Total = total when total >= 0.
// ignoreOffset serves the first page for every offset. It counts requests.
type cappingServer struct {
	n, capAt, total int
	ignoreOffset    bool
	calls           atomic.Int32
}

func (s *cappingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	lim, _ := strconv.Atoi(q.Get("limit"))
	if s.capAt > 0 {
		lim = min(lim, s.capAt)
	}
	if s.ignoreOffset {
		off = 0
	}
	items := []string{}
	for i := off; i < min(off+lim, s.n); i++ {
		items = append(items, fmt.Sprintf(`{"id":%d,"name":"g%d"}`, i+1, i+1))
	}
	if s.total >= 0 {
		w.Header().Set("X-Total", strconv.Itoa(s.total))
	}
	answer(w, 200, "", "["+strings.Join(items, ",")+"]")
}

func (s *cappingServer) list(t *testing.T, c *Client) (int, error) {
	t.Helper()
	before := s.calls.Load()
	got, err := c.ListProjectProtectedRefsUserGroups(context.Background(), "p1")
	if err != nil {
		return 0, err
	}
	seen := map[int64]bool{}
	for _, g := range got {
		if seen[g.ID] {
			t.Errorf("item %d listed twice", g.ID)
		}
		seen[g.ID] = true
	}
	if len(seen) != s.n {
		t.Errorf("%d distinct items listed, want %d", len(seen), s.n)
	}
	return int(s.calls.Load() - before), nil
}

// TestSilentPageCap: a server returning at most 20 items a page, while 100
// are asked for and no X-Total is sent, loses nothing; each list costs
// ceil(n/20) calls plus one empty page when its last page is full or holds
// at least minPageCap items and as many as every page seen before (the
// confirmation). A second
// list of the same operation costs the same; a list shorter than the cap
// costs one call once the cap is known.
func TestSilentPageCap(t *testing.T) {
	tests := []struct {
		n, capAt           int
		wantFirst, wantSec int
		wantCap            int
	}{
		{n: 0, capAt: 20, wantFirst: 1, wantSec: 1},
		{n: 7, capAt: 20, wantFirst: 1, wantSec: 1}, // under minPageCap: no confirmation
		{n: 12, capAt: 20, wantFirst: 2, wantSec: 2},
		{n: 20, capAt: 20, wantFirst: 2, wantSec: 2},
		{n: 21, capAt: 20, wantFirst: 2, wantSec: 2, wantCap: 20},
		{n: 45, capAt: 20, wantFirst: 3, wantSec: 3, wantCap: 20},
		{n: 100, capAt: 20, wantFirst: 6, wantSec: 6, wantCap: 20},
		{n: 250, capAt: 20, wantFirst: 13, wantSec: 13, wantCap: 20},
		{n: 7, capAt: 0, wantFirst: 1, wantSec: 1},
		{n: 10, capAt: 0, wantFirst: 2, wantSec: 2},
		{n: 10, capAt: 10, wantFirst: 2, wantSec: 2},
		{n: 25, capAt: 10, wantFirst: 3, wantSec: 3, wantCap: 10},
		{n: 150, capAt: 0, wantFirst: 2, wantSec: 2},
		{n: 250, capAt: 50, wantFirst: 6, wantSec: 6, wantCap: 50},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d items, cap %d", tt.n, tt.capAt), func(t *testing.T) {
			srv, mux := newServer(t)
			s := &cappingServer{n: tt.n, capAt: tt.capAt, total: -1}
			mux.Handle("GET /v4/projects/p1/protected-refs/user-groups", s)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			for i, want := range []int{tt.wantFirst, tt.wantSec} {
				calls, err := s.list(t, c)
				if err != nil {
					t.Fatal(err)
				}
				if calls != want {
					t.Errorf("list %d took %d calls, want %d", i+1, calls, want)
				}
			}
			if got := c.pageCap("ListProjectProtectedRefsUserGroups"); got != tt.wantCap {
				t.Errorf("learned cap %d, want %d", got, tt.wantCap)
			}
		})
	}
	t.Run("a short list after the cap is known", func(t *testing.T) {
		srv, mux := newServer(t)
		s := &cappingServer{n: 45, capAt: 20, total: -1}
		mux.Handle("GET /v4/projects/p1/protected-refs/user-groups", s)
		c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
		if _, err := s.list(t, c); err != nil {
			t.Fatal(err)
		}
		s.n = 7
		if calls, err := s.list(t, c); err != nil || calls != 1 {
			t.Errorf("list of 7 took %d calls (%v), want 1", calls, err)
		}
	})
}

func TestPagingWithXTotal(t *testing.T) {
	tests := []struct {
		name      string
		n, capAt  int
		total     int
		wantCalls int
		wantCap   int
	}{
		{"exact total, capped pages: no extra call", 45, 20, 45, 3, 20},
		{"exact total on a full page", 200, 0, 200, 3, 0},
		{"stale total smaller than the data", 250, 0, 3, 3, 0},
		{"stale total larger than the data", 250, 0, 300, 4, 0},
		{"stale small total, capped", 45, 20, 10, 3, 20},
		{"stale large total, capped", 45, 20, 60, 4, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			s := &cappingServer{n: tt.n, capAt: tt.capAt, total: tt.total}
			mux.Handle("GET /v4/projects/p1/protected-refs/user-groups", s)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			calls, err := s.list(t, c)
			if err != nil {
				t.Fatal(err)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			if got := c.pageCap("ListProjectProtectedRefsUserGroups"); got != tt.wantCap {
				t.Errorf("learned cap %d, want %d", got, tt.wantCap)
			}
		})
	}
}

func TestServerIgnoringOffset(t *testing.T) {
	for _, tt := range []struct{ n, capAt int }{{12, 0}, {45, 20}, {250, 0}} {
		t.Run(fmt.Sprintf("%d items cap %d", tt.n, tt.capAt), func(t *testing.T) {
			srv, mux := newServer(t)
			s := &cappingServer{n: tt.n, capAt: tt.capAt, total: -1, ignoreOffset: true}
			mux.Handle("GET /v4/projects/p1/protected-refs/user-groups", s)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			_, err := c.ListProjectProtectedRefsUserGroups(context.Background(), "p1")
			if e := asError(err); e == nil || e.Kind != KindDecode || !strings.Contains(err.Error(), "seems to ignore offset") {
				t.Fatalf("error %v, want a repeated-page error", err)
			}
			if s.calls.Load() != 2 {
				t.Errorf("%d calls, want 2", s.calls.Load())
			}
		})
	}
}

// legacyCappingServer serves n legacy members, at most capAt a page, with
// result.total = total. byAskedSize counts pages in the page_size asked
// (page 2 of size 100 starts at 100); otherwise in the size returned.
// ignorePage answers every page_index with the first page.
type legacyCappingServer struct {
	n, capAt, total int
	byAskedSize     bool
	ignorePage      bool
	calls           atomic.Int32
}

func (s *legacyCappingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page_index"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	eff := size
	if s.capAt > 0 {
		eff = min(size, s.capAt)
	}
	start := (page - 1) * eff
	if s.byAskedSize {
		start = (page - 1) * size
	}
	if s.ignorePage {
		start = 0
	}
	users := []string{}
	for i := start; i < min(start+eff, s.n); i++ {
		users = append(users, fmt.Sprintf(`{"user_id":"u%d","role":30}`, i+1))
	}
	answer(w, 200, "", fmt.Sprintf(`{"status":"success","result":{"total":%d,"users":[%s]}}`, s.total, strings.Join(users, ",")))
}

func TestLegacyPageCap(t *testing.T) {
	tests := []struct {
		name               string
		srv                *legacyCappingServer
		wantFirst, wantSec int
	}{
		{"cap 20, pages counted in the size returned", &legacyCappingServer{n: 45, capAt: 20, total: 45}, 3, 3},
		{"cap 20, pages counted in the size asked", &legacyCappingServer{n: 45, capAt: 20, total: 45, byAskedSize: true}, 3, 3},
		{"cap 20, exactly one capped page", &legacyCappingServer{n: 20, capAt: 20, total: 20}, 1, 1},
		{"cap 20, stale small total", &legacyCappingServer{n: 45, capAt: 20, total: 10}, 3, 3},
		{"cap 20, no total", &legacyCappingServer{n: 45, capAt: 20}, 3, 3},
		{"stale total smaller than the data", &legacyCappingServer{n: 250, total: 3}, 3, 3},
		{"stale total larger than the data", &legacyCappingServer{n: 30, total: 40}, 2, 2},
		{"no cap", &legacyCappingServer{n: 150, total: 150}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, mux := newServer(t)
			s := tt.srv
			mux.Handle("GET /v1/repositories/"+tUUID+"/members", s)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			for i, want := range []int{tt.wantFirst, tt.wantSec} {
				before := s.calls.Load()
				got, err := c.ListRepoMembers(context.Background(), tUUID)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]bool{}
				for _, m := range got {
					if seen[m.UserID] {
						t.Errorf("member %s listed twice", m.UserID)
					}
					seen[m.UserID] = true
				}
				if len(seen) != s.n {
					t.Errorf("list %d: %d distinct members, want %d", i+1, len(seen), s.n)
				}
				if calls := int(s.calls.Load() - before); calls != want {
					t.Errorf("list %d took %d calls, want %d", i+1, calls, want)
				}
			}
		})
	}
}

// A legacy server that ignores page_index is caught at the second page, as
// a v4 server that ignores offset is (TestServerIgnoringOffset).
func TestLegacyServerIgnoringPageIndex(t *testing.T) {
	for _, s := range []*legacyCappingServer{
		{n: 250, total: 250, ignorePage: true},
		{n: 45, capAt: 20, total: 45, ignorePage: true},
	} {
		t.Run(fmt.Sprintf("%d members cap %d", s.n, s.capAt), func(t *testing.T) {
			srv, mux := newServer(t)
			mux.Handle("GET /v1/repositories/"+tUUID+"/members", s)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			_, err := c.ListRepoMembers(context.Background(), tUUID)
			if e := asError(err); e == nil || e.Kind != KindDecode || !strings.Contains(err.Error(), "seems to ignore offset") {
				t.Fatalf("error %v, want a repeated-page error", err)
			}
			if s.calls.Load() != 2 {
				t.Errorf("%d calls, want 2", s.calls.Load())
			}
		})
	}
}

// TestListSizeIsBounded: every page fits the per-answer bound, but a
// listing of many distinct full pages stops at the bound of the whole list
// instead of reading until maxPages.
func TestListSizeIsBounded(t *testing.T) {
	srv, mux := newServer(t)
	s := &cappingServer{n: 1000, total: -1}
	mux.Handle("GET /v4/projects/p1/protected-refs/user-groups", s)
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
	c.maxList = 8 << 10
	_, err := c.ListProjectProtectedRefsUserGroups(context.Background(), "p1")
	if e := asError(err); e == nil || e.Kind != KindDecode || !strings.Contains(err.Error(), "the list is larger than") {
		t.Fatalf("error %v, want the list bound", err)
	}
	if n := s.calls.Load(); n >= 10 {
		t.Errorf("%d pages read past the bound", n)
	}
	c.maxList = defaultMaxList
	if _, err := s.list(t, c); err != nil {
		t.Errorf("the same list under the default bound: %v", err)
	}
}
