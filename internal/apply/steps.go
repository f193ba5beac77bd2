// Package apply executes a plan: it groups the plan's changes into the fewest
// API writes (steps), orders them as a DAG (parent group before child, a
// group before what lives in it, deletions in reverse), runs them with
// bounded workers, checks guardrails before the first write, and reports one
// result per change. It talks to the world only through the Mutator
// interface it declares, and imports only plan and state.
package apply

import (
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/plan"
)

// Op is one kind of API write, named after the API operation. It is a
// plain string so that implementations of Mutator (package remote) need not
// import this package.
type Op = string

// The writes a plan can need, one API call each (REFERENCE.md §§4–11).
const (
	OpCreateGroup            Op = "CreateGroup"
	OpDeleteGroup            Op = "DeleteGroup"
	OpAttachGroupMemberGroup Op = "AssociateGroupUserGroup"
	OpAttachMemberGroup      Op = "AssociateRepositoryUserGroup"
	OpAddMembers             Op = "AddRepoMembers"
	OpSetRole                Op = "SetRepoRole"
	OpDeleteMember           Op = "DeleteRepoMember"
	OpCreatePushRule         Op = "CreateFilePushPermission"
	OpUpdatePushRules        Op = "BatchUpdateRepositoryFilePushPermissions"
	OpDeletePushRules        Op = "BatchDeleteRepositoryFilePushPermissions"
	OpCreateGitAuth          Op = "CreatePasswordAuth"
	OpDeleteGitAuth          Op = "DeleteAuthorize"
	OpReplaceGitAuth         Op = "ReplacePasswordAuth" // DeleteAuthorize then CreatePasswordAuth
)

// Step is one API write covering one or more changes of the plan: all new
// members of a repository go in one AddRepoMembers call, all updated push
// rules of a repository in one batch update, all deleted ones in one batch
// delete (DESIGN.md, "Performance model").
type Step struct {
	ID      int
	Op      Op
	Changes []plan.Change
	// Deps are the IDs of steps that must succeed before this one runs.
	Deps []int
}

// Key names what a step acts on, for messages: a group, repository or
// authorization path.
func (s *Step) Key() string {
	if len(s.Changes) == 0 {
		return ""
	}
	return plan.ParseAddress(s.Changes[0].Address).Name
}

// BuildSteps groups the executable changes of p into steps and wires their
// dependencies. Manual changes are not steps: nothing can execute them.
func BuildSteps(p *plan.Plan) []*Step {
	var steps []*Step
	add := func(op Op, cs ...plan.Change) *Step {
		s := &Step{ID: len(steps), Op: op, Changes: cs}
		steps = append(steps, s)
		return s
	}
	batched := map[string]*Step{} // op + repository -> step
	batch := func(op Op, repo string, c plan.Change) {
		key := string(op) + "\x00" + repo
		if s, ok := batched[key]; ok {
			s.Changes = append(s.Changes, c)
			return
		}
		batched[key] = add(op, c)
	}
	for _, c := range p.Changes {
		owner := plan.ParseAddress(c.Address).Name
		switch {
		case c.Action == plan.Manual:
		case c.Kind == plan.KindGroup && c.Action == plan.Create:
			add(OpCreateGroup, c)
		case c.Kind == plan.KindGroup && c.Action == plan.Delete:
			add(OpDeleteGroup, c)
		case c.Kind == plan.KindGroupMemberGroup && c.Action == plan.Create:
			add(OpAttachGroupMemberGroup, c)
		case c.Kind == plan.KindMemberGroup && c.Action == plan.Create:
			add(OpAttachMemberGroup, c)
		case c.Kind == plan.KindMember && c.Action == plan.Create:
			batch(OpAddMembers, owner, c)
		case c.Kind == plan.KindMember && c.Action == plan.Update:
			add(OpSetRole, c)
		case c.Kind == plan.KindMember && c.Action == plan.Delete:
			add(OpDeleteMember, c)
		case c.Kind == plan.KindPushRule && c.Action == plan.Create:
			add(OpCreatePushRule, c) // the API has no batch create
		case c.Kind == plan.KindPushRule && c.Action == plan.Update:
			batch(OpUpdatePushRules, owner, c)
		case c.Kind == plan.KindPushRule && c.Action == plan.Delete:
			batch(OpDeletePushRules, owner, c)
		case c.Kind == plan.KindGitAuth && c.Action == plan.Create:
			add(OpCreateGitAuth, c)
		case c.Kind == plan.KindGitAuth && c.Action == plan.Delete:
			add(OpDeleteGitAuth, c)
		case c.Kind == plan.KindGitAuth && c.Action == plan.Replace:
			add(OpReplaceGitAuth, c)
		}
	}
	// Dependencies: a created group before its created children and before
	// member groups attached to it; a deleted group after its deleted
	// children.
	created := map[string]int{}
	deleted := map[string]int{}
	for _, s := range steps {
		switch s.Op {
		case OpCreateGroup:
			created[s.Changes[0].Target.Group] = s.ID
		case OpDeleteGroup:
			deleted[s.Changes[0].Target.Group] = s.ID
		}
	}
	for _, s := range steps {
		switch s.Op {
		case OpCreateGroup:
			if id, ok := created[parentOf(s.Changes[0].Target.Group)]; ok {
				s.Deps = append(s.Deps, id)
			}
		case OpAttachGroupMemberGroup:
			if id, ok := created[s.Changes[0].Target.Group]; ok {
				s.Deps = append(s.Deps, id)
			}
		case OpDeleteGroup:
			path := s.Changes[0].Target.Group
			for child, id := range deleted {
				if strings.HasPrefix(child, path+"/") && parentOf(child) == path {
					s.Deps = append(s.Deps, id)
				}
			}
			sort.Ints(s.Deps)
		}
	}
	return steps
}

func parentOf(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return ""
}
