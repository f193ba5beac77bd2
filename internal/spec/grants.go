package spec

import (
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/state"
)

// Grants come in a short form — a role (`alice: developer`) or a name
// (`member_groups: [payments-leads]`) — and a long form that also says
// until when the grant holds and why it exists (`alice: {role: developer,
// expires: 2027-01-31, reason: TICKET-123}`, `{name: auditors, expires: …}`).
// The schema accepts either form; the builder reads both into the same
// values, with the metadata in a state.Grant.

// grant reads the `expires` and `reason` of a long-form grant; an
// `expires` the schema accepts but the calendar does not (2027-02-30) is an
// error located at the date. One the schema refuses, the schema reported.
func (b *builder) grant(f string, n *yaml.Node, p yamlPath) state.Grant {
	var g state.Grant
	for _, e := range entries(n) {
		switch e.key {
		case "expires":
			s, ok := str(e.value)
			if !ok || !schemaAccepts("/$defs/expires", s) {
				continue // the schema reported it
			}
			d, err := state.ParseDate(s)
			if err != nil {
				b.diags = append(b.diags, diagAt(SeverityError, src(f, e.value), p.key("expires"), err.Error()))
				continue
			}
			g.Expires = d
		case "reason":
			g.Reason, _ = str(e.value)
		}
	}
	return g
}

// members reads a members mapping: user -> role, or user -> {role,
// expires, reason}.
func (b *builder) members(f string, n *yaml.Node, p yamlPath) map[string]state.Member {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make(map[string]state.Member, len(n.Content)/2)
	for _, e := range entries(n) {
		m := state.Member{User: e.key, Source: src(f, e.keyN)}
		switch e.value.Kind {
		case yaml.ScalarNode:
			role, _ := str(e.value)
			m.Role = state.Role(role)
		case yaml.MappingNode:
			for _, fe := range entries(e.value) {
				if fe.key == "role" {
					role, _ := str(fe.value)
					m.Role = state.Role(role)
				}
			}
			m.Grant = b.grant(f, e.value, p.key(e.key))
		}
		if m.Role.Valid() {
			out[e.key] = m
		}
	}
	return out
}

// refs reads a list of names, each a name or {name, expires, reason}. A
// name listed twice in different forms (the schema's uniqueItems compares
// values, so `x` and `{name: x}` differ for it) is an error at the second.
func (b *builder) refs(f string, n *yaml.Node, p yamlPath) []state.Ref {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]state.Ref, 0, len(n.Content))
	var index map[string]int // only for long lists; short ones are scanned
	if len(n.Content) > 16 {
		index = make(map[string]int, len(n.Content))
	}
	firstAt := make([]int, 0, len(n.Content)) // out[i] came from entry firstAt[i]
	for i, it := range n.Content {
		it = deref(it)
		var ref state.Ref
		switch it.Kind {
		case yaml.ScalarNode:
			s, ok := str(it)
			if !ok {
				continue
			}
			ref = state.Ref{Name: s, Source: src(f, it)}
		case yaml.MappingNode:
			for _, e := range entries(it) {
				if e.key == "name" {
					ref.Name, _ = str(e.value)
				}
			}
			if ref.Name == "" {
				continue // the schema reported it
			}
			ref.Source = src(f, it)
			ref.Grant = b.grant(f, it, p.index(i))
		default:
			continue
		}
		j := -1
		if index != nil {
			if k, ok := index[ref.Name]; ok {
				j = k
			} else {
				index[ref.Name] = len(out)
			}
		} else {
			j = slices.IndexFunc(out, func(r state.Ref) bool { return r.Name == ref.Name })
		}
		if j >= 0 {
			if !sameEntry(deref(n.Content[firstAt[j]]), it) {
				// The schema reports values that are equal; these differ
				// only in form or metadata.
				b.diags = append(b.diags, diagAt(SeverityError, src(f, it), p.index(i),
					fmt.Sprintf("`%s` is listed twice (entries %d and %d)", ref.Name, firstAt[j]+1, i+1)))
			}
			continue
		}
		out = append(out, ref)
		firstAt = append(firstAt, i)
	}
	return out
}

// sameEntry reports whether two list entries are equal values, as the
// schema's uniqueItems compares them.
func sameEntry(a, b *yaml.Node) bool {
	ka, okA := valueKey(a)
	kb, okB := valueKey(b)
	return okA && okB && ka == kb
}

// pushRules reads a push_rules mapping: path -> {users, member_groups,
// roles}, each list in either form.
func (b *builder) pushRules(f string, n *yaml.Node, p yamlPath) map[string]state.PushRule {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	out := make(map[string]state.PushRule, len(n.Content)/2)
	for _, e := range entries(n) {
		if e.value.Kind != yaml.MappingNode {
			continue
		}
		r := state.PushRule{Path: e.key, Source: src(f, e.keyN)}
		for _, fe := range entries(e.value) {
			lp := append(slices.Clip(p), e.key, fe.key)
			switch fe.key {
			case "users":
				r.Users = b.refs(f, fe.value, lp)
			case "member_groups":
				r.MemberGroups = b.refs(f, fe.value, lp)
			case "roles":
				r.Roles = b.refs(f, fe.value, lp)
			}
		}
		out[e.key] = r
	}
	return out
}
