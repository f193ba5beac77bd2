package plan

import (
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Grant is one direct grant of a repository or group the spec does not
// list (Extra.Grants): what a person would have to act on. Members
// CodeArts manages itself (the creator, synced project members) and
// members inherited from member groups are not grants of the repository.
type Grant struct {
	// Kind is member, member_group or push_rule.
	Kind Kind `json:"kind"`
	// Name is the user, the member group, or the push rule's path.
	Name string `json:"name"`
	// Role is a member's role (the service's name for one reposync does
	// not know).
	Role string `json:"role,omitempty"`
	// Rule says who a push rule lets push.
	Rule *PushRuleValue `json:"rule,omitempty"`
}

// territory adds the unlisted repositories of a full plan to its extras,
// with their direct grants (state.Desired.UnlistedRepository), and counts
// the repositories and groups settings.unmanaged declares out of scope. A
// scoped plan (--target, --changed-since) reads no more than its scope, so
// it looks at neither.
func territory(p *Plan, d *state.Desired, eff map[string]*state.EffectiveRepository, live *state.Live, opts Options) {
	if opts.Scope != nil {
		return
	}
	for _, path := range keys(live.Repositories) {
		r := live.Repositories[path]
		if r.Archived {
			continue
		}
		if d.OutOfScope(path) {
			p.Summary.Unmanaged++
			continue
		}
		e := eff[path]
		if !d.UnlistedRepository(path, e != nil) {
			continue
		}
		detail := "repository not listed in the spec"
		if e != nil {
			detail += "; policies reach it: " + strings.Join(e.Policies, ", ")
		}
		grants := repositoryGrants(r)
		if len(grants) == 0 {
			detail += "; no direct grants"
		}
		p.Extras = append(p.Extras, Extra{Address: RepositoryAddress(path), Kind: KindRepository, Detail: detail, Grants: grants})
	}
	for path := range live.Groups {
		if d.GroupOutOfScope(path) {
			p.Summary.Unmanaged++
		}
	}
}

// repositoryGrants lists a live repository's direct grants: its own
// members, attached member groups and push rules.
func repositoryGrants(r *state.LiveRepository) []Grant {
	var out []Grant
	for _, name := range keys(r.Members) {
		if m := r.Members[name]; !m.Inherited && m.Managed == "" {
			out = append(out, Grant{Kind: KindMember, Name: name, Role: m.RoleText()})
		}
	}
	out = append(out, memberGroupGrants(r.MemberGroups)...)
	for _, path := range keys(r.PushRules) {
		out = append(out, Grant{Kind: KindPushRule, Name: path, Rule: liveRuleValue(r.PushRules[path])})
	}
	return out
}

// memberGroupGrants lists attached member groups as grants.
func memberGroupGrants(names []string) []Grant {
	var out []Grant
	for _, n := range slices.Sorted(slices.Values(names)) {
		out = append(out, Grant{Kind: KindMemberGroup, Name: n})
	}
	return out
}
