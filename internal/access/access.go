// Package access answers "who has access to what" (`reposync access`): it
// turns the live state, or offline the spec alone, into entries, each one
// way one user (or a member group or role whose members it cannot list)
// reaches one repository, with where it comes from and where the spec
// grants the same, and renders them as text, Markdown, JSON and CSV. It
// imports state, and plan/render for the one Markdown escaping; it reads
// no clock (the day is passed in) and writes only to the writer it is given.
package access

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Query says whose access, or access to what, is asked about; the zero
// Query asks about the whole project.
type Query struct {
	User       string `json:"user,omitempty"`
	Repository string `json:"repository,omitempty"`
}

// wants reports whether the query asks about user.
func (q Query) wants(user string) bool { return q.User == "" || user == q.User }

// The kinds of Via: where an access comes from.
const (
	ViaDirect      = "direct"       // a direct member of the repository
	ViaManaged     = "managed"      // a membership CodeArts manages: the creator, synced project members
	ViaMemberGroup = "member_group" // a member group attached to the repository
	ViaGroup       = "group"        // a member group attached to a parent group
	ViaPushRule    = "push_rule"    // a file push rule's grant
)

// Access values besides the repository roles.
const (
	// AccessPush is a push rule's grant: push files matching Path.
	AccessPush = "push"
	// AccessAttached is a member group attached to the repository or a
	// parent group whose members are not known.
	AccessAttached = "attached"
)

// Entry is one way one grantee reaches one repository.
type Entry struct {
	Repository string `json:"repository"`
	// The grantee: a user, or a member group or role when its members
	// cannot be known (offline, or a push rule naming a member group no
	// member reached the repository through).
	User        string `json:"user,omitempty"`
	MemberGroup string `json:"member_group,omitempty"`
	Role        string `json:"role,omitempty"`
	// Access is a repository role (viewer, developer, admin, or the
	// service's name of a role reposync does not know), "push" for a push
	// rule's grant (Path says which files), or "attached".
	Access string `json:"access"`
	Path   string `json:"path,omitempty"`
	Via    Via    `json:"via"`
	// MembersKnown is false (else absent) when the access goes through a
	// member group whose members no API lists: the users reposync saw
	// through it have entries of their own, but they may not be all.
	MembersKnown *bool `json:"members_known,omitempty"`
	// Spec is where the spec grants the same; nil when it does not (or no
	// spec was given).
	Spec *SpecRef `json:"spec,omitempty"`
}

// unknowable marks an entry whose member group's members cannot be known.
func unknowable(e Entry) Entry {
	e.MembersKnown = new(bool)
	return e
}

// notListed is said of a member group wherever its members would matter.
const notListed = "its members cannot be known through the API"

// Via is where an access comes from.
type Via struct {
	Kind string `json:"kind"`
	// Detail says it in words: "member group payments-leads of group
	// payments", "the repository creator", "push rule /config/* grants role
	// Project manager".
	Detail string `json:"detail"`
	// Group and MemberGroup name the parent group and member group the
	// access comes through, when it does.
	Group       string `json:"group,omitempty"`
	MemberGroup string `json:"member_group,omitempty"`
}

// SpecRef is the spec's grant of the same access.
type SpecRef struct {
	Source  string     `json:"source"`
	Policy  string     `json:"policy,omitempty"`
	Expires state.Date `json:"expires,omitempty"`
	// Expired is true when Expires is before the day asked about: the plan
	// takes the access away (or, from a policy, no longer adds it).
	Expired bool   `json:"expired,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Result is an answer: the entries and what they were made from.
type Result struct {
	FormatVersion int    `json:"format_version"`
	Project       string `json:"project,omitempty"`
	Query         Query  `json:"query"`
	// From is "live" (the live state, matched with the spec when one was
	// given) or "spec" (offline: the spec alone).
	From    string     `json:"from"`
	Today   state.Date `json:"today"`
	Entries []Entry    `json:"entries"`
}

// FormatVersion is the version of the JSON document; new fields do not
// change it.
const FormatVersion = 1

// FromLive lists the access to the given repositories of live (their
// details read), filtered by q. d and eff, when not nil, are the spec and
// its expansion over those repositories: entries the spec grants too say
// where. today decides which spec grants have expired.
func FromLive(live *state.Live, d *state.Desired, eff map[string]*state.EffectiveRepository, repos []string, q Query, today state.Date) []Entry {
	var out []Entry
	// Without a spec, or where it does not reach a repository, the matcher
	// looks in empty ones: they grant nothing.
	d = cmp.Or(d, &state.Desired{})
	for _, path := range slices.Compact(slices.Sorted(slices.Values(repos))) {
		r := live.Repositories[path]
		if r == nil || !r.Details || (q.Repository != "" && path != q.Repository) {
			continue
		}
		m := matcher{d: d, e: cmp.Or(eff[path], &state.EffectiveRepository{}), today: today}
		out = append(out, liveRepository(r, m, q)...)
		if q.User == "" {
			out = append(out, groupAttachments(live, path, m)...)
		}
	}
	sortEntries(out)
	return out
}

// groupAttachments lists the member groups attached to the groups above a
// repository (those read): their members reach it, and no API lists them.
func groupAttachments(live *state.Live, repo string, m matcher) []Entry {
	var out []Entry
	for g := state.ParentPath(repo); g != ""; g = state.ParentPath(g) {
		if lg := live.Groups[g]; lg != nil {
			for _, mg := range lg.MemberGroups {
				out = append(out, Entry{Repository: repo, MemberGroup: mg, Access: AccessAttached,
					Via:  Via{Kind: ViaGroup, Detail: fmt.Sprintf("member group %s of group %s; %s", mg, g, notListed), Group: g, MemberGroup: mg},
					Spec: m.groupMemberGroup(g, mg)})
			}
		}
	}
	return out
}

func liveRepository(r *state.LiveRepository, m matcher, q Query) []Entry {
	var out []Entry
	members := slices.Sorted(maps.Keys(r.Members))
	for _, name := range members {
		lm := r.Members[name]
		if !q.wants(name) {
			continue
		}
		e := Entry{Repository: r.Path, User: name, Access: lm.RoleText()}
		switch {
		case lm.Inherited && lm.ViaGroup != "":
			e.Via = Via{Kind: ViaGroup, Detail: lm.Via, Group: lm.ViaGroup, MemberGroup: lm.ViaMemberGroup}
			e.Spec = m.groupMemberGroup(lm.ViaGroup, lm.ViaMemberGroup)
		case lm.Inherited:
			e.Via = Via{Kind: ViaMemberGroup, Detail: lm.Via, MemberGroup: lm.ViaMemberGroup}
			e.Spec = m.memberGroup(lm.ViaMemberGroup)
		case lm.Managed != "":
			e.Via = Via{Kind: ViaManaged, Detail: lm.Managed + " (CodeArts manages this membership)"}
			e.Spec = m.member(name, lm.Role) // the spec may list it too
		default:
			e.Via = Via{Kind: ViaDirect, Detail: "direct member"}
			e.Spec = m.member(name, lm.Role)
		}
		out = append(out, e)
	}
	if q.User == "" {
		// Its users reposync saw have entries above, but a user who is a
		// direct member too is listed as one: who is in it is unknown.
		for _, mg := range r.MemberGroups {
			out = append(out, Entry{Repository: r.Path, MemberGroup: mg, Access: AccessAttached,
				Via:  Via{Kind: ViaMemberGroup, Detail: "member group " + mg + " is attached; " + notListed, MemberGroup: mg},
				Spec: m.memberGroup(mg)})
		}
	}
	for _, path := range slices.Sorted(maps.Keys(r.PushRules)) {
		out = append(out, livePushRule(r, path, members, m, q)...)
	}
	return out
}

// livePushRule lists the entries of one push rule of a repository whose
// members (sorted by name) are known.
func livePushRule(r *state.LiveRepository, path string, members []string, m matcher, q Query) []Entry {
	var out []Entry
	rule := r.PushRules[path]
	note := ""
	if rule.Disabled {
		note = " (the rule is not enforced)"
	}
	// add appends e as an entry of the rule; its detail says "push rule
	// PATH", then what (": nobody may…", " grants …"), the note, and more.
	add := func(e Entry, what, more string, spec *SpecRef) {
		e.Repository, e.Access, e.Path, e.Spec = r.Path, AccessPush, path, spec
		e.Via.Kind, e.Via.Detail = ViaPushRule, "push rule "+path+what+note+more
		out = append(out, e)
	}
	if len(rule.Users)+len(rule.MemberGroups)+len(rule.Roles) == 0 && q.User == "" {
		add(Entry{}, ": nobody may push matching files", "", m.rule(path, nil, ""))
	}
	for _, u := range rule.Users {
		if q.wants(u.Name) {
			add(Entry{User: u.Name}, " grants user "+u.Name, "", m.rule(path, func(r state.PushRule) []state.Ref { return r.Users }, u.Name))
		}
	}
	for _, g := range rule.MemberGroups {
		spec := m.rule(path, func(r state.PushRule) []state.Ref { return r.MemberGroups }, g.Name)
		what, via := " grants member group "+g.Name, Via{MemberGroup: g.Name}
		for _, name := range members {
			switch {
			case !q.wants(name):
			case r.Members[name].ViaMemberGroup == g.Name:
				add(Entry{User: name, Via: via}, what, "", spec)
			case q.User != "":
				// A member some other way may be in it too.
				add(unknowable(Entry{User: name, Via: via}), what, "; whether "+name+" is in it cannot be known through the API", spec)
			}
		}
		if q.User == "" {
			add(Entry{MemberGroup: g.Name, Via: via}, what, "; "+notListed, spec)
		}
	}
	for _, ro := range rule.Roles {
		spec := m.rule(path, func(r state.PushRule) []state.Ref { return r.Roles }, ro.Name)
		found := false
		for _, name := range members {
			if holdsRole(r.Members[name], ro) {
				found = true
				if q.wants(name) {
					add(Entry{User: name}, " grants role "+ro.Name, "", spec)
				}
			}
		}
		if !found && q.User == "" {
			add(Entry{Role: ro.Name}, " grants role "+ro.Name, "; no member of the repository holds it", spec)
		}
	}
	return out
}

// holdsRole reports whether a repository member holds the project role a
// push rule grants: by the role id the service reports, or by name.
func holdsRole(lm state.LiveMember, ro state.LiveRole) bool {
	return lm.RoleID != "" && lm.RoleID == ro.ID || lm.ProjectRole != "" && strings.EqualFold(lm.ProjectRole, ro.Name)
}

// matcher finds the spec's grant of an access on one repository; d and e
// are never nil (empty when there is no spec to match).
type matcher struct {
	d     *state.Desired
	e     *state.EffectiveRepository
	today state.Date
}

func (m matcher) ref(src state.Source, policy string, g state.Grant) *SpecRef {
	return &SpecRef{Source: src.String(), Policy: policy, Expires: g.Expires, Expired: g.ExpiredOn(m.today), Reason: g.Reason}
}

// member: the spec grants the member this role (a policy's baseline, at
// least this role).
func (m matcher) member(user string, role state.Role) *SpecRef {
	sm, ok := m.e.Members[user]
	if !ok || role == "" || !(sm.Role == role || sm.Policy != "" && role.Level() >= sm.Role.Level()) {
		return nil
	}
	return m.ref(sm.Source, sm.Policy, sm.Grant)
}

// memberGroup: the spec attaches the member group to the repository.
func (m matcher) memberGroup(name string) *SpecRef {
	if ref, ok := named(m.e.MemberGroups, name); ok {
		return m.ref(ref.Source, ref.Policy, ref.Grant)
	}
	return nil
}

// groupMemberGroup: the spec attaches the member group to the group.
func (m matcher) groupMemberGroup(group, name string) *SpecRef {
	if g := m.d.Groups[group]; g != nil {
		if ref, ok := named(g.MemberGroups, name); ok {
			return m.ref(ref.Source, "", ref.Grant)
		}
	}
	return nil
}

// rule: the spec's push rule at path grants name in list (list nil: the
// spec has the rule, granting nobody).
func (m matcher) rule(path string, list func(state.PushRule) []state.Ref, name string) *SpecRef {
	rule, ok := m.e.PushRules[path]
	switch {
	case !ok:
		return nil
	case list == nil:
		if len(rule.Users)+len(rule.MemberGroups)+len(rule.Roles) > 0 {
			return nil
		}
		return m.ref(rule.Source, rule.Policy, state.Grant{})
	}
	if ref, ok := named(list(rule), name); ok {
		return m.ref(ref.Source, rule.Policy, ref.Grant)
	}
	return nil
}

// named finds the ref called name.
func named(refs []state.Ref, name string) (state.Ref, bool) {
	i := slices.IndexFunc(refs, func(r state.Ref) bool { return r.Name == name })
	if i < 0 {
		return state.Ref{}, false
	}
	return refs[i], true
}

// FromSpec lists the access the spec alone grants on day today, filtered
// by q: eff is the spec expanded over the repositories it lists (and the
// one asked about). Expired grants are left out. Member groups' members
// are not known offline, so member groups and roles are grantees.
func FromSpec(d *state.Desired, eff map[string]*state.EffectiveRepository, q Query, today state.Date) []Entry {
	holding := func(refs []state.Ref) []state.Ref {
		return slices.DeleteFunc(slices.Clone(refs), func(r state.Ref) bool { return r.ExpiredOn(today) })
	}
	var out []Entry
	for _, path := range slices.Sorted(maps.Keys(eff)) {
		e := eff[path]
		if q.Repository != "" && path != q.Repository {
			continue
		}
		m := matcher{d: d, e: e, today: today}
		for _, name := range slices.Sorted(maps.Keys(e.Members)) {
			sm := e.Members[name]
			if sm.ExpiredOn(today) || !q.wants(name) {
				continue
			}
			via := Via{Kind: ViaDirect, Detail: "direct member"}
			if sm.Policy != "" {
				via.Detail = "direct member, at least " + string(sm.Role) + " (policy " + sm.Policy + ")"
			}
			out = append(out, Entry{Repository: path, User: name, Access: string(sm.Role), Via: via, Spec: m.ref(sm.Source, sm.Policy, sm.Grant)})
		}
		if q.User == "" {
			for _, ref := range holding(e.MemberGroups) {
				out = append(out, Entry{Repository: path, MemberGroup: ref.Name, Access: AccessAttached,
					Via:  Via{Kind: ViaMemberGroup, Detail: "member group " + ref.Name + " attached to the repository", MemberGroup: ref.Name},
					Spec: m.ref(ref.Source, ref.Policy, ref.Grant)})
			}
			for g := state.ParentPath(path); g != ""; g = state.ParentPath(g) {
				if sg := d.Groups[g]; sg != nil {
					for _, ref := range holding(sg.MemberGroups) {
						out = append(out, Entry{Repository: path, MemberGroup: ref.Name, Access: AccessAttached,
							Via:  Via{Kind: ViaGroup, Detail: fmt.Sprintf("member group %s of group %s", ref.Name, g), Group: g, MemberGroup: ref.Name},
							Spec: m.ref(ref.Source, "", ref.Grant)})
					}
				}
			}
		}
		for _, rp := range slices.Sorted(maps.Keys(e.PushRules)) {
			rule := e.PushRules[rp]
			users, groups, roles := holding(rule.Users), holding(rule.MemberGroups), holding(rule.Roles)
			// add appends e as an entry of the rule, granted by ref; its
			// detail says "push rule PATH", then what.
			add := func(e Entry, what string, ref state.Ref) {
				e.Repository, e.Access, e.Path = path, AccessPush, rp
				e.Via = Via{Kind: ViaPushRule, Detail: "push rule " + rp + what, MemberGroup: e.MemberGroup}
				e.Spec = m.ref(ref.Source, rule.Policy, ref.Grant)
				out = append(out, e)
			}
			if len(users)+len(groups)+len(roles) == 0 && q.User == "" {
				add(Entry{}, ": nobody may push matching files", state.Ref{Source: rule.Source})
			}
			for _, u := range users {
				if q.wants(u.Name) {
					add(Entry{User: u.Name}, " grants user "+u.Name, u)
				}
			}
			if q.User == "" {
				for _, g := range groups {
					add(Entry{MemberGroup: g.Name}, " grants member group "+g.Name, g)
				}
				for _, ro := range roles {
					add(Entry{Role: ro.Name}, " grants role "+ro.Name, ro)
				}
			}
		}
	}
	sortEntries(out)
	return out
}

// Grantee names who an entry is about: "alice", "member group x", "role y",
// or "nobody".
func (e Entry) Grantee() string { return e.grantee(plain) }

// grantee is Grantee with each name passed through quote.
func (e Entry) grantee(quote func(string) string) string {
	switch {
	case e.User != "":
		return quote(e.User)
	case e.MemberGroup != "":
		return "member group " + quote(e.MemberGroup)
	case e.Role != "":
		return "role " + quote(e.Role)
	}
	return "nobody"
}

func plain(s string) string { return s }

var viaOrder = map[string]int{ViaDirect: 0, ViaManaged: 1, ViaMemberGroup: 2, ViaGroup: 3, ViaPushRule: 4}

// sortEntries sorts the entries and marks those whose grantee is a member
// group: no API lists its members, live or offline.
func sortEntries(es []Entry) {
	for i, e := range es {
		if e.User == "" && e.MemberGroup != "" {
			es[i] = unknowable(e)
		}
	}
	slices.SortStableFunc(es, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.Repository, b.Repository), cmp.Compare(a.Grantee(), b.Grantee()),
			cmp.Compare(viaOrder[a.Via.Kind], viaOrder[b.Via.Kind]), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Via.Detail, b.Via.Detail))
	})
}
