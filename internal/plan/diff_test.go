package plan_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// world is a small live project: two users in a member group, one repository
// with a direct admin, an inherited developer and one push rule.
func world() *state.Live {
	alice := state.LiveUser{Name: "alice", ID: 9124, IAMID: "87b3dc2019f04ee788cb635eb26154ca"}
	bob := state.LiveUser{Name: "bob", ID: 9125, IAMID: "9d0c6a1e2b3f4a5c8d7e6f5a4b3c2d1e"}
	carol := state.LiveUser{Name: "carol", ID: 9126, IAMID: "a1b2c3d4e5f60718293a4b5c6d7e8f90"}
	leads := state.LiveMemberGroup{Name: "payments-leads", ID: "2bde30f6f7834db7af487450a9d155c5", TeamID: 247}
	pm := state.LiveRole{Name: "project-manager", ID: "6115a3ddd9044e288c558d1ae827a732"}
	return &state.Live{
		Project: "0b234373cf3f4b04ab2d8a245155e12b",
		Groups: map[string]*state.LiveGroup{
			"payments":     {ID: 100, Path: "payments", Visibility: "private", Description: "Payments", MemberGroups: []string{"payments-leads"}},
			"payments/api": {ID: 101, Path: "payments/api", ParentID: 100, Visibility: "private", MemberGroups: []string{}},
		},
		Repositories: map[string]*state.LiveRepository{
			"payments/api/gateway": {ID: 2000, UUID: "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60", Path: "payments/api/gateway", GroupID: 101, Details: true,
				Members: map[string]state.LiveMember{
					"alice": {User: alice, Role: state.RoleAdmin},
					"bob":   {User: bob, Role: state.RoleDeveloper, Inherited: true, Via: "member group payments-leads"},
				},
				MemberGroups: []string{"payments-leads"},
				PushRules: map[string]state.LivePushRule{
					"/config/*": {ID: 5, Path: "/config/*", Users: []state.LiveUser{alice}, MemberGroups: []state.LiveMemberGroup{leads}, Roles: []state.LiveRole{pm}},
				}},
			"payments/api/ledger": {ID: 2001, UUID: "1f3c0e4a2b1d4c6e9f7a5b3c1d2e4f61", Path: "payments/api/ledger", GroupID: 101, Details: true,
				Members: map[string]state.LiveMember{"carol": {User: carol, Role: state.RoleDeveloper}}, MemberGroups: []string{}, PushRules: map[string]state.LivePushRule{}},
		},
		Users:        map[string]state.LiveUser{"alice": alice, "bob": bob, "carol": carol},
		MemberGroups: map[string]state.LiveMemberGroup{"payments-leads": leads},
		Roles:        map[string]state.LiveRole{"project-manager": pm},
		GitAuths:     map[string]*state.LiveGitAuth{"bitbucket-ci": {Name: "bitbucket-ci", RepoType: "bitbucket", User: "bucket-ljn"}},
		Fingerprints: map[string]string{"repository[payments/api/gateway]": "sha256:aa"},
	}
}

const unchanged = `version: 1
project: 0b234373cf3f4b04ab2d8a245155e12b
groups:
  payments: {visibility: private, description: Payments, member_groups: [payments-leads]}
  payments/api: {visibility: private}
repositories:
  payments/api/gateway:
    members: {alice: admin}
    member_groups: [payments-leads]
    push_rules:
      /config/*: {roles: [project-manager], member_groups: [payments-leads], users: [alice]}
  payments/api/ledger:
    members: {carol: developer}
git_auths:
  bitbucket-ci: {repo_type: bitbucket, user: bucket-ljn, password_env: BB_PASSWORD}
`

func load(t *testing.T, yaml string, live *state.Live) (*state.Desired, map[string]*state.EffectiveRepository) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "spec.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	d, diags := spec.Load(dir)
	if d == nil {
		t.Fatalf("spec does not load: %v", diags)
	}
	var paths []string
	for p := range live.Repositories {
		paths = append(paths, p)
	}
	eff, conflicts := spec.Expand(d, paths)
	if len(conflicts) > 0 {
		t.Fatalf("conflicts: %v", conflicts)
	}
	return d, eff
}

func diff(t *testing.T, yaml string, live *state.Live, opts plan.Options) (*plan.Plan, []plan.Problem) {
	t.Helper()
	d, eff := load(t, yaml, live)
	return plan.Diff(d, eff, live, opts)
}

// brief renders each change as "action address" for compact comparisons.
func brief(p *plan.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, string(c.Action)+" "+c.Address.String())
	}
	return out
}

func TestUnchangedWorldHasNoChanges(t *testing.T) {
	for _, prune := range []bool{false, true} {
		p, problems := diff(t, unchanged, world(), plan.Options{Prune: prune})
		if len(problems) > 0 {
			t.Fatalf("problems: %v", problems)
		}
		if len(p.Changes) != 0 || p.Summary.Total() != 0 {
			t.Errorf("prune=%v: want no changes, got %v", prune, brief(p))
		}
		if len(p.Extras) != 0 {
			t.Errorf("prune=%v: want no extras, got %+v", prune, p.Extras)
		}
	}
}

func TestMembers(t *testing.T) {
	spec := strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: developer, carol: viewer}", 1)
	spec = strings.Replace(spec, "members: {carol: developer}", "members: {}", 1)
	t.Run("without prune extras are reported, not deleted", func(t *testing.T) {
		p, problems := diff(t, spec, world(), plan.Options{})
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		want := []string{
			"update repository[payments/api/gateway].member[alice]",
			"create repository[payments/api/gateway].member[carol]",
		}
		if diff := cmp.Diff(want, brief(p)); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		if len(p.Extras) != 1 || p.Extras[0].Address != plan.MemberAddress("payments/api/ledger", "carol") {
			t.Errorf("extras = %+v", p.Extras)
		}
		up := p.Changes[0]
		if up.Before.(*plan.MemberValue).Role != state.RoleAdmin || up.After.(*plan.MemberValue).Role != state.RoleDeveloper {
			t.Errorf("update values = %+v -> %+v", up.Before, up.After)
		}
		if up.Target.RepositoryUUID != "8f3c0e4a2b1d4c6e9f7a5b3c1d2e4f60" || up.Target.UserIAMID != "87b3dc2019f04ee788cb635eb26154ca" {
			t.Errorf("target = %+v", up.Target)
		}
		if !strings.HasSuffix(up.Source, "spec.yaml:8") {
			t.Errorf("source = %q", up.Source)
		}
	})
	t.Run("prune deletes direct members only", func(t *testing.T) {
		p, _ := diff(t, spec, world(), plan.Options{Prune: true})
		want := []string{
			"update repository[payments/api/gateway].member[alice]",
			"create repository[payments/api/gateway].member[carol]",
			"delete repository[payments/api/ledger].member[carol]",
		}
		if diff := cmp.Diff(want, brief(p)); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		for _, c := range p.Changes {
			if c.Address.Entry == plan.EntryMember && c.Address.Key == "bob" {
				t.Errorf("inherited member bob must never be planned: %+v", c)
			}
		}
	})
}

func TestRenamedPinnedUserIsAWarningNotDrift(t *testing.T) {
	live := world()
	alice := live.Users["alice"]
	alice.Name = "alice.w"
	delete(live.Users, "alice")
	live.Users["alice.w"] = alice
	gw := live.Repositories["payments/api/gateway"]
	m := gw.Members["alice"]
	m.User = alice
	delete(gw.Members, "alice")
	gw.Members["alice.w"] = m
	pinned := strings.Replace(unchanged, "groups:", "users:\n  alice: {id: 9124}\ngroups:", 1)
	p, problems := diff(t, pinned, live, plan.Options{Prune: true})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if len(p.Changes) != 0 {
		t.Errorf("a rename must not change anything, got %v", brief(p))
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "`alice` (pinned id 9124") || !strings.Contains(p.Warnings[0], "`alice.w`") {
		t.Errorf("warnings = %q", p.Warnings)
	}
}

func TestUnresolvableNamesAreProblemsNeverRemovals(t *testing.T) {
	spec := strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: admin, alcie: viewer}", 1)
	spec = strings.Replace(spec, "users: [alice]", "users: [alice, zed]", 1)
	p, problems := diff(t, spec, world(), plan.Options{Prune: true})
	var msgs []string
	for _, pr := range problems {
		msgs = append(msgs, pr.String())
	}
	if len(problems) != 2 {
		t.Fatalf("want 2 problems, got %q", msgs)
	}
	if !strings.Contains(msgs[0], "spec.yaml:8:") || !strings.Contains(msgs[0], "unknown user `alcie`") || !strings.Contains(msgs[0], "did you mean `alice`?") {
		t.Errorf("problem 0 = %q", msgs[0])
	}
	if !strings.Contains(msgs[1], "unknown user `zed`") {
		t.Errorf("problem 1 = %q", msgs[1])
	}
	for _, c := range p.Changes {
		if c.Action == plan.Delete {
			t.Errorf("an unresolved name must never cause a removal: %s", c.Address)
		}
	}
}

func TestPushRules(t *testing.T) {
	spec := strings.Replace(unchanged, "/config/*: {roles: [project-manager], member_groups: [payments-leads], users: [alice]}",
		"/config/*: {member_groups: [payments-leads]}\n      /deploy/**: {}", 1)
	p, problems := diff(t, spec, world(), plan.Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := []string{
		"update repository[payments/api/gateway].push_rule[/config/*]",
		"create repository[payments/api/gateway].push_rule[/deploy/**]",
	}
	if diff := cmp.Diff(want, brief(p)); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	up := p.Changes[0]
	if up.Target.PushRuleID != 5 || !cmp.Equal(up.Target.PushTeamIDs, []int64{247}) || len(up.Target.PushUserIDs) != 0 {
		t.Errorf("update target = %+v", up.Target)
	}
	if got := up.Before.(*plan.PushRuleValue).String(); got != "{users: [alice], member_groups: [payments-leads], roles: [project-manager]}" {
		t.Errorf("before = %s", got)
	}
	if got := p.Changes[1].After.(*plan.PushRuleValue).String(); got != "{}" {
		t.Errorf("empty rule = %s", got)
	}

	dropped := strings.Replace(unchanged, "    push_rules:\n      /config/*: {roles: [project-manager], member_groups: [payments-leads], users: [alice]}\n", "    push_rules: {}\n", 1)
	p, _ = diff(t, dropped, world(), plan.Options{Prune: true})
	if diff := cmp.Diff([]string{"delete repository[payments/api/gateway].push_rule[/config/*]"}, brief(p)); diff != "" {
		t.Errorf("prune (-want +got):\n%s", diff)
	}
	if p.Changes[0].Target.PushRuleID != 5 {
		t.Errorf("delete target = %+v", p.Changes[0].Target)
	}
}

func TestGroups(t *testing.T) {
	spec := strings.Replace(unchanged, "  payments/api: {visibility: private}\n",
		"  payments/api: {visibility: public, description: APIs}\n  payments/web: {member_groups: [payments-leads]}\n  payments/web/new: {}\n  orphan/child: {}\n", 1)
	p, problems := diff(t, spec, world(), plan.Options{})
	if len(problems) != 1 || !strings.Contains(problems[0].Message, "parent group `orphan` is neither listed") {
		t.Fatalf("problems = %v", problems)
	}
	want := []string{
		"manual group[payments/api]",
		"create group[payments/web]",
		"create group[payments/web].member_group[payments-leads]",
		"create group[payments/web/new]",
	}
	if diff := cmp.Diff(want, brief(p)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if !strings.Contains(p.Changes[0].Reason, "visibility or description") {
		t.Errorf("manual reason = %q", p.Changes[0].Reason)
	}
	web := p.Changes[1]
	if web.Target.ParentGroupID != 100 || web.After.(*plan.GroupValue).Visibility != "private" {
		t.Errorf("new group = %+v %+v", web.Target, web.After)
	}
}

func TestMemberGroupsCannotBeDetached(t *testing.T) {
	spec := strings.Replace(unchanged, "member_groups: [payments-leads]\n    push_rules", "member_groups: []\n    push_rules", 1)
	p, _ := diff(t, spec, world(), plan.Options{})
	if len(p.Changes) != 0 || len(p.Extras) != 1 {
		t.Errorf("without prune: changes %v extras %+v", brief(p), p.Extras)
	}
	p, _ = diff(t, spec, world(), plan.Options{Prune: true})
	if diff := cmp.Diff([]string{"manual repository[payments/api/gateway].member_group[payments-leads]"}, brief(p)); diff != "" {
		t.Errorf("with prune (-want +got):\n%s", diff)
	}
}

func TestGitAuths(t *testing.T) {
	spec := strings.Replace(unchanged, "user: bucket-ljn", "user: someone-else", 1) + "  github-ci: {repo_type: github, user: gh, password_env: GH_PASSWORD}\n"
	p, _ := diff(t, spec, world(), plan.Options{})
	want := []string{"manual git_auth[bitbucket-ci]", "create git_auth[github-ci]"}
	if diff := cmp.Diff(want, brief(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	p, _ = diff(t, unchanged, world(), plan.Options{RotateSecrets: true})
	if diff := cmp.Diff([]string{"replace git_auth[bitbucket-ci]"}, brief(p)); diff != "" {
		t.Errorf("rotate (-want +got):\n%s", diff)
	}
	none := strings.Replace(unchanged, "  bitbucket-ci: {repo_type: bitbucket, user: bucket-ljn, password_env: BB_PASSWORD}\n", "  {}\n", 1)
	none = strings.Replace(none, "git_auths:\n  {}\n", "git_auths: {}\n", 1)
	p, _ = diff(t, none, world(), plan.Options{Prune: true})
	if diff := cmp.Diff([]string{"delete git_auth[bitbucket-ci]"}, brief(p)); diff != "" {
		t.Errorf("prune (-want +got):\n%s", diff)
	}
	withoutSection := strings.Split(unchanged, "git_auths:")[0]
	p, _ = diff(t, withoutSection, world(), plan.Options{Prune: true})
	if len(p.Changes) != 0 {
		t.Errorf("a spec without git_auths does not manage them: %v", brief(p))
	}
}

func TestPolicyOnlyRepositoryNeverLosesAnyone(t *testing.T) {
	spec := `version: 1
policies:
  audit:
    repositories: ["payments/**"]
    members: {bob: admin, alice: admin, carol: viewer}
`
	p, problems := diff(t, spec, world(), plan.Options{Prune: true})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	want := []string{
		"create repository[payments/api/gateway].member[bob]",
		"create repository[payments/api/gateway].member[carol]",
		"create repository[payments/api/ledger].member[alice]",
		"create repository[payments/api/ledger].member[bob]",
	}
	// carol is a direct developer on the ledger: the viewer baseline is met,
	// so a policy never demotes her.
	if diff := cmp.Diff(want, brief(p)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if w := p.Changes[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "already has `developer` through member group payments-leads") {
		t.Errorf("inherited warning = %q", w)
	}
}

func TestDiffIsDeterministic(t *testing.T) {
	spec := strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: viewer, bob: admin, carol: developer}", 1)
	live := world()
	d, eff := load(t, spec, live)
	var first []byte
	for i := 0; i < 20; i++ {
		p, _ := plan.Diff(d, eff, live, plan.Options{Prune: true, ToolVersion: "test"})
		var buf bytes.Buffer
		if err := plan.Encode(&buf, p); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
			continue
		}
		if !bytes.Equal(first, buf.Bytes()) {
			t.Fatalf("run %d encoded differently:\n%s\nvs\n%s", i, first, buf.Bytes())
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	spec := strings.Replace(unchanged, "members: {alice: admin}", "members: {alice: viewer, carol: developer}", 1)
	spec = strings.Replace(spec, "user: bucket-ljn", "user: x", 1)
	p, _ := diff(t, spec, world(), plan.Options{Prune: true, ToolVersion: "test"})
	var buf bytes.Buffer
	if err := plan.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	got, err := plan.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := plan.Decode(strings.NewReader(`{"format_version": 2}`)); err == nil || !strings.Contains(err.Error(), "format_version 2 is not supported") {
		t.Errorf("version check: %v", err)
	}
	if _, err := plan.Decode(strings.NewReader(`{"hello": 1}`)); err == nil {
		t.Error("a document without format_version must be refused")
	}
}
