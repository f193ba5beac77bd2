package plan

import (
	"fmt"
	"sort"

	"github.com/reposync/reposync/internal/state"
)

// resolver turns spec names into live identities: pinned names by id (so a
// rename is a warning, never drift), others by name. Every name that cannot
// be resolved becomes one Problem at its first source.
type resolver struct {
	d    *state.Desired
	live *state.Live

	users    byUser[state.LiveUser]
	mgByID   map[string]state.LiveMemberGroup
	mgByTeam map[int64]state.LiveMemberGroup
	roleByID map[string]state.LiveRole

	problems []Problem
	warnings []string
	reported map[string]bool
}

func newResolver(d *state.Desired, live *state.Live) *resolver {
	r := &resolver{
		d: d, live: live, users: newByUser[state.LiveUser](),
		mgByID: map[string]state.LiveMemberGroup{}, mgByTeam: map[int64]state.LiveMemberGroup{},
		roleByID: map[string]state.LiveRole{},
		reported: map[string]bool{},
	}
	for _, u := range live.Users {
		r.users.put(u, u)
	}
	for _, m := range live.MemberGroups {
		if m.ID != "" {
			r.mgByID[m.ID] = m
		}
		if m.TeamID != 0 {
			r.mgByTeam[m.TeamID] = m
		}
	}
	for _, ro := range live.Roles {
		r.roleByID[ro.ID] = ro
	}
	return r
}

func (r *resolver) problem(key string, src state.Source, msg string) {
	if r.reported[key] {
		return
	}
	r.reported[key] = true
	r.problems = append(r.problems, Problem{Source: src, Message: msg})
}

func (r *resolver) warnOnce(key, msg string) {
	if r.reported[key] {
		return
	}
	r.reported[key] = true
	r.warnings = append(r.warnings, msg)
}

// lookupUser finds the live user a spec name stands for: a pinned name by
// its id (so a rename is not drift), any other by name. It reports nothing:
// user does, and an expired grant may name someone who left.
func (r *resolver) lookupUser(name string) (state.LiveUser, bool) {
	if pin, ok := r.d.Users[name]; ok {
		if pin.ID != 0 {
			u, found := r.users.id[pin.ID]
			return u, found
		}
		u, found := r.users.iam[pin.IAMID]
		return u, found
	}
	u, ok := r.live.Users[name]
	return u, ok
}

func (r *resolver) user(name string, src state.Source) (state.LiveUser, bool) {
	u, found := r.lookupUser(name)
	pin, pinned := r.d.Users[name]
	switch {
	case !pinned && !found:
		r.problem("user\x00"+name, src, fmt.Sprintf("unknown user `%s`: no such user in the CodeArts project%s", name, state.DidYouMean(name, keys(r.live.Users))))
		return u, false
	case !pinned:
		return u, true
	case !found:
		r.problem("user\x00"+name, pin.Source, fmt.Sprintf("pinned user `%s` (%s) is not a member of the CodeArts project", name, userPinText(pin)))
		return u, false
	case pin.ID != 0 && pin.IAMID != "" && u.IAMID != pin.IAMID:
		r.problem("user\x00"+name, pin.Source, fmt.Sprintf("pinned user `%s`: id %d belongs to IAM id %s, not %s", name, pin.ID, u.IAMID, pin.IAMID))
		return u, false
	}
	if u.Name != name {
		r.warnOnce("rename-user\x00"+name, fmt.Sprintf("user `%s` (pinned %s, %s) is called `%s` in CodeArts now; it is matched by id, so nobody is removed or re-added — rename it in the spec when convenient", name, userPinText(pin), pin.Source, u.Name))
	}
	return u, true
}

// lookupMemberGroup finds the live member group a spec name stands for,
// as lookupUser does for users.
func (r *resolver) lookupMemberGroup(name string) (state.LiveMemberGroup, bool) {
	if pin, ok := r.d.MemberGroups[name]; ok {
		if pin.ID != "" {
			m, found := r.mgByID[pin.ID]
			return m, found
		}
		m, found := r.mgByTeam[pin.TeamID]
		return m, found
	}
	m, ok := r.live.MemberGroups[name]
	return m, ok
}

func (r *resolver) memberGroup(name string, src state.Source, needTeam bool) (state.LiveMemberGroup, bool) {
	mg, ok := r.lookupMemberGroup(name)
	if pin, pinned := r.d.MemberGroups[name]; pinned {
		if !ok {
			r.problem("mg\x00"+name, pin.Source, fmt.Sprintf("pinned member group `%s` is not in the CodeArts project", name))
			return mg, false
		}
		if mg.Name != name {
			r.warnOnce("rename-mg\x00"+name, fmt.Sprintf("member group `%s` (pinned, %s) is called `%s` in CodeArts now; it is matched by id", name, pin.Source, mg.Name))
		}
	} else if !ok {
		r.problem("mg\x00"+name, src, fmt.Sprintf("unknown member group `%s`: no such member group in the CodeArts project%s", name, state.DidYouMean(name, keys(r.live.MemberGroups))))
		return mg, false
	}
	if needTeam && mg.TeamID == 0 {
		r.problem("mgteam\x00"+name, src, fmt.Sprintf("member group `%s` has no integer team id, which file push rules need; pin it with `team_id`", name))
		return mg, false
	}
	if !needTeam && mg.ID == "" {
		r.problem("mgid\x00"+name, src, fmt.Sprintf("member group `%s` has no 32-character id, which attaching it needs; pin it with `id`", name))
		return mg, false
	}
	return mg, true
}

// lookupRole finds the live role a spec name stands for. Role ids are
// stable and the role list may not include every role: a pinned id the
// lookup does not contradict is trusted.
func (r *resolver) lookupRole(name string) (state.LiveRole, bool) {
	if pin, ok := r.d.Roles[name]; ok {
		if ro, found := r.roleByID[pin.ID]; found {
			return ro, true
		}
		return state.LiveRole{Name: name, ID: pin.ID}, true
	}
	ro, ok := r.live.Roles[name]
	return ro, ok
}

func (r *resolver) role(name string, src state.Source) (state.LiveRole, bool) {
	ro, ok := r.lookupRole(name)
	if !ok {
		r.problem("role\x00"+name, src, fmt.Sprintf("unknown role `%s`: no such role in the CodeArts project%s", name, state.DidYouMean(name, keys(r.live.Roles))))
	}
	return ro, ok
}

func userPinText(p state.UserPin) string {
	switch {
	case p.ID != 0 && p.IAMID != "":
		return fmt.Sprintf("id %d, iam_id %s", p.ID, p.IAMID)
	case p.ID != 0:
		return fmt.Sprintf("id %d", p.ID)
	}
	return "iam_id " + p.IAMID
}

// keys is m's keys, sorted: on Diff's hot path, where
// slices.Sorted(maps.Keys(m)), which grows its slice as it goes, doubled
// the allocations at 10 000 repositories.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
