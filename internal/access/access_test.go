package access

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/state"
)

func liveRepo() *state.Live {
	pm := state.LiveRole{Name: "Project manager", ID: "6115a3ddd9044e288c558d1ae827a732"}
	return &state.Live{Project: "p", Groups: map[string]*state.LiveGroup{"a": {Path: "a", MemberGroups: []string{"leads"}}}, Repositories: map[string]*state.LiveRepository{
		"a/r": {Path: "a/r", Details: true,
			Members: map[string]state.LiveMember{
				"ann":  {User: state.LiveUser{Name: "ann"}, Role: state.RoleAdmin},
				"ben":  {User: state.LiveUser{Name: "ben"}, Role: "", RoleName: "Guardian", Managed: "synced from the project as Guardian", RoleID: pm.ID},
				"cat":  {User: state.LiveUser{Name: "cat"}, Role: state.RoleDeveloper, Inherited: true, Via: "member group ops", ViaMemberGroup: "ops"},
				"dan":  {User: state.LiveUser{Name: "dan"}, Role: state.RoleViewer, ProjectRole: "project MANAGER"},
				"=cmd": {User: state.LiveUser{Name: "=cmd"}, Role: state.RoleViewer},
			},
			MemberGroups: []string{"ops", "empty\x1b[31m"},
			PushRules: map[string]state.LivePushRule{
				"/x": {Path: "/x", Disabled: true, Roles: []state.LiveRole{pm}, MemberGroups: []state.LiveMemberGroup{{Name: "ops"}}},
			}},
	}}
}

func TestFromLive(t *testing.T) {
	got := FromLive(liveRepo(), nil, nil, []string{"a/r"}, Query{}, "2026-12-01")
	var rows []string
	for _, e := range got {
		rows = append(rows, e.Grantee()+" "+accessText(e)+" | "+e.Via.Kind+" | "+e.Via.Detail)
	}
	want := []string{
		"=cmd viewer | direct | direct member",
		"ann admin | direct | direct member",
		// a role reposync does not know is shown as the service names it;
		// role holders are found by role id or by name, in any case
		"ben Guardian | managed | synced from the project as Guardian (CodeArts manages this membership)",
		"ben push /x | push_rule | push rule /x grants role Project manager (the rule is not enforced)",
		"cat developer | member_group | member group ops",
		"cat push /x | push_rule | push rule /x grants member group ops (the rule is not enforced)",
		"dan viewer | direct | direct member",
		"dan push /x | push_rule | push rule /x grants role Project manager (the rule is not enforced)",
		// No API lists a member group's members: each attached member group
		// and each push rule's member group is an entry of its own, marked,
		// whoever reposync saw through it (a member group ops member who is
		// a direct member too is listed as direct).
		"member group empty\x1b[31m attached | member_group | member group empty\x1b[31m is attached; its members cannot be known through the API",
		"member group leads attached | group | member group leads of group a; its members cannot be known through the API",
		"member group ops attached | member_group | member group ops is attached; its members cannot be known through the API",
		"member group ops push /x | push_rule | push rule /x grants member group ops (the rule is not enforced); its members cannot be known through the API",
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, e := range got {
		if unknown := e.MembersKnown != nil && !*e.MembersKnown; unknown != (e.MemberGroup != "") {
			t.Errorf("%s: members_known %v", e.Via.Detail, e.MembersKnown)
		}
	}
	if got := FromLive(liveRepo(), nil, nil, []string{"a/r"}, Query{User: "cat"}, ""); len(got) != 2 {
		t.Errorf("--user cat: %d entries, want membership and push", len(got))
	}
	// A direct member may be in the member group a push rule grants: that
	// path is shown, marked as unknowable, never left out.
	rows = nil
	for _, e := range FromLive(liveRepo(), nil, nil, []string{"a/r"}, Query{User: "dan"}, "") {
		rows = append(rows, fmt.Sprintf("%s | %s | %v", accessText(e), e.Via.Detail, e.MembersKnown != nil))
	}
	want = []string{
		"viewer | direct member | false",
		"push /x | push rule /x grants member group ops (the rule is not enforced); whether dan is in it cannot be known through the API | true",
		"push /x | push rule /x grants role Project manager (the rule is not enforced) | false",
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("--user dan (-want +got):\n%s", diff)
	}

	res := &Result{FormatVersion: FormatVersion, Project: "p", Query: Query{Repository: "a/r"}, From: "live", Today: "2026-12-01", Entries: FromLive(liveRepo(), nil, nil, []string{"a/r"}, Query{}, "")}
	var text bytes.Buffer
	if err := Render(&text, res, "text"); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsRune(text.String(), '\x1b') || !strings.Contains(text.String(), `empty\u001b[31m`) {
		t.Errorf("a control character reached the terminal:\n%q", text.String())
	}
	var c bytes.Buffer
	if err := Render(&c, res, "csv"); err != nil {
		t.Fatal(err)
	}
	rows2, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows2[1][1] != "'=cmd" {
		t.Errorf("a formula-like cell is not neutralised: %q", rows2[1])
	}
}

// TestFromSpecLeavesExpiredOut: offline, the spec's access on the day,
// without expired grants.
func TestFromSpecLeavesExpiredOut(t *testing.T) {
	d := &state.Desired{Repositories: map[string]*state.Repository{}, Policies: map[string]*state.Policy{}, Groups: map[string]*state.Group{
		"a": {Path: "a", MemberGroups: []state.Ref{{Name: "ops"}, {Name: "old", Grant: state.Grant{Expires: "2026-11-30"}}}},
	}}
	eff := map[string]*state.EffectiveRepository{"a/r": {Path: "a/r", Listed: true,
		Members: map[string]state.Member{
			"ann": {User: "ann", Role: state.RoleAdmin, Grant: state.Grant{Expires: "2026-12-01", Reason: "last day"}},
			"bob": {User: "bob", Role: state.RoleViewer, Grant: state.Grant{Expires: "2026-11-30"}},
		},
		PushRules: map[string]state.PushRule{"/x": {Path: "/x", Users: []state.Ref{{Name: "bob", Grant: state.Grant{Expires: "2026-11-30"}}}}},
	}}
	var rows []string
	for _, e := range FromSpec(d, eff, Query{}, "2026-12-01") {
		rows = append(rows, e.Grantee()+" "+accessText(e)+" "+string(e.Spec.Expires))
	}
	want := []string{
		"ann admin 2026-12-01",
		"member group ops attached ",
		// bob's grant expired: the rule now lets nobody push
		"nobody push /x ",
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNoFormula(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"alice", "alice"},
		{"a=b", "a=b"},
		{"=cmd", "'=cmd"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"  =cmd", "'  =cmd"},
		{"\u3000+1", "'\u3000+1"},
		{"\uff1dcmd", "'\uff1dcmd"},
		{"\uff0b1", "'\uff0b1"},
		{"\uff0d1", "'\uff0d1"},
		{"\uff20x", "'\uff20x"},
		{"   ", "   "},
		{" bob", " bob"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, noFormula(tc.in)); diff != "" {
				t.Errorf("noFormula(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// accessText is the access column in words: "admin", "push /config/*".
func accessText(e Entry) string { return e.cell("access", plain, plain) }
