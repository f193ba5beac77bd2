package plan_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

func TestDecodeRefusesEditedPlans(t *testing.T) {
	good := `{"format_version": 1, "project": "p", "summary": {"create": 0, "update": 1, "delete": 0, "replace": 0, "manual": 0, "unlisted": 0},
  "changes": [{"address": "repository[a/b].member[bob]", "kind": "member", "action": "update",
    "before": {"role": "viewer"}, "after": {"role": "admin"}, "source": "", "warnings": [],
    "target": {"repository": "a/b", "repository_uuid": "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60", "user": "bob", "user_iam_id": "87b3dc2019f04ee788cb635eb26154ca"}}]}`
	if _, err := plan.Decode(strings.NewReader(good)); err != nil {
		t.Fatalf("a plan reposync could make: %v", err)
	}
	tests := map[string]struct{ from, to, want string }{
		"after null":        {`"after": {"role": "admin"}`, `"after": null`, "an update needs before and after values"},
		"unknown kind":      {`"kind": "member"`, `"kind": "owner"`, `kind "owner" does not fit the address (want "member")`},
		"kind vs address":   {`"kind": "member"`, `"kind": "push_rule"`, `kind "push_rule" does not fit the address`},
		"unknown action":    {`"action": "update"`, `"action": "upsert"`, `unknown action "upsert"`},
		"bad address":       {`repository[a/b].member[bob]`, `repository[a/b].owner[bob]`, "invalid address"},
		"missing target id": {`"user_iam_id": "87b3dc2019f04ee788cb635eb26154ca"`, `"user_iam_id": ""`, "the target lacks user_iam_id"},
		"summary":           {`"update": 1`, `"update": 2`, "does not count the changes"},
		"impossible write":  {`"kind": "member", "action": "update"`, `"kind": "member", "action": "replace"`, "no API write can replace a member"},
		"bad role value":    {`"before": {"role": "viewer"}`, `"before": {"role": "viewer", "extra": 1}`, "unknown field"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			edited := strings.Replace(good, tt.from, tt.to, 1)
			if edited == good {
				t.Fatal("the edit did not apply")
			}
			_, err := plan.Decode(strings.NewReader(edited))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestChangesDiffer(t *testing.T) {
	mk := func(cs ...plan.Change) *plan.Plan { return &plan.Plan{Changes: cs} }
	bob := plan.Change{Address: plan.MemberAddress("r", "bob"), Kind: plan.KindMember, Action: plan.Update,
		Before: &plan.MemberValue{Role: state.RoleViewer}, After: &plan.MemberValue{Role: state.RoleAdmin}}
	bobDev := bob
	bobDev.After = &plan.MemberValue{Role: state.RoleDeveloper}
	carol := plan.Change{Address: plan.MemberAddress("r", "carol"), Kind: plan.KindMember, Action: plan.Create, After: &plan.MemberValue{Role: state.RoleViewer}}
	noted := bob
	noted.Warnings = []string{"a note"}
	if got := plan.ChangesDiffer(mk(bob, carol), mk(noted, carol)); len(got) != 0 {
		t.Errorf("warnings alone differ: %v", got)
	}
	got := plan.ChangesDiffer(mk(bob, carol), mk(bobDev))
	want := []string{
		"repository[r].member[bob]: planned differently now (update)",
		"repository[r].member[carol]: no longer planned (the reviewed plan would create it)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := plan.ChangesDiffer(mk(), mk(carol)); len(got) != 1 || !strings.Contains(got[0], "the reviewed plan did not create it") {
		t.Errorf("new change: %v", got)
	}
}

func TestChangesDigestSealsASavedPlan(t *testing.T) {
	p := &plan.Plan{FormatVersion: 1, Changes: []plan.Change{{Address: plan.GitAuthAddress("ci"), Kind: plan.KindGitAuth, Action: plan.Create,
		After: &plan.GitAuthValue{RepoType: "github", User: "u", PasswordEnv: "X"}, Target: plan.Target{GitAuth: "ci"}}}, Summary: plan.Summary{Create: 1}}
	p.ChangesDigest = plan.ChangesDigest(p)
	var buf strings.Builder
	if err := plan.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Decode(strings.NewReader(buf.String())); err != nil {
		t.Fatalf("a sealed plan: %v", err)
	}
	edited := strings.Replace(buf.String(), `"user": "u"`, `"user": "someone-else"`, 1)
	if _, err := plan.Decode(strings.NewReader(edited)); err == nil || !strings.Contains(err.Error(), "do not match its changes_digest") {
		t.Errorf("an edited value: %v", err)
	}
	noted := *p
	noted.Changes = []plan.Change{p.Changes[0]}
	noted.Changes[0].Warnings = []string{"a note"}
	if plan.ChangesDigest(&noted) != p.ChangesDigest {
		t.Error("warnings change the digest")
	}
}
