package sim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Repository roles: legacy access level ↔ v4 role id and name. The role ids
// are deterministic (hexID of "repository_role:<level>").
var levelNames = map[int]string{20: "Viewer", 30: "Developer", 40: "Administrator"}

func repoRoleID(level int) string { return hexID("repository_role", strconv.Itoa(level)) }

var levelOf = map[string]int{"viewer": 20, "developer": 30, "admin": 40}
var roleOfLevel = map[int]string{20: "viewer", 30: "developer", 40: "admin"}

type namespaceDTO struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	FullPath string `json:"full_path"`
	FullName string `json:"full_name"`
	Kind     string `json:"kind"`
	ParentID int64  `json:"parent_id"`
}

type showRepoDTO struct {
	ID                int64        `json:"id"`
	UUID              string       `json:"uuid"`
	Name              string       `json:"name"`
	Path              string       `json:"path"`
	NameWithNamespace string       `json:"name_with_namespace"`
	PathWithNamespace string       `json:"path_with_namespace"`
	ProjectID         string       `json:"project_id"`
	Namespace         namespaceDTO `json:"namespace"`
	AncestorIDs       []int64      `json:"ancestor_ids"`
	AncestorNames     []string     `json:"ancestor_names"`
	Visibility        string       `json:"visibility"`
	DefaultBranch     string       `json:"default_branch"`
	DevelopMode       string       `json:"develop_mode"`
	Archived          bool         `json:"archived"`
	CreatorID         int64        `json:"creator_id"`
	MemberCount       int          `json:"member_count"`
	CreatedAt         string       `json:"created_at"`
}

func hShowRepository(s *Server, q *request) reply {
	r := q.repo
	ids, names := s.ancestors(r.Path)
	d := showRepoDTO{ID: r.ID, UUID: r.UUID, Name: base(r.Path), Path: base(r.Path), NameWithNamespace: s.fullName(r.Path),
		PathWithNamespace: s.fullPath(r.Path), ProjectID: s.fx.ProjectID, AncestorIDs: ids, AncestorNames: names, Visibility: "private",
		DefaultBranch: "master", DevelopMode: "normal", Archived: r.Archived, CreatorID: s.userID(r.Creator, s.fx.Credentials.User), MemberCount: len(s.repoMembers(r)), CreatedAt: simCreatedAt}
	if parent, _, ok := cutLast(r.Path); ok {
		g := s.idx.groupByPath[parent]
		d.Namespace = namespaceDTO{ID: g.ID, Name: base(g.Path), Path: base(g.Path), FullPath: s.fullPath(g.Path), FullName: s.fullName(g.Path), Kind: "group"}
		if len(ids) > 1 {
			d.Namespace.ParentID = ids[len(ids)-2]
		}
	} else if flag(s.fx.Behaviour.FullPathNamespace) {
		// A repository at the project root lives in the project's namespace.
		ns := s.fx.Namespace
		d.Namespace = namespaceDTO{Name: ns, Path: ns, FullPath: ns, FullName: ns, Kind: "group"}
	}
	return jsonReply(http.StatusOK, d)
}

type repoMemberDTO struct {
	UserID               int64  `json:"user_id"`
	UserIAMID            string `json:"user_iam_id"`
	UserName             string `json:"user_name"`
	UserNickName         string `json:"user_nick_name"`
	TenantName           string `json:"tenant_name"`
	TenantID             string `json:"tenant_id"`
	RepositoryRoleID     string `json:"repository_role_Id"`
	RepositoryRoleName   string `json:"repository_role_name"`
	ProjectRoleName      string `json:"project_role_name"`
	IsRepoCreator        int    `json:"is_repo_creator"`
	IsGroupCreator       int    `json:"is_group_creator"`
	IsProjectAdmin       int    `json:"is_Project_admin"`
	MemberSource         string `json:"member_source"`
	MemberGroupSource    string `json:"member_group_source"`
	MemberSourceID       string `json:"member_source_id"`
	ServiceLicenseStatus int    `json:"service_license_status"`
}

const simTenant = "sim-tenant"

func hListMembers(s *Server, q *request) reply {
	search := strings.ToLower(q.query.Get("search"))
	items := []repoMemberDTO{}
	for _, m := range s.repoMembers(q.repo) {
		if search != "" && !strings.Contains(strings.ToLower(m.user.Name), search) {
			continue
		}
		items = append(items, s.memberDTO(m))
	}
	return listReply(q, items, true)
}

// memberDTO is the v4 ListMembers row of m: the role of its level, or a
// synced member's project role.
func (s *Server) memberDTO(m member) repoMemberDTO {
	d := repoMemberDTO{UserID: m.user.ID, UserIAMID: m.user.IAMID, UserName: m.user.Name, UserNickName: m.user.Name,
		TenantName: simTenant, TenantID: hexID("domain", simTenant), RepositoryRoleID: repoRoleID(m.level),
		RepositoryRoleName: levelNames[m.level], IsRepoCreator: oneIf(m.creator), ServiceLicenseStatus: 1}
	if pm := m.project; pm != nil {
		d.ProjectRoleName, d.IsProjectAdmin = pm.Role, oneIf(pm.Role == projectManager)
	}
	switch m.kind {
	case memberSynced:
		d.RepositoryRoleID, d.RepositoryRoleName = s.projectRoleID(m.project.Role), m.project.Role
		if s.syncMarked() {
			d.MemberSourceID = s.fx.ProjectID // synced from the project
		}
	case memberInherited:
		d.MemberSource = m.via.mg.Name
		d.MemberSourceID = m.via.mg.ID
		if m.via.group != nil {
			d.MemberGroupSource = s.fullPath(m.via.group.Path)
			d.MemberSourceID = strconv.FormatInt(m.via.group.ID, 10)
		}
	}
	return d
}

type legacyMemberDTO struct {
	UserID      string `json:"user_id"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	Description string `json:"description"`
	DomainID    string `json:"domain_id"`
	DomainName  string `json:"domain_name"`
	Role        int    `json:"role"`
	Enabled     string `json:"enabled"`
}

// hListRepoMembers returns the repository's own members: direct ones and,
// with member_sync, the creator and the synced project members; not those
// inherited through member groups (docs/simulator.md, "Members").
func hListRepoMembers(s *Server, q *request) reply {
	r := q.repo
	pi, ok := q.intQuery("page_index", 1, 1, math.MaxInt32) // an int32, as the SDK types it; (pi-1)*ps cannot overflow
	if !ok {
		return legacyErr(http.StatusBadRequest, "DEV.CH.10001", "Param invalid: page_index must be an integer from 1 to 2147483647")
	}
	ps, ok := q.intQuery("page_size", 100, 1, 100)
	if !ok {
		return legacyErr(http.StatusBadRequest, "DEV.CH.10001", "Param invalid: page_size must be from 1 to 100")
	}
	rows := s.legacyMembers(r, strings.ToLower(q.query.Get("subject")))
	if q.pageCap > 0 {
		ps = min(ps, q.pageCap)
	}
	users := []legacyMemberDTO{}
	for i := (pi - 1) * ps; i < len(rows) && i < pi*ps; i++ {
		u := rows[i].user
		users = append(users, legacyMemberDTO{UserID: s.legacyID(r, u), Name: u.Name, DomainID: hexID("domain", simTenant),
			DomainName: simTenant, Role: rows[i].level, Enabled: "true"})
	}
	return legacyOK(map[string]any{"total": len(rows), "users": users})
}

type addRepoMembersBody struct {
	Users []struct {
		ID   *string `json:"id"`
		Name *string `json:"name"`
		Role *int32  `json:"role"`
	} `json:"users"`
}

func hAddRepoMembers(s *Server, q *request) reply {
	r := q.repo
	var b addRepoMembersBody
	if err := strictJSON(q.body, &b); err != nil {
		return legacyErr(http.StatusBadRequest, "DEV.CH.10001", "Param invalid: "+err.Error())
	}
	if len(b.Users) == 0 {
		return legacyErr(http.StatusBadRequest, "DEV.CH.10001", "Param invalid: users is empty")
	}
	// Validate all first so a bad entry changes nothing.
	for i, u := range b.Users {
		if u.ID == nil || u.Name == nil || u.Role == nil {
			return legacyErr(http.StatusBadRequest, "DEV.CH.10001", fmt.Sprintf("Param invalid: users[%d] needs id, name and role", i))
		}
		if _, ok := roleOfLevel[int(*u.Role)]; !ok {
			return legacyErr(http.StatusBadRequest, "DEV.CH.10001", fmt.Sprintf("Param invalid: users[%d].role %d must be 20, 30 or 40", i, *u.Role))
		}
	}
	type result struct {
		ID      string  `json:"id"`
		Name    *string `json:"name"`
		Message string  `json:"message"`
		Status  string  `json:"status"`
	}
	results := []result{}
	changed := false
	for _, in := range b.Users {
		u := s.idx.userByIAM[*in.ID]
		switch {
		case u == nil:
			results = append(results, result{ID: *in.ID, Name: in.Name, Message: "user not found", Status: "failed"})
		case s.refused(u.Name):
			results = append(results, result{ID: *in.ID, Name: in.Name, Message: refusal, Status: "failed"})
		case s.ownMember(r, u):
			results = append(results, result{ID: *in.ID, Name: in.Name, Message: "user is already a member", Status: "failed"})
		default:
			if r.Members == nil {
				r.Members = map[string]string{}
			}
			r.Members[u.Name] = roleOfLevel[int(*in.Role)]
			changed = true
			results = append(results, result{ID: *in.ID, Name: in.Name, Message: "add user success", Status: "success"})
		}
	}
	rep := legacyOK(results)
	rep.changed = changed
	if changed {
		r.Updated = s.nextUpdate()
	}
	return rep
}

// ownMember reports whether u is a member of r itself: direct, or (with
// member_sync) its creator or a synced project member.
func (s *Server) ownMember(r *Repository, u *User) bool {
	m, ok := s.repoMember(r, u)
	return ok && m.kind != memberInherited
}

// memberParam resolves the member SetRepoRole/DeleteRepoMember change by the
// id the legacy list gives it (legacyID): a direct member, or under
// sync_marker: none a synced one. The others answer the legacy envelope,
// HTTP 400, with codes of the simulator's own (the service documents none).
func (s *Server) memberParam(q *request, r *Repository) (*User, *reply) {
	id := q.params["member_id"]
	u := s.idx.userByIAM[id]
	if s.fx.Behaviour.LegacyMemberID == "own" {
		u = nil
		for _, m := range s.legacyMembers(r, "") {
			if s.legacyID(r, m.user) == id {
				u = m.user
			}
		}
	}
	if u == nil {
		return nil, new(legacyErr(http.StatusNotFound, "DEV.CH.10002", "member "+id+" not found"))
	}
	m, ok := s.repoMember(r, u)
	switch {
	case !ok:
		return nil, new(legacyErr(http.StatusNotFound, "DEV.CH.10002", "member "+id+" is not a member of the repository"))
	case m.creator:
		return nil, new(legacyErr(http.StatusBadRequest, "DEV.CH.10005", "member "+id+" is the repository creator, who cannot be removed or demoted"))
	case m.kind == memberDirect, m.kind == memberSynced && !s.syncMarked():
		return u, nil
	case m.kind == memberSynced:
		return nil, new(legacyErr(http.StatusBadRequest, "DEV.CH.10004", "member "+id+" is synchronized from the project and cannot be changed on the repository"))
	}
	return nil, new(legacyErr(http.StatusBadRequest, "DEV.CH.10003", "member "+id+" is inherited through "+m.via.mg.Name+" and cannot be changed on the repository"))
}

func hSetRepoRole(s *Server, q *request) reply {
	r := q.repo
	var b struct {
		Role *int32 `json:"role"`
	}
	if err := strictJSON(q.body, &b); err != nil || b.Role == nil {
		return legacyErr(http.StatusBadRequest, "DEV.CH.10001", "Param invalid: body must be {\"role\": 20|30|40}")
	}
	role, ok := roleOfLevel[int(*b.Role)]
	if !ok {
		return legacyErr(http.StatusBadRequest, "DEV.CH.10001", fmt.Sprintf("Param invalid: role %d must be 20, 30 or 40", *b.Role))
	}
	u, bad := s.memberParam(q, r)
	if bad != nil {
		return *bad
	}
	rep := legacyOK(map[string]any{})
	if r.Members[u.Name] != role {
		// A synced member (sync_marker: none) becomes a direct one.
		if r.Members == nil {
			r.Members = map[string]string{}
		}
		r.Members[u.Name] = role
		r.Updated = s.nextUpdate()
		rep.changed = true
	}
	return rep
}

func hDeleteRepoMember(s *Server, q *request) reply {
	r := q.repo
	u, bad := s.memberParam(q, r)
	if bad != nil {
		return *bad
	}
	if _, direct := r.Members[u.Name]; direct {
		delete(r.Members, u.Name)
	} else {
		r.Unsynced = append(r.Unsynced, u.Name) // synced (sync_marker: none)
	}
	r.Updated = s.nextUpdate()
	rep := legacyOK(map[string]any{})
	rep.changed = true
	return rep
}

type repoUserGroupDTO struct {
	UserGroupName string `json:"user_group_name"`
	UserGroupID   string `json:"user_group_id"`
	ProjectID     string `json:"project_id"`
	UserCount     string `json:"user_count"`
	Description   string `json:"description"`
}

func hListRepositoryUserGroups(s *Server, q *request) reply {
	items := []repoUserGroupDTO{}
	for _, n := range q.repo.MemberGroups {
		m := s.idx.mgByName[n]
		items = append(items, repoUserGroupDTO{UserGroupName: m.Name, UserGroupID: m.ID, ProjectID: s.fx.ProjectID, UserCount: strconv.Itoa(len(m.Members))})
	}
	return listReply(q, items, true)
}

func hAssociateRepositoryUserGroup(s *Server, q *request) reply {
	r, m := q.repo, q.mg
	if conflict := attachMemberGroup(&r.MemberGroups, m.Name); conflict != nil {
		return *conflict
	}
	r.Updated = s.nextUpdate()
	return reply{status: http.StatusOK, body: map[string]string{"status": "success"}, changed: true}
}

type teamDTO struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// hListProjectTeams returns every project member group (they are defined at
// project level), filtered by search.
func hListProjectTeams(s *Server, q *request) reply {
	search := strings.ToLower(q.query.Get("search"))
	items := []teamDTO{}
	for _, m := range s.fx.MemberGroups {
		if search == "" || strings.Contains(strings.ToLower(m.Name), search) {
			items = append(items, teamDTO{ID: m.TeamID, Name: m.Name})
		}
	}
	return listReply(q, items, true)
}

type grantedUserDTO struct {
	ID                   int64  `json:"id"`
	Name                 string `json:"name"`
	NameCN               string `json:"name_cn"`
	Username             string `json:"username"`
	IAMID                string `json:"iam_id"`
	NickName             string `json:"nick_name"`
	TenantName           string `json:"tenant_name"`
	Email                string `json:"email"`
	ServiceLicenseStatus int    `json:"service_license_status"`
}

func hListProjectUsers(s *Server, q *request) reply {
	query := strings.ToLower(q.query.Get("query"))
	items := []grantedUserDTO{}
	for _, u := range s.fx.Users {
		if query == "" || strings.Contains(strings.ToLower(u.Name), query) {
			items = append(items, grantedUserDTO{ID: u.ID, Name: u.Name, Username: u.IAMID, IAMID: u.IAMID, NickName: u.Name,
				TenantName: simTenant, ServiceLicenseStatus: 1})
		}
	}
	return listReply(q, items, false)
}

type roleSyncDTO struct {
	ID              int64  `json:"id"`
	RoleID          string `json:"role_id"`
	RoleSyncEnabled bool   `json:"role_sync_enabled"`
	RoleName        string `json:"role_name"`
	RoleType        string `json:"role_type"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       string `json:"updated_at"`
}

func hShowMemberSetting(s *Server, q *request) reply {
	// The fixture's roles, then the project members' roles it lacks; the
	// sync is on with member_sync, for every role listed.
	items := []roleSyncDTO{}
	seen := map[string]bool{}
	role := func(name, id string) {
		if !seen[name] {
			seen[name] = true
			items = append(items, roleSyncDTO{ID: int64(len(items) + 1), RoleID: id, RoleSyncEnabled: true, RoleName: name,
				RoleType: "custom", CreatedAt: simCreatedAt, UpdatedAt: simCreatedAt})
		}
	}
	for _, r := range s.fx.Roles {
		role(r.Name, r.ID)
	}
	for _, pm := range s.fx.ProjectMembers {
		role(pm.Role, s.projectRoleID(pm.Role))
	}
	p, bad := page(q, items)
	if bad != nil {
		return *bad
	}
	return jsonReply(http.StatusOK, map[string]any{"product_id": s.fx.ProjectID, "sync_enabled": s.memberSync(),
		"sync_all_role_enabled": false, "role_sync": p})
}
