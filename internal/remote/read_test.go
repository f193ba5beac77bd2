package remote

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

const ns = "41bcec7bf2c84efea690e987ca98ee40"

func newLive() *state.Live {
	return &state.Live{Project: "0b234373cf3f4b04ab2d8a245155e12b", Groups: map[string]*state.LiveGroup{},
		Repositories: map[string]*state.LiveRepository{}, Users: map[string]state.LiveUser{}}
}

// Paths come from the walk (parent path + own path); full_path with a
// namespace in front is expected and silent, anything else is a warning.
func TestAddItemsBuildsPathsFromTheWalk(t *testing.T) {
	c := &Client{}
	live := newLive()
	check := &namespaceCheck{}
	top, _ := c.addItems(live, nil, []api.TreeItem{
		{DescendantType: "group", ID: 100, Path: "payments", FullPath: ns + "/payments"},
		{DescendantType: "project", ID: 2000, Path: "tool", FullPath: ns + "/tool"},
	}, check)
	c.addItems(live, top[0], []api.TreeItem{
		{DescendantType: "group", ID: 101, Path: "api", FullPath: ns + "/payments/api"},
		{DescendantType: "project", ID: 2001, Path: "ledger", FullPath: "payments/ledger"},
		{DescendantType: "project", ID: 2002, Name: "x", FullPath: ns + "/payments/nopath"},
		{DescendantType: "project", ID: 2003, Path: "odd", FullPath: "elsewhere/odd-name"},
		{DescendantType: "project", ID: 2004, Path: "a/b"},
	}, check)
	groups, repos := slices.Sorted(maps.Keys(live.Groups)), slices.Sorted(maps.Keys(live.Repositories))
	if diff := cmp.Diff([]string{"payments", "payments/api"}, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"payments/ledger", "payments/nopath", "payments/odd", "tool"}, repos); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	if g := live.Groups["payments/api"]; g.ParentID != 100 {
		t.Errorf("parent of payments/api = %d", g.ParentID)
	}
	w := strings.Join(check.warnings(), "\n")
	if !strings.Contains(w, "1 items have a full_path that does not end with the path found by walking the tree (first: payments/odd has full_path elsewhere/odd-name)") {
		t.Errorf("warnings lack the mismatch:\n%s", w)
	}
	if !strings.Contains(w, `1 items of the tree have no usable path and were skipped (first: "a/b" (id 2004) under "payments")`) {
		t.Errorf("warnings lack the unusable path:\n%s", w)
	}
	if strings.Contains(w, "namespace prefixes") {
		t.Errorf("one namespace is no surprise:\n%s", w)
	}
}

// ListMembers' flags and the project's member setting say which memberships
// CodeArts manages; roles come from the legacy levels or the v4 names, and
// unknown ones stay unknown; the legacy rows pair with the v4 rows by IAM
// id or by name, and give the id the legacy writes address a member by.
func TestFillRepositoryMembers(t *testing.T) {
	const project = "0b234373cf3f4b04ab2d8a245155e12b"
	iam := func(n int) string { return strings.Repeat("0", 31) + string(rune('0'+n)) }
	d := repoDetail{
		members: []api.RepositoryMember{
			{UserName: "alice", UserID: 1, UserIAMID: iam(1), RepositoryRoleName: "Administrator", IsRepoCreator: 1},
			{UserName: "anna", UserID: 2, UserIAMID: iam(2), RepositoryRoleName: "Project manager", ProjectRoleName: "Project manager", IsProjectAdmin: 1, MemberSourceID: project},
			{UserName: "cal", UserID: 3, UserIAMID: iam(3), RepositoryRoleName: "Committer", ProjectRoleName: "Committer", MemberSourceID: project},
			{UserName: "bob", UserID: 4, UserIAMID: iam(4), RepositoryRoleName: "Developer"},
			{UserName: "dave", UserID: 5, UserIAMID: iam(5), RepositoryRoleName: "Developer", MemberSource: "leads"},
			{UserName: "olga", UserID: 6, UserIAMID: iam(6), RepositoryRoleName: "Guardian", MemberSource: "ops", MemberGroupSource: "pay"},
			{UserName: "vic", UserID: 7, UserIAMID: iam(7), RepositoryRoleName: "Viewer"}, // v4 only: no legacy row
			// Unmarked, but of a project role the setting syncs.
			{UserName: "otto", UserID: 9, UserIAMID: iam(9), RepositoryRoleName: "O&M manager", ProjectRoleName: "O&M manager"},
			// A project member of a role the setting does not sync.
			{UserName: "pia", UserID: 10, UserIAMID: "p10", RepositoryRoleName: "Developer", ProjectRoleName: "Tester"},
			// A v4 name that contradicts the legacy level.
			{UserName: "vera", UserID: 11, UserIAMID: "p11", RepositoryRoleName: "Viewer"},
			// member_group_source naming no group: the member group's name.
			{UserName: "quinn", UserID: 12, UserIAMID: "p12", RepositoryRoleName: "Developer", MemberGroupSource: "auditors"},
		},
		legacy: []api.LegacyMember{
			{UserID: iam(1), Name: "alice", Role: 40},
			{UserID: iam(2), Name: "anna", Role: 40},
			{UserID: iam(3), Name: "cal", Role: 35},
			{UserID: "own-bob", Name: "bob", Role: 30}, // an id of its own, paired by name
			{UserID: iam(8), Name: "erin", Role: 20},   // legacy only: who it is cannot be told
			{UserID: iam(9), Name: "otto", Role: 40},
			{UserID: "p10", Name: "pia", Role: 30},
			{UserID: "p11", Name: "vera", Role: 30},
		},
	}
	live := newLive()
	live.Groups["pay"] = &state.LiveGroup{ID: 100, Path: "pay"}
	sync := api.ProjectMemberSetting{SyncEnabled: true, RoleSync: []api.RoleSync{
		{RoleName: "O&M manager", RoleSyncEnabled: true}, {RoleName: "Tester", RoleSyncEnabled: false}}}
	r := &state.LiveRepository{Path: "pay/gw"}
	fillRepository(r, d, everyList, live, sync)
	type row struct {
		Role, RoleName, Via, Managed string
		Inherited                    bool
		MemberID, IAMID              string
	}
	got := map[string]row{}
	for n, m := range r.Members {
		got[n] = row{string(m.Role), m.RoleName, m.Via, m.Managed, m.Inherited, m.MemberID, m.User.IAMID}
	}
	want := map[string]row{
		"alice": {"admin", "admin", "", "the repository creator", false, iam(1), iam(1)},
		"anna":  {"admin", "admin", "", "a project administrator, synced by CodeArts", false, iam(2), iam(2)},
		"cal":   {"", "Committer (access level 35)", "", "synced from the project as Committer", false, iam(3), iam(3)},
		"bob":   {"developer", "developer", "", "", false, "own-bob", iam(4)},
		"dave":  {"developer", "Developer", "member group leads", "", true, "", iam(5)},
		"olga":  {"", "Guardian", "member group ops of group pay", "", true, "", iam(6)},
		"vic":   {"viewer", "Viewer", "", "", false, "", iam(7)},
		"erin":  {"", "access level 20 on a legacy member row that no v4 member row matches", "", "", false, "", ""},
		"otto":  {"admin", "admin", "", "synced from the project as O&M manager", false, iam(9), iam(9)},
		"pia":   {"developer", "developer", "", "", false, "p10", "p10"},
		"vera":  {"", "Viewer (access level 30)", "", "", false, "p11", "p11"},
		"quinn": {"developer", "Developer", "member group auditors", "", true, "", "p12"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

// Progress counts every read of a walk and a read by operation, expected
// before done; a nil Progress counts nothing and breaks nothing.
func TestProgressCountsEveryRead(t *testing.T) {
	h := newHarness(t)
	p := NewProgress()
	h.c.SetProgress(p)
	ctx := t.Context()
	live, err := h.c.Walk(ctx, WalkRequest{Lists: func(p string) (RepoRead, bool) { return AllLists(p), true }})
	if err != nil {
		t.Fatal(err)
	}
	c := p.Counts()
	if c.Expected != c.Done {
		t.Errorf("expected %d, done %d", c.Expected, c.Done)
	}
	for op, n := range c.Remaining {
		if n != 0 {
			t.Errorf("%s: %d remaining", op, n)
		}
	}
	walked := h.calls("ListProjectSubgroupsAndRepositories") + h.calls("ListGroupSubgroupsAndRepositories")
	if want := walked + 4*len(live.Repositories) + 5; c.Done != want {
		t.Errorf("read %d lists, want %d: %d listing calls (one page each), four lists per repository, three lookups and the two lists of the member-group catalogue", c.Done, want, walked)
	}
	h.c.SetProgress(nil)
	if _, err := h.c.Walk(ctx, WalkRequest{}); err != nil || p.Counts().Done != c.Done {
		t.Errorf("a detached Progress still counts: %v %+v", err, p.Counts())
	}
}

// FindArchived adds a group's archived repositories with one listing per
// group, the archived one: the walk already made the default listing. The
// same whether archived=true lists the archived repositories only or every
// child (behaviour archived_listing).
func TestFindArchived(t *testing.T) {
	for name, behaviour := range map[string]string{"only": "", "all": "behaviour: {archived_listing: all}\n"} {
		t.Run(name, func(t *testing.T) { testFindArchived(t, behaviour) })
	}
}

func testFindArchived(t *testing.T, behaviour string) {
	h := newHarnessWith(t, "  - {path: pay/old/attic, archived: true}\n"+behaviour)
	ctx := t.Context()
	live, err := h.c.Walk(ctx, WalkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if live.Repositories["pay/old/attic"] != nil {
		t.Fatal("the walk lists an archived repository")
	}
	before := h.calls("ListGroupSubgroupsAndRepositories")
	if err := h.c.FindArchived(ctx, live, []string{"pay/old", "pay"}); err != nil {
		t.Fatal(err)
	}
	if got := h.calls("ListGroupSubgroupsAndRepositories") - before; got != 2 {
		t.Errorf("%d listings for two groups, want 2", got)
	}
	var archived []string
	for p, r := range live.Repositories {
		if r.Archived {
			archived = append(archived, p)
		}
	}
	if diff := cmp.Diff([]string{"pay/old/attic"}, archived); diff != "" {
		t.Errorf("archived repositories (-want +got):\n%s", diff)
	}
	if r := live.Repositories["pay/gateway"]; r == nil || r.Archived {
		t.Errorf("pay/gateway = %+v, want it as the walk found it", r)
	}
}
