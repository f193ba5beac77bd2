package doctor

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/api"
)

// The checks are pure functions of what was read; these tests feed them the
// answers a real service might give, including ones the simulator cannot.

const ns = "41bcec7bf2c84efea690e987ca98ee40"

func items(kind string, ids ...int64) []api.TreeItem {
	out := make([]api.TreeItem, len(ids))
	for i, id := range ids {
		out[i] = api.TreeItem{DescendantType: kind, ID: id}
	}
	return out
}

func TestDoctorCheckFullPath(t *testing.T) {
	item := func(path, full string) api.TreeItem { return api.TreeItem{Path: path, FullPath: full} }
	cases := []struct {
		name     string
		listings []listing
		status   string
		form     string
	}{
		{"namespace", []listing{{items: []api.TreeItem{item("pay", ns+"/pay"), item("ops", ns+"/ops")}}}, AsAssumed, "namespace"},
		{"namespace on a group's children", []listing{{parent: "pay/api", items: []api.TreeItem{item("gw", ns+"/pay/api/gw")}}}, AsAssumed, "namespace"},
		{"plain", []listing{{items: []api.TreeItem{item("pay", "pay")}}}, DiffersHandled, "plain"},
		{"a readable prefix", []listing{{items: []api.TreeItem{item("pay", "acme/pay")}}}, DiffersHandled, "mixed"},
		{"two namespaces", []listing{{items: []api.TreeItem{item("pay", ns+"/pay"), item("ops", "0b234373cf3f4b04ab2d8a245155e12b/ops")}}}, DiffersHandled, "mixed"},
		{"some without full_path", []listing{{items: []api.TreeItem{item("pay", ns+"/pay"), item("ops", "")}}}, DiffersHandled, "mixed"},
		{"another path", []listing{{items: []api.TreeItem{item("pay", ns+"/payments")}}}, DiffersUnsupported, "other"},
		{"two segments in front", []listing{{items: []api.TreeItem{item("pay", "a/b/pay")}}}, DiffersUnsupported, "other"},
		{"no path", []listing{{items: []api.TreeItem{item("", ns+"/pay")}}}, DiffersUnsupported, "other"},
		{"nothing listed", []listing{{}}, NotObserved, "none"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := checkFullPath(tc.listings, nil, nil)
			if c.Status != tc.status || c.Observed["form"] != tc.form || c.ID != "A1" {
				t.Errorf("%s %s (%s), observed %v; want %s %s", c.ID, c.Status, c.Summary, c.Observed, tc.status, tc.form)
			}
		})
	}
	if c := checkFullPath(nil, errors.New("boom"), nil); c.Status != NotObserved {
		t.Errorf("a failed listing: %s", c.Status)
	}
}

func TestDoctorCheckTreeOrder(t *testing.T) {
	cases := []struct {
		name     string
		listings []listing
		status   string
		order    string
	}{
		{"ascending", []listing{{items: append(items("group", 100, 102), items("project", 5)...)}}, AsAssumed, "ascending id"},
		{"descending", []listing{{items: append(items("group", 102, 100), items("project", 7, 5)...)}}, DiffersHandled, "descending id"},
		{"by update time", []listing{{items: items("project", 5, 9, 7)}}, DiffersHandled, "neither ascending nor descending id"},
		{"groups ascending, repositories not", []listing{{items: append(items("group", 1, 2), items("project", 9, 3)...)}}, DiffersHandled, "descending id"},
		{"one of each kind", []listing{{items: append(items("group", 1), items("project", 9)...)}}, NotObserved, ""},
		{"second listing tells", []listing{{items: items("group", 1)}, {parent: "pay", items: items("project", 4, 3)}}, DiffersHandled, "descending id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := checkTreeOrder(tc.listings, nil)
			if c.Status != tc.status || c.Observed["order"] != tc.order {
				t.Errorf("%s (%s) order %v; want %s %q", c.Status, c.Summary, c.Observed["order"], tc.status, tc.order)
			}
		})
	}
}

func TestDoctorCheckXTotalAndPageSize(t *testing.T) {
	documented := map[string]api.ListFacts{
		"ListMembers":                       {Pages: 3, PagesWithTotal: 3, LargestPage: 7},
		"ListRepositoryFilePushPermissions": {Pages: 2, LargestPage: 1},
		"ListRepoMembers":                   {Pages: 2, PagesWithTotal: 1, LargestPage: 4}, // a body total, not counted
	}
	if c := checkXTotal(documented); c.Status != AsAssumed {
		t.Errorf("documented totals: %s (%s)", c.Status, c.Summary)
	}
	missing := map[string]api.ListFacts{"ListMembers": {Pages: 2, PagesWithTotal: 1}, "ListRepositoryFilePushPermissions": {Pages: 1, PagesWithTotal: 1}}
	c := checkXTotal(missing)
	want := map[string]any{"with_total": []string{"ListRepositoryFilePushPermissions"}, "without_total": []string{"ListMembers"},
		"missing": []string{"ListMembers (1 of 2 pages)"}, "unexpected": []string{"ListRepositoryFilePushPermissions (1 of 1 pages)"}}
	if c.Status != DiffersHandled {
		t.Errorf("missing totals: %s", c.Status)
	}
	if diff := cmp.Diff(want, c.Observed); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
	if c := checkXTotal(nil); c.Status != NotObserved {
		t.Errorf("no list: %s", c.Status)
	}

	if c := checkPageSize(documented); c.Status != AsAssumed || c.Observed["largest_page"] != 7 || !strings.Contains(c.Summary, "a cap above that would not show") {
		t.Errorf("no cap: %s (%s)", c.Status, c.Summary)
	}
	if c := checkPageSize(map[string]api.ListFacts{"ListMembers": {Pages: 2, LargestPage: 100}}); c.Status != AsAssumed || strings.Contains(c.Summary, "would not show") {
		t.Errorf("full pages: %s (%s)", c.Status, c.Summary)
	}
	capped := checkPageSize(map[string]api.ListFacts{"ListMembers": {Pages: 4, LargestPage: 20, PageCap: 20}})
	if capped.Status != DiffersHandled || !cmp.Equal(capped.Observed["caps"], map[string]int{"ListMembers": 20}) {
		t.Errorf("capped: %s %v", capped.Status, capped.Observed)
	}
}

func TestDoctorCheckRoleIDs(t *testing.T) {
	roles := api.ProjectMemberSetting{RoleSync: []api.RoleSync{{RoleID: "r1", RoleName: "project-manager"}}}
	withRole := func(ro api.PushRuleRole) []*sample {
		return []*sample{{path: "pay/gw", hasRules: true, rules: []api.FilePushPermission{{Path: "/c/*", Actions: []api.PushRuleAction{{Roles: []api.PushRuleRole{ro}}}}}}}
	}
	cases := []struct {
		name    string
		samples []*sample
		status  string
	}{
		{"shared", withRole(api.PushRuleRole{Name: "project-manager", RelatedRoleID: "r1"}), AsAssumed},
		{"distinct", withRole(api.PushRuleRole{Name: "project-manager", RelatedRoleID: "x9"}), DiffersHandled},
		{"unknown", withRole(api.PushRuleRole{Name: "auditor", RelatedRoleID: "x9"}), DiffersUnsupported},
		{"no role in any rule", []*sample{{path: "pay/gw", hasRules: true}}, NotObserved},
		{"no rule read", []*sample{{path: "pay/gw"}}, NotObserved},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if c := checkRoleIDs(roles, nil, tc.samples); c.Status != tc.status {
				t.Errorf("%s (%s), want %s", c.Status, c.Summary, tc.status)
			}
		})
	}
	if c := checkRoleIDs(api.ProjectMemberSetting{}, errors.New("denied"), nil); c.Status != NotObserved {
		t.Errorf("roles not read: %s", c.Status)
	}
}

func TestDoctorCheckMembers(t *testing.T) {
	const project = "0b234373cf3f4b04ab2d8a245155e12b"
	direct := api.RepositoryMember{UserIAMID: "a", UserName: "alice", RepositoryRoleName: "Administrator"}
	creator := api.RepositoryMember{UserIAMID: "c", UserName: "carl", RepositoryRoleName: "Administrator", IsRepoCreator: 1}
	synced := api.RepositoryMember{UserIAMID: "n", UserName: "nina", RepositoryRoleName: "O&M manager", MemberSourceID: project}
	unmarked := api.RepositoryMember{UserIAMID: "u", UserName: "ursula", RepositoryRoleName: "O&M manager"}
	inherited := api.RepositoryMember{UserIAMID: "i", UserName: "ivan", RepositoryRoleName: "Developer", MemberSource: "leads"}
	s := func(members []api.RepositoryMember, legacy ...api.LegacyMember) *sample {
		return &sample{path: "pay/gw", members: members, legacy: legacy, hasMember: true, hasLegacy: true}
	}
	lv := func(id, name string, level int64) api.LegacyMember {
		return api.LegacyMember{UserID: id, Name: name, Role: level}
	}

	ev := func(samples ...*sample) evidence { return evidence{project: project, samples: samples} }
	all := ev(s([]api.RepositoryMember{direct, creator, synced, inherited}, lv("a", "alice", 40), lv("c", "carl", 40), lv("n", "nina", 35)))
	for _, tc := range []struct {
		c      Check
		status string
	}{
		{checkMemberSync(all), AsAssumed},
		{checkSyncMarkers(all), AsAssumed},
		{checkSyncedLevels(all), DiffersHandled},
		{checkCreator(all), AsAssumed},
		{checkRoleNames(all), AsAssumed},
		{checkMemberIDs(all), AsAssumed},
	} {
		if tc.c.Status != tc.status {
			t.Errorf("%s %s: %s (%s), want %s", tc.c.ID, tc.c.Name, tc.c.Status, tc.c.Summary, tc.status)
		}
	}

	// A synced member without the marker, whose role reposync does not
	// know, would be taken for a direct member: not supported.
	c := checkSyncMarkers(ev(s([]api.RepositoryMember{direct, unmarked}, lv("a", "alice", 40), lv("u", "ursula", 35))))
	if c.Status != DiffersUnsupported || !strings.Contains(c.Summary, "ursula") {
		t.Errorf("unmarked: %s (%s)", c.Status, c.Summary)
	}
	// The same row with a level reposync knows is an ordinary direct member.
	if c := checkSyncMarkers(ev(s([]api.RepositoryMember{unmarked}, lv("u", "ursula", 30)))); c.Status != NotObserved {
		t.Errorf("unmarked with a known level: %s (%s)", c.Status, c.Summary)
	}
	// Unmarked, but of a project role the member setting syncs: handled.
	roleOnly := unmarked
	roleOnly.ProjectRoleName = "O&M manager"
	syncing := evidence{project: project, samples: []*sample{s([]api.RepositoryMember{roleOnly}, lv("u", "ursula", 35))},
		setting: api.ProjectMemberSetting{SyncEnabled: true, RoleSync: []api.RoleSync{{RoleName: "O&M manager", RoleSyncEnabled: true}}}}
	if c := checkSyncMarkers(syncing); c.Status != DiffersHandled || !strings.Contains(c.Summary, "ursula in pay/gw (project role O&M manager)") {
		t.Errorf("synced by role only: %s (%s)", c.Status, c.Summary)
	}
	if c := checkSyncedLevels(syncing); c.Status != DiffersHandled {
		t.Errorf("synced by role only, level 35: %s (%s)", c.Status, c.Summary)
	}
	// A creator that is not an administrator.
	if c := checkCreator(ev(s([]api.RepositoryMember{creator}, lv("c", "carl", 30)))); c.Status != DiffersHandled {
		t.Errorf("creator at 30: %s", c.Status)
	}
	// A direct member whose name and level disagree.
	if c := checkRoleNames(ev(s([]api.RepositoryMember{direct}, lv("a", "alice", 30)))); c.Status != DiffersHandled {
		t.Errorf("Administrator at 30: %s", c.Status)
	}
	// Legacy ids that are not the v4 IAM ids: paired by name, handled.
	c = checkMemberIDs(ev(s([]api.RepositoryMember{direct}, lv("9124", "alice", 40))))
	if c.Status != DiffersHandled || c.Observed["case"] != "own" || !strings.Contains(c.Summary, "legacy user_id 9124, v4 user_iam_id a") {
		t.Errorf("ids: %s %v (%s)", c.Status, c.Observed["case"], c.Summary)
	}
	// A legacy row no v4 row matches: reposync cannot tell who it is.
	c = checkMemberIDs(ev(s([]api.RepositoryMember{direct}, lv("a", "alice", 40), lv("z", "zed", 30))))
	if c.Status != DiffersUnsupported || !strings.Contains(c.Summary, "zed in pay/gw (legacy user_id z)") {
		t.Errorf("unpaired: %s (%s)", c.Status, c.Summary)
	}
	// No member list read at all.
	for _, c := range []Check{checkMemberSync(ev()), checkSyncMarkers(ev()), checkSyncedLevels(ev()), checkCreator(ev()), checkRoleNames(ev()), checkMemberIDs(ev())} {
		if c.Status != NotObserved {
			t.Errorf("%s %s with nothing read: %s", c.ID, c.Name, c.Status)
		}
	}
}

func TestDoctorBatchUpdateVerdict(t *testing.T) {
	alice, bob := grant{kind: "user", id: 1, name: "alice"}, grant{kind: "user", id: 2, name: "bob"}
	rule := func(users ...grant) *api.FilePushPermission {
		a := api.PushRuleAction{Action: "push"}
		for _, u := range users {
			a.Users = append(a.Users, api.PushRuleUser{ID: u.id, Name: u.name})
		}
		return &api.FilePushPermission{ID: 7, Actions: []api.PushRuleAction{a}}
	}
	cases := []struct {
		name   string
		back   *api.FilePushPermission
		status string
		mode   string
	}{
		{"replace", rule(alice), AsAssumed, "replace"},
		{"merge", rule(alice, bob), DiffersHandled, "merge"},
		{"dropped what it was sent", rule(bob), DiffersUnsupported, "other"},
		{"rule gone", nil, DiffersUnsupported, "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := batchUpdateVerdict([]grant{alice, bob}, []grant{alice}, tc.back, tc.back)
			if c.Status != tc.status || c.Observed["mode"] != tc.mode {
				t.Errorf("%s %v (%s), want %s %s", c.Status, c.Observed["mode"], c.Summary, tc.status, tc.mode)
			}
		})
	}
	// One grant: the update sends none.
	if c := batchUpdateVerdict([]grant{alice}, nil, rule(), rule()); c.Status != AsAssumed {
		t.Errorf("one grant, replaced: %s", c.Status)
	}
}

func TestDoctorRefused(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&api.Error{Kind: api.KindHTTP, Status: 401, Code: "APIG.0301"}, true},
		{&api.Error{Kind: api.KindHTTP, Status: 401, Code: "DEV.00000003"}, true},
		{&api.Error{Kind: api.KindHTTP, Status: 401, Code: "CH.080401"}, false}, // no permission on the resource
		{&api.Error{Kind: api.KindHTTP, Status: 403, Code: "CH.004403"}, false},
		{&api.Error{Kind: api.KindHTTP, Status: 500}, false},
		{errors.New("plain"), false},
	}
	for _, tc := range cases {
		if got := refused(tc.err); got != tc.want {
			t.Errorf("refused(%v) = %t", tc.err, got)
		}
	}
	if classify(&api.Error{Kind: api.KindHTTP, Status: 401, Code: "CH.080401"}) != Denied || classify(&api.Error{Kind: api.KindHTTP, Status: 500}) != Failed {
		t.Error("classify")
	}
}

// At the gateway's 600 calls a minute per operation, a full plan of 10 000
// repositories in 300 groups walks for 30 s and reads for 1 000 s.
func TestDoctorEstimate(t *testing.T) {
	got := estimate(300, 10000, 12, 600)
	want := Estimate{Groups: 300, Repositories: 10000, WalkSeconds: 30, ReadSeconds: 1000, Seconds: 1030,
		ListOperations: []string{"ListMembers", "ListRepoMembers", "ListRepositoryUserGroups", "ListRepositoryFilePushPermissions", "ListGroupUserGroups"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("estimate (-want +got):\n%s", diff)
	}
	if got := estimate(3, 0, 0, 60); got.ReadSeconds != 0 || got.WalkSeconds != 3 || len(got.ListOperations) != 0 {
		t.Errorf("nothing managed: %+v", got)
	}
}

func TestDoctorChecksSortByRow(t *testing.T) {
	cs := []Check{{ID: "A40"}, {ID: "A16", Name: "x_total"}, {ID: "A3"}, {ID: "A16", Name: "page_size"}, {ID: "A1"}}
	sortChecks(cs)
	var got []string
	for _, c := range cs {
		got = append(got, c.ID+c.Name)
	}
	if diff := cmp.Diff([]string{"A1", "A3", "A16page_size", "A16x_total", "A40"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
