package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const simCreatedAt = "2025-01-01T00:00:00.000+08:00"

// Wire structs of the group endpoints (docs/api-reference.md §4).
type childDTO struct {
	DescendantType  string `json:"descendant_type"`
	ID              int64  `json:"id"`
	UUID            string `json:"uuid,omitempty"`
	Name            string `json:"name"`
	Path            string `json:"path"`
	FullName        string `json:"full_name"`
	FullPath        string `json:"full_path"`
	ParentID        int64  `json:"parent_id,omitempty"`
	GroupLevel      int    `json:"group_level,omitempty"`
	Description     string `json:"description"`
	ProjectID       string `json:"project_id"`
	Visibility      string `json:"visibility"`
	VisibilityLevel int    `json:"visibility_level"`
	SubgroupCount   *int   `json:"subgroup_count,omitempty"`
	ProjectCount    *int   `json:"project_count,omitempty"`
	CreatedAt       string `json:"created_at"`
	UpdatedAt       int64  `json:"updated_at_timestamp"`
	Archived        bool   `json:"archived"`
	// IsProjectAdmin is a flag about the caller (docs/api-reference.md §4.5).
	IsProjectAdmin int `json:"is_project_admin"`
}

type showGroupDTO struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	FullName        string   `json:"full_name"`
	FullPath        string   `json:"full_path"`
	ParentID        int64    `json:"parent_id,omitempty"`
	Description     string   `json:"description"`
	Visibility      string   `json:"visibility"`
	ProjectID       string   `json:"project_id"`
	CreatorID       int64    `json:"creator_id"`
	CreatedAt       string   `json:"created_at"`
	AncestorIDs     []int64  `json:"ancestor_ids"`
	AncestorNames   []string `json:"ancestor_names"`
	MembersCount    int      `json:"members_count"`
	RepositoryCount int      `json:"repository_count"`
	SubgroupCount   int      `json:"subgroup_count"`
	StarCount       int      `json:"star_count"`
	Starred         bool     `json:"starred"`
}

// visibilityLevels are the visibility_level of each visibility.
var visibilityLevels = map[string]int{"public": 20, "private": 0}

// fullPath is the full_path the API answers for a group or repository path
// of the fixture: with full_path_namespace, under the project's 32-hex
// namespace (docs/api-reference.md §18.4), which fixture paths leave out.
func (s *Server) fullPath(path string) string {
	if flag(s.fx.Behaviour.FullPathNamespace) {
		return s.fx.Namespace + "/" + path
	}
	return path
}

// fullName is the matching full_name: the " / "-joined names.
func (s *Server) fullName(path string) string {
	return strings.ReplaceAll(s.fullPath(path), "/", " / ")
}

func base(path string) string {
	_, n, _ := cutLast(path)
	return n
}

// groupDTO is g as a tree listing shows it; subgroups and repos count the
// direct children of every group (childCounts), once for a whole listing.
func (s *Server) groupDTO(g *Group, subgroups, repos map[string]int) childDTO {
	ns, nr := subgroups[g.Path], repos[g.Path]
	d := childDTO{DescendantType: "group", ID: g.ID, Name: base(g.Path), Path: base(g.Path), FullName: s.fullName(g.Path),
		FullPath: s.fullPath(g.Path), GroupLevel: strings.Count(g.Path, "/") + 1, Description: g.Description, ProjectID: s.fx.ProjectID,
		Visibility: g.Visibility, VisibilityLevel: visibilityLevels[g.Visibility], SubgroupCount: &ns, ProjectCount: &nr, CreatedAt: simCreatedAt,
		UpdatedAt: simEpochMillis + g.Updated*1000}
	if parent, _, ok := cutLast(g.Path); ok {
		d.ParentID = s.idx.groupByPath[parent].ID
	}
	return d
}

func (s *Server) repoDTO(r *Repository) childDTO {
	return childDTO{DescendantType: "project", ID: r.ID, UUID: r.UUID, Name: base(r.Path), Path: base(r.Path),
		FullName: s.fullName(r.Path), FullPath: s.fullPath(r.Path), ProjectID: s.fx.ProjectID, Visibility: "private", CreatedAt: simCreatedAt,
		UpdatedAt: simEpochMillis + r.Updated*1000, Archived: r.Archived}
}

// childCounts counts the direct sub-groups and repositories of every group in
// one pass: calling children for each listed group made N passes over the
// state, 5 million steps a page at 10 000 repositories in 500 groups.
func (s *Server) childCounts() (subgroups, repos map[string]int) {
	subgroups, repos = map[string]int{}, map[string]int{}
	for i := range s.fx.Groups {
		if p, _, ok := cutLast(s.fx.Groups[i].Path); ok {
			subgroups[p]++
		}
	}
	for _, gh := range s.ghosts {
		if p, _, ok := cutLast(gh.group.Path); ok {
			subgroups[p]++
		}
	}
	for i := range s.fx.Repositories {
		if p, _, ok := cutLast(s.fx.Repositories[i].Path); ok {
			repos[p]++
		}
	}
	return subgroups, repos
}

// children lists the direct sub-groups (groups scheduled for deletion that
// are still visible included) and repositories of parent ("" = root).
func (s *Server) children(parent string) ([]*Group, []*Repository) {
	var gs []*Group
	var rs []*Repository
	for i := range s.fx.Groups {
		if p, _, _ := cutLast(s.fx.Groups[i].Path); p == parent {
			gs = append(gs, &s.fx.Groups[i])
		}
	}
	for _, gh := range s.ghosts {
		if p, _, _ := cutLast(gh.group.Path); p == parent {
			gs = append(gs, &gh.group)
		}
	}
	for i := range s.fx.Repositories {
		if p, _, _ := cutLast(s.fx.Repositories[i].Path); p == parent {
			rs = append(rs, &s.fx.Repositories[i])
		}
	}
	return gs, rs
}

// hListChildren answers the tree listings of the project root or a group:
// sub-groups, then repositories, in the tree order (order.go). archived
// (docs/api-reference.md §4.5; behaviour archived_listing) splits them, so
// "is this group empty" takes both listings.
func hListChildren(s *Server, q *request) reply {
	parent := ""
	if q.group != nil {
		parent = q.group.Path
	}
	by, desc, bad := s.treeOrder(q)
	if bad != nil {
		return *bad
	}
	v := q.query.Get("archived")
	if v != "" && v != "true" && v != "false" {
		return badParam("archived must be true or false")
	}
	archived := v == "true"
	gs, rs := s.children(parent)
	if !archived || s.fx.Behaviour.ArchivedListing != "all" {
		rs = slices.DeleteFunc(rs, func(r *Repository) bool { return r.Archived != archived })
		if archived {
			gs = nil
		}
	}
	sortTree(gs, func(g *Group) ordered { return ordered{g.ID, base(g.Path), g.Updated} }, by, desc)
	sortTree(rs, func(r *Repository) ordered { return ordered{r.ID, base(r.Path), r.Updated} }, by, desc)
	items := make([]childDTO, 0, len(gs)+len(rs))
	var nsub, nrepo map[string]int
	if len(gs) > 0 {
		nsub, nrepo = s.childCounts()
	}
	for _, g := range gs {
		items = append(items, s.groupDTO(g, nsub, nrepo))
		s.sawGhost(g.ID) // a listing of its parent shows it
	}
	for _, r := range rs {
		items = append(items, s.repoDTO(r))
	}
	admin := s.administersProject(q)
	for i := range items {
		items[i].IsProjectAdmin = admin
	}
	return listReply(q, items, false)
}

func (s *Server) ancestors(path string) ([]int64, []string) {
	ids, names := []int64{}, []string{}
	segs := strings.Split(path, "/")
	for i := 1; i < len(segs); i++ {
		p := strings.Join(segs[:i], "/")
		if g := s.idx.groupByPath[p]; g != nil {
			ids = append(ids, g.ID)
			names = append(names, segs[i-1])
		}
	}
	return ids, names
}

// userID is the numeric id of the first of names that is a user, else 0:
// a creator_id, the caller's (credentials.user) when nothing else is known.
func (s *Server) userID(names ...string) int64 {
	for _, n := range names {
		if u := s.idx.userByName[n]; u != nil {
			return u.ID
		}
	}
	return 0
}

func hShowGroup(s *Server, q *request) reply {
	g := q.group
	subs, repos := s.children(g.Path)
	ids, names := s.ancestors(g.Path)
	d := showGroupDTO{ID: g.ID, Name: base(g.Path), FullName: s.fullName(g.Path), FullPath: s.fullPath(g.Path), Description: g.Description,
		Visibility: g.Visibility, ProjectID: s.fx.ProjectID, CreatorID: s.userID(s.fx.Credentials.User), CreatedAt: simCreatedAt,
		AncestorIDs: ids, AncestorNames: names, MembersCount: s.groupMemberCount(g), RepositoryCount: len(repos), SubgroupCount: len(subs)}
	if len(ids) > 0 {
		d.ParentID = ids[len(ids)-1]
	}
	s.sawGhost(g.ID)
	return jsonReply(http.StatusOK, d)
}

// createGroupBody decodes strictly typed fields: a string where an int32 is
// expected fails to decode and answers 400.
type createGroupBody struct {
	Name        *string `json:"name"`
	ParentID    *int32  `json:"parent_id"`
	Visibility  *string `json:"visibility"`
	Description *string `json:"description"`
}

func hCreateGroup(s *Server, q *request) reply {
	var b createGroupBody
	if err := json.Unmarshal(q.body, &b); err != nil {
		return badParam("invalid request body: " + err.Error())
	}
	if b.Name == nil || !segment.MatchString(*b.Name) {
		return badParam("name is required: 1-100 letters, digits, '_', '.', '-', not starting with '.' or '-'")
	}
	vis := "public" // the API's default (seed)
	if b.Visibility != nil {
		if *b.Visibility != "public" && *b.Visibility != "private" {
			return badParam("visibility must be public or private")
		}
		vis = *b.Visibility
	}
	path := *b.Name
	if b.ParentID != nil {
		parent := s.idx.groupByID[int64(*b.ParentID)]
		if parent == nil {
			return notFound(fmt.Sprintf("parent group %d not found", *b.ParentID))
		}
		path = parent.Path + "/" + path
	}
	if s.idx.groupByPath[path] != nil || s.idx.repoByPath[path] != nil || s.ghostAt(path) {
		// No documented code for a duplicate name; the closest documented one
		// is the invalid-parameter 400 CH.010001.
		return badParam(fmt.Sprintf("a group or repository named %q already exists under this parent", *b.Name))
	}
	// LastGroupID covers every id handed out (New starts it at the
	// fixture's highest), so a deleted group's id is never reused.
	s.fx.LastGroupID = max(99, s.fx.LastGroupID) + 1
	g := Group{Path: path, ID: s.fx.LastGroupID, Visibility: vis, Updated: s.nextUpdate()}
	if b.Description != nil {
		g.Description = *b.Description
	}
	s.fx.Groups = append(s.fx.Groups, g)
	s.idx = buildIndex(s.fx) // the append may have moved the groups the index points into
	body := map[string]any{"id": g.ID, "name": *b.Name, "description": g.Description, "full_name": s.fullName(path),
		"full_path": s.fullPath(path), "visibility": vis}
	if b.ParentID != nil {
		body["parent_id"] = int64(*b.ParentID) // the parent's id
	}
	return reply{status: http.StatusCreated, body: body, changed: true}
}

func hDeleteGroup(s *Server, q *request) reply {
	g := q.group
	if s.ghosts[g.ID] != nil {
		// Already scheduled: the same answer, nothing more to do.
		return reply{status: http.StatusAccepted, body: "Group '" + base(g.Path) + "' was scheduled for deletion."}
	}
	subs, repos := s.children(g.Path)
	if len(subs)+len(repos) > 0 && s.fx.Behaviour.DeleteGroup != "cascade" {
		// Not documented; 400 CH.010001 is the closest documented code.
		return badParam(fmt.Sprintf("group %q is not empty: %d sub-groups, %d repositories", g.Path, len(subs), len(repos)))
	}
	if s.fx.Behaviour.DeleteGroup == "async" {
		s.ghosts[g.ID] = &ghost{group: *g, reads: asyncDeleteReads} // g leaves the state, nothing changes it again
	}
	// The state drops the group at once (a restart finds it gone); with
	// delete_group: async, reads still show it for a while (ghosts.go).
	// Under cascade (GitLab's way, whose wording the 202 answer has) the
	// contents go too; otherwise there are none.
	id, name, under := g.ID, base(g.Path), g.Path+"/"
	s.fx.Repositories = slices.DeleteFunc(s.fx.Repositories, func(r Repository) bool { return strings.HasPrefix(r.Path, under) })
	s.fx.Groups = slices.DeleteFunc(s.fx.Groups, func(x Group) bool { return x.ID == id || strings.HasPrefix(x.Path, under) })
	s.idx = buildIndex(s.fx) // the groups after it moved
	return reply{status: http.StatusAccepted, body: "Group '" + name + "' was scheduled for deletion.", changed: true}
}

type groupUserGroupDTO struct {
	ID          int64  `json:"id"`
	UserGroupID string `json:"user_group_id"`
	Name        string `json:"name"`
	ProjectID   string `json:"project_id"`
	TenantID    string `json:"tenant_id"`
	GroupType   string `json:"group_type"`
	MemberCount int    `json:"member_count"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	Description string `json:"description"`
}

func (s *Server) mgDTO(m *MemberGroup) groupUserGroupDTO {
	return groupUserGroupDTO{ID: m.TeamID, UserGroupID: m.ID, Name: m.Name, ProjectID: s.fx.ProjectID,
		TenantID: hexID("domain", "sim"), GroupType: "project", MemberCount: len(m.Members), CreatedAt: simCreatedAt, UpdatedAt: simCreatedAt}
}

func hListGroupUserGroups(s *Server, q *request) reply {
	items := []groupUserGroupDTO{}
	for _, n := range q.group.MemberGroups {
		items = append(items, s.mgDTO(s.idx.mgByName[n]))
	}
	return listReply(q, items, false)
}

func hListGroupAddableUserGroups(s *Server, q *request) reply {
	if pid := q.query.Get("project_id"); pid == "" {
		return badParam("project_id is required")
	} else if pid != s.fx.ProjectID {
		return notFound("project " + pid + " not found")
	}
	items := []groupUserGroupDTO{}
	for i := range s.fx.MemberGroups {
		if m := &s.fx.MemberGroups[i]; !slices.Contains(q.group.MemberGroups, m.Name) {
			items = append(items, s.mgDTO(m))
		}
	}
	return listReply(q, items, false)
}

// inheritedVia is one source of an inherited membership.
type inheritedVia struct {
	mg    *MemberGroup
	group *Group // nil when attached to the repository itself
}

// groupMembers are the users reaching a group through member groups attached
// to it or to an ancestor, each with its first source.
func (s *Server) groupMembers(g *Group) map[string]inheritedVia {
	out := map[string]inheritedVia{}
	segs := strings.Split(g.Path, "/")
	for i := len(segs); i >= 1; i-- { // nearest group first
		anc := s.idx.groupByPath[strings.Join(segs[:i], "/")]
		if anc == nil {
			continue
		}
		for _, n := range anc.MemberGroups {
			m := s.idx.mgByName[n]
			for _, u := range m.Members {
				if _, ok := out[u]; !ok {
					out[u] = inheritedVia{mg: m, group: anc}
				}
			}
		}
	}
	return out
}

// groupMemberCount is ShowGroup's members_count: with member_sync every
// project member, and the users reaching g through a member group on it or
// an ancestor.
func (s *Server) groupMemberCount(g *Group) int {
	users := s.groupMembers(g)
	n := len(users)
	if s.memberSync() {
		for _, pm := range s.fx.ProjectMembers {
			if _, ok := users[pm.User]; !ok {
				n++
			}
		}
	}
	return n
}

func hAssociateGroupUserGroup(s *Server, q *request) reply {
	g, m := q.group, q.mg
	var failure []map[string]any // the users behaviour.refuse_items names
	for _, un := range m.Members {
		if s.refused(un) {
			failure = append(failure, map[string]any{"iam_id": s.idx.userByName[un].IAMID, "message": []string{refusal}})
		}
	}
	if len(failure) > 0 && !slices.Contains(g.MemberGroups, m.Name) {
		// Refused inside a 2xx answer, nothing attached.
		return reply{status: http.StatusCreated, body: map[string]any{"success": []any{}, "failure": failure}}
	}
	if conflict := attachMemberGroup(&g.MemberGroups, m.Name); conflict != nil {
		return *conflict
	}
	g.Updated = s.nextUpdate()
	type added struct {
		ID    string `json:"id"`
		IAMID string `json:"iam_id"`
		Name  string `json:"name"`
	}
	success := []added{}
	for _, un := range m.Members {
		u := s.idx.userByName[un]
		success = append(success, added{ID: strconv.FormatInt(u.ID, 10), IAMID: u.IAMID, Name: u.Name})
	}
	return reply{status: http.StatusCreated, body: map[string]any{"success": success, "failure": []any{}}, changed: true}
}

// attachMemberGroup adds a member group to a group's or repository's list;
// an already attached one answers 409 CH_23_51308, as both Associate
// operations do (docs/api-reference.md §7, §18.3).
func attachMemberGroup(list *[]string, name string) *reply {
	if slices.Contains(*list, name) {
		return new(errReply(http.StatusConflict, "CH_23_51308", "The member group has been added."))
	}
	*list = append(*list, name)
	return nil
}
