package apply

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

func member(repo, user string, action plan.Action, before, after state.Role) plan.Change {
	c := plan.Change{Address: plan.MemberAddress(repo, user), Kind: plan.KindMember, Action: action,
		Target: plan.Target{Repository: repo, User: user, UserIAMID: fmt.Sprintf("%032x", len(user))}}
	if before != "" {
		c.Before = &plan.MemberValue{Role: before}
	}
	if after != "" {
		c.After = &plan.MemberValue{Role: after}
	}
	return c
}

func group(path string, action plan.Action) plan.Change {
	return plan.Change{Address: plan.GroupAddress(path), Kind: plan.KindGroup, Action: action, Target: plan.Target{Group: path}}
}

func rule(repo, path string, action plan.Action) plan.Change {
	return plan.Change{Address: plan.PushRuleAddress(repo, path), Kind: plan.KindPushRule, Action: action, Target: plan.Target{Repository: repo}}
}

func mkplan(cs ...plan.Change) *plan.Plan { return &plan.Plan{FormatVersion: 1, Changes: cs} }

func TestBuildStepsBatchesAndOrders(t *testing.T) {
	p := mkplan(
		group("a", plan.Create), group("a/b", plan.Create), group("a/b/c", plan.Create),
		plan.Change{Address: plan.GroupMemberGroupAddress("a/b", "leads"), Kind: plan.KindGroupMemberGroup, Action: plan.Create, Target: plan.Target{Group: "a/b"}},
		member("x/r", "u1", plan.Create, "", state.RoleViewer), member("x/r", "u2", plan.Create, "", state.RoleAdmin),
		member("x/s", "u1", plan.Create, "", state.RoleViewer),
		rule("x/r", "/a", plan.Update), rule("x/r", "/b", plan.Update), rule("x/r", "/c", plan.Delete), rule("x/r", "/d", plan.Delete),
		rule("x/r", "/e", plan.Create), rule("x/r", "/f", plan.Create),
		group("old", plan.Delete), group("old/child", plan.Delete),
		plan.Change{Address: plan.GroupAddress("m"), Kind: plan.KindGroup, Action: plan.Manual},
	)
	steps := BuildSteps(p)
	var got []string
	for _, s := range steps {
		var deps []string
		for _, d := range s.Deps {
			deps = append(deps, steps[d].Changes[0].Address.String())
		}
		got = append(got, fmt.Sprintf("%s %s x%d after %v", s.Op, s.Changes[0].Address.Name, len(s.Changes), deps))
	}
	want := []string{
		"CreateGroup a x1 after []",
		"CreateGroup a/b x1 after [group[a]]",
		"CreateGroup a/b/c x1 after [group[a/b]]",
		"AssociateGroupUserGroup a/b x1 after [group[a/b]]",
		"AddRepoMembers x/r x2 after []",
		"AddRepoMembers x/s x1 after []",
		"BatchUpdateRepositoryFilePushPermissions x/r x2 after []",
		"BatchDeleteRepositoryFilePushPermissions x/r x2 after []",
		"CreateFilePushPermission x/r x1 after []",
		"CreateFilePushPermission x/r x1 after []",
		"DeleteGroup old x1 after [group[old/child]]",
		"DeleteGroup old/child x1 after []",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// fakeMutator records calls, tracks concurrency and fails on demand.
type fakeMutator struct {
	mu       sync.Mutex
	limit    int
	inFlight int
	maxSeen  int
	over     bool
	calls    []string
	fail     map[plan.Address]error // by first change address
	gate     chan struct{}          // when set, Apply waits on it
	reached  chan struct{}          // closed once inFlight reaches limit
	once     sync.Once
	onCall   func()
}

func (f *fakeMutator) Apply(ctx context.Context, op plan.Op, changes []plan.Change) error {
	f.mu.Lock()
	f.inFlight++
	if f.inFlight > f.maxSeen {
		f.maxSeen = f.inFlight
	}
	if f.limit > 0 && f.inFlight > f.limit {
		f.over = true
	}
	if f.reached != nil && f.inFlight == f.limit {
		f.once.Do(func() { close(f.reached) })
	}
	f.calls = append(f.calls, string(op)+" "+changes[0].Address.String())
	err := f.fail[changes[0].Address]
	cb := f.onCall
	f.mu.Unlock()
	if cb != nil {
		cb()
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	return err
}

func TestInFlightNeverExceedsConcurrency(t *testing.T) {
	var cs []plan.Change
	for i := 0; i < 40; i++ {
		cs = append(cs, member(fmt.Sprintf("r/%02d", i), "u", plan.Update, state.RoleViewer, state.RoleDeveloper))
	}
	const limit = 4
	f := &fakeMutator{limit: limit, gate: make(chan struct{}), reached: make(chan struct{})}
	repDone := make(chan *Report)
	go func() { repDone <- Run(context.Background(), mkplan(cs...), f, Options{Concurrency: limit}) }()
	select {
	case <-f.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the executor never ran 4 steps at once")
	}
	// Give any step launched beyond the limit every chance to enter Apply
	// (yielding, not sleeping) before the first ones are released.
	for i := 0; i < 20_000; i++ {
		runtime.Gosched()
	}
	close(f.gate)
	rep := <-repDone
	if f.over || f.maxSeen != limit {
		t.Errorf("max in flight = %d (over the limit: %v), want exactly %d", f.maxSeen, f.over, limit)
	}
	if rep.Summary.Done != 40 || len(f.calls) != 40 {
		t.Errorf("summary %+v, %d calls", rep.Summary, len(f.calls))
	}
}

type apiErr struct{ code, msg string }

func (e apiErr) Error() string     { return e.code + ": " + e.msg }
func (e apiErr) ErrorCode() string { return e.code }

func TestFailureSkipsDependentsOnly(t *testing.T) {
	p := mkplan(
		group("a", plan.Create), group("a/b", plan.Create), group("a/b/c", plan.Create),
		plan.Change{Address: plan.GroupMemberGroupAddress("a", "leads"), Kind: plan.KindGroupMemberGroup, Action: plan.Create, Target: plan.Target{Group: "a"}},
		member("x/r", "u1", plan.Create, "", state.RoleViewer),
		member("x/s", "u2", plan.Update, state.RoleViewer, state.RoleAdmin),
		plan.Change{Address: plan.GroupAddress("m"), Kind: plan.KindGroup, Action: plan.Manual, Reason: "console only"},
	)
	f := &fakeMutator{fail: map[plan.Address]error{plan.GroupAddress("a"): apiErr{"CH.004403", "no permission"}}}
	rep := Run(context.Background(), p, f, Options{Concurrency: 2})
	got := map[string]string{}
	for _, r := range rep.Results {
		got[r.Address.String()] = string(r.Status) + " " + r.Code
	}
	want := map[string]string{
		"group[a]":                     "failed CH.004403",
		"group[a/b]":                   "skipped ",
		"group[a/b/c]":                 "skipped ",
		"group[a].member_group[leads]": "skipped ",
		"repository[x/r].member[u1]":   "done ",
		"repository[x/s].member[u2]":   "done ",
		"group[m]":                     "manual ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if rep.Summary != (Counts{Done: 2, Failed: 1, Skipped: 3, Manual: 1}) {
		t.Errorf("summary = %+v", rep.Summary)
	}
	for _, r := range rep.Results {
		if r.Address == plan.GroupAddress("a/b/c") && !strings.Contains(r.Message, "group[a/b]") {
			t.Errorf("skip reason = %q, want it to name the failed dependency", r.Message)
		}
	}
}

func TestFailFastStopsNewSteps(t *testing.T) {
	var cs []plan.Change
	for i := 0; i < 5; i++ {
		cs = append(cs, member(fmt.Sprintf("r/%d", i), "u", plan.Update, state.RoleViewer, state.RoleAdmin))
	}
	f := &fakeMutator{fail: map[plan.Address]error{cs[0].Address: errors.New("boom")}}
	rep := Run(context.Background(), mkplan(cs...), f, Options{Concurrency: 1, FailFast: true})
	if len(f.calls) != 1 || rep.Summary.Failed != 1 || rep.Summary.Skipped != 4 {
		t.Errorf("calls %v, summary %+v", f.calls, rep.Summary)
	}
	// Without fail-fast the same failure leaves the others running.
	f = &fakeMutator{fail: map[plan.Address]error{cs[0].Address: errors.New("boom")}}
	rep = Run(context.Background(), mkplan(cs...), f, Options{Concurrency: 1})
	if len(f.calls) != 5 || rep.Summary.Done != 4 {
		t.Errorf("calls %v, summary %+v", f.calls, rep.Summary)
	}
}

type partialMutator struct{}

// testPartial fails some changes of a batch, like remote.Partial.
type testPartial map[plan.Address]error

func (p testPartial) Error() string                         { return "partly failed" }
func (p testPartial) FailedChanges() map[plan.Address]error { return p }

func (partialMutator) Apply(_ context.Context, op plan.Op, changes []plan.Change) error {
	if op != plan.OpAddMembers {
		return nil
	}
	return testPartial{changes[1].Address: apiErr{"CH.1001", "user is disabled"}}
}

func TestPartialBatchFailure(t *testing.T) {
	p := mkplan(member("x/r", "u1", plan.Create, "", state.RoleViewer), member("x/r", "u2", plan.Create, "", state.RoleViewer), member("x/r", "u3", plan.Create, "", state.RoleViewer))
	rep := Run(context.Background(), p, partialMutator{}, Options{Concurrency: 2})
	if rep.Summary != (Counts{Done: 2, Failed: 1}) {
		t.Errorf("summary = %+v", rep.Summary)
	}
	if r := rep.Results[1]; r.Status != StatusFailed || r.Code != "CH.1001" || r.Op != plan.OpAddMembers {
		t.Errorf("failed result = %+v", r)
	}
}

func TestInterruptedRunSkipsTheRest(t *testing.T) {
	var cs []plan.Change
	for i := 0; i < 6; i++ {
		cs = append(cs, member(fmt.Sprintf("r/%d", i), "u", plan.Update, state.RoleViewer, state.RoleAdmin))
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeMutator{onCall: cancel}
	rep := Run(ctx, mkplan(cs...), f, Options{Concurrency: 1})
	if len(f.calls) != 1 || rep.Summary != (Counts{Done: 1, NotStarted: 5}) {
		t.Errorf("calls %v, summary %+v", f.calls, rep.Summary)
	}
	if r := rep.Results[5]; r.Status != StatusNotStarted || !strings.Contains(r.Message, "interrupted") {
		t.Errorf("result = %+v", r)
	}
	if got := rep.Summary.Line(); got != "1 done, 0 failed, 0 skipped, 0 manual, 5 not started" {
		t.Errorf("Line() = %q", got)
	}
}

// A step whose write was cancelled before it was sent (waiting for the
// rate budget) did not start; one cancelled after sending failed with an
// unknown outcome.
func TestCancelledWritesAreNotStartedUnlessSent(t *testing.T) {
	cs := []plan.Change{
		member("r/0", "u", plan.Update, state.RoleViewer, state.RoleAdmin),
		member("r/1", "u", plan.Update, state.RoleViewer, state.RoleAdmin),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := mutatorFunc(func(_ context.Context, _ plan.Op, changes []plan.Change) error {
		cancel()
		if changes[0].Address.Name == "r/0" {
			return fmt.Errorf("wait for rate budget: %w", context.Canceled)
		}
		return sentThenCancelled{}
	})
	rep := Run(ctx, mkplan(cs...), m, Options{Concurrency: 2})
	got := map[string]Status{}
	for _, r := range rep.Results {
		got[r.Address.Name] = r.Status
	}
	if diff := cmp.Diff(map[string]Status{"r/0": StatusNotStarted, "r/1": StatusFailed}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

type mutatorFunc func(context.Context, plan.Op, []plan.Change) error

func (f mutatorFunc) Apply(ctx context.Context, op plan.Op, cs []plan.Change) error {
	return f(ctx, op, cs)
}

type sentThenCancelled struct{}

func (sentThenCancelled) Error() string        { return "outcome unknown: context canceled" }
func (sentThenCancelled) Unwrap() error        { return context.Canceled }
func (sentThenCancelled) OutcomeUnknown() bool { return true }

func TestInterleaveByOperation(t *testing.T) {
	mk := func(op plan.Op, id int) *Step { return &Step{ID: id, Op: op} }
	in := []*Step{mk(plan.OpAddMembers, 0), mk(plan.OpAddMembers, 1), mk(plan.OpSetRole, 2), mk(plan.OpCreatePushRule, 3), mk(plan.OpSetRole, 4), mk(plan.OpAddMembers, 5)}
	var got []int
	for _, s := range interleave(in) {
		got = append(got, s.ID)
	}
	if diff := cmp.Diff([]int{0, 2, 3, 1, 4, 5}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestGraceLetsInFlightWritesFinish: after an interruption the write in
// flight keeps its context for Grace (so its outcome is known); without a
// grace it is cancelled with the run.
func TestGraceLetsInFlightWritesFinish(t *testing.T) {
	for _, tt := range []struct {
		grace time.Duration
		want  Status
	}{{time.Minute, StatusDone}, {0, StatusNotStarted}} {
		ctx, cancel := context.WithCancel(context.Background())
		m := mutatorFunc(func(wctx context.Context, _ plan.Op, _ []plan.Change) error {
			cancel()
			if tt.grace == 0 {
				<-wctx.Done() // cancelled with the run
				return fmt.Errorf("wait for rate budget: %w", wctx.Err())
			}
			select {
			case <-wctx.Done():
				return wctx.Err()
			case <-time.After(20 * time.Millisecond):
				return nil // finished within the grace
			}
		})
		rep := Run(ctx, mkplan(member("r/0", "u", plan.Update, state.RoleViewer, state.RoleAdmin)), m, Options{Concurrency: 1, Grace: tt.grace})
		if got := rep.Results[0].Status; got != tt.want {
			t.Errorf("grace %v: status %s, want %s", tt.grace, got, tt.want)
		}
	}
}

// Every object written to is settled once, as soon as every write to it
// has ended, with its changes' results — while other objects are still
// being written, which is what lets apply confirm in the idle read budget.
func TestSettledAsEachObjectsWritesEnd(t *testing.T) {
	p := mkplan(
		member("r/a", "u1", plan.Create, "", state.RoleViewer),
		member("r/a", "u2", plan.Update, state.RoleViewer, state.RoleAdmin),
		rule("r/a", "/x", plan.Create),
		member("r/b", "u1", plan.Update, state.RoleViewer, state.RoleAdmin),
		group("g", plan.Create),
		plan.Change{Address: plan.GroupMemberGroupAddress("g", "leads"), Kind: plan.KindGroupMemberGroup, Action: plan.Create, Target: plan.Target{Group: "g"}},
		plan.Change{Address: plan.GroupAddress("m"), Kind: plan.KindGroup, Action: plan.Manual, Reason: "console only"},
	)
	aSettled := make(chan struct{})
	m := mutatorFunc(func(_ context.Context, _ plan.Op, cs []plan.Change) error {
		switch {
		case cs[0].Address.Owner() == plan.RepositoryAddress("r/b"):
			// A run that settles objects only at its end never gets here.
			select {
			case <-aSettled:
			case <-time.After(10 * time.Second):
				return errors.New("r/a was not settled while r/b was being written")
			}
		case cs[0].Address == plan.GroupAddress("g"):
			return apiErr{"CH.004403", "no permission"}
		}
		return nil
	})
	got := map[string][]string{}
	rep := Run(context.Background(), p, m, Options{Concurrency: 4, OnSettled: func(owner plan.Address, rs []Result) {
		if _, twice := got[owner.String()]; twice {
			t.Errorf("%s settled twice", owner)
		}
		got[owner.String()] = []string{}
		for _, r := range rs {
			got[owner.String()] = append(got[owner.String()], r.Address.Leaf()+" "+string(r.Status))
		}
		if owner == plan.RepositoryAddress("r/a") {
			close(aSettled)
		}
	}})
	want := map[string][]string{
		"repository[r/a]": {"u1 done", "u2 done", "/x done"},
		"repository[r/b]": {"u1 done"},
		"group[g]":        {"g failed", "leads skipped"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settled (-want +got):\n%s", diff)
	}
	if rep.Summary != (Counts{Done: 4, Failed: 1, Skipped: 1, Manual: 1}) {
		t.Errorf("summary = %+v", rep.Summary)
	}
}
