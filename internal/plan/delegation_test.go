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

const delegatedBase = `version: 1
project: 0b234373cf3f4b04ab2d8a245155e12b
scopes:
  teams/payments.yaml: {repositories: ["payments/api/**"], max_role: developer, owners: ["@acme/payments"]}
`

const delegatedTeam = `version: 1
repositories:
  payments/api/ledger:
    members: {carol: developer, bob: viewer}
policies:
  readers:
    repositories: ["payments/api/l*"]
    members: {alice: viewer}
`

// loadFiles writes files (name -> YAML) into a directory and loads it.
func loadFiles(t *testing.T, files map[string]string) (string, *state.Desired) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, diags := spec.Load(dir)
	if d == nil {
		t.Fatalf("spec does not load: %v", diags)
	}
	return dir, d
}

func TestDiffNamesTheScopeOfEachChange(t *testing.T) {
	live := world()
	dir, d := loadFiles(t, map[string]string{"reposync.yaml": delegatedBase + "repositories:\n  payments/api/gateway:\n    members: {alice: admin, carol: viewer}\n", "teams/payments.yaml": delegatedTeam})
	eff, conflicts := spec.Expand(d, []string{"payments/api/gateway", "payments/api/ledger"})
	if len(conflicts) > 0 {
		t.Fatal(conflicts)
	}
	p, problems := plan.Diff(d, eff, live, plan.Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	team := filepath.Join(dir, "teams", "payments.yaml")
	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Address.String()+" scope="+strings.TrimPrefix(c.Scope, dir+string(filepath.Separator)))
		if c.Scope != "" && c.Scope != team {
			t.Errorf("%s: scope %q, want %q", c.Address, c.Scope, team)
		}
	}
	want := []string{
		"create repository[payments/api/gateway].member[carol] scope=",
		"create repository[payments/api/ledger].member[alice] scope=teams/payments.yaml",
		"create repository[payments/api/ledger].member[bob] scope=teams/payments.yaml",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("changes (-want +got):\n%s", d)
	}
	var buf bytes.Buffer
	if err := plan.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Decode(&buf); err != nil {
		t.Errorf("a plan with scopes does not decode: %v", err)
	}
}

// TestDiffCutsAScopedPolicy bypasses validate (which refuses such a
// pattern) to check the second line of defence: at plan time a policy of
// a scoped file selects nothing outside the scope, and the plan says what
// it left out.
func TestDiffCutsAScopedPolicy(t *testing.T) {
	live := world()
	live.Repositories["platform/infra/terraform"] = &state.LiveRepository{ID: 3000, UUID: "3f3c0e4a2b1d4c6e9f7a5b3c1d2e4f63", Path: "platform/infra/terraform", Details: true,
		Members: map[string]state.LiveMember{}, MemberGroups: []string{}, PushRules: map[string]state.LivePushRule{}}
	_, d := loadFiles(t, map[string]string{"reposync.yaml": delegatedBase, "teams/payments.yaml": delegatedTeam})
	wide, err := state.ParsePattern("platform/**")
	if err != nil {
		t.Fatal(err)
	}
	pol := d.Policies["readers"]
	pol.Patterns = append(pol.Patterns, wide)
	var paths []string
	for p := range live.Repositories {
		paths = append(paths, p)
	}
	eff, conflicts := spec.Expand(d, paths)
	if len(conflicts) > 0 {
		t.Fatal(conflicts)
	}
	if e := eff["platform/infra/terraform"]; e != nil {
		t.Errorf("the policy reached platform/infra/terraform outside its file's scope: %+v", e)
	}
	p, problems := plan.Diff(d, eff, live, plan.Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	for _, c := range p.Changes {
		if strings.HasPrefix(c.Address.Name, "platform/") {
			t.Errorf("change outside the scope: %s %s", c.Action, c.Address)
		}
	}
	found := false
	for _, w := range p.Warnings {
		if strings.HasPrefix(w, "policy readers (") && strings.HasSuffix(w, "matches 1 live repository outside the scope of its file, left out: platform/infra/terraform") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning about the cut policy; warnings: %q", p.Warnings)
	}
}

func TestDecodeRefusesAScopeThatIsNotTheSourceFile(t *testing.T) {
	live := world()
	_, d := loadFiles(t, map[string]string{"reposync.yaml": delegatedBase, "teams/payments.yaml": delegatedTeam})
	eff, _ := spec.Expand(d, []string{"payments/api/ledger"})
	p, _ := plan.Diff(d, eff, live, plan.Options{})
	if len(p.Changes) == 0 {
		t.Fatal("no changes")
	}
	p.Changes[0].Scope = "teams/platform.yaml"
	var buf bytes.Buffer
	if err := plan.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	_, err := plan.Decode(&buf)
	if err == nil || !strings.Contains(err.Error(), `scope "teams/platform.yaml" is not the file of its source`) {
		t.Errorf("Decode = %v, want the scope refused", err)
	}
}

// TestDiffLeavesGroupsOutsideScopedGroupListsAlone: when only scoped files
// list groups, a live group the spec does not list is drift only inside
// their scopes; an unscoped `groups:` section manages them all.
func TestDiffLeavesGroupsOutsideScopedGroupListsAlone(t *testing.T) {
	live := world()
	live.Groups["platform"] = &state.LiveGroup{ID: 300, Path: "platform", Visibility: "private", MemberGroups: []string{}}
	live.Groups["payments/old"] = &state.LiveGroup{ID: 301, Path: "payments/old", ParentID: 100, Visibility: "private", MemberGroups: []string{}}
	team := `version: 1
groups:
  payments: {}
  payments/api: {}
`
	base := "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\nscopes:\n  teams/payments.yaml: {repositories: [\"payments/**\"]}\n"
	for _, tc := range []struct {
		name string
		base string
		want []string
	}{
		{"scoped files only", base, []string{"delete group[payments/old]"}},
		{"an unscoped groups section", base + "groups: {}\n", []string{"delete group[payments/old]", "delete group[platform]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, d := loadFiles(t, map[string]string{"reposync.yaml": tc.base, "teams/payments.yaml": team})
			p, problems := plan.Diff(d, nil, live, plan.Options{Prune: true, AllowDeleteGroups: true})
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if diff := cmp.Diff(tc.want, brief(p)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckRefusesTakingAwayAboveMaxRole: a scoped file may not demote or
// remove a live grant above its scope's max_role — by an update, with
// --prune, or as an expired grant — nor ask for the detachment of a live
// member group (whose role is set in CodeArts: it counts as admin). The
// refusal names the member, the repository, the live role and the scope.
// An unscoped file, a scope that allows the role, and inherited access are
// not refused.
func TestCheckRefusesTakingAwayAboveMaxRole(t *testing.T) {
	const team = "teams/payments.yaml"
	for _, tc := range []struct {
		name, maxRole, body string
		want                []string
	}{
		{"demotes an admin", "viewer", "payments/api/gateway:\n    members: {alice: viewer}",
			[]string{"repository[payments/api/gateway].member[alice] (live admin → viewer; " + team + ", max_role viewer)"}},
		{"prunes a developer", "viewer", "payments/api/ledger:\n    members: {}",
			[]string{"repository[payments/api/ledger].member[carol] (live developer → removed; " + team + ", max_role viewer)"}},
		{"prunes what it could grant", "developer", "payments/api/ledger:\n    members: {}", nil},
		{"ends an admin's grant", "developer", "payments/api/gateway:\n    members: {alice: {role: developer, expires: 2020-01-01}}",
			[]string{"repository[payments/api/gateway].member[alice] (live admin → removed; " + team + ", max_role developer)"}},
		{"detaches a member group", "developer", "payments/api/gateway:\n    member_groups: []",
			[]string{"repository[payments/api/gateway].member_group[payments-leads] (live admin → removed; " + team + ", max_role developer)"}},
		{"a scope that allows admin", "admin", "payments/api/gateway:\n    members: {alice: developer}", nil},
		{"an unscoped file", "", "payments/api/gateway:\n    members: {alice: developer}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := delegatedBase[:strings.Index(delegatedBase, "scopes:")]
			if tc.maxRole != "" {
				base += "scopes:\n  " + team + ": {repositories: [\"payments/api/**\"], max_role: " + tc.maxRole + "}\n"
			}
			dir, d := loadFiles(t, map[string]string{"reposync.yaml": base, team: "version: 1\nrepositories:\n  " + tc.body + "\n"})
			eff, _ := spec.Expand(d, []string{"payments/api/gateway", "payments/api/ledger"})
			p, problems := plan.Diff(d, eff, world(), plan.Options{Prune: true, Today: "2026-06-01"})
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			var got []string
			for _, r := range plan.Check(p, world(), plan.Guardrails{MaxDeletes: -1, Prune: true}) {
				if r.Rule == plan.RuleMaxRole {
					for _, a := range r.Addresses {
						got = append(got, strings.ReplaceAll(a, dir+string(filepath.Separator), ""))
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("max_role refusal (-want +got):\n%s\nchanges: %v", diff, brief(p))
			}
		})
	}
}
