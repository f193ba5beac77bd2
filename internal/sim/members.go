package sim

import (
	"maps"
	"slices"
	"strings"
)

// projectManager is the project role whose members are project
// administrators (is_Project_admin = 1).
const projectManager = "Project manager"

// memberKind is where a repository membership comes from; when a user has
// several, the first kind below wins: direct, creator, synced, inherited.
type memberKind int

const (
	memberDirect    memberKind = iota // repositories[].members, AddRepoMembers
	memberCreator                     // member_sync: the creator, not also direct
	memberSynced                      // member_sync: a project member
	memberInherited                   // through a member group on the repository or an ancestor group
)

// member is one row of a repository's effective membership.
type member struct {
	user    *User
	kind    memberKind
	level   int // legacy access level
	via     *inheritedVia
	creator bool           // the repository's creator (is_repo_creator)
	project *ProjectMember // the user's project membership (member_sync), nil otherwise
}

// memberSync reports whether project members and creators are synced.
func (s *Server) memberSync() bool { return flag(s.fx.Behaviour.MemberSync) }

// projectEntry is the fixture's project_members entry of a user, synced
// into the repositories or not (member_sync); nil when it has none.
func (s *Server) projectEntry(name string) *ProjectMember {
	for i := range s.fx.ProjectMembers {
		if s.fx.ProjectMembers[i].User == name {
			return &s.fx.ProjectMembers[i]
		}
	}
	return nil
}

// projectRoleID is the role id the v4 lists give a synced project role: the
// fixture role of that name, else hexID("role", name).
func (s *Server) projectRoleID(name string) string {
	if r := s.idx.roleByName[name]; r != nil {
		return r.ID
	}
	return hexID("role", name)
}

// repoMembers is the effective membership of r, sorted by user name: direct
// members; with member_sync the creator (Administrator, 40) and every
// project member (their project role name and level); then users reaching r
// through a member group on r or an ancestor group (Developer, 30).
func (s *Server) repoMembers(r *Repository) []member {
	out := []member{}
	seen := map[string]bool{}
	add := func(m member) {
		if !seen[m.user.Name] {
			seen[m.user.Name] = true
			out = append(out, m)
		}
	}
	for n, role := range r.Members {
		add(member{user: s.idx.userByName[n], kind: memberDirect, level: levelOf[role]})
	}
	if s.memberSync() {
		if u := s.idx.userByName[r.Creator]; u != nil {
			add(member{user: u, kind: memberCreator, level: 40})
		}
		for i := range s.fx.ProjectMembers {
			pm := &s.fx.ProjectMembers[i]
			if slices.Contains(r.Unsynced, pm.User) {
				continue // removed from this repository (sync_marker: none)
			}
			add(member{user: s.idx.userByName[pm.User], kind: memberSynced, level: pm.Level})
		}
	}
	for _, n := range r.MemberGroups {
		m := s.idx.mgByName[n]
		for _, u := range m.Members {
			add(member{user: s.idx.userByName[u], kind: memberInherited, level: 30, via: &inheritedVia{mg: m}})
		}
	}
	if parent, _, ok := cutLast(r.Path); ok {
		gm := s.groupMembers(s.idx.groupByPath[parent])
		names := slices.AppendSeq(make([]string, 0, len(gm)), maps.Keys(gm)) // sized: every member read and write runs this
		slices.Sort(names)
		for _, n := range names {
			add(member{user: s.idx.userByName[n], kind: memberInherited, level: 30, via: new(gm[n])})
		}
	}
	for i := range out {
		out[i].creator = r.Creator != "" && out[i].user.Name == r.Creator
		if s.memberSync() {
			out[i].project = s.projectEntry(out[i].user.Name)
		}
	}
	slices.SortFunc(out, func(a, b member) int { return strings.Compare(a.user.Name, b.user.Name) })
	return out
}

// syncMarked reports whether a synced project member's rows say so
// (sync_marker: project): v4 member_source_id is the project id, and
// SetRepoRole/DeleteRepoMember refuse the member.
func (s *Server) syncMarked() bool { return s.fx.Behaviour.SyncMarker != "none" }

// legacyID is the user_id the legacy member list gives u's membership of r,
// the id SetRepoRole and DeleteRepoMember take: the IAM user id, or under
// legacy_member_id: own an id of the membership itself.
func (s *Server) legacyID(r *Repository, u *User) string {
	if s.fx.Behaviour.LegacyMemberID == "own" {
		return hexID("repository_member", r.UUID+"/"+u.Name)
	}
	return u.IAMID
}

// repoMember is u's row in r's membership, if any.
func (s *Server) repoMember(r *Repository, u *User) (member, bool) {
	for _, m := range s.repoMembers(r) {
		if m.user == u {
			return m, true
		}
	}
	return member{}, false
}

// legacyMembers are the rows legacy ListRepoMembers shows: every membership
// of the repository itself (direct, creator, synced), not the inherited ones.
func (s *Server) legacyMembers(r *Repository, subject string) []member {
	return slices.DeleteFunc(s.repoMembers(r), func(m member) bool {
		return m.kind == memberInherited || !strings.Contains(strings.ToLower(m.user.Name), subject)
	})
}
