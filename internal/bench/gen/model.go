package main

import (
	"path"
	"sort"
)

// The minimum number of calls of each phase, derived from the world and
// from the rules reposync documents:
//
//   - The walk lists the project, then each level of groups; a scoped plan
//     lists only the groups on the way to what it plans (issue 16).
//   - Each repository in scope is read for the lists the spec manages for it
//     and nothing else: members (v4 ListMembers and the legacy
//     ListRepoMembers), push rules; member groups never here (issue 16,
//     item 3). The lookups are read only when needed: users for members
//     and push rules, the integer member-group ids and the roles for push
//     rules.
//   - Every list ends by the client's end-of-list rule (pager below).
//   - A plan with changes asks once who reposync runs as (the guard of its
//     own admin role): ShowPermanentAccessKey under AK/SK.
//   - Apply writes once per repository and operation (one AddRepoMembers
//     for all new members, one BatchUpdate for all changed rules, one call
//     per role change and per new rule), then re-reads every repository it
//     wrote — the same lists, and the lookups again — to confirm the writes
//     took effect.

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
// before it has ended (the walk level by level, then the reads, then the
// writes, then the confirming reads).
type stage struct {
	Name  string         `json:"name"`
	Calls map[string]int `json:"calls"`
	// Chain is the longest run of calls in the stage that wait for one
	// another: the pages of one list.
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
			ph.Stages = readStages(p, w, sc, ds, all, users, false)
			ph.Targets = targets{ExactCalls: true, FloorRatio: 1.10}
			if sc.membersOnly {
				ph.Targets.Zero = []string{"ListRepositoryFilePushPermissions", "ListRepositoryUserGroups"}
			}
		case "apply":
			ph.Stages = readStages(p, w, sc, ds, all, users, false)
			ws := p.stage("writes")
			for op, n := range wr {
				ws.call(op, n)
				ph.Writes = append(ph.Writes, op)
			}
			sort.Strings(ph.Writes)
			ph.Stages = append(ph.Stages, ws.s)
			var written scopeOf
			for r := range w.repos {
				if ds[r].written {
					written.repos = append(written.repos, r)
				}
			}
			ph.Stages = append(ph.Stages, readStages(p, w, sc, ds, written, users, true)...)
			ph.Targets = targets{ExactCalls: true, FloorRatio: 1.15}
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
			ph.Stages = readStages(p, w, sc, ds, sel, users, false)
			if len(sel.repos) == 1 {
				ph.Targets = targets{MaxCalls: 20, MaxWall: 3}
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
// in scope: the walk (all of it, or only the groups on the way), the lists
// and lookups, and — unless these are apply's confirming reads, which
// neither walk again nor ask who runs — the caller's identity.
func readStages(p *pager, w *world, sc scenario, ds []desired, in scopeOf, users int, confirm bool) []stage {
	var out []stage
	const tree = "ListGroupSubgroupsAndRepositories"
	if !confirm {
		s0 := p.stage("walk: the project")
		s0.list("ListProjectSubgroupsAndRepositories", 1, false)
		s1 := p.stage("walk: org")
		s1.list(tree, w.groups, false)
		s2 := p.stage("walk: team groups")
		size := map[string]int{}
		for _, rp := range w.repos {
			size[rp.team]++
		}
		for _, t := range in.teams {
			s2.list(tree, size[t], false)
		}
		out = append(out, s0.s, s1.s, s2.s)
	}
	name := "reads"
	if confirm {
		name = "confirming reads"
	}
	rd := p.stage(name)
	// The repositories in path order, the order the client reads them in
	// (it matters to the end-of-list rule: see pager).
	idx := append([]int(nil), in.repos...)
	sort.Slice(idx, func(i, j int) bool { return w.repos[idx[i]].path < w.repos[idx[j]].path })
	for _, r := range idx {
		live := len(w.repos[r].members) + 1 // and the creator
		rules := 1
		if confirm {
			// After apply, the lists hold what the spec says.
			live, rules = len(ds[r].members)+1, 1
			if ds[r].locked {
				rules = 2
			}
		}
		rd.list("ListMembers", live, true)
		rd.list("ListRepoMembers", live, true)
		if !sc.membersOnly {
			rd.list("ListRepositoryFilePushPermissions", rules, false)
		}
	}
	if len(idx) > 0 {
		rd.list("ListProductPermissionResourcesGrantedUsers", users, false)
		if !sc.membersOnly {
			rd.list("ListProjectProtectedRefsUserGroups", 1, true)
			rd.list("ShowProjectMemberSetting", 1, false)
		}
	}
	out = append(out, rd.s)
	if !confirm {
		// Every scenario's plan has changes.
		c := p.stage("who runs reposync")
		c.call("ShowPermanentAccessKey", 1)
		out = append(out, c.s)
	}
	return out
}
