package render

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/golden"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// expiringPlan removes one expired membership and lists grants ending soon.
func expiringPlan(reason, policy string) *plan.Plan {
	expired := []plan.ExpiredGrant{{Grant: "user carol", Expires: "2026-11-30", Reason: "INC-42", Source: "teams/payments.yaml:14"}}
	return &plan.Plan{
		FormatVersion: plan.FormatVersion, ToolVersion: "test", Project: "0b234373cf3f4b04ab2d8a245155e12b",
		Context: plan.Context{SpecPaths: []string{"specs"}},
		Changes: []plan.Change{
			{Address: addr("repository[payments/api/gateway].member[carol]"), Kind: plan.KindMember, Action: plan.Delete,
				Before: &plan.MemberValue{Role: state.RoleViewer}, Source: "teams/payments.yaml:14", Warnings: []string{},
				Expired: expired, Reason: "user carol expired on 2026-11-30 (granted for: INC-42)",
				Target: plan.Target{Repository: "payments/api/gateway", RepositoryID: 2000, RepositoryUUID: "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60", User: "carol", UserIAMID: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}},
		},
		Expiring: []plan.Expiring{
			{Kind: plan.KindPushRule, Grant: "user bob", Expires: "2026-12-01", DaysLeft: 0, Source: "teams/payments.yaml:19",
				Addresses: []plan.Address{addr("repository[payments/api/gateway].push_rule[/config/*]")}},
			{Kind: plan.KindMember, Grant: "user security-bot", Role: state.RoleViewer, Expires: "2026-12-10", DaysLeft: 9, Reason: reason,
				Source: "policies.yaml:26", Policy: policy, Addresses: []plan.Address{
					addr("repository[payments/api/fraud].member[security-bot]"), addr("repository[payments/api/gateway].member[security-bot]"),
					addr("repository[payments/api/ledger].member[security-bot]"), addr("repository[payments/web/checkout].member[security-bot]"),
					addr("repository[payments/web/merchant-portal].member[security-bot]"), addr("repository[payments/web/x].member[security-bot]"),
				}},
		},
		Warnings: []string{},
		Live:     map[string]string{},
		Summary:  plan.Summary{Delete: 1},
	}
}

func TestExpiringGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, expiringPlan("AUDIT-7: the yearly audit", "audit"), f, Options{}); err != nil {
				t.Fatal(err)
			}
			ext := map[Format]string{FormatText: "txt", FormatMarkdown: "md", FormatJSON: "json"}[f]
			golden.Check(t, filepath.Join("testdata", "expiring", "plan."+ext), buf.Bytes())
		})
	}
}

// TestMarkdownEscapesHostileExpiring: a reason or a policy name is spec
// text like any other and is rendered inert.
func TestMarkdownEscapesHostileExpiring(t *testing.T) {
	hostile := "</td><script>alert(1)</script> | [click](https://evil.example) *x* `y`\n# heading"
	var buf bytes.Buffer
	if err := Markdown(&buf, expiringPlan(hostile, "p`<img src=x>"), Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>", "</td>", "[click](https://", "\n# heading"} {
		if strings.Contains(out, bad) {
			t.Errorf("Markdown contains %q:\n%s", bad, out)
		}
	}
	// Escaped, or inside a code span that no backtick in it can close.
	for _, inert := range []string{`\[click\](https://evil.example)`, "&lt;script&gt;", "policy `` p`<img src=x> ``"} {
		if !strings.Contains(out, inert) {
			t.Errorf("Markdown lacks %q:\n%s", inert, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "security-bot") && strings.HasPrefix(line, "|") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 6 {
			t.Errorf("the table row has the wrong number of cells: %s", line)
		}
	}
}
