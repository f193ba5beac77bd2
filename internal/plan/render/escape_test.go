package render

import (
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/plan"
)

// A change names its scope and who owns it: "scoped" when that is the
// file its source names already, else the scope's file; its owners when
// the scope names any.
func TestScopeNote(t *testing.T) {
	o := Options{Owners: map[string][]string{"teams/web.yaml": {"@acme/web", "@acme/sec"}}}
	for _, tc := range []struct {
		source, scope, want string
	}{
		{"teams/pay.yaml:12", "", ""},
		{"teams/pay.yaml:12", "teams/pay.yaml", "scoped"},
		{"teams/pay.yaml.bak:3", "teams/pay.yaml", "scope teams/pay.yaml"},
		{"", "teams/pay.yaml", "scope teams/pay.yaml"},
		{"teams/web.yaml:4", "teams/web.yaml", "owned by @acme/web, @acme/sec"},
		{"teams/web.yaml.bak:4", "teams/web.yaml", "scope teams/web.yaml, owned by @acme/web, @acme/sec"},
	} {
		if got := o.scopeNote(plan.Change{Source: tc.source, Scope: tc.scope}, plainQuoting); got != tc.want {
			t.Errorf("source %q, scope %q: %q, want %q", tc.source, tc.scope, got, tc.want)
		}
	}
}

// TestViewsShowInvisibleCharactersEscaped: a value read from the live
// state with a character a reviewer cannot see for what it is — a
// right-to-left override in a push rule's path, a zero-width space in a
// member's name, a line break or an ANSI escape that would forge a line or
// a colour, a C1 control, a line separator — reaches the text and Markdown
// views escaped, never raw; a group description keeps its line breaks in
// the text view's diff. The plan itself is not changed: apply still needs
// the names as they are.
func TestViewsShowInvisibleCharactersEscaped(t *testing.T) {
	desc := "Payments\nteam\u2028"
	p := &plan.Plan{Project: "p", Live: map[string]string{"repository[r]": "sha256:0"}, Changes: []plan.Change{
		{Address: plan.PushRuleAddress("pay/api", "/config/\u202egpj.exe"), Kind: plan.KindPushRule, Action: plan.Delete,
			Before: &plan.PushRuleValue{Users: []string{"al\u200bice"}, MemberGroups: []string{}, Roles: []string{}}},
		{Address: plan.MemberAddress("pay/api", "bob\x1b[8m"), Kind: plan.KindMember, Action: plan.Delete,
			Before: &plan.MemberValue{Role: "admin"}},
		{Address: plan.GroupAddress("pay"), Kind: plan.KindGroup, Action: plan.Manual, Reason: "changed\u0085 in the console",
			Before: &plan.GroupValue{Visibility: "private", Description: &desc}, After: &plan.GroupValue{Visibility: "private", Description: new(string)}},
	}, Extras: []plan.Extra{{Address: plan.MemberAddress("pay/web", "eve\n  + repository[x].member[mallory]"), Kind: plan.KindMember, Detail: "direct member"}},
		Warnings: []string{"a warning about /x\u2066y"}}
	p.Summary = plan.Summary{Delete: 2, Manual: 1, Unlisted: 1}
	for _, f := range []Format{FormatText, FormatMarkdown} {
		var b strings.Builder
		if err := Render(&b, p, f, Options{}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, raw := range []string{"\u202e", "\u200b", "\x1b", "\u0085", "\u2028", "\u2066", "eve\n"} {
			if strings.Contains(out, raw) {
				t.Errorf("%s: %q reached the view raw:\n%s", f, raw, out)
			}
		}
		for _, shown := range []string{`/config/\u202egpj.exe`, `al\u200bice`, `bob\u001b[8m`, `changed\u0085`, `/x\u2066y`, `eve\n`} {
			if !strings.Contains(out, shown) && !strings.Contains(out, strings.ReplaceAll(shown, `\`, `\\`)) { // Markdown text escapes the backslash
				t.Errorf("%s: %s is not shown:\n%s", f, shown, out)
			}
		}
		if f == FormatText && !strings.Contains(out, "- Payments\n") {
			t.Errorf("text: the description's diff lost its line breaks:\n%s", out)
		}
	}
	if p.Changes[0].Address.Key != "/config/\u202egpj.exe" || *p.Changes[2].Before.(*plan.GroupValue).Description != desc {
		t.Errorf("rendering changed the plan: %+v", p.Changes)
	}
}
