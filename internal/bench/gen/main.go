// Command gen writes the world of `make bench` — a simulator fixture of N
// repositories, a spec (a base commit and, for the scoped scenarios, an
// edit), and the minimum number of API calls per operation that each phase
// needs, with the stages the floor is computed from — and, as `gen report`,
// prints a phase's table and checks its targets. It imports no other
// internal package: the numbers are derived from the generated world and
// the rules reposync documents (docs/spec.md, docs/api-assumptions.md), not
// from reposync's code.
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
		failed, err := report(os.Args[2:])
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(2)
		}
		if failed {
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 1000, "repositories")
	out := flag.String("out", ".", "directory for fixture.yaml, spec/, edit/ and expected.json")
	flag.IntVar(&membersPerRepo, "members", membersPerRepo, "direct members of each repository besides its creator (3 to 90)")
	scenario := flag.String("scenario", "full", "full, members, changed-one, changed-policy or walk-start (see scenarios)")
	flag.Parse()
	if *n < 1000 || *n > 100_000 {
		// Below 1 000 repositories a team's listing (20 repositories) is no
		// longer shorter than the org's (N/20 groups), and the paging model
		// below would need the order in which the listings finish.
		fmt.Fprintln(os.Stderr, "gen: -n must be between 1000 and 100000")
		os.Exit(2)
	}
	if membersPerRepo < 3 || membersPerRepo > 90 {
		// The scoped edit changes the second member; the generated member
		// lists stay on one page.
		fmt.Fprintln(os.Stderr, "gen: -members must be between 3 and 90")
		os.Exit(2)
	}
	sc, ok := scenarios[*scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "gen: unknown scenario %q\n", *scenario)
		os.Exit(2)
	}
	if err := write(newWorld(*n), *scenario, sc, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

const (
	project    = "0b234373cf3f4b04ab2d8a245155e12b"
	iamProject = "5109940fad834a4eb3e408182d3b5786"
	poolUsers  = 200 // user000..user199, the members of repositories
	perPage    = 100 // the client's page size
	// caller is the user the AK/SK act as and, with the simulator's
	// default member_sync, the creator of every repository: a member
	// CodeArts manages, which the spec never names.
	caller = "ci-bot"
	// auditor is the user the policies of the scenarios add.
	auditor = "audit-bot"
)

var roles = []string{"viewer", "developer", "admin"}

// membersPerRepo is the direct members of every repository besides its
// creator: by default a dozen, as a real team's repositories have (issue 21
// measured apply on such a world); -members sets it (the figures before
// 2026-12 were measured with 4).
var membersPerRepo = 12

// scenario is one bench run's spec and targets.
type scenario struct {
	// drift: the spec changes a realistic fraction of the repositories
	// (else it matches the live state).
	drift bool
	// membersOnly: the spec manages only members (no push rules), and a
	// policy adds the auditor everywhere.
	membersOnly bool
	// edit: the scoped scenarios' second commit; touched: the repositories
	// it touches.
	edit    func(w *world, s *specFiles)
	touched func(w *world, r int) bool
	// phases are what the bench runs, in order: plan, apply, scoped.
	phases []string
}

// The scenarios; docs/performance.md says what each measures.
var scenarios = map[string]scenario{
	// a) full plan and apply of a spec that changes a fraction.
	"full": {drift: true, phases: []string{"plan", "apply"}},
	// b) a spec that manages only members, with a policy that sets only
	// members: no push-rule or member-group list is read.
	"members": {drift: true, membersOnly: true, phases: []string{"plan"}},
	// c) one repository's members change.
	"changed-one": {edit: editOne, touched: func(w *world, r int) bool { return r == oneRepo(w) }, phases: []string{"scoped"}},
	// d) a new policy reaches the 200 repositories of ten teams.
	"changed-policy": {edit: editPolicy, touched: func(w *world, r int) bool { return matchPolicy(w.repos[r].path) }, phases: []string{"scoped"}},
	// e) the start of a full plan: how soon the first repository is read
	// (the bench script times it; no phase runs to its end).
	"walk-start": {drift: true},
}

// world is the live state the fixture holds.
type world struct {
	n, groups int
	repos     []repo
	// console are repositories made in the console, which the spec does
	// not list: the territory of scenario members, whose policy reaches
	// them; in the others no policy, listed group or scope does.
	console []repo
}

type repo struct {
	path, team string
	members    []member // live, in a fixed order
	ruleUser   string   // the one user of the live push rule /config/*
}

type member struct{ user, role string }

func newWorld(n int) *world {
	w := &world{n: n, groups: max(1, n/20)}
	for r := 0; r < n; r++ {
		team := fmt.Sprintf("org/team%03d", r%w.groups)
		rp := repo{path: fmt.Sprintf("%s/repo%05d", team, r), team: team, ruleUser: fmt.Sprintf("user%03d", r%poolUsers)}
		for k := 0; k < membersPerRepo; k++ {
			rp.members = append(rp.members, member{fmt.Sprintf("user%03d", (r*3+k)%poolUsers), roles[k%3]})
		}
		w.repos = append(w.repos, rp)
	}
	// One in 250, in teams 020 and up: not where the scoped scenarios'
	// edits reach (teams 010–019, and changed-one's repository).
	for k := range n / 250 {
		team := fmt.Sprintf("org/team%03d", 20+k*(w.groups-20)/(n/250))
		owner := fmt.Sprintf("user%03d", poolUsers-1-k%poolUsers)
		w.console = append(w.console, repo{path: fmt.Sprintf("%s/console%03d", team, k), team: team, ruleUser: owner, members: []member{{owner, "admin"}}})
	}
	return w
}

// users lists every user of the project: the caller, the auditor, the pool.
func (w *world) users() []string {
	out := []string{caller, auditor}
	for u := 0; u < poolUsers; u++ {
		out = append(out, fmt.Sprintf("user%03d", u))
	}
	return out
}

func (w *world) fixture() string {
	var fx strings.Builder
	fmt.Fprintf(&fx, "project_id: %s\niam_project_id: %s\ncredentials: {access_key: SIMAK00000000000000000, secret_key: SIMSKsecret000000000000000000000000000, user: %s}\nusers:\n", project, iamProject, caller)
	for _, u := range w.users() {
		fmt.Fprintf(&fx, "  - {name: %s}\n", u)
	}
	fx.WriteString("member_groups:\n  - {name: leads, members: [user000, user001]}\nroles:\n  - {name: project-manager}\ngroups:\n  - {path: org}\n")
	for g := 0; g < w.groups; g++ {
		fmt.Fprintf(&fx, "  - {path: org/team%03d}\n", g)
	}
	fx.WriteString("repositories:\n")
	for _, r := range w.repos {
		fmt.Fprintf(&fx, "  - path: %s\n    members: {%s}\n    push_rules: [{path: /config/*, users: [%s], member_groups: [leads]}]\n", r.path, pairs(r.members), r.ruleUser)
	}
	for _, r := range w.console {
		fmt.Fprintf(&fx, "  - path: %s\n    members: {%s}\n    push_rules: [{path: /deploy/**, users: [%s]}]\n", r.path, pairs(r.members), r.ruleUser)
	}
	return fx.String()
}

// desired is one repository's entry in the spec.
type desired struct {
	members   []member
	ruleUsers []string
	locked    bool // a second rule, /deploy/** with nobody allowed
	// Applying the spec writes to this repository's members, push rules.
	membersWritten, rulesWritten bool
}

// writes counts the API writes an apply of the spec makes.
type writes map[string]int

// spec is the spec of the scenario for every repository, with the writes
// applying it makes.
func (w *world) spec(sc scenario) ([]desired, writes) {
	out := make([]desired, len(w.repos))
	wr := writes{}
	for r, rp := range w.repos {
		d := desired{members: append([]member(nil), rp.members...), ruleUsers: []string{rp.ruleUser}}
		write := func(op string) {
			wr[op]++
			if op == "BatchUpdateRepositoryFilePushPermissions" || op == "CreateFilePushPermission" {
				d.rulesWritten = true
			} else {
				d.membersWritten = true
			}
		}
		if sc.drift && r%10 == 0 { // a tenth of the repositories change one role
			d.members[0].role = otherRole(d.members[0].role)
			write("SetRepoRole")
		}
		added := false
		if sc.drift && r%20 == 0 { // a twentieth gain a member
			if u := fmt.Sprintf("user%03d", (r*7+100)%poolUsers); !has(d.members, u) {
				d.members = append(d.members, member{u, "viewer"})
				added = true
			}
		}
		if sc.membersOnly || added {
			// All of a repository's new members in one call (the auditor's
			// policy adds one everywhere in scenario members).
			write("AddRepoMembers")
		}
		if !sc.membersOnly {
			if sc.drift && r%10 == 5 { // a tenth widen their push rule
				d.ruleUsers = append(d.ruleUsers, fmt.Sprintf("user%03d", (r+1)%poolUsers))
				write("BatchUpdateRepositoryFilePushPermissions")
			}
			if sc.drift && r%25 == 0 { // a twenty-fifth gain a locked path
				d.locked = true
				write("CreateFilePushPermission")
			}
		}
		out[r] = d
	}
	return out, wr
}

func otherRole(role string) string {
	if role == "admin" {
		return "developer"
	}
	return "admin"
}

func has(ms []member, user string) bool {
	for _, m := range ms {
		if m.user == user {
			return true
		}
	}
	return false
}

// specFiles is a spec as files: reposync.yaml (version, project, policies)
// and one file per team group, teams/teamNNN.yaml, as an access-as-code
// repository would hold it.
type specFiles map[string]string

func (w *world) specFiles(sc scenario, ds []desired) specFiles {
	files := specFiles{}
	top := fmt.Sprintf("version: 1\nproject: %s\n", project)
	if sc.membersOnly {
		top += fmt.Sprintf("policies:\n  audit:\n    repositories: [\"org/**\"]\n    members: {%s: viewer}\n", auditor)
	}
	files["reposync.yaml"] = top
	byTeam := map[string]*strings.Builder{}
	for r, rp := range w.repos {
		b := byTeam[rp.team]
		if b == nil {
			b = &strings.Builder{}
			b.WriteString("version: 1\nrepositories:\n")
			byTeam[rp.team] = b
		}
		b.WriteString(repoEntry(rp, ds[r], sc.membersOnly))
	}
	for team, b := range byTeam {
		files[teamFile(team)] = b.String()
	}
	return files
}

func teamFile(team string) string { return "teams/" + strings.TrimPrefix(team, "org/") + ".yaml" }

func repoEntry(rp repo, d desired, membersOnly bool) string {
	s := fmt.Sprintf("  %s:\n    members: {%s}\n", rp.path, pairs(d.members))
	if membersOnly {
		return s
	}
	s += fmt.Sprintf("    push_rules:\n      /config/*: {users: [%s], member_groups: [leads]}\n", strings.Join(d.ruleUsers, ", "))
	if d.locked {
		s += "      /deploy/**: {}\n"
	}
	return s
}

// editOne is scenario changed-one's commit: one repository (in the middle
// of the tree) changes a member's role and gains a member.
func editOne(w *world, s *specFiles) {
	r := oneRepo(w)
	rp := w.repos[r]
	d := desired{members: append([]member(nil), rp.members...), ruleUsers: []string{rp.ruleUser}}
	d.members[1].role = otherRole(d.members[1].role)
	d.members = append(d.members, member{auditor, "viewer"})
	f := teamFile(rp.team)
	old := repoEntry(rp, desired{members: rp.members, ruleUsers: []string{rp.ruleUser}}, false)
	(*s)[f] = strings.Replace((*s)[f], old, repoEntry(rp, d, false), 1)
}

// oneRepo is the repository scenario changed-one edits.
func oneRepo(w *world) int { return w.n/2 + 7 }

// policyPattern selects teams 010–019: 200 repositories when teams hold 20.
const policyPattern = "org/team01?/**"

// editPolicy is scenario changed-policy's commit: a new policy adds the
// auditor to every repository of ten teams.
func editPolicy(w *world, s *specFiles) {
	(*s)["reposync.yaml"] += fmt.Sprintf("policies:\n  team01-audit:\n    repositories: [%q]\n    members: {%s: viewer}\n", policyPattern, auditor)
}

func pairs(ms []member) string {
	var p []string
	for _, m := range ms {
		p = append(p, m.user+": "+m.role)
	}
	return strings.Join(p, ", ")
}

// write writes fixture.yaml, spec/ (the spec, or the base commit of a
// scoped scenario), edit/ (the files its second commit changes) and
// expected.json.
func write(w *world, name string, sc scenario, dir string) error {
	ds, wr := w.spec(sc)
	base := w.specFiles(sc, ds)
	files := map[string]string{"fixture.yaml": w.fixture()}
	for name, text := range base {
		files[filepath.Join("spec", name)] = text
	}
	if sc.edit != nil {
		edited := specFiles{}
		for name, text := range base {
			edited[name] = text
		}
		sc.edit(w, &edited)
		for name, text := range edited {
			if text != base[name] {
				files[filepath.Join("edit", name)] = text
			}
		}
	}
	exp := expect(w, sc, ds, wr)
	exp.Scenario = name
	data, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return err
	}
	files["expected.json"] = string(data) + "\n"
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}
