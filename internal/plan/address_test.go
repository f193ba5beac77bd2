package plan_test

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
)

func TestParseAddressRoundTrip(t *testing.T) {
	tests := map[string]plan.Address{
		"git_auth[bb]":                     plan.GitAuthAddress("bb"),
		"group[a/b]":                       plan.GroupAddress("a/b"),
		"group[a].member_group[leads]":     plan.GroupMemberGroupAddress("a", "leads"),
		"repository[a/b].push_rule[/x[1]]": plan.PushRuleAddress("a/b", "/x[1]"),
		"repository[a.b/c].member[al.ice]": plan.MemberAddress("a.b/c", "al.ice"),
		"repository[r].member_group[m g]":  plan.MemberGroupAddress("r", "m g"),
	}
	for text, want := range tests {
		got, err := plan.ParseAddress(text)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", text, err)
			continue
		}
		if got != want {
			t.Errorf("ParseAddress(%q) = %+v, want %+v", text, got, want)
		}
		if got.String() != text {
			t.Errorf("%+v renders as %q, want %q", got, got.String(), text)
		}
	}
}

func TestParseAddressRejects(t *testing.T) {
	for _, text := range []string{
		"", "repository", "repository[]", "repository[a", "user[a]", "repository[a]x",
		"repository[a].member", "repository[a].member[]", "repository[a].owner[x]",
		"group[a].member[x]", "git_auth[a].push_rule[/x]", "repository[a].push_rule[/x",
	} {
		if a, err := plan.ParseAddress(text); err == nil {
			t.Errorf("ParseAddress(%q) = %+v, want an error", text, a)
		}
	}
}

func TestAddressJSON(t *testing.T) {
	c := plan.Change{Address: plan.PushRuleAddress("p/a", "/config/*")}
	b, err := json.Marshal(c.Address)
	if err != nil || string(b) != `"repository[p/a].push_rule[/config/*]"` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back plan.Address
	if err := json.Unmarshal(b, &back); err != nil || back != c.Address {
		t.Fatalf("unmarshal: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"repository[x].bogus[y]"`), &back); err == nil {
		t.Error("a bad address must not decode")
	}
}

func TestAddressOrder(t *testing.T) {
	want := []plan.Address{
		plan.GitAuthAddress("a"),
		plan.GroupAddress("a"),
		plan.GroupMemberGroupAddress("a", "x"),
		plan.GroupAddress("a/b"),
		plan.RepositoryAddress("a/b"),
		plan.MemberAddress("a/b", "alice"),
		plan.MemberAddress("a/b", "bob"),
		plan.MemberGroupAddress("a/b", "leads"),
		plan.PushRuleAddress("a/b", "/x"),
		plan.RepositoryAddress("a/b/c"),
	}
	got := append([]plan.Address(nil), want...)
	for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
		got[i], got[j] = got[j], got[i]
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Less(got[j]) })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if got := plan.PushRuleAddress("r", "/p").Owner(); got != plan.RepositoryAddress("r") {
		t.Errorf("Owner = %v", got)
	}
	if got := plan.PushRuleAddress("r", "/p").Leaf(); got != "/p" {
		t.Errorf("Leaf = %q", got)
	}
	if got := plan.RepositoryAddress("r").Leaf(); got != "r" {
		t.Errorf("Leaf of an object = %q", got)
	}
}

func TestOpFor(t *testing.T) {
	tests := []struct {
		kind   plan.Kind
		action plan.Action
		want   plan.Op
	}{
		{plan.KindGroup, plan.Create, plan.OpCreateGroup},
		{plan.KindGroup, plan.Delete, plan.OpDeleteGroup},
		{plan.KindGroup, plan.Manual, ""},
		{plan.KindGroup, plan.Update, ""},
		{plan.KindGroupMemberGroup, plan.Create, plan.OpAttachGroupMemberGroup},
		{plan.KindMemberGroup, plan.Create, plan.OpAttachMemberGroup},
		{plan.KindMemberGroup, plan.Manual, ""},
		{plan.KindMember, plan.Create, plan.OpAddMembers},
		{plan.KindMember, plan.Update, plan.OpSetRole},
		{plan.KindMember, plan.Delete, plan.OpDeleteMember},
		{plan.KindPushRule, plan.Create, plan.OpCreatePushRule},
		{plan.KindPushRule, plan.Update, plan.OpUpdatePushRules},
		{plan.KindPushRule, plan.Delete, plan.OpDeletePushRules},
		{plan.KindGitAuth, plan.Create, plan.OpCreateGitAuth},
		{plan.KindGitAuth, plan.Delete, plan.OpDeleteGitAuth},
		{plan.KindGitAuth, plan.Replace, plan.OpReplaceGitAuth},
	}
	for _, tt := range tests {
		if got := plan.OpFor(plan.Change{Kind: tt.kind, Action: tt.action}); got != tt.want {
			t.Errorf("OpFor(%s %s) = %q, want %q", tt.action, tt.kind, got, tt.want)
		}
	}
	for _, op := range []plan.Op{plan.OpAddMembers, plan.OpUpdatePushRules, plan.OpDeletePushRules} {
		if !op.Batched() {
			t.Errorf("%s should be batched", op)
		}
	}
	if plan.OpSetRole.Batched() {
		t.Error("SetRepoRole is one call per member")
	}
}

// TestProseKeepsKeysWithParentheses: a refusal's note follows the address,
// so a member group or push-rule path holding " (" is named whole.
func TestProseKeepsKeysWithParentheses(t *testing.T) {
	name := func(s string) string { return "<" + s + ">" }
	for in, want := range map[string]string{
		"repository[a/b].member_group[ops (eu)] (live admin; t.yaml)": "member group <ops (eu)> on <a/b> (live admin; t.yaml)",
		"repository[a/b].push_rule[/docs (old)/*]":                    "push rule </docs (old)/*> on <a/b>",
		"payments/api (1 → 0 admins)":                                 "<payments/api> (1 → 0 admins)",
		"git_auth[ci] (CI_PASSWORD)":                                  "Git authorization <ci> (CI_PASSWORD)",
	} {
		if got := plan.Prose(in, name, func(s string) string { return s }); got != want {
			t.Errorf("Prose(%q) = %q, want %q", in, got, want)
		}
	}
}
