package render

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/golden"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

func ptr(s string) *string { return &s }

// samplePlan has one change of every kind and action that renderers treat
// specially.
func samplePlan() *plan.Plan {
	p := &plan.Plan{
		FormatVersion: plan.FormatVersion, ToolVersion: "test", Project: "0b234373cf3f4b04ab2d8a245155e12b",
		SpecDigest: "sha256:3f1d2c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff00", Prune: true,
		Changes: []plan.Change{
			{Address: addr("git_auth[bitbucket-ci]"), Kind: plan.KindGitAuth, Action: plan.Create, After: &plan.GitAuthValue{RepoType: "bitbucket", User: "bucket-ljn", PasswordEnv: "BITBUCKET_PASSWORD"}, Source: "reposync.yaml:31"},
			{Address: addr("group[payments/api]"), Kind: plan.KindGroup, Action: plan.Manual, Before: &plan.GroupValue{Visibility: "public"}, After: &plan.GroupValue{Visibility: "private"}, Source: "groups.yaml:11",
				Reason: "the API cannot change a group's visibility after creation; change it in the CodeArts console"},
			{Address: addr("group[payments/web]"), Kind: plan.KindGroup, Action: plan.Create, After: &plan.GroupValue{Visibility: "private", Description: ptr("Checkout front ends")}, Source: "groups.yaml:12"},
			{Address: addr("repository[payments/api/gateway].member[bob]"), Kind: plan.KindMember, Action: plan.Update, Before: &plan.MemberValue{Role: state.RoleDeveloper}, After: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/payments.yaml:10"},
			{Address: addr("repository[payments/api/gateway].member[carol]"), Kind: plan.KindMember, Action: plan.Create, After: &plan.MemberValue{Role: state.RoleViewer}, Source: "teams/payments.yaml:11"},
			{Address: addr("repository[payments/api/gateway].member[mallory]"), Kind: plan.KindMember, Action: plan.Delete, Before: &plan.MemberValue{Role: state.RoleDeveloper}, Source: "teams/payments.yaml:7"},
			{Address: addr("repository[payments/api/gateway].member_group[payments-leads]"), Kind: plan.KindMemberGroup, Action: plan.Create, After: &plan.MemberGroupValue{Name: "payments-leads"}, Source: "teams/payments.yaml:12"},
			{Address: addr("repository[payments/api/gateway].push_rule[/config/*]"), Kind: plan.KindPushRule, Action: plan.Update,
				Before: &plan.PushRuleValue{Users: []string{"alice"}, MemberGroups: []string{}, Roles: []string{}},
				After:  &plan.PushRuleValue{Users: []string{"alice", "dave"}, MemberGroups: []string{"payments-leads"}, Roles: []string{}}, Source: "teams/payments.yaml:14"},
			{Address: addr("repository[payments/api/gateway].push_rule[/deploy/**]"), Kind: plan.KindPushRule, Action: plan.Create, After: &plan.PushRuleValue{Users: []string{}, MemberGroups: []string{}, Roles: []string{}}, Source: "teams/payments.yaml:15"},
			{Address: addr("repository[payments/api/ledger].member[erin]"), Kind: plan.KindMember, Action: plan.Create, Before: &plan.MemberValue{Role: state.RoleDeveloper, Via: "member group payments-leads"}, After: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/payments.yaml:22",
				Warnings: []string{"erin already has `developer` through member group payments-leads; this adds a direct membership"}},
			{Address: addr("repository[payments/api/ledger].push_rule[/old/*]"), Kind: plan.KindPushRule, Action: plan.Delete, Before: &plan.PushRuleValue{Users: []string{"erin"}, MemberGroups: []string{}, Roles: []string{}}, Source: "teams/payments.yaml:20"},
		},
		Extras:   []plan.Extra{{Address: addr("group[legacy]"), Kind: plan.KindGroup, Detail: "group not listed in the spec"}},
		Warnings: []string{"user `alice` (pinned id 9124, reposync.yaml:14) is called `alice.w` in CodeArts now; it is matched by id, so nobody is removed or re-added — rename it in the spec when convenient"},
		Live:     map[string]string{"repository[payments/api/gateway]": "sha256:aa"},
		Summary:  plan.Summary{Create: 6, Update: 2, Delete: 2, Manual: 1},
	}
	return p
}

func TestGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, samplePlan(), f, Options{}); err != nil {
				t.Fatal(err)
			}
			ext := map[Format]string{FormatText: "txt", FormatMarkdown: "md", FormatJSON: "json"}[f]
			golden.Check(t, filepath.Join("testdata", "sample", "plan."+ext), buf.Bytes())
		})
	}
}

func TestEmptyPlan(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p", Changes: []plan.Change{}}
	var txt, md bytes.Buffer
	if err := Text(&txt, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "No changes.") || !strings.Contains(txt.String(), "Plan: 0 to create, 0 to update, 0 to delete, 0 manual.") {
		t.Errorf("text = %q", txt.String())
	}
	if err := Markdown(&md, p, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.String(), MarkdownMarker+"\n") || !strings.Contains(md.String(), "No changes") {
		t.Errorf("markdown = %q", md.String())
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	var plain, color bytes.Buffer
	Text(&plain, samplePlan(), Options{})
	Text(&color, samplePlan(), Options{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("plain text contains ANSI escapes")
	}
	if !strings.Contains(color.String(), ansiGreen+"  + ") {
		t.Error("coloured text lacks a green create line")
	}
}

// TestMarkdownStaysUnderLimit renders a plan far too big for one comment:
// the output must stay under the limit, keep the summary and the dangerous
// changes, and say what it left out.
func TestMarkdownStaysUnderLimit(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p"}
	for r := 0; r < 2000; r++ {
		repo := fmt.Sprintf("org/team-%03d/service-%04d", r%50, r)
		for u := 0; u < 5; u++ {
			p.Changes = append(p.Changes, plan.Change{Address: plan.MemberAddress(repo, fmt.Sprintf("user-%04d", u)), Kind: plan.KindMember,
				Action: plan.Create, After: &plan.MemberValue{Role: state.RoleDeveloper}, Source: fmt.Sprintf("teams/t%03d.yaml:%d", r%50, u+3)})
		}
		p.Summary.Create += 5
	}
	p.Changes = append(p.Changes, plan.Change{Address: plan.MemberAddress("org/zz/last", "eve"), Kind: plan.KindMember, Action: plan.Delete,
		Before: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/zz.yaml:1"})
	p.Summary.Delete++
	for _, limit := range []int{DefaultMaxMarkdown, 20_000} {
		var buf bytes.Buffer
		if err := Markdown(&buf, p, Options{MaxMarkdown: limit}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if len(out) > limit {
			t.Errorf("limit %d: markdown is %d bytes", limit, len(out))
		}
		for _, want := range []string{"10000 to create, 0 to update, 1 to delete", "**Removes** `eve` (admin) from `org/zz/last`", "are not shown here"} {
			if !strings.Contains(out, want) {
				t.Errorf("limit %d: markdown lacks %q", limit, want)
			}
		}
		if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
			t.Errorf("limit %d: unbalanced <details> blocks", limit)
		}
	}
}

func TestMarkdownEscapesHostileNames(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p", Changes: []plan.Change{
		{Address: addr("repository[a/b].push_rule[/x|y`<script>]"), Kind: plan.KindPushRule, Action: plan.Create,
			After: &plan.PushRuleValue{Users: []string{"u"}, MemberGroups: []string{}, Roles: []string{}}},
	}, Summary: plan.Summary{Create: 1}}
	var buf bytes.Buffer
	Markdown(&buf, p, Options{})
	out := buf.String()
	if strings.Contains(out, "| y") || strings.Contains(out, "<script>]") && !strings.Contains(out, "`` /x\\|y`<script> ``") {
		t.Errorf("hostile path not escaped:\n%s", out)
	}
}

func TestParseFormat(t *testing.T) {
	for _, ok := range []string{"text", "markdown", "json"} {
		if _, err := ParseFormat(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil {
		t.Error("yaml must be refused")
	}
}

// addr parses an address written in its text form.
func addr(s string) plan.Address {
	a, err := plan.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

// A multi-line group description is shown as a diff, not as two quoted
// strings with \n in them.
func TestMultiLineDescriptionDiff(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p", Changes: []plan.Change{{
		Address: plan.GroupAddress("pay"), Kind: plan.KindGroup, Action: plan.Manual,
		Before: &plan.GroupValue{Description: ptr("Payments\nOwner: team A\nOn call: x")},
		After:  &plan.GroupValue{Description: ptr("Payments\nOwner: team B\nOn call: x")},
		Reason: "console only",
	}, {
		Address: plan.GroupAddress("web"), Kind: plan.KindGroup, Action: plan.Manual,
		Before: &plan.GroupValue{Description: ptr("old")}, After: &plan.GroupValue{Description: ptr("new")},
	}}, Summary: plan.Summary{Manual: 2}}
	var txt, md bytes.Buffer
	Text(&txt, p, Options{})
	Markdown(&md, p, Options{})
	for name, out := range map[string]string{"text": txt.String(), "markdown": md.String()} {
		for _, want := range []string{"description changed (see the diff)", "- Owner: team A", "+ Owner: team B", "  Payments", `description "old" → "new"`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
}
