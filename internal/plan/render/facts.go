package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Who gains or loses what. Every change of the plan, and every live entry
// the spec does not list, becomes facts about one subject — a person, a
// member group, or an object such as a push rule's path — on one
// repository or group. "Look at these first", "Who gains or loses what"
// and "Changed outside the spec" group them by subject, so a name is never
// reduced to a count: "mallory: admin on 333 repositories".

// quoting is how a view writes a name (a user, a path) and the words
// around it: code spans and escaped text in Markdown, as they are in text.
type quoting struct{ name, prose func(string) string }

var (
	plainQuoting = quoting{func(s string) string { return s }, func(s string) string { return s }}
	mdQuoting    = quoting{code, prose}
)

// fact is one thing that happens to (or, for drift, holds for) one
// subject on one repository or group.
type fact struct {
	rank   int    // its kind: attentionKinds or driftKinds; -1: nothing to look at first
	who    string // the subject, written
	key    string // the subject's sort key
	what   string // written: "loses admin", "may push `/config/*`"
	prep   string // between what and the targets: "on", "to", "from"
	on     string // the repository or group, as a path; "" for none
	groups bool   // on is a group
	note   string // written after the targets
	src    string // written; "" for none
	person bool   // a row of "Who gains or loses what"
	// undo is the action of a change that undoes drift, "" for an entry
	// left as it is.
	undo plan.Action
}

// The icons of the kinds of facts a reviewer looks at first, most
// dangerous first: removals, deletions, admin grants, loosened push rules,
// member-group attachments, replacements, manual steps.
var attentionKinds = []string{"➖", "➖", "🔑", "🔓", "👥", "🔁", "✋"}

// The kinds of live entries not in the spec, by what they grant, admin
// first.
var driftKinds = []string{"🔑", "👥", "❔", "❔", "❔", "❔", "❔"}

// undoesDrift reports whether a change takes away a live entry the spec
// never listed (--prune): no grant the spec asked to end (expired,
// withdrawn) and nothing the spec wants after it.
func undoesDrift(c plan.Change) bool {
	return c.After == nil && len(c.Expired) == 0 && c.Withdrawn == nil
}

// changeFacts are the facts of one change the spec asks for; src is its
// written source.
func changeFacts(c plan.Change, q quoting, src string) []fact {
	leaf := c.Address.Leaf()
	f := func(rank int, who, key, what, prep string, person bool) fact {
		return fact{rank: rank, who: who, key: key, what: what, prep: prep, on: c.Address.Name, groups: c.Address.Object == plan.ObjectGroup, src: src, person: person}
	}
	manual := func(who string) []fact {
		what := describe(c)
		if what != "" {
			what += " — "
		}
		fc := f(6, who, leaf, q.prose("needs a manual step: "+what+c.Reason), "on", false)
		if c.Address.Entry == "" {
			fc.prep, fc.on = "", ""
		}
		return []fact{fc}
	}
	switch c.Kind {
	case plan.KindMember:
		b, _ := c.Before.(*plan.MemberValue)
		a, _ := c.After.(*plan.MemberValue)
		who := q.name(leaf)
		switch {
		case c.Action == plan.Manual:
			return manual(who)
		case a == nil:
			fc := f(0, who, leaf, q.prose("loses "+roleText(b)), "on", true)
			if len(c.Expired) > 0 {
				fc.note = q.prose(c.Reason)
			}
			return []fact{fc}
		}
		rank, what := -1, "gains "+string(a.Role)
		switch {
		case grantsAdmin(c):
			rank = 2
		case demotesAdmin(c): // from any file: an admin taken away
			rank = 0
		}
		if b != nil {
			what = describe(c) // the role before and after
		}
		return []fact{f(rank, who, leaf, q.prose(what), "on", true)}
	case plan.KindMemberGroup, plan.KindGroupMemberGroup:
		who := q.prose("member group ") + q.name(leaf)
		if c.Action == plan.Create {
			return []fact{f(4, who, leaf, q.prose("is attached (its members gain access)"), "to", true)}
		}
		return []fact{f(6, who, leaf, q.prose("is to be detached in the CodeArts console (the API cannot)"), "from", true)}
	case plan.KindPushRule:
		b, _ := c.Before.(*plan.PushRuleValue)
		a, _ := c.After.(*plan.PushRuleValue)
		path := q.name(leaf)
		if a == nil {
			return []fact{f(1, q.prose("everyone with write access"), "\uffff", q.prose("may push ")+path+q.prose(" (the rule is deleted)"), "on", true)}
		}
		var out []fact
		// grants adds what may push (what) for each grant of to not in from.
		grants := func(rank int, what string, from, to *plan.PushRuleValue) {
			if from == nil {
				from = &plan.PushRuleValue{}
			}
			for _, l := range []struct {
				noun     string
				from, to []string
			}{{"", from.Users, to.Users}, {"member group ", from.MemberGroups, to.MemberGroups}, {"role ", from.Roles, to.Roles}} {
				for _, n := range l.to {
					if !slices.Contains(l.from, n) {
						out = append(out, f(rank, q.prose(l.noun)+q.name(n), n, what, "on", true))
					}
				}
			}
		}
		if b == nil {
			grants(-1, q.prose("may push ")+path, b, a)
			return append(out, f(-1, q.prose("everyone else with write access"), "\uffff", q.prose("may no longer push ")+path, "on", true))
		}
		grants(3, q.prose("may push ")+path, b, a)
		grants(-1, q.prose("may no longer push ")+path, a, b)
		return out
	case plan.KindGroup:
		if c.Action == plan.Manual {
			return manual(q.prose("group ") + q.name(leaf))
		}
	case plan.KindGitAuth:
		who := q.prose("Git authorization ") + q.name(leaf)
		switch c.Action {
		case plan.Delete:
			return []fact{{rank: 1, who: who, key: leaf, what: q.prose("is deleted"), src: src}}
		case plan.Replace:
			return []fact{{rank: 5, who: who, key: leaf, what: q.prose("is replaced: " + describe(c)), src: src}}
		case plan.Manual:
			return manual(who)
		}
	}
	return nil
}

// driftFacts are the live entries the spec does not list, and with
// --prune the changes that take them away: what each grants, so the worst
// come first.
func driftFacts(p *plan.Plan, q quoting) []fact {
	var out []fact
	add := func(a plan.Address, kind plan.Kind, role state.Role, detail, note string, undo plan.Action) {
		f := fact{on: a.Name, groups: a.Object == plan.ObjectGroup, key: a.Leaf(), note: note, undo: undo}
		switch kind {
		case plan.KindMember:
			f.rank, f.who, f.what, f.prep = 2, q.name(a.Key), q.prose(string(role)), "on"
			switch role {
			case state.RoleAdmin:
				f.rank = 0
			case state.RoleViewer:
				f.rank = 3
			}
		case plan.KindMemberGroup, plan.KindGroupMemberGroup:
			f.rank, f.who, f.what, f.prep = 1, q.prose("member group ")+q.name(a.Key), q.prose("attached"), "to"
		case plan.KindPushRule:
			f.rank, f.who, f.what, f.prep = 4, q.prose("push rule ")+q.name(a.Key), q.prose(detail), "on"
		case plan.KindGitAuth:
			f.rank, f.who, f.what, f.on = 5, q.prose("Git authorization ")+q.name(a.Name), q.prose(detail), ""
		case plan.KindRepository:
			f.rank, f.who, f.what, f.on = 6, q.prose("repository ")+q.name(a.Name), q.prose("not listed"), ""
		default:
			f.rank, f.who, f.what, f.on = 6, q.prose("group ")+q.name(a.Name), q.prose("not listed"), ""
		}
		switch {
		case undo != plan.Delete:
		case kind == plan.KindMember:
			f.what = q.prose("loses ") + f.what
		case kind == plan.KindGitAuth:
			f.what = q.prose("is deleted: ") + f.what
		}
		out = append(out, f)
	}
	for _, e := range p.Extras {
		detail := strings.TrimSuffix(strings.TrimPrefix(e.Detail, "push rule not listed: "), ", not listed")
		add(e.Address, e.Kind, e.Role, detail, q.prose(unlistedHint(e)), "")
		territoryFacts(e, q, add)
	}
	for _, c := range p.Changes {
		if !undoesDrift(c) {
			continue
		}
		var role state.Role
		note := ""
		if b, ok := c.Before.(*plan.MemberValue); ok {
			role = b.Role
		}
		switch {
		case c.Action == plan.Manual:
			note = q.prose(c.Reason)
		case c.Kind == plan.KindPushRule:
			note = q.prose("deleted, it no longer restricts who may push matching files")
		}
		add(c.Address, c.Kind, role, strings.TrimSuffix(describe(c), " (removed)"), note, c.Action)
	}
	return out
}

// territoryFacts adds, as drift, the grants of a repository or group the
// spec does not list (the territory): each to its grantee, so that a
// person's grants in such repositories read as one line.
func territoryFacts(e plan.Extra, q quoting, add func(plan.Address, plan.Kind, state.Role, string, string, plan.Action)) {
	note := q.prose("in a " + string(e.Address.Object) + " the spec does not list")
	for _, g := range e.Grants {
		switch {
		case g.Kind == plan.KindMember:
			add(plan.MemberAddress(e.Address.Name, g.Name), g.Kind, state.Role(g.Role), "", note, "")
		case g.Kind == plan.KindPushRule:
			add(plan.PushRuleAddress(e.Address.Name, g.Name), g.Kind, "", g.Rule.String(), note, "")
		case e.Kind == plan.KindGroup:
			add(plan.GroupMemberGroupAddress(e.Address.Name, g.Name), plan.KindGroupMemberGroup, "", "", note, "")
		default:
			add(plan.MemberGroupAddress(e.Address.Name, g.Name), g.Kind, "", "", note, "")
		}
	}
}

// entry is facts alike but for their targets and sources.
type entry struct {
	fact
	on   []string
	srcs []string
}

// group merges facts that differ only in target and source, in order of
// first appearance; targets sorted.
func group(fs []fact) []*entry {
	// The key is what facts alike share, not the fact less its target and
	// source: a map stores a key of over 128 bytes by pointer, one
	// allocation per entry.
	type k struct {
		who, what, prep, note string
		rank                  int
		groups                bool
		undo                  plan.Action
	}
	var out []*entry
	by := map[k]*entry{}
	for _, f := range fs {
		key := k{f.who, f.what, f.prep, f.note, f.rank, f.groups, f.undo}
		e := by[key]
		if e == nil {
			e = &entry{fact: f}
			by[key] = e
			out = append(out, e)
		}
		if f.on != "" {
			e.on = append(e.on, f.on)
		}
		if f.src != "" && !slices.Contains(e.srcs, f.src) {
			e.srcs = append(e.srcs, f.src)
		}
	}
	for _, e := range out {
		slices.Sort(e.on)
		e.on = slices.Compact(e.on)
	}
	return out
}

// subjects groups entries by subject, the worst subject first: by its
// worst entry, then how many objects it reaches, then its name.
func subjects(es []*entry) [][]*entry {
	out := byFirstSeen(es, func(e *entry) string { return e.who })
	reach := func(s []*entry) (n int) {
		for _, e := range s {
			n += max(1, len(e.on))
		}
		return n
	}
	for _, s := range out {
		slices.SortStableFunc(s, func(a, b *entry) int { return cmp.Compare(a.rank, b.rank) })
	}
	// Each subject's worst entry is now its first.
	slices.SortStableFunc(out, func(a, b []*entry) int {
		return cmp.Or(cmp.Compare(a[0].rank, b[0].rank), cmp.Compare(reach(b), reach(a)), cmp.Compare(a[0].key, b[0].key))
	})
	return out
}

// targets writes what an entry happens on: "on `a`", "on group `a`", "on
// 3 repositories: `a`, `b` and `c`", "on 40 repositories: `a`, `b`, `c`
// and 37 more" (inline at most, the rest counted).
func (e *entry) targets(q quoting, inline int) string {
	switch {
	case len(e.on) == 0:
		return ""
	case len(e.on) == 1 && e.groups:
		return q.prose(" "+e.prep+" group ") + q.name(e.on[0])
	case len(e.on) == 1:
		return q.prose(" "+e.prep+" ") + q.name(e.on[0])
	}
	shown := e.on[:min(len(e.on), inline)]
	names := make([]string, len(shown))
	for i, t := range shown {
		names[i] = q.name(t)
	}
	list := strings.Join(names, ", ")
	if more := len(e.on) - len(shown); more > 0 {
		list += q.prose(fmt.Sprintf(" and %d more", more))
	}
	return q.prose(" "+e.prep+" "+state.Count(len(e.on), e.noun())+": ") + list
}

// noun is what the entry's targets are.
func (e *entry) noun() string {
	if e.groups {
		return "group"
	}
	return "repository"
}

// line writes an entry as one line: what, the targets, the note and the
// sources (at most two named).
func (e *entry) line(q quoting, inline int) string {
	s := e.what + e.targets(q, inline)
	if e.note != "" {
		s += q.prose(" — ") + e.note
	}
	if len(e.srcs) > 0 {
		srcs := strings.Join(e.srcs[:min(2, len(e.srcs))], ", ")
		if len(e.srcs) > 2 {
			srcs += q.prose(fmt.Sprintf(" and %s", state.Count(len(e.srcs)-2, "more line")))
		}
		s += q.prose(" — ") + srcs
	}
	return s
}
