// Package apply executes a plan: it groups the plan's changes into the fewest
// API writes (steps), orders them as a DAG (parent group before child, a
// group before what lives in it, deletions in reverse), runs them with
// bounded workers and reports one result per change, talking to the world
// only through the Mutator interface it declares. It imports plan and state.
package apply

import (
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Step is one API write covering one or more changes of the plan: a
// repository's new members in one AddRepoMembers call, its updated push
// rules in one batch update, its deleted ones in one (docs/performance.md).
type Step struct {
	ID      int
	Op      plan.Op
	Changes []plan.Change
	// Deps are the IDs of steps that must succeed before this one runs.
	Deps []int
}

// BuildSteps groups the executable changes of p into steps and wires their
// dependencies. Manual changes are not steps: nothing can execute them.
func BuildSteps(p *plan.Plan) []*Step {
	var steps []*Step
	add := func(op plan.Op, cs ...plan.Change) *Step {
		s := &Step{ID: len(steps), Op: op, Changes: cs}
		steps = append(steps, s)
		return s
	}
	type batchKey struct {
		op    plan.Op
		owner plan.Address
	}
	batched := map[batchKey]*Step{}
	created, deleted := map[string]*Step{}, map[string]*Step{} // the steps creating or deleting a group, by path
	for _, c := range p.Changes {
		op := plan.OpFor(c)
		switch {
		case op == "":
		case op.Batched():
			k := batchKey{op, c.Address.Owner()}
			if s, ok := batched[k]; ok {
				s.Changes = append(s.Changes, c)
				continue
			}
			batched[k] = add(op, c)
		case op == plan.OpCreateGroup:
			created[c.Target.Group] = add(op, c)
		case op == plan.OpDeleteGroup:
			deleted[c.Target.Group] = add(op, c)
		default:
			add(op, c)
		}
	}
	// Dependencies: a created group before its created children and before
	// member groups attached to it; a deleted group after its deleted
	// children. Steps are visited in ID order, so every Deps comes out sorted.
	for _, s := range steps {
		g := s.Changes[0].Target.Group
		switch s.Op {
		case plan.OpCreateGroup:
			if parent, ok := created[state.ParentPath(g)]; ok {
				s.Deps = append(s.Deps, parent.ID)
			}
		case plan.OpAttachGroupMemberGroup:
			if group, ok := created[g]; ok {
				s.Deps = append(s.Deps, group.ID)
			}
		case plan.OpDeleteGroup:
			if parent, ok := deleted[state.ParentPath(g)]; ok {
				parent.Deps = append(parent.Deps, s.ID)
			}
		}
	}
	return steps
}
