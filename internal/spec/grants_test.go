package spec

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/state"
)

// TestLoadGrantLongForms: the long forms of grants load into the same
// values as the short forms, with their end date and reason, in groups,
// repositories, push rules and policies alike.
func TestLoadGrantLongForms(t *testing.T) {
	d, diags := Load("../../testdata/valid/grants")
	if d == nil || diags.HasErrors() {
		t.Fatalf("load: %s", messages(diags))
	}
	const file = "../../testdata/valid/grants/reposync.yaml"
	type grant struct {
		Name, Role string
		Line       int
		state.Grant
	}
	ref := func(r state.Ref) grant { return grant{Name: r.Name, Line: r.Source.Line, Grant: r.Grant} }
	refs := func(rs []state.Ref) []grant {
		var out []grant
		for _, r := range rs {
			if r.Source.File != file {
				t.Errorf("%s: source file %q", r.Name, r.Source.File)
			}
			out = append(out, ref(r))
		}
		return out
	}
	gw := d.Repositories["payments/api/gateway"]
	var members []grant
	for _, name := range slices.Sorted(maps.Keys(gw.Members)) {
		m := gw.Members[name]
		members = append(members, grant{Name: m.User, Role: string(m.Role), Line: m.Source.Line, Grant: m.Grant})
	}
	rule := gw.PushRules["/config/*"]
	tests := []struct {
		name      string
		got, want []grant
	}{
		{"members", members, []grant{
			{Name: "alice", Role: "admin", Line: 12},
			{Name: "bob", Role: "developer", Line: 13, Grant: state.Grant{Expires: "2027-01-31", Reason: "TICKET-123"}},
			{Name: "carol", Role: "viewer", Line: 14, Grant: state.Grant{Expires: "2026-11-30", Reason: "incident INC-42: read-only until the review"}},
			{Name: "dave", Role: "admin", Line: 15, Grant: state.Grant{Reason: "break-glass owner"}},
		}},
		{"repository member groups", refs(gw.MemberGroups), []grant{
			{Name: "payments-leads", Line: 16},
			{Name: "sre", Line: 16, Grant: state.Grant{Expires: "2026-12-10"}},
		}},
		{"group member groups", refs(d.Groups["payments"].MemberGroups), []grant{
			{Name: "payments-leads", Line: 8},
			{Name: "auditors", Line: 8, Grant: state.Grant{Expires: "2027-03-31", Reason: "AUDIT-7 yearly audit"}},
		}},
		{"push rule users", refs(rule.Users), []grant{
			{Name: "alice", Line: 19},
			{Name: "bob", Line: 19, Grant: state.Grant{Expires: "2026-12-05", Reason: "SEC-9 key rotation"}},
		}},
		{"push rule member groups", refs(rule.MemberGroups), []grant{{Name: "payments-leads", Line: 20}}},
		{"push rule roles", refs(rule.Roles), []grant{{Name: "Project manager", Line: 21, Grant: state.Grant{Expires: "2027-06-30"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if m := d.Policies["audit"].Members["security-bot"]; m.Role != state.RoleViewer || m.Expires != "2026-11-01" || m.Reason != "the old scanner" {
		t.Errorf("policy member = %+v", m)
	}
}

func TestGrantDates(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2027-01-31", true}, {"2028-02-29", true}, {"2027-02-29", false}, {"2027-02-30", false},
		{"2027-1-31", false}, {"2027-01-31T00:00:00Z", false}, {"", false},
	} {
		if _, err := state.ParseDate(tt.in); (err == nil) != tt.ok {
			t.Errorf("ParseDate(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	g := state.Grant{Expires: "2027-01-31"}
	for _, tt := range []struct {
		today           state.Date
		expired, soon14 bool
	}{
		{"2027-01-16", false, false},
		{"2027-01-17", false, true}, // 14 days ahead
		{"2027-01-31", false, true}, // the last day: still holds until midnight UTC
		{"2027-02-01", true, false}, // the day after: gone
		{"", false, false},          // no clock: nothing expires
	} {
		if got := g.ExpiredOn(tt.today); got != tt.expired {
			t.Errorf("ExpiredOn(%s) = %v", tt.today, got)
		}
		if got := g.ExpiresWithin(tt.today, 14); got != tt.soon14 {
			t.Errorf("ExpiresWithin(%s, 14) = %v", tt.today, got)
		}
	}
	if d := state.Date("2027-01-31").AddDays(1); d != "2027-02-01" {
		t.Errorf("AddDays = %s", d)
	}
	if n := state.Date("2026-12-30").DaysUntil("2027-01-02"); n != 3 {
		t.Errorf("DaysUntil = %d", n)
	}
}
