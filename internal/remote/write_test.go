package remote

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/sim"
	"github.com/reposync/reposync/internal/state"
)

// A fault is what the harness does to the n-th request (1-based) matching
// method and path.
type fault struct {
	method string
	path   *regexp.Regexp
	nth    int
	do     faultKind
	code   string // for conflict: the error code of the 409
	body   string // for answer
}

type faultKind int

const (
	// lose lets the simulator act, then closes the connection without an
	// answer: the write happened, the client cannot know.
	lose faultKind = iota
	// failAfter lets the simulator act, then answers 500.
	failAfter
	// failBefore answers 500 without letting the simulator act.
	failBefore
	// conflict answers 409 with the fault's code without acting.
	conflict
	// empty answers 200 with an empty list without asking the simulator.
	empty
	// answer answers 200 with the fault's body without asking the simulator.
	answer
)

// harness is the simulator on testdata/world.yaml behind a deterministic
// fault injector, and a Writer talking to it over real HTTP.
type harness struct {
	t      *testing.T
	sim    *sim.Server
	w      *Writer
	c      *Client
	mu     sync.Mutex
	faults []*fault
	seen   map[*fault]int
	// hook, when set before the first request, sees each request before
	// the simulator does.
	hook func(*http.Request)
}

func newHarness(t *testing.T, faults ...*fault) *harness {
	t.Helper()
	return newHarnessWith(t, "", faults...)
}

// newHarnessWith is newHarness on testdata/world.yaml with extra fixture
// YAML appended (a behaviour section, say).
func newHarnessWith(t *testing.T, extra string, faults ...*fault) *harness {
	t.Helper()
	data, err := os.ReadFile("testdata/world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fx, err := sim.ParseFixture(append(data, extra...), "world.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(fx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, sim: s, faults: faults, seen: map[*fault]int{}}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// A fault that never fired would make its test prove nothing.
	t.Cleanup(func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, f := range h.faults {
			if h.seen[f] < f.nth {
				t.Errorf("fault %s %s #%d never fired (seen %d requests)", f.method, f.path, f.nth, h.seen[f])
			}
		}
	})
	a, err := api.New(
		api.WithEndpoint(srv.URL),
		api.WithCredentials(api.Credentials{AccessKey: fx.Credentials.AccessKey, SecretKey: fx.Credentials.SecretKey, ProjectID: fx.IAMProjectID}),
		api.WithRetry(api.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Seed: 1}),
		api.WithRateLimit(1_000_000),
	)
	if err != nil {
		t.Fatal(err)
	}
	h.c = New(a, fx.ProjectID, fx.IAMProjectID, 4)
	h.w = h.c.NewWriter(func(name string) (string, bool) {
		if name == "CI_PASSWORD" {
			return "new-secret", true
		}
		return "", false
	})
	return h
}

func (h *harness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.hook != nil {
		h.hook(r)
	}
	h.mu.Lock()
	var hit *fault
	for _, f := range h.faults {
		if f.method == r.Method && f.path.MatchString(r.URL.Path) {
			h.seen[f]++
			if h.seen[f] == f.nth {
				hit = f
			}
		}
	}
	h.mu.Unlock()
	if hit == nil {
		h.sim.ServeHTTP(w, r)
		return
	}
	fail500 := func() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error_code":"CH.000001","error_msg":"unknown server error (test)"}`))
	}
	switch hit.do {
	case lose:
		h.sim.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			h.t.Errorf("hijack: %v", err)
			return
		}
		_ = conn.Close()
	case failAfter:
		h.sim.ServeHTTP(httptest.NewRecorder(), r)
		fail500()
	case failBefore:
		fail500()
	case conflict:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error_code":"` + hit.code + `","error_msg":"conflict (test)"}`))
	case empty, answer:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(cmp.Or(hit.body, `[]`)))
	}
}

func on(method, path string, nth int, do faultKind) *fault {
	return &fault{method: method, path: regexp.MustCompile(path), nth: nth, do: do}
}

// calls is how many requests of an operation reached the simulator.
func (h *harness) calls(op string) int { return h.sim.Stats().Calls[op] }

func (h *harness) repo(path string) sim.Repository {
	h.t.Helper()
	for _, r := range h.sim.Snapshot().Repositories {
		if r.Path == path {
			return r
		}
	}
	h.t.Fatalf("no repository %s", path)
	return sim.Repository{}
}

func (h *harness) user(name string) sim.User {
	h.t.Helper()
	for _, u := range h.sim.Snapshot().Users {
		if u.Name == name {
			return u
		}
	}
	h.t.Fatalf("no user %s", name)
	return sim.User{}
}

func (h *harness) groups() []string {
	var out []string
	for _, g := range h.sim.Snapshot().Groups {
		out = append(out, g.Path)
	}
	return out
}

func (h *harness) apply(op plan.Op, cs ...plan.Change) error {
	h.t.Helper()
	return h.w.Apply(context.Background(), op, cs)
}

const (
	gatewayID   = 12345
	gatewayUUID = "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60"
	leadsID     = "2bde30f6f7834db7af487450a9d155c5"
	auditorsID  = "3cde30f6f7834db7af487450a9d155c5"
)

// memberChange is a change of a member of pay/gateway as a plan makes it:
// an existing member is addressed by the id the legacy list gives it, its
// IAM id unless the world says legacy_member_id: own.
func (h *harness) memberChange(user string, action plan.Action, role state.Role) plan.Change {
	u := h.user(user)
	c := plan.Change{Address: plan.MemberAddress("pay/gateway", user), Kind: plan.KindMember, Action: action,
		Target: plan.Target{Repository: "pay/gateway", RepositoryID: gatewayID, RepositoryUUID: gatewayUUID, User: user, UserID: u.ID, UserIAMID: u.IAMID}}
	if action != plan.Create {
		c.Target.MemberID = u.IAMID
	}
	if role != "" {
		c.After = &plan.MemberValue{Role: role}
	}
	return c
}

func ruleChange(path string, action plan.Action, id int64, userIDs ...int64) plan.Change {
	c := plan.Change{Address: plan.PushRuleAddress("pay/gateway", path), Kind: plan.KindPushRule, Action: action,
		Target: plan.Target{Repository: "pay/gateway", RepositoryID: gatewayID, RepositoryUUID: gatewayUUID, PushRuleID: id, PushUserIDs: userIDs}}
	if action != plan.Delete {
		c.After = &plan.PushRuleValue{}
	}
	return c
}

func groupChange(path string, parentID int64) plan.Change {
	return plan.Change{Address: plan.GroupAddress(path), Kind: plan.KindGroup, Action: plan.Create,
		After:  &plan.GroupValue{Visibility: "private"},
		Target: plan.Target{Group: path, ParentGroup: state.ParentPath(path), ParentGroupID: parentID}}
}

func gitAuthChange(action plan.Action) plan.Change {
	c := plan.Change{Address: plan.GitAuthAddress("ci"), Kind: plan.KindGitAuth, Action: action, Target: plan.Target{GitAuth: "ci"}}
	if action != plan.Delete {
		c.After = &plan.GitAuthValue{RepoType: "github", User: "ci-bot", PasswordEnv: "CI_PASSWORD"}
	}
	return c
}

func (h *harness) gitAuths() []string {
	var out []string
	for _, a := range h.sim.Snapshot().GitAuths {
		out = append(out, a.Name)
	}
	return out
}

// TestWriteAfterUnknownOutcome drives every write kind through a lost
// answer and a 500 after the service acted: the writer must find out by
// reading that the write took effect, and never write it twice.
func TestWriteAfterUnknownOutcome(t *testing.T) {
	for _, fk := range []struct {
		name string
		kind faultKind
	}{{"lost answer", lose}, {"500 after acting", failAfter}} {
		t.Run(fk.name, func(t *testing.T) {
			t.Run("CreateGroup", func(t *testing.T) {
				h := newHarness(t, on("POST", `/groups$`, 1, fk.kind))
				if err := h.apply(plan.OpCreateGroup, groupChange("pay/new", 100)); err != nil {
					t.Fatal(err)
				}
				if n := h.calls("CreateGroup"); n != 1 {
					t.Errorf("CreateGroup called %d times, want 1", n)
				}
				if got := h.groups(); !slices.Contains(got, "pay/new") || len(got) != 3 {
					t.Errorf("groups = %v, want pay/new created once", got)
				}
				// The id was learnt from the re-read: a child can be created under it.
				if err := h.apply(plan.OpCreateGroup, groupChange("pay/new/child", 0)); err != nil {
					t.Errorf("child of the re-read group: %v", err)
				}
			})
			t.Run("AssociateGroupUserGroup", func(t *testing.T) {
				h := newHarness(t, on("POST", `/user-group/`, 1, fk.kind))
				c := plan.Change{Address: plan.GroupMemberGroupAddress("pay/old", "auditors"), Kind: plan.KindGroupMemberGroup, Action: plan.Create,
					After: &plan.MemberGroupValue{Name: "auditors"}, Target: plan.Target{Group: "pay/old", GroupID: 101, MemberGroup: "auditors", MemberGroupID: auditorsID}}
				if err := h.apply(plan.OpAttachGroupMemberGroup, c); err != nil {
					t.Fatal(err)
				}
				if n := h.calls("AssociateGroupUserGroup"); n != 1 {
					t.Errorf("calls = %d, want 1", n)
				}
				for _, g := range h.sim.Snapshot().Groups {
					if g.Path == "pay/old" && !slices.Equal(g.MemberGroups, []string{"auditors"}) {
						t.Errorf("member groups = %v", g.MemberGroups)
					}
				}
			})
			t.Run("AssociateRepositoryUserGroup", func(t *testing.T) {
				h := newHarness(t, on("POST", `/user-group/`, 1, fk.kind))
				c := plan.Change{Address: plan.MemberGroupAddress("pay/gateway", "leads"), Kind: plan.KindMemberGroup, Action: plan.Create,
					After: &plan.MemberGroupValue{Name: "leads"}, Target: plan.Target{Repository: "pay/gateway", RepositoryID: gatewayID, MemberGroup: "leads", MemberGroupID: leadsID}}
				if err := h.apply(plan.OpAttachMemberGroup, c); err != nil {
					t.Fatal(err)
				}
				if n := h.calls("AssociateRepositoryUserGroup"); n != 1 {
					t.Errorf("calls = %d, want 1", n)
				}
				if got := h.repo("pay/gateway").MemberGroups; !slices.Equal(got, []string{"leads"}) {
					t.Errorf("member groups = %v", got)
				}
			})
			t.Run("AddRepoMembers", func(t *testing.T) {
				h := newHarness(t, on("POST", `/members$`, 1, fk.kind))
				err := h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer), h.memberChange("dave", plan.Create, state.RoleAdmin))
				if err != nil {
					t.Fatal(err)
				}
				if n := h.calls("AddRepoMembers"); n != 1 {
					t.Errorf("AddRepoMembers called %d times, want 1", n)
				}
				m := h.repo("pay/gateway").Members
				if m["carol"] != "viewer" || m["dave"] != "admin" {
					t.Errorf("members = %v", m)
				}
			})
			t.Run("SetRepoRole", func(t *testing.T) {
				h := newHarness(t, on("PUT", `/members/`, 1, fk.kind))
				if err := h.apply(plan.OpSetRole, h.memberChange("bob", plan.Update, state.RoleViewer)); err != nil {
					t.Fatal(err)
				}
				if got := h.repo("pay/gateway").Members["bob"]; got != "viewer" {
					t.Errorf("bob = %q", got)
				}
			})
			t.Run("DeleteRepoMember", func(t *testing.T) {
				h := newHarness(t, on("DELETE", `/members/`, 1, fk.kind))
				if err := h.apply(plan.OpDeleteMember, h.memberChange("bob", plan.Delete, "")); err != nil {
					t.Fatal(err)
				}
				if _, ok := h.repo("pay/gateway").Members["bob"]; ok {
					t.Error("bob is still a member")
				}
			})
			t.Run("CreateFilePushPermission", func(t *testing.T) {
				h := newHarness(t, on("POST", `/file-push-permissions$`, 1, fk.kind))
				if err := h.apply(plan.OpCreatePushRule, ruleChange("/new/*", plan.Create, 0, 9125)); err != nil {
					t.Fatal(err)
				}
				if n := h.calls("CreateFilePushPermission"); n != 1 {
					t.Errorf("calls = %d, want 1", n)
				}
				n := 0
				for _, r := range h.repo("pay/gateway").PushRules {
					if r.Path == "/new/*" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%d rules /new/*, want 1", n)
				}
			})
			t.Run("BatchUpdateRepositoryFilePushPermissions", func(t *testing.T) {
				h := newHarness(t, on("PUT", `/file-push-permissions$`, 1, fk.kind))
				if err := h.apply(plan.OpUpdatePushRules, ruleChange("/config/*", plan.Update, 5, 9125), ruleChange("/deploy/*", plan.Update, 6)); err != nil {
					t.Fatal(err)
				}
				for _, r := range h.repo("pay/gateway").PushRules {
					switch r.Path {
					case "/config/*":
						if !slices.Equal(r.Users, []string{"bob"}) {
							t.Errorf("/config/* users = %v", r.Users)
						}
					case "/deploy/*":
						if len(r.Users) != 0 {
							t.Errorf("/deploy/* users = %v", r.Users)
						}
					}
				}
			})
			t.Run("BatchDeleteRepositoryFilePushPermissions", func(t *testing.T) {
				h := newHarness(t, on("POST", `/batch-delete$`, 1, fk.kind))
				if err := h.apply(plan.OpDeletePushRules, ruleChange("/config/*", plan.Delete, 5), ruleChange("/deploy/*", plan.Delete, 6)); err != nil {
					t.Fatal(err)
				}
				if n := h.calls("BatchDeleteRepositoryFilePushPermissions"); n != 1 {
					t.Errorf("calls = %d, want 1", n)
				}
				if rules := h.repo("pay/gateway").PushRules; len(rules) != 1 || rules[0].Path != "/docs/*" {
					t.Errorf("rules left = %+v", rules)
				}
			})
			t.Run("CreatePasswordAuth", func(t *testing.T) {
				h := newHarness(t, on("POST", `/git/auths/`, 1, fk.kind))
				if err := h.apply(plan.OpCreateGitAuth, gitAuthChange(plan.Create)); err != nil {
					t.Fatal(err)
				}
				if n := h.calls("CreatePasswordAuth"); n != 1 {
					t.Errorf("calls = %d, want 1", n)
				}
				if got := h.gitAuths(); !slices.Equal(got, []string{"old-ci", "ci"}) {
					t.Errorf("auths = %v", got)
				}
			})
			t.Run("DeleteAuthorize", func(t *testing.T) {
				h := newHarness(t, on("DELETE", `/git/auths/`, 1, fk.kind))
				c := plan.Change{Address: plan.GitAuthAddress("old-ci"), Kind: plan.KindGitAuth, Action: plan.Delete, Target: plan.Target{GitAuth: "old-ci"}}
				if err := h.apply(plan.OpDeleteGitAuth, c); err != nil {
					t.Fatal(err)
				}
				if got := h.gitAuths(); len(got) != 0 {
					t.Errorf("auths = %v", got)
				}
			})
			t.Run("DeleteGroup", func(t *testing.T) {
				h := newHarness(t, on("DELETE", `/groups/`, 1, fk.kind))
				c := plan.Change{Address: plan.GroupAddress("pay/old"), Kind: plan.KindGroup, Action: plan.Delete, Target: plan.Target{Group: "pay/old", GroupID: 101, ParentGroup: "pay", ParentGroupID: 100}}
				if err := h.apply(plan.OpDeleteGroup, c); err != nil {
					t.Fatal(err)
				}
				if got := h.groups(); slices.Contains(got, "pay/old") {
					t.Errorf("groups = %v", got)
				}
			})
		})
	}
}

// TestWriteRepeatsOnlyWhatDidNotHappen: a 500 before the service acted is
// also an unknown outcome for a POST; the re-read shows nothing happened,
// so the write is sent again, once.
func TestWriteRepeatsOnlyWhatDidNotHappen(t *testing.T) {
	t.Run("CreateFilePushPermission", func(t *testing.T) {
		h := newHarness(t, on("POST", `/file-push-permissions$`, 1, failBefore))
		if err := h.apply(plan.OpCreatePushRule, ruleChange("/new/*", plan.Create, 0)); err != nil {
			t.Fatal(err)
		}
		if n := h.calls("CreateFilePushPermission"); n != 1 { // the injected 500 never reached the simulator
			t.Errorf("simulator saw %d creates, want 1", n)
		}
		if n := len(h.repo("pay/gateway").PushRules); n != 4 {
			t.Errorf("%d rules, want 4", n)
		}
	})
	t.Run("AddRepoMembers re-sends only the missing", func(t *testing.T) {
		// carol is a member already (say, a lost write of an earlier run);
		// the first write fails before acting, the re-read finds carol, so
		// only dave is sent again — re-sending carol would fail ("already a
		// member").
		h := newHarness(t, on("POST", `/members$`, 2, failBefore))
		if err := h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer)); err != nil {
			t.Fatal(err)
		}
		err := h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer), h.memberChange("dave", plan.Create, state.RoleDeveloper))
		if err != nil {
			t.Fatal(err)
		}
		m := h.repo("pay/gateway").Members
		if m["carol"] != "viewer" || m["dave"] != "developer" {
			t.Errorf("members = %v", m)
		}
	})
	t.Run("BatchDelete re-sends only what is left", func(t *testing.T) {
		h := newHarness(t, on("POST", `/batch-delete$`, 1, failBefore))
		if err := h.apply(plan.OpDeletePushRules, ruleChange("/config/*", plan.Delete, 5)); err != nil {
			t.Fatal(err)
		}
		if n := h.calls("BatchDeleteRepositoryFilePushPermissions"); n != 1 {
			t.Errorf("simulator saw %d deletes, want 1", n)
		}
		if n := len(h.repo("pay/gateway").PushRules); n != 2 {
			t.Errorf("%d rules, want 2", n)
		}
	})
	t.Run("DeleteAuthorize 500 before acting", func(t *testing.T) {
		h := newHarness(t, on("DELETE", `/git/auths/`, 1, failBefore), on("DELETE", `/git/auths/`, 2, failBefore), on("DELETE", `/git/auths/`, 3, failBefore))
		c := plan.Change{Address: plan.GitAuthAddress("old-ci"), Kind: plan.KindGitAuth, Action: plan.Delete, Target: plan.Target{GitAuth: "old-ci"}}
		if err := h.apply(plan.OpDeleteGitAuth, c); err != nil {
			t.Fatal(err)
		}
		if got := h.gitAuths(); len(got) != 0 {
			t.Errorf("auths = %v", got)
		}
	})
}

// TestWriteGivesUpWhenTheOutcomeStaysUnknown: every attempt fails before
// acting and every re-read says "not there": after maxWriteAttempts the
// change fails with a message saying so, and nothing was created.
func TestWriteGivesUpWhenTheOutcomeStaysUnknown(t *testing.T) {
	var faults []*fault
	for i := 1; i <= maxWriteAttempts; i++ {
		faults = append(faults, on("POST", `/file-push-permissions$`, i, failBefore))
	}
	h := newHarness(t, faults...)
	err := h.apply(plan.OpCreatePushRule, ruleChange("/new/*", plan.Create, 0))
	if !errors.Is(err, errStillUnknown) || !strings.Contains(err.Error(), "create push rule /new/*") {
		t.Fatalf("err = %v, want the outcome-unknown error naming the rule", err)
	}
	if n := len(h.repo("pay/gateway").PushRules); n != 3 {
		t.Errorf("%d rules, want 3 (nothing created)", n)
	}

	// A batch of members where one stays missing fails that one only.
	faults = nil
	for i := 1; i <= maxWriteAttempts; i++ {
		faults = append(faults, on("POST", `/members$`, i, failBefore))
	}
	h = newHarness(t, faults...)
	err = h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer))
	if !errors.Is(err, errStillUnknown) {
		t.Fatalf("err = %v, want errStillUnknown", err)
	}
}

func TestAttachConflicts(t *testing.T) {
	c := plan.Change{Address: plan.MemberGroupAddress("pay/gateway", "leads"), Kind: plan.KindMemberGroup, Action: plan.Create,
		After: &plan.MemberGroupValue{Name: "leads"}, Target: plan.Target{Repository: "pay/gateway", RepositoryID: gatewayID, MemberGroup: "leads", MemberGroupID: leadsID}}
	g := plan.Change{Address: plan.GroupMemberGroupAddress("pay", "leads"), Kind: plan.KindGroupMemberGroup, Action: plan.Create,
		After: &plan.MemberGroupValue{Name: "leads"}, Target: plan.Target{Group: "pay", GroupID: 100, MemberGroup: "leads", MemberGroupID: leadsID}}

	// Attached already (the simulator answers 409 CH_23_51308): done.
	h := newHarness(t)
	if err := h.apply(plan.OpAttachGroupMemberGroup, g); err != nil {
		t.Errorf("group: already attached must count as done: %v", err)
	}
	if err := h.apply(plan.OpAttachMemberGroup, c); err != nil {
		t.Fatal(err)
	}
	if err := h.apply(plan.OpAttachMemberGroup, c); err != nil {
		t.Errorf("repository: already attached must count as done: %v", err)
	}

	// Any other 409 is a failure, not "already there".
	h = newHarness(t, &fault{method: "POST", path: regexp.MustCompile(`/user-group/`), nth: 1, do: conflict, code: "CH.409999"})
	err := h.apply(plan.OpAttachMemberGroup, c)
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != "CH.409999" {
		t.Errorf("err = %v, want the 409 CH.409999 reported", err)
	}
}

func TestAddMembersPerUserFailure(t *testing.T) {
	h := newHarness(t)
	// bob is a member already: the legacy API answers 200 with a per-user
	// failure for him and adds carol.
	err := h.apply(plan.OpAddMembers, h.memberChange("bob", plan.Create, state.RoleViewer), h.memberChange("carol", plan.Create, state.RoleViewer))
	var p Partial
	if !errors.As(err, &p) {
		t.Fatalf("err = %v, want a Partial", err)
	}
	if _, ok := p[plan.MemberAddress("pay/gateway", "bob")]; !ok || len(p) != 1 {
		t.Errorf("failed = %v, want bob only", p)
	}
	if h.repo("pay/gateway").Members["carol"] != "viewer" {
		t.Error("carol was not added")
	}
}

// A per-user failure that names no user of the batch fails the whole
// batch: a refused user is never counted as done.
func TestAddMembersUnattributedFailure(t *testing.T) {
	h := newHarness(t)
	carol := h.user("carol").IAMID
	h.faults = []*fault{{method: "POST", path: regexp.MustCompile(`/members$`), nth: 1, do: answer,
		body: `{"status":"success","result":[{"id":"` + carol + `","name":"carol","message":"no","status":"failed"},{"id":"0f","name":"someone","message":"no","status":"failed"}]}`}}
	err := h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer), h.memberChange("dave", plan.Create, state.RoleViewer))
	var p Partial
	if err == nil || errors.As(err, &p) {
		t.Fatalf("err = %v, want the whole batch failed", err)
	}
}

func TestApplyRefusesMalformedChanges(t *testing.T) {
	h := newHarness(t)
	bad := h.memberChange("carol", plan.Create, "")
	tests := []struct {
		name string
		op   plan.Op
		c    plan.Change
		want string
	}{
		{"no after value", plan.OpAddMembers, bad, `no valid "after" value`},
		{"after of another kind", plan.OpSetRole, func() plan.Change {
			c := h.memberChange("bob", plan.Update, "")
			c.After = &plan.PushRuleValue{}
			return c
		}(), "*plan.PushRuleValue"},
		{"typed nil", plan.OpCreatePushRule, func() plan.Change {
			c := ruleChange("/x", plan.Create, 0)
			c.After = (*plan.PushRuleValue)(nil)
			return c
		}(), `no valid "after" value`},
		{"op does not match", plan.OpDeleteMember, h.memberChange("bob", plan.Update, state.RoleAdmin), "is not a DeleteRepoMember change"},
		{"two changes for a single write", plan.OpSetRole, h.memberChange("bob", plan.Update, state.RoleAdmin), "one change at a time"},
		{"git auth without after", plan.OpCreateGitAuth, plan.Change{Address: plan.GitAuthAddress("x"), Kind: plan.KindGitAuth, Action: plan.Create}, `no valid "after" value`},
		{"group without after", plan.OpCreateGroup, plan.Change{Address: plan.GroupAddress("x"), Kind: plan.KindGroup, Action: plan.Create}, `no valid "after" value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := []plan.Change{tt.c}
			if strings.HasPrefix(tt.name, "two") {
				cs = append(cs, tt.c)
			}
			err := h.w.Apply(context.Background(), tt.op, cs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if w := h.sim.Stats().Writes; w != 0 {
		t.Errorf("%d writes reached the simulator", w)
	}
}

func TestGitAuthNeedsItsPassword(t *testing.T) {
	h := newHarness(t)
	c := gitAuthChange(plan.Replace)
	c.After.(*plan.GitAuthValue).PasswordEnv = "MISSING"
	err := h.apply(plan.OpReplaceGitAuth, c)
	if err == nil || !strings.Contains(err.Error(), "MISSING") {
		t.Fatalf("err = %v", err)
	}
	if h.sim.Stats().Writes != 0 {
		t.Error("an authorization was deleted although it cannot be re-created")
	}
	c = gitAuthChange(plan.Replace)
	c.Address, c.Target.GitAuth = plan.GitAuthAddress("old-ci"), "old-ci"
	if err := h.apply(plan.OpReplaceGitAuth, c); err != nil {
		t.Fatal(err)
	}
	if got := h.gitAuths(); !slices.Equal(got, []string{"old-ci"}) {
		t.Errorf("auths = %v", got)
	}
}

func TestCreateGroupUnderUnknownParent(t *testing.T) {
	h := newHarness(t)
	err := h.apply(plan.OpCreateGroup, groupChange("nowhere/child", 0))
	if err == nil || !strings.Contains(err.Error(), "group nowhere does not exist yet") {
		t.Errorf("err = %v", err)
	}
}

func TestPartialError(t *testing.T) {
	p := Partial{plan.MemberAddress("r", "b"): errors.New("x"), plan.MemberAddress("r", "a"): errors.New("y")}
	if got := p.Error(); !strings.Contains(got, "2 of the batch failed; first repository[r].member[a]: y") {
		t.Errorf("Error() = %q", got)
	}
	one := Partial{plan.MemberAddress("r", "a"): errors.New("y")}
	if got := one.Error(); got != "repository[r].member[a]: y" {
		t.Errorf("Error() = %q", got)
	}
}
