package render

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
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
		Context:  plan.Context{SpecPaths: []string{"specs"}, Root: "git", Commit: "9fceb02d0ae598e95dc970b74767f19372d61af8", Prune: true},
		Refusals: []plan.Refusal{{Rule: "min_admins", Message: "the plan would leave 1 repositories with fewer than 1 admins", Addresses: []string{"payments/api/ledger (1 → 0 admins)"}}},
		Changes: []plan.Change{
			{Address: addr("git_auth[bitbucket-ci]"), Kind: plan.KindGitAuth, Action: plan.Create, After: &plan.GitAuthValue{RepoType: "bitbucket", User: "bucket-ljn", PasswordEnv: "BITBUCKET_PASSWORD"}, Source: "reposync.yaml:31"},
			{Address: addr("group[payments/api]"), Kind: plan.KindGroup, Action: plan.Manual, Before: &plan.GroupValue{Visibility: "public"}, After: &plan.GroupValue{Visibility: "private"}, Source: "groups.yaml:11",
				Reason: "the API cannot change a group's visibility after creation; change it in the CodeArts console"},
			{Address: addr("group[payments/web]"), Kind: plan.KindGroup, Action: plan.Create, After: &plan.GroupValue{Visibility: "private", Description: ptr("Checkout front ends")}, Source: "groups.yaml:12"},
			{Address: addr("repository[payments/api/gateway].member[bob]"), Kind: plan.KindMember, Action: plan.Update, Before: &plan.MemberValue{Role: state.RoleDeveloper}, After: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/payments.yaml:10", Scope: "teams/payments.yaml"},
			{Address: addr("repository[payments/api/gateway].member[carol]"), Kind: plan.KindMember, Action: plan.Create, After: &plan.MemberValue{Role: state.RoleViewer}, Source: "teams/payments.yaml:11", Scope: "teams/payments.yaml"},
			{Address: addr("repository[payments/api/gateway].member[mallory]"), Kind: plan.KindMember, Action: plan.Delete, Before: &plan.MemberValue{Role: state.RoleDeveloper}, Source: "teams/payments.yaml:7", Scope: "teams/payments.yaml",
				Withdrawn: &plan.Withdrawn{Grant: "user mallory", Role: state.RoleDeveloper, Revision: "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}},
			{Address: addr("repository[payments/api/gateway].member_group[payments-leads]"), Kind: plan.KindMemberGroup, Action: plan.Create, After: &plan.MemberGroupValue{Name: "payments-leads"}, Source: "teams/payments.yaml:12", Scope: "teams/payments.yaml"},
			{Address: addr("repository[payments/api/gateway].push_rule[/config/*]"), Kind: plan.KindPushRule, Action: plan.Update,
				Before: &plan.PushRuleValue{Users: []string{"alice"}, MemberGroups: []string{}, Roles: []string{}},
				After:  &plan.PushRuleValue{Users: []string{"alice", "dave"}, MemberGroups: []string{"payments-leads"}, Roles: []string{}}, Source: "teams/payments.yaml:14", Scope: "teams/payments.yaml"},
			{Address: addr("repository[payments/api/gateway].push_rule[/deploy/**]"), Kind: plan.KindPushRule, Action: plan.Create, After: &plan.PushRuleValue{Users: []string{}, MemberGroups: []string{}, Roles: []string{}}, Source: "teams/payments.yaml:15", Scope: "teams/payments.yaml"},
			{Address: addr("repository[payments/api/ledger].member[erin]"), Kind: plan.KindMember, Action: plan.Create, Before: &plan.MemberValue{Role: state.RoleDeveloper, Via: "member group payments-leads"}, After: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/payments.yaml:22", Scope: "teams/payments.yaml",
				Warnings: []string{"erin already has `developer` through member group payments-leads; this adds a direct membership"}},
			{Address: addr("repository[payments/api/ledger].push_rule[/old/*]"), Kind: plan.KindPushRule, Action: plan.Delete, Before: &plan.PushRuleValue{Users: []string{"erin"}, MemberGroups: []string{}, Roles: []string{}}, Source: "teams/payments.yaml:20", Scope: "teams/payments.yaml"},
		},
		Extras: []plan.Extra{{Address: addr("group[legacy]"), Kind: plan.KindGroup, Detail: "group not listed in the spec"},
			{Address: addr("repository[payments/api/ledger].member[zoe]"), Kind: plan.KindMember, Detail: "direct member with role admin, not listed", Role: state.RoleAdmin}},
		Warnings: []string{"user `alice` (pinned id 9124, reposync.yaml:14) is called `alice.w` in CodeArts now; it is matched by id, so nobody is removed or re-added — rename it in the spec when convenient"},
		Live:     map[string]string{"repository[payments/api/gateway]": "sha256:aa"},
		Summary:  plan.Summary{Create: 6, Update: 2, Delete: 2, Manual: 1, Unlisted: 2},
	}
	return p
}

func TestGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, samplePlan(), f, Options{Owners: map[string][]string{"teams/payments.yaml": {"@acme/payments"}}}); err != nil {
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
		Before: &plan.MemberValue{Role: state.RoleAdmin}, Source: "teams/zz.yaml:1", Withdrawn: &plan.Withdrawn{Grant: "user eve", Role: state.RoleAdmin, Revision: "abc1234"}})
	p.Summary.Delete++
	for _, limit := range []int{DefaultMaxMarkdown, 20_000} {
		var buf bytes.Buffer
		if err := Markdown(&buf, p, Options{maxMarkdown: limit}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if len(out) > limit {
			t.Errorf("limit %d: markdown is %d bytes", limit, len(out))
		}
		for _, want := range []string{"10000 to create, 0 to update, 1 to delete", "- ➖ **`eve`**: loses admin on `org/zz/last`", "not shown here, to keep this comment short"} {
			if !strings.Contains(out, want) {
				t.Errorf("limit %d: markdown lacks %q", limit, want)
			}
		}
		if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
			t.Errorf("limit %d: unbalanced <details> blocks", limit)
		}
	}
}

// One subject of thousands of lines (a change deleting thousands of push
// rules) is cut like the list of subjects, so the details and the footer
// are still there and whole.
func TestMarkdownCapsOneSubject(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p"}
	for i := range 3000 {
		p.Changes = append(p.Changes, plan.Change{Address: plan.PushRuleAddress("org/a/b", fmt.Sprintf("/deploy-%04d/**", i)), Kind: plan.KindPushRule,
			Action: plan.Delete, Before: &plan.PushRuleValue{Users: []string{"eve"}, MemberGroups: []string{}, Roles: []string{}},
			Source: "x.yaml:1", Withdrawn: &plan.Withdrawn{Grant: "push rule", Revision: "abc1234"}})
		p.Summary.Delete++
	}
	const limit = 20_000
	var buf bytes.Buffer
	if err := Markdown(&buf, p, Options{maxMarkdown: limit}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(out) > limit || !strings.Contains(out, "### Details") || strings.Count(out, "<details>") != strings.Count(out, "</details>") {
		t.Errorf("%d bytes (limit %d); Details: %t; <details> %d, </details> %d", len(out), limit,
			strings.Contains(out, "### Details"), strings.Count(out, "<details>"), strings.Count(out, "</details>"))
	}
	if !strings.Contains(out, "  - _…and ") || strings.Contains(out, "truncated") {
		t.Error("the subject's lines were not cut where its budget ended")
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

// hostileStrings are what a pull-request author could put into names,
// paths, descriptions and reasons to break out of the comment.
var hostileStrings = []string{
	"</details><details open><summary>hidden",
	"<!-- hide everything after this",
	"-->",
	"x | y | z",
	"line one\n## Injected heading\n- [ ] task",
	"```\n<script>alert(1)</script>\n```",
	"[click](https://evil.example/phish)",
	"![img](https://evil.example/x.png)",
	"**bold** _em_ ~~strike~~",
	"`` ` ``",
	"&lt;entity&gt; &amp;",
	"<img src=x onerror=alert(1)>",
}

// TestMarkdownNeutralisesHostileStrings renders a plan whose every
// spec-provided string is hostile and checks the Markdown: no tag, comment,
// link, image or table break from the spec survives.
func TestMarkdownNeutralisesHostileStrings(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p"}
	for i, h := range hostileStrings {
		repo := fmt.Sprintf("org/r%02d", i)
		p.Changes = append(p.Changes,
			plan.Change{Address: plan.GroupAddress(fmt.Sprintf("g%02d", i)), Kind: plan.KindGroup, Action: plan.Manual,
				Before: &plan.GroupValue{Description: ptr("old " + h)}, After: &plan.GroupValue{Description: ptr(h)},
				Reason: "because " + h, Source: "specs/" + h + ".yaml:3", Warnings: []string{"note " + h}},
			plan.Change{Address: plan.MemberGroupAddress(repo, h), Kind: plan.KindMemberGroup, Action: plan.Create,
				After: &plan.MemberGroupValue{Name: h}, Source: "specs/t.yaml:1"},
			plan.Change{Address: plan.PushRuleAddress(repo, "/"+h), Kind: plan.KindPushRule, Action: plan.Update,
				Before: &plan.PushRuleValue{Users: []string{}, MemberGroups: []string{}, Roles: []string{}},
				After:  &plan.PushRuleValue{Users: []string{}, MemberGroups: []string{h}, Roles: []string{h}}, Source: "specs/t.yaml:2"},
		)
		p.Extras = append(p.Extras, plan.Extra{Address: plan.MemberAddress(repo, "u"), Kind: plan.KindMember, Detail: h})
		p.Warnings = append(p.Warnings, h)
	}
	p.Refusals = []plan.Refusal{{Rule: "min_admins", Message: "x " + hostileStrings[0], Addresses: hostileStrings}}
	p.Context.Scope = &plan.Scope{Repositories: hostileStrings, Groups: hostileStrings, ChangedSince: hostileStrings[0]}
	p.Summary = plan.Summary{Create: len(hostileStrings), Update: len(hostileStrings), Manual: len(hostileStrings), Unlisted: len(hostileStrings)}
	var buf bytes.Buffer
	if err := Markdown(&buf, p, Options{SourceLink: func(src, _ string) string { return "https://git.example/blob/c/" + src }}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	assertInertMarkdown(t, out)
	// Nothing was dropped to get there: every hostile name is still named.
	if !strings.Contains(out, "`` `` ` `` ``") && !strings.Contains(out, "\\`\\` \\` \\`\\`") {
		t.Errorf("the backtick name is missing")
	}
}

// assertInertMarkdown checks that the only HTML in md is the renderer's
// own, that tables keep their columns, and that no line was started by
// spec text.
func assertInertMarkdown(t *testing.T, md string) {
	t.Helper()
	// Fenced code blocks (the diffs) are inert; so are code spans.
	raw := md
	md = stripCodeSpans(stripFences(md))
	own := strings.NewReplacer(MarkdownMarker, "", "<details>", "", "</details>", "", "<summary>", "", "</summary>", "",
		"<b>", "", "</b>", "", "<br>", "", "](https://git.example/blob/c/", "")
	rest := own.Replace(md)
	for _, bad := range []string{"<", "-->", "\n## Injected", "\n- [ ] task"} {
		if i := strings.Index(rest, bad); i >= 0 {
			t.Errorf("%q survives in the Markdown: …%s…", bad, rest[max(0, i-60):min(len(rest), i+60)])
		}
	}
	// A link or image needs an unescaped ] before its (.
	if m := regexp.MustCompile(`(^|[^\\])\]\(`).FindStringIndex(rest); m != nil {
		t.Errorf("a link survives: …%s…", rest[max(0, m[0]-60):min(len(rest), m[1]+60)])
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Errorf("unbalanced <details>: %d open, %d closed", strings.Count(md, "<details>"), strings.Count(md, "</details>"))
	}
	for _, line := range strings.Split(raw, "\n") {
		if strings.HasPrefix(line, "| ") && strings.HasSuffix(line, " |") && !strings.HasPrefix(line, "|---") {
			// Unescaped pipes, in code spans or not (GFM splits cells
			// before it parses code), must be exactly the column separators.
			cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") - 1
			if cells != 2 && cells != 3 && cells != 4 {
				t.Errorf("a table row has %d cells: %s", cells, line)
			}
		}
	}
}

// stripFences removes fenced code blocks: a line of three or more
// backticks opens one, the next line of at least as many closes it.
func stripFences(s string) string {
	var out []string
	fence := ""
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimRight(line, " ")
		switch {
		case fence == "" && strings.HasPrefix(trimmed, "```"):
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
		case fence != "" && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, "`") == "":
			fence = ""
		case fence == "":
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// stripCodeSpans removes inline code spans (any fence length).
func stripCodeSpans(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '`' || (i > 0 && s[i-1] == '\\') {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		fence := strings.Repeat("`", n)
		end := strings.Index(s[i+n:], fence)
		for end >= 0 && i+n+end+n < len(s) && s[i+n+end+n] == '`' {
			next := strings.Index(s[i+n+end+n:], fence)
			if next < 0 {
				end = -1
				break
			}
			end += n + next
		}
		if end < 0 || n >= 3 && (i == 0 || s[i-1] == '\n') {
			b.WriteString(fence) // a fence or a lone backtick run
			i += n
			continue
		}
		i += n + end + n
	}
	return b.String()
}

// TestCutMarkdownNamesEveryAttentionItem: when the details do not fit,
// they are cut, but every change that needs attention is still named
// above the cut, and the note points at the full plan, not at the part that
// was cut.
func TestCutMarkdownNamesEveryAttentionItem(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p"}
	for r := 0; r < 800; r++ {
		repo := fmt.Sprintf("org/team-%03d/service-%04d", r%40, r)
		for u := 0; u < 4; u++ {
			p.Changes = append(p.Changes, plan.Change{Address: plan.MemberAddress(repo, fmt.Sprintf("user-%04d", u)), Kind: plan.KindMember,
				Action: plan.Create, After: &plan.MemberValue{Role: state.RoleViewer}, Source: "teams/t.yaml:3"})
			p.Summary.Create++
		}
	}
	var repos []string
	for i := 0; i < 20; i++ {
		repo := fmt.Sprintf("org/zz/r%02d", i)
		p.Changes = append(p.Changes,
			plan.Change{Address: plan.MemberAddress(repo, "eve"), Kind: plan.KindMember, Action: plan.Delete, Before: &plan.MemberValue{Role: state.RoleAdmin}, Expired: []plan.ExpiredGrant{{Grant: "user eve"}}},
			plan.Change{Address: plan.MemberAddress(repo, "mallory"), Kind: plan.KindMember, Action: plan.Create, After: &plan.MemberValue{Role: state.RoleAdmin}},
			plan.Change{Address: plan.MemberGroupAddress(repo, "contractors"), Kind: plan.KindMemberGroup, Action: plan.Create, After: &plan.MemberGroupValue{Name: "contractors"}})
		p.Summary.Delete++
		p.Summary.Create += 2
		repos = append(repos, "`"+repo+"`")
	}
	// Each subject once, the worst first, with its repositories.
	attention := []string{"- ➖ **`eve`**: loses admin on 20 repositories: " + strings.Join(repos[:3], ", ") + " and 17 more",
		"- 🔑 **`mallory`**: gains admin on 20 repositories: ",
		"- 👥 **member group `contractors`**: is attached (its members gain access) to 20 repositories: "}
	var buf bytes.Buffer
	if err := Markdown(&buf, p, Options{FullPlan: "the plan artifact"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if len(out) > DefaultMaxMarkdown {
		t.Errorf("markdown is %d bytes", len(out))
	}
	if !strings.Contains(out, "; the full plan is the plan artifact") {
		t.Fatal("the details were not cut; the test needs a bigger plan")
	}
	cut := strings.Index(out, "### Details")
	for i, a := range attention {
		if at := strings.Index(out, a); at < 0 || at > cut || i > 0 && at < strings.Index(out, attention[i-1]) {
			t.Errorf("attention item %q is not named before the details, in its place", a)
		}
	}
	// Every repository of theirs is named before the cut too, in "Who gains
	// or loses what".
	for _, r := range repos {
		if at := strings.Index(out, r+"<br>"); (at < 0 || at > cut) && !strings.Contains(out[:cut], r+"</details>") {
			t.Errorf("%s is not named before the details", r)
		}
	}
	if strings.Contains(out, "in the details below") {
		t.Error("a note points at the details that were cut")
	}
	// mallory's 20 admin grants are one row of the per-person view.
	if !strings.Contains(out, "| `mallory` | <details><summary>gains admin on 20 repositories</summary>") {
		t.Error("the per-person view does not fold mallory's repeated grant")
	}

	// One person removed from 3000 repositories: one line naming her,
	// the repositories counted there and folded, at most 100, in her row.
	var many plan.Plan
	many.FormatVersion, many.Project = 1, "p"
	for i := 0; i < 3000; i++ {
		many.Changes = append(many.Changes, plan.Change{Address: plan.MemberAddress(fmt.Sprintf("org/r%04d", i), "eve"), Kind: plan.KindMember, Action: plan.Delete, Before: &plan.MemberValue{Role: state.RoleDeveloper}, Expired: []plan.ExpiredGrant{{Grant: "user eve"}}})
		many.Summary.Delete++
	}
	buf.Reset()
	Markdown(&buf, &many, Options{FullPlan: "the plan artifact"})
	out = buf.String()
	if !strings.Contains(out, "- ➖ **`eve`**: loses developer on 3000 repositories: `org/r0000`, `org/r0001`, `org/r0002` and 2997 more\n") ||
		!strings.Contains(out, "| `eve` | <details><summary>loses developer on 3000 repositories</summary>`org/r0000`<br>") || !strings.Contains(out, "<br>…and 2900 more</details>") {
		t.Errorf("one person on 3000 repositories:\n%.3000s", out)
	}
	if n := strings.Count(out, "**`eve`**"); n != 1 {
		t.Errorf("eve has %d lines in “Look at these first”", n)
	}

	// 3000 people: the first in full, the others named on one line.
	var crowd plan.Plan
	crowd.FormatVersion, crowd.Project = 1, "p"
	for i := 0; i < 3000; i++ {
		crowd.Changes = append(crowd.Changes, plan.Change{Address: plan.MemberAddress("org/r", fmt.Sprintf("u%04d", i)), Kind: plan.KindMember, Action: plan.Create, After: &plan.MemberValue{Role: state.RoleAdmin}})
		crowd.Summary.Create++
	}
	buf.Reset()
	Markdown(&buf, &crowd, Options{FullPlan: "the plan artifact"})
	out = buf.String()
	if len(out) > DefaultMaxMarkdown || !strings.Contains(out, "- 🔑 **`u0014`**: gains admin on `org/r`\n- _…and 2985 more:_ `u0015`, `u0016`") || !strings.Contains(out, "`u2999`.\n") {
		t.Errorf("3000 people (%d bytes):\n%.3000s", len(out), out)
	}
}

// A scoped plan says what it covers and that the rest is a full plan's job,
// in both human formats; a plan of everything says nothing about scope.
func TestScopedPlanSaysWhatItCovers(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p"}
	render := func(f func(io.Writer, *plan.Plan, Options) error) string {
		var b bytes.Buffer
		if err := f(&b, p, Options{}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, f := range []func(io.Writer, *plan.Plan, Options) error{Text, Markdown} {
		if out := render(f); strings.Contains(out, "covers only") {
			t.Errorf("a full plan mentions a scope:\n%s", out)
		}
	}
	p.Context.Scope = &plan.Scope{Repositories: []string{"pay/a", "pay/b/**", "c", "d", "e", "f", "g"}, GitAuths: true, ChangedSince: "abc123"}
	if got, want := render(Text), "Scope: this plan covers only what the spec's change since abc123 touches: repositories matching pay/a, pay/b/**, c, d, e, and 2 more; the Git authorizations. Drift elsewhere is for a full plan (the nightly job).\n"; !strings.Contains(got, want) {
		t.Errorf("text:\n%s\nwant the line\n%s", got, want)
	}
	if got, want := render(Markdown), "> 🎯 **Scoped:** this plan covers only what the spec's change since `abc123` touches: repositories matching `pay/a`, `pay/b/**`, `c`, `d`, `e`, and 2 more; the Git authorizations."; !strings.Contains(got, want) {
		t.Errorf("markdown:\n%s\nwant\n%s", got, want)
	}
	p.Context.Scope = &plan.Scope{Repositories: []string{}, Groups: []string{"pay"}}
	if got := render(Text); !strings.Contains(got, "covers only the targets given: groups matching pay.") {
		t.Errorf("targets:\n%s", got)
	}
	p.Context.Scope = &plan.Scope{Repositories: []string{}, Groups: []string{}, ChangedSince: "HEAD~1"}
	if got := render(Text); !strings.Contains(got, "touches: nothing (the spec's change touches no object).") {
		t.Errorf("empty scope:\n%s", got)
	}
}

func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"a\nb", "a b"},
		{"a\r\nb", "a b"},
		{"a\rb\n\nc", "a b  c"},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A plan of spec files with uncommitted changes says so at the top.
func TestUncommittedSpecIsMarked(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Project: "p", Context: plan.Context{Root: "git", Commit: "abc", Dirty: true}}
	var txt, md bytes.Buffer
	Text(&txt, p, Options{})
	Markdown(&md, p, Options{})
	if !strings.Contains(txt.String(), "\nUncommitted: planned from spec files with uncommitted changes\n") ||
		!strings.Contains(md.String(), "> ⚠️ **Uncommitted:** this plan was made from spec files with uncommitted changes") {
		t.Errorf("text:\n%s\nmarkdown:\n%s", txt.String(), md.String())
	}
	p.Context.Dirty = false
	md.Reset()
	Markdown(&md, p, Options{})
	if strings.Contains(md.String(), "Uncommitted") {
		t.Errorf("a committed spec is marked:\n%s", md.String())
	}
}

// TestPruneDriftSaysWhatStays: with --prune, a live entry apply leaves as
// it is (a grant in a repository the spec does not list) is not said to be
// undone, in either view.
func TestPruneDriftSaysWhatStays(t *testing.T) {
	p := &plan.Plan{Project: "p", Prune: true, Summary: plan.Summary{Unlisted: 1},
		Extras: []plan.Extra{{Address: addr("repository[pay/shadow]"), Kind: plan.KindRepository, Detail: "repository not listed in the spec",
			Grants: []plan.Grant{{Kind: plan.KindMember, Name: "mallory", Role: "admin"}}}}}
	for _, f := range []Format{FormatText, FormatMarkdown} {
		var buf bytes.Buffer
		if err := Render(&buf, p, f, Options{}); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); strings.Contains(out, "undoes them") || !strings.Contains(out, "stay") {
			t.Errorf("%s: the drift of a pruning plan reads as undone, though apply leaves it:\n%s", f, out)
		}
	}
}
