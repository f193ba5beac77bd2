package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Tasks added while the pool runs (a listing adding its children) run
// too, never more than the limit at once, and run returns when none is
// left.
func TestReadsRunsWhatTasksAdd(t *testing.T) {
	r := newReads(nil)
	var ran, inFlight, most atomic.Int32
	var task func(depth int) func(context.Context) error
	task = func(depth int) func(context.Context) error {
		return func(context.Context) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			ran.Add(1)
			if depth < 3 {
				for range 3 {
					r.add("List", task(depth+1))
				}
			}
			return nil
		}
	}
	r.add("List", task(0))
	if err := r.run(t.Context(), 2); err != nil {
		t.Fatal(err)
	}
	if ran.Load() != 1+3+9+27 || most.Load() > 2 {
		t.Errorf("ran %d tasks (want 40), at most %d at once (limit 2)", ran.Load(), most.Load())
	}
}

// Operations take turns, each one's tasks in the order they came: the
// gateway budgets each operation on its own.
func TestReadsTakesOperationsInTurn(t *testing.T) {
	r := newReads(nil)
	var order []string
	for _, name := range []string{"a1", "a2", "a3", "b1", "b2", "c1"} {
		r.add(name[:1], func(context.Context) error { order = append(order, name); return nil })
	}
	if err := r.run(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a1", "b1", "c1", "a2", "b2", "a3"}, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// The first error ends the run: nothing queued after it starts.
func TestReadsStopsAtTheFirstError(t *testing.T) {
	r := newReads(nil)
	boom := errors.New("boom")
	later := false
	r.add("a", func(context.Context) error { return boom })
	r.add("a", func(context.Context) error { later = true; return nil })
	if err := r.run(t.Context(), 1); !errors.Is(err, boom) || later {
		t.Errorf("run = %v, later task ran: %v", err, later)
	}
}

// A hold keeps the pool running for a producer outside it; cancelling
// the context ends a pool that waits, with the context's error.
func TestReadsHold(t *testing.T) {
	r := newReads(nil)
	r.hold()
	done := make(chan error, 1)
	go func() { done <- r.run(t.Context(), 2) }()
	ran := make(chan struct{})
	r.add("a", func(context.Context) error { close(ran); return nil })
	<-ran
	select {
	case err := <-done:
		t.Fatalf("the pool ended while held: %v", err)
	default:
	}
	r.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	r = newReads(nil)
	r.hold()
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- r.run(ctx, 2) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait ended with %v", err)
	}
}

// The walk reads a repository's lists as soon as its group is listed: the
// listing of a group found beside the repository waits here until the
// repository's members are read, which a walk that listed every group
// before any repository would never do.
func TestWalkReadsRepositoriesAsTheyAreFound(t *testing.T) {
	h := newHarness(t)
	memberRead := make(chan struct{})
	var once sync.Once
	var waited atomic.Bool
	h.hook = func(r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/repositories/12345/members"):
			once.Do(func() { close(memberRead) })
		case strings.HasSuffix(r.URL.Path, "/groups/101/subgroups-and-repositories"):
			select {
			case <-memberRead:
				waited.Store(true)
			case <-time.After(10 * time.Second):
			}
		}
	}
	live, err := h.c.Walk(t.Context(), WalkRequest{Lists: func(p string) (RepoRead, bool) { return AllLists(p), true }})
	if err != nil {
		t.Fatal(err)
	}
	if !waited.Load() {
		t.Error("the group pay/old was listed before pay/gateway's members were read")
	}
	if r := live.Repositories["pay/gateway"]; r == nil || len(r.Members) == 0 || len(r.PushRules) != 3 {
		t.Errorf("pay/gateway = %+v, want its members and three push rules", r)
	}
}

// The lookups WalkRequest.Lookups names are asked for as the walk starts:
// the first group listing waits here until the project's users were asked
// for, which a walk that asked for them only once it found a repository
// (below that group) would never do.
func TestWalkAsksForLookupsAsItStarts(t *testing.T) {
	h := newHarness(t)
	usersAsked := make(chan struct{})
	var once, first sync.Once
	var waited atomic.Bool
	h.hook = func(r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/members") && strings.Contains(r.URL.Path, "/projects/"):
			once.Do(func() { close(usersAsked) })
		case strings.HasPrefix(r.URL.Path, "/v4/groups/"):
			first.Do(func() {
				select {
				case <-usersAsked:
					waited.Store(true)
				case <-time.After(10 * time.Second):
				}
			})
		}
	}
	lists := func(p string) (RepoRead, bool) { return RepoRead{Path: p, Members: true}, true }
	live, err := h.c.Walk(t.Context(), WalkRequest{Lists: lists, Lookups: RepoRead{Members: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !waited.Load() {
		t.Error("a group was listed before the project's users were asked for")
	}
	if h.calls("ListProductPermissionResourcesGrantedUsers") != 1 || h.calls("ShowProjectMemberSetting") != 1 {
		t.Errorf("calls %v, want the users and the member setting once each", h.sim.Stats().Calls)
	}
	if h.calls("ListProjectProtectedRefsUserGroups") != 0 {
		t.Error("members alone need no member-group ids of push rules")
	}
	if r := live.Repositories["pay/gateway"]; r == nil || len(r.Members) == 0 {
		t.Errorf("pay/gateway = %+v, want its members", r)
	}
}
