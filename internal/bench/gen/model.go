package main

import (
	"path"
	"sort"
)

// The minimum number of calls of each phase, derived from the world and
// from the rules reposync documents:
//
//   - The walk lists the project, then each group as soon as its parent's
//     listing came back, and each repository's lists are read as soon as
//     its group's listing came back (issue 21); a scoped plan lists only
//     the groups on the way to what it plans (issue 16). So the team
//     listings and the reads are one stage, after the project and org.
//   - Each repository in scope is read for the lists the spec manages for it
//     and nothing else: members (v4 ListMembers and the legacy
//     ListRepoMembers), push rules; member groups never here (issue 16,
//     item 3). The lookups are read only when needed: users for members
//     and push rules, the integer member-group ids and the roles for push
//     rules; they are asked for as the walk starts, in the budgets of
//     their operations, which the walk leaves idle (issue 30).
//   - Every list ends by the client's end-of-list rule (pager below).
//   - A plan asks once who reposync runs as (the guard of its own admin
//     role): ShowPermanentAccessKey under AK/SK, sent as the walk starts,
//     in that operation's idle budget: a call, not a stage of the floor.
//   - Apply writes once per repository and operation (one AddRepoMembers
//     for all new members, one BatchUpdate for all changed rules, one call
//     per role change and per new rule), and reads back each repository it
//     wrote as soon as its writes are done, while others are written: only
//     the lists its changes touched (members: both member lists; push
//     rules: the rule list), and no lookup (issue 21). These confirming
//     reads use the read budget the writes leave idle, so the writes'
//     stage floor counts the writes alone: the floor of issue 21.

// expected is expected.json.
type expected struct {
	Scenario string            `json:"scenario"`
	N        int               `json:"n"`
	Phases   map[string]*phase `json:"phases"`
}

// phase is one run of reposync: its stages, in order, and its targets.
type phase struct {
	Stages []stage `json:"stages"`
	// Empty are the pages, counted in Stages, that return nothing: asked
	// only to prove that a list has ended.
	Empty   map[string]int `json:"empty_pages"`
	Writes  []string       `json:"writes,omitempty"`
	Targets targets        `json:"targets"`
}

// stage is a set of calls that can run at once; a stage starts when the one
// before it has ended (the project, the org, the team groups with the
// reads, the writes with the confirming reads).
type stage struct {
	Name  string         `json:"name"`
	Calls map[string]int `json:"calls"`
	// Idle are calls the stage also makes, in the budget of operations
	// its Calls leave idle (who runs reposync during the walk, apply's
	// confirming reads during the writes): they count among the calls, not
	// in the floor.
	Idle map[string]int `json:"idle,omitempty"`
	// Chain is the longest run of calls in the stage that wait for one
	// another: the pages of one list, or a listing then a list of a
	// repository it found.
	Chain int `json:"chain"`
}

// targets are what the report checks (issue 16, "Measured in make bench").
type targets struct {
	// ExactCalls: every operation's calls equal the minimum.
	ExactCalls bool `json:"exact_calls,omitempty"`
	// CallsWithin: all calls at most (1 + CallsWithin) × the minimum.
	CallsWithin float64 `json:"calls_within,omitempty"`
	// MaxCalls: at most this many calls in all.
	MaxCalls int `json:"max_calls,omitempty"`
	// Zero: operations that must not be called at all.
	Zero []string `json:"zero,omitempty"`
	// FloorRatio: wall time at most this multiple of the floor.
	FloorRatio float64 `json:"floor_ratio,omitempty"`
	// MaxWall: wall time at most this many seconds.
	MaxWall float64 `json:"max_wall_s,omitempty"`
}

// pager restates the client's end-of-list rule (docs/api-assumptions.md
// A16) for a server without page caps: pages of up to 100 items; a full page
// always asks for the next; a short page ends the list when X-Total proves
// it, or when it holds fewer than 10 items (no silent cap below 10 is
// assumed), or fewer than the largest page the operation has returned in
// this process; otherwise the next page (empty here) confirms the end. A
// list of 10 or more items, as long as the longest list of its operation so
// far, thus costs one empty page more. largest persists across lists, as
// the client's does within one run.
type pager struct {
	largest map[string]int
	empty   map[string]int
}

func newPager() *pager { return &pager{largest: map[string]int{}, empty: map[string]int{}} }

// list returns the calls listing n items of op takes.
func (p *pager) list(op string, n int, total bool) int {
	calls := 0
	for offset := 0; ; {
		k := min(perPage, n-offset)
		calls++
		p.largest[op] = max(p.largest[op], k)
		if k == 0 {
			p.empty[op]++
			return calls
		}
		offset += k
		switch {
		case k >= perPage:
		case total && offset == n:
			return calls
		case k < minPageCap || k < p.largest[op]:
			return calls
		}
	}
}

// minPageCap is the smallest silent page cap the client allows for.
const minPageCap = 10

// stageBuilder adds up one stage.
type stageBuilder struct {
	p *pager
	s stage
}

func (p *pager) stage(name string) *stageBuilder {
	return &stageBuilder{p: p, s: stage{Name: name, Calls: map[string]int{}}}
}

func (b *stageBuilder) list(op string, n int, total bool) {
	c := b.p.list(op, n, total)
	b.s.Calls[op] += c
	b.s.Chain = max(b.s.Chain, c)
}

func (b *stageBuilder) call(op string, n int) {
	if n > 0 {
		b.s.Calls[op] += n
		b.s.Chain = max(b.s.Chain, 1)
	}
}

// scopeOf is what a phase plans: the repositories (by index) and the team
// groups the walk lists.
type scopeOf struct {
	repos []int
	teams []string
}

func expect(w *world, sc scenario, ds []desired, wr writes) *expected {
	exp := &expected{N: w.n, Phases: map[string]*phase{}}
	all := scopeOf{}
	for r := range w.repos {
		all.repos = append(all.repos, r)
	}
	for g := 0; g < w.groups; g++ {
		all.teams = append(all.teams, w.repos[g].team)
	}
	users := len(w.users())
	for _, name := range sc.phases {
		p := newPager() // every phase is a new process
		ph := &phase{}
		switch name {
		case "plan":
			ph.Stages = readStages(p, w, sc, ds, all, users)
			ph.Targets = targets{ExactCalls: true, FloorRatio: 1.10}
			if sc.membersOnly {
				// The push rules and member groups of the territory alone
				// are read, without the lookup a change of them needs.
				ph.Targets.Zero = []string{"ListProjectProtectedRefsUserGroups"}
			}
		case "apply":
			ph.Stages = readStages(p, w, sc, ds, all, users)
			ws := p.stage("writes, with the confirming reads")
			for op, n := range wr {
				ws.call(op, n)
				ph.Writes = append(ph.Writes, op)
			}
			sort.Strings(ph.Writes)
			confirmReads(p, w, sc, ds, &ws.s)
			ph.Stages = append(ph.Stages, ws.s)
			ph.Targets = targets{ExactCalls: true, FloorRatio: 1.10}
		case "scoped":
			var sel scopeOf
			seen := map[string]bool{}
			for r := range w.repos {
				if !sc.touched(w, r) {
					continue
				}
				sel.repos = append(sel.repos, r)
				if t := w.repos[r].team; !seen[t] {
					seen[t] = true
					sel.teams = append(sel.teams, t)
				}
			}
			ph.Stages = readStages(p, w, sc, ds, sel, users)
			if len(sel.repos) == 1 {
				ph.Targets = targets{MaxCalls: 20, MaxWall: 1.5}
			} else {
				ph.Targets = targets{CallsWithin: 0.10, FloorRatio: 1.2}
			}
		}
		ph.Empty = p.empty
		exp.Phases[name] = ph
	}
	return exp
}

func matchPolicy(repoPath string) bool {
	ok, _ := path.Match(path.Dir(policyPattern), path.Dir(repoPath))
	return ok
}

// readStages are the stages of reading what sc manages of the repositories
// in scope: the project (and, meanwhile, the caller's identity), the org
// (the walk, all of it or only the groups on the way), then the team
// listings with the lists and lookups they lead to.
func readStages(p *pager, w *world, sc scenario, ds []desired, in scopeOf, users int) []stage {
	const tree = "ListGroupSubgroupsAndRepositories"
	s0 := p.stage("walk: the project")
	s0.list("ListProjectSubgroupsAndRepositories", 1, false)
	s0.s.Idle = map[string]int{"ShowPermanentAccessKey": 1}
	s1 := p.stage("walk: org")
	s1.list(tree, w.groups, false)
	rd := p.stage("walk: team groups, and reads")
	size := map[string]int{}
	for _, rp := range append(append([]repo(nil), w.repos...), w.console...) {
		size[rp.team]++
	}
	for _, t := range in.teams {
		rd.list(tree, size[t], false)
	}
	// The repositories in path order (it matters to the end-of-list rule,
	// see pager, only for lists without X-Total of 10 or more items, which
	// the repositories' lists here never are).
	idx := append([]int(nil), in.repos...)
	sort.Slice(idx, func(i, j int) bool { return w.repos[idx[i]].path < w.repos[idx[j]].path })
	for _, r := range idx {
		live := len(w.repos[r].members) + 1 // and the creator
		rd.list("ListMembers", live, true)
		rd.list("ListRepoMembers", live, true)
		if !sc.membersOnly {
			rd.list("ListRepositoryFilePushPermissions", 1, false)
		}
	}
	// The territory, in a full plan whose policy reaches it (scenario
	// members): each repository the spec does not list is read whole, to
	// show its grants: its member and its creator, no member group, one
	// push rule.
	if sc.membersOnly && len(in.repos) == len(w.repos) {
		for _, r := range w.console {
			rd.list("ListMembers", len(r.members)+1, true)
			rd.list("ListRepoMembers", len(r.members)+1, true)
			rd.list("ListRepositoryUserGroups", 0, true)
			rd.list("ListRepositoryFilePushPermissions", 1, false)
		}
	}
	if len(idx) > 0 {
		// Asked as the walk starts, in budgets it leaves idle, and done
		// before it (three pages of users against six of the org).
		lookup := func(op string, n int, total bool) { s0.s.Idle[op] += p.list(op, n, total) }
		lookup("ListProductPermissionResourcesGrantedUsers", users, false)
		lookup("ShowProjectMemberSetting", 1, false) // the roles CodeArts syncs, for the members
		if !sc.membersOnly {
			lookup("ListProjectProtectedRefsUserGroups", 1, true)
		}
		rd.s.Chain = max(rd.s.Chain, 2) // a team listing, then a list of a repository it found
	}
	return []stage{s0.s, s1.s, rd.s}
}

// confirmReads adds to the writes' stage apply's confirming reads: each
// repository written, once its writes are done, for the lists its changes
// touched, which then hold what the spec says; no lookup.
func confirmReads(p *pager, w *world, sc scenario, ds []desired, ws *stage) {
	ws.Idle = map[string]int{}
	idx := make([]int, 0, len(w.repos))
	for r := range w.repos {
		idx = append(idx, r)
	}
	sort.Slice(idx, func(i, j int) bool { return w.repos[idx[i]].path < w.repos[idx[j]].path })
	chain := func(op string, n int, total bool) {
		c := p.list(op, n, total)
		ws.Idle[op] += c
		ws.Chain = max(ws.Chain, 1+c) // after the repository's last write
	}
	for _, r := range idx {
		d := ds[r]
		if d.membersWritten {
			chain("ListMembers", len(d.members)+1, true)
			chain("ListRepoMembers", len(d.members)+1, true)
		}
		if d.rulesWritten {
			rules := 1
			if d.locked {
				rules = 2
			}
			chain("ListRepositoryFilePushPermissions", rules, false)
		}
	}
}
