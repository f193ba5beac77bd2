package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/sim"
)

// The territory (issue 29): a repository made in the console, inside a
// group the spec manages, is what the nightly plan exists to catch.

// shadowRepo is a repository someone made in the console under the managed
// group payments: an admin grant, a member group and a push rule, none of
// them reviewed.
const shadowRepo = `  - path: payments/shadow-prod
    members: {nina: admin}
    member_groups: [auditors]
    push_rules: [{path: /secrets/*, users: [nina]}]
`

// territoryWorld is the e2e project with shadowRepo, converged with the
// e2e spec (--prune), so the territory is all the nightly plan can find.
func territoryWorld(t *testing.T) *world {
	t.Helper()
	data, err := os.ReadFile(e2eFixture)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "git_auths:\n", shadowRepo+"git_auths:\n", 1)
	fx, err := sim.ParseFixture([]byte(text), "territory.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, url := serveSim(t, fx, sim.Options{})
	w := newWorld(t, "aksk", sim.Options{})
	w.sim, w.env["REPOSYNC_ENDPOINT"] = s, url
	if code, _, errOut := w.run("apply", "--yes", "--prune", e2eSpec); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	return w
}

func TestNightlyPlanFlagsAConsoleMadeRepository(t *testing.T) {
	w := territoryWorld(t)
	wantGrants := []plan.Grant{
		{Kind: plan.KindMember, Name: "nina", Role: "admin"},
		{Kind: plan.KindMemberGroup, Name: "auditors"},
		{Kind: plan.KindPushRule, Name: "/secrets/*", Rule: &plan.PushRuleValue{Users: []string{"nina"}, MemberGroups: []string{}, Roles: []string{}}},
	}
	for _, prune := range []string{"--prune=false", "--prune"} {
		code, out, errOut := w.run("plan", "--detailed-exitcode", "--format", "json", prune, e2eSpec)
		if code != ExitChanges {
			t.Fatalf("%s: exit %d, want 2 (drift)\n%s%s", prune, code, out, errOut)
		}
		p, err := plan.Decode(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Changes) != 0 || p.Summary.Unlisted != 1 || len(p.Extras) != 1 {
			t.Fatalf("%s: changes %v, summary %+v, extras %+v; want the one unlisted repository and no change (reposync never deletes one)", prune, briefJSON(p.Changes), p.Summary, p.Extras)
		}
		e := p.Extras[0]
		if e.Address.String() != "repository[payments/shadow-prod]" || e.Kind != plan.KindRepository {
			t.Errorf("%s: extra %+v", prune, e)
		}
		if diff := cmp.Diff(wantGrants, e.Grants); diff != "" {
			t.Errorf("%s: grants (-want +got):\n%s", prune, diff)
		}
		// payments/unmanaged is declared out of scope by the e2e spec.
		if p.Summary.Unmanaged != 1 {
			t.Errorf("%s: summary.unmanaged = %d, want 1", prune, p.Summary.Unmanaged)
		}
	}
	// Each grant reads as its grantee's, the worst first, and the
	// repository says how to take it in.
	code, text, _ := w.run("plan", "--detailed-exitcode", e2eSpec)
	for _, want := range []string{
		"Changed outside the spec (not in the spec; --prune removes what the API can):\n" +
			"  ? nina: admin on payments/shadow-prod — in a repository the spec does not list\n" +
			"  ? member group auditors: attached to payments/shadow-prod — in a repository the spec does not list\n" +
			"  ? push rule /secrets/*: {users: [nina]} on payments/shadow-prod — in a repository the spec does not list\n" +
			"  ? repository payments/shadow-prod: not listed — add it to the spec (reposync export --target payments/shadow-prod prints its entry) or to settings.unmanaged\n",
		"Plan: 0 to create, 0 to update, 0 to delete, 0 manual, 1 not in the spec, 1 out of scope.",
	} {
		if code != ExitChanges || !strings.Contains(text, want) {
			t.Errorf("text: exit %d, lacks %q:\n%s", code, want, text)
		}
	}
	code, md, _ := w.run("plan", "--detailed-exitcode", "--format", "markdown", e2eSpec)
	for _, want := range []string{
		"| ❔ | not in the spec | 1 |\n",
		"- 🔑 **`nina`**: admin on `payments/shadow-prod` — in a repository the spec does not list\n" +
			"- 👥 **member group `auditors`**: attached to `payments/shadow-prod` — in a repository the spec does not list\n" +
			"- ❔ **push rule `/secrets/*`**: {users: \\[nina\\]} on `payments/shadow-prod` — in a repository the spec does not list\n" +
			"- ❔ **repository `payments/shadow-prod`**: not listed — add it to the spec (reposync export --target payments/shadow-prod prints its entry) or to settings.unmanaged\n",
	} {
		if code != ExitChanges || !strings.Contains(md, "### ❔ Changed outside the spec\n") || !strings.Contains(md, want) {
			t.Errorf("markdown: exit %d, lacks %q:\n%s", code, want, md)
		}
	}
}

// A plan scoped by --target or --changed-since reads no more than it did:
// the territory is the nightly (full) plan's.
func TestScopedPlansLeaveTheTerritoryToTheFullPlan(t *testing.T) {
	w := territoryWorld(t)
	before := w.sim.Stats().Calls["ListMembers"]
	code, out, errOut := w.run("plan", "--detailed-exitcode", "--target", "payments/**", e2eSpec)
	if code != 0 || strings.Contains(out, "shadow-prod") {
		t.Errorf("--target payments/**: exit %d, want 0 without the territory\n%s%s", code, out, errOut)
	}
	// gateway and ledger, not shadow-prod.
	if got := w.sim.Stats().Calls["ListMembers"] - before; got != 2 {
		t.Errorf("--target read the members of %d repositories, want 2", got)
	}
}

// settings.unmanaged declares the repository out of scope: the nightly plan
// is clean, does not read it, and counts it.
func TestUnmanagedSilencesTheTerritory(t *testing.T) {
	w := territoryWorld(t)
	data, err := os.ReadFile(filepath.Join(e2eSpec, "reposync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := strings.Replace(string(data), "unmanaged: [payments/unmanaged]", `unmanaged: ["payments/unmanaged", "payments/shadow-*"]`, 1)
	if err := os.WriteFile(filepath.Join(dir, "reposync.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	before := w.sim.Stats().Calls
	code, out, errOut := w.run("plan", "--detailed-exitcode", "--summary", "--format", "json", dir)
	var doc struct{ Summary plan.Summary }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || doc.Summary != (plan.Summary{Unmanaged: 2}) {
		t.Fatalf("exit %d, want 0 and 2 out of scope (%v)\n%s%s", code, err, out, errOut)
	}
	after := w.sim.Stats().Calls
	// The lists the spec manages of gateway and ledger, and nothing of
	// shadow-prod or unmanaged.
	for op, want := range map[string]int{"ListMembers": 2, "ListRepoMembers": 2, "ListRepositoryUserGroups": 1, "ListRepositoryFilePushPermissions": 1} {
		if got := after[op] - before[op]; got != want {
			t.Errorf("%s called %d times, want %d", op, got, want)
		}
	}
}

// export --target prints the entry of the flagged repository ready to
// paste (here saved as a file of its own next to the spec): the nightly
// plan is then clean, and the export read nothing but that repository, the
// groups on its way and the member setting. A target that matches nothing is an error with a
// near miss.
func TestExportTargetAdoptsTheTerritory(t *testing.T) {
	w := territoryWorld(t)
	before := w.sim.Stats().Calls
	code, entry, errOut := w.run("export", "--project", demoProject, "--target", "payments/shadow-prod")
	if code != 0 {
		t.Fatalf("export --target: exit %d\n%s", code, errOut)
	}
	calls := w.sim.Stats().Calls
	for op, want := range map[string]int{"ListProjectSubgroupsAndRepositories": 1, "ListGroupSubgroupsAndRepositories": 1, "ListMembers": 1,
		"ListRepoMembers": 1, "ListRepositoryUserGroups": 1, "ListRepositoryFilePushPermissions": 1, "ListProductPermissionResourcesGrantedUsers": 0,
		"ShowProjectMemberSetting": 1, "ListAuthorizations": 0} { // the member setting tells the synced members, left out
		if got := calls[op] - before[op]; got != want {
			t.Errorf("%s called %d times, want %d", op, got, want)
		}
	}
	for _, want := range []string{"repositories:\n  payments/shadow-prod:\n    members: {nina: admin}\n    member_groups: [auditors]\n    push_rules:\n      /secrets/*: {users: [nina]}\n",
		"#   alice (the repository creator): payments/shadow-prod\n"} {
		if !strings.Contains(entry, want) {
			t.Errorf("the entry lacks %q:\n%s", want, entry)
		}
	}
	if strings.Contains(entry, "project:") || strings.Contains(entry, "git_auths") || strings.Contains(entry, "\ngroups:") {
		t.Errorf("an entry to paste carries more than the target:\n%s", entry)
	}
	dir := t.TempDir()
	for name, src := range map[string]string{"reposync.yaml": filepath.Join(e2eSpec, "reposync.yaml"), "adopted.yaml": ""} {
		data := []byte(entry)
		if src != "" {
			var err error
			if data, err = os.ReadFile(src); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errOut := w.run("plan", "--detailed-exitcode", dir); code != 0 {
		t.Errorf("the plan with the adopted entry: exit %d, want 0\n%s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", "payments/shadow-prd"}, "--target payments/shadow-prd matches no repository or group of project " + demoProject + " — did you mean `payments/shadow-prod`?"},
		{[]string{"--target", "payments/**", "--out", dir}, "--target prints entries to paste into a spec; it cannot be combined with --out, --split or --pin-ids"},
	} {
		code, _, errOut := w.run(append([]string{"export", "--project", demoProject}, tc.args...)...)
		if code != ExitError || !strings.Contains(errOut, tc.want) {
			t.Errorf("export %v: exit %d, want 1 and %q\n%s", tc.args, code, tc.want, errOut)
		}
	}
}
