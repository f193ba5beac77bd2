// Command gen writes the world of `make bench` — a simulator fixture of N
// repositories, a spec that changes a realistic fraction of it, and the
// minimum number of API calls per operation that planning and applying that
// spec need — and, as `gen report`, prints the bench table. It imports no other internal package (the numbers are derived
// from the generated world, not from reposync's code).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "report" {
		if err := report(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 1000, "repositories")
	out := flag.String("out", ".", "directory for fixture.yaml, spec/ and expected.json")
	flag.Parse()
	if *n < 10 || *n > 100_000 {
		fmt.Fprintln(os.Stderr, "gen: -n must be between 10 and 100000")
		os.Exit(2)
	}
	if err := write(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

const (
	project    = "0b234373cf3f4b04ab2d8a245155e12b"
	iamProject = "5109940fad834a4eb3e408182d3b5786"
	users      = 200
	perPage    = 100 // the client's page size
)

var roles = []string{"viewer", "developer", "admin"}

func write(n int, dir string) error {
	groups := max(1, n/20)
	var fx, spec strings.Builder
	fmt.Fprintf(&fx, "project_id: %s\niam_project_id: %s\ncredentials: {access_key: SIMAK00000000000000000, secret_key: SIMSKsecret000000000000000000000000000}\nusers:\n", project, iamProject)
	for u := 0; u < users; u++ {
		fmt.Fprintf(&fx, "  - {name: user%03d}\n", u)
	}
	fx.WriteString("member_groups:\n  - {name: leads, members: [user000, user001]}\nroles:\n  - {name: project-manager}\ngroups:\n  - {path: org}\n")
	for g := 0; g < groups; g++ {
		fmt.Fprintf(&fx, "  - {path: org/team%03d}\n", g)
	}
	fx.WriteString("repositories:\n")
	fmt.Fprintf(&spec, "version: 1\nproject: %s\nrepositories:\n", project)
	writes := map[string]int{}
	for r := 0; r < n; r++ {
		path := fmt.Sprintf("org/team%03d/repo%05d", r%groups, r)
		live := map[string]string{}
		var order []string
		for k := 0; k < 4; k++ {
			u := fmt.Sprintf("user%03d", (r*3+k)%users)
			live[u] = roles[k%3]
			order = append(order, u)
		}
		fmt.Fprintf(&fx, "  - path: %s\n    members: {%s}\n    push_rules: [{path: /config/*, users: [user%03d], member_groups: [leads]}]\n", path, pairs(order, live), r%users)
		want := map[string]string{}
		for k, v := range live {
			want[k] = v
		}
		wantOrder := append([]string(nil), order...)
		if r%10 == 0 { // a tenth of the repositories change one role
			u := order[0]
			if want[u] == "admin" {
				want[u] = "developer"
			} else {
				want[u] = "admin"
			}
			writes["SetRepoRole"]++
		}
		if r%20 == 0 { // a twentieth gain a member
			u := fmt.Sprintf("user%03d", (r*7+100)%users)
			if _, ok := want[u]; !ok {
				want[u] = "viewer"
				wantOrder = append(wantOrder, u)
				writes["AddRepoMembers"]++
			}
		}
		ruleUsers := fmt.Sprintf("user%03d", r%users)
		if r%10 == 5 { // a tenth widen their push rule
			ruleUsers += fmt.Sprintf(", user%03d", (r+1)%users)
			writes["BatchUpdateRepositoryFilePushPermissions"]++
		}
		fmt.Fprintf(&spec, "  %s:\n    members: {%s}\n    push_rules:\n      /config/*: {users: [%s], member_groups: [leads]}\n", path, pairs(wantOrder, want), ruleUsers)
		if r%25 == 0 { // a twenty-fifth gain a locked path
			spec.WriteString("      /deploy/**: {}\n")
			writes["CreateFilePushPermission"]++
		}
	}
	// The minimum reads: one list per managed repository for each of the
	// four per-repository operations; the tree walk (the project, org and
	// every team group); the lookups (users page by page, roles, team ids,
	// the member-group catalogue of one group).
	reads := map[string]int{
		"ListMembers": n, "ListRepoMembers": n, "ListRepositoryUserGroups": n, "ListRepositoryFilePushPermissions": n,
		// Lists without X-Total end on a short page: the org group's list of
		// `groups` children takes groups/perPage+1 calls, each team's one.
		"ListProjectSubgroupsAndRepositories": 1, "ListGroupSubgroupsAndRepositories": groups/perPage + 1 + groups,
		"ListProductPermissionResourcesGrantedUsers": users/perPage + 1, "ShowProjectMemberSetting": 1,
		"ListProjectProtectedRefsUserGroups": 1, "ListGroupUserGroups": 1, "ListGroupAddableUserGroups": 1,
	}
	if err := os.MkdirAll(filepath.Join(dir, "spec"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "fixture.yaml"), []byte(fx.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "spec", "spec.yaml"), []byte(spec.String()), 0o644); err != nil {
		return err
	}
	exp, _ := json.MarshalIndent(map[string]map[string]int{"reads": reads, "writes": writes}, "", "  ")
	return os.WriteFile(filepath.Join(dir, "expected.json"), exp, 0o644)
}

func pairs(order []string, m map[string]string) string {
	var p []string
	for _, u := range order {
		p = append(p, u+": "+m[u])
	}
	return strings.Join(p, ", ")
}
