package sim

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is what a handler sees of one API call.
type request struct {
	query  url.Values
	header http.Header
	body   []byte
	params map[string]string
	credential
	at      time.Time // the simulator clock when the request arrived
	pageCap int       // behaviour page_cap (reads only)

	// What the path names, looked up before the handler runs (resolve).
	group *Group
	repo  *Repository
	mg    *MemberGroup
}

type handler func(s *Server, q *request) reply

type route struct {
	method, pattern, op string
	h                   handler
	segs                []string
}

// iam reports whether the route is on the IAM host.
func (rt *route) iam() bool {
	return strings.HasPrefix(rt.pattern, "/v3/") || strings.HasPrefix(rt.pattern, "/v3.0/")
}

// serviceStage reports whether the route is a ServiceStage one (the IAM
// project id in the path).
func (rt *route) serviceStage() bool {
	return strings.HasPrefix(rt.pattern, "/v1/{iam_project_id}/git/")
}

// routes is the endpoint set; operation names are the SDK method names.
var routes = []*route{
	{method: "GET", pattern: "/v4/projects/{project_id}/subgroups-and-repositories", op: "ListProjectSubgroupsAndRepositories", h: hListChildren},
	{method: "GET", pattern: "/v4/groups/{group_id}/subgroups-and-repositories", op: "ListGroupSubgroupsAndRepositories", h: hListChildren},
	{method: "GET", pattern: "/v4/{project_id}/groups/{group_id}", op: "ShowGroup", h: hShowGroup},
	{method: "POST", pattern: "/v4/{project_id}/groups", op: "CreateGroup", h: hCreateGroup},
	{method: "DELETE", pattern: "/v4/{project_id}/groups/{group_id}", op: "DeleteGroup", h: hDeleteGroup},
	{method: "GET", pattern: "/v4/groups/{group_id}/user-groups", op: "ListGroupUserGroups", h: hListGroupUserGroups},
	{method: "GET", pattern: "/v4/groups/{group_id}/user-groups/addable-list", op: "ListGroupAddableUserGroups", h: hListGroupAddableUserGroups},
	{method: "POST", pattern: "/v4/{project_id}/groups/{group_id}/user-group/{user_group_id}", op: "AssociateGroupUserGroup", h: hAssociateGroupUserGroup},
	{method: "GET", pattern: "/v4/repositories/{repository_id}", op: "ShowRepository", h: hShowRepository},
	{method: "GET", pattern: "/v4/repositories/{repository_id}/members", op: "ListMembers", h: hListMembers},
	{method: "GET", pattern: "/v1/repositories/{repository_uuid}/members", op: "ListRepoMembers", h: hListRepoMembers},
	{method: "POST", pattern: "/v1/repositories/{repository_uuid}/members", op: "AddRepoMembers", h: hAddRepoMembers},
	{method: "PUT", pattern: "/v1/repositories/{repository_uuid}/members/{member_id}", op: "SetRepoRole", h: hSetRepoRole},
	{method: "DELETE", pattern: "/v1/repositories/{repository_uuid}/members/{member_id}", op: "DeleteRepoMember", h: hDeleteRepoMember},
	{method: "GET", pattern: "/v4/repositories/{repository_id}/user-groups", op: "ListRepositoryUserGroups", h: hListRepositoryUserGroups},
	{method: "POST", pattern: "/v4/{project_id}/repositories/{repository_id}/user-group/{user_group_id}", op: "AssociateRepositoryUserGroup", h: hAssociateRepositoryUserGroup},
	{method: "GET", pattern: "/v4/projects/{project_id}/protected-refs/user-groups", op: "ListProjectProtectedRefsUserGroups", h: hListProjectTeams},
	{method: "GET", pattern: "/v4/repositories/{repository_id}/file-push-permissions", op: "ListRepositoryFilePushPermissions", h: hListPushRules},
	{method: "POST", pattern: "/v4/repositories/{repository_id}/file-push-permissions", op: "CreateFilePushPermission", h: hCreatePushRule},
	{method: "PUT", pattern: "/v4/repositories/{repository_id}/file-push-permissions", op: "BatchUpdateRepositoryFilePushPermissions", h: hUpdatePushRules},
	{method: "POST", pattern: "/v4/repositories/{repository_id}/file-push-permissions/batch-delete", op: "BatchDeleteRepositoryFilePushPermissions", h: hDeletePushRules},
	{method: "GET", pattern: "/v4/projects/{project_id}/members", op: "ListProductPermissionResourcesGrantedUsers", h: hListProjectUsers},
	{method: "GET", pattern: "/v4/projects/{project_id}/member-setting", op: "ShowProjectMemberSetting", h: hShowMemberSetting},
	{method: "GET", pattern: "/v1/{iam_project_id}/git/auths", op: "ListAuthorizations", h: hListAuths},
	{method: "POST", pattern: "/v1/{iam_project_id}/git/auths/{repo_type}/password", op: "CreatePasswordAuth", h: hCreatePasswordAuth},
	{method: "DELETE", pattern: "/v1/{iam_project_id}/git/auths/{name}", op: "DeleteAuthorize", h: hDeleteAuth},
	{method: "POST", pattern: "/v3/auth/tokens", op: "KeystoneCreateUserTokenByPassword", h: hKeystoneLogin},
	{method: "GET", pattern: "/v3/auth/tokens", op: "KeystoneValidateToken", h: hKeystoneValidate},
	{method: "GET", pattern: "/v3.0/OS-CREDENTIAL/credentials/{access_key}", op: "ShowPermanentAccessKey", h: hShowPermanentAccessKey},
}

func init() {
	for _, rt := range routes {
		rt.segs = strings.Split(strings.Trim(rt.pattern, "/"), "/")
	}
}

// match finds the route of a request; literal segments win over parameters,
// so /v4/projects/X/members never reads as /v4/{project_id}/….
func match(method, path string) (*route, map[string]string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *route
	var bestParams map[string]string
	bestLit := -1
next:
	for _, rt := range routes {
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		params, lit := map[string]string{}, 0
		for i, p := range rt.segs {
			switch {
			case strings.HasPrefix(p, "{") && segs[i] != "":
				params[strings.Trim(p, "{}")] = segs[i]
			case p == segs[i]:
				lit++
			default:
				continue next
			}
		}
		if lit > bestLit {
			best, bestParams, bestLit = rt, params, lit
		}
	}
	return best, bestParams
}

// resolve looks up what the path of a request names, in path order, so that
// a handler starts from it: the project ids must be the fixture's, and
// {group_id}, {repository_id}, {repository_uuid} and {user_group_id} must
// name a group, repository or member group (q.group, q.repo, q.mg). The
// first that does not is the answer; other parameters are the handler's.
func (s *Server) resolve(rt *route, q *request) *reply {
	for _, seg := range rt.segs {
		name := strings.Trim(seg, "{}")
		v, ok := q.params[name]
		if !ok {
			continue // a literal segment
		}
		var bad reply
		switch name {
		case "project_id":
			if v != s.fx.ProjectID {
				bad = notFound("project " + v + " not found")
			}
		case "iam_project_id":
			if v != s.fx.IAMProjectID {
				bad = errReply(http.StatusNotFound, "SVCSTG.REPO.0404", "project "+v+" not found")
			}
		case "group_id":
			id, ok := intParam(v)
			q.group = s.idx.groupByID[id]
			// A group delete_group: async still shows (ghosts.go), to every
			// route but AssociateGroupUserGroup (the one POST: 404).
			if gh := s.ghosts[id]; q.group == nil && gh != nil && rt.method != http.MethodPost {
				q.group = &gh.group
			}
			switch {
			case !ok:
				bad = badParam("group_id must be an integer from 1 to 2147483647")
			case q.group == nil:
				bad = notFound(fmt.Sprintf("group %d not found", id))
			}
		case "repository_id":
			id, ok := intParam(v)
			q.repo = s.idx.repoByID[id]
			switch {
			case !ok:
				bad = badParam("repository_id must be an integer from 1 to 2147483647")
			case q.repo == nil:
				bad = notFound(fmt.Sprintf("repository %d not found", id))
			}
		case "repository_uuid":
			q.repo = s.idx.repoByUUID[v]
			switch {
			case !hex32.MatchString(v):
				bad = legacyErr(http.StatusBadRequest, "DEV.CH.10001", "Param invalid: repository_uuid must be 32 hex characters")
			case q.repo == nil:
				bad = legacyErr(http.StatusNotFound, "DEV.CH.10002", "repository "+v+" not found")
			}
		case "user_group_id":
			q.mg = s.idx.mgByID[v]
			switch {
			case !hex32.MatchString(v):
				bad = badParam("user_group_id must be 32 hex characters")
			case q.mg == nil:
				bad = notFound("member group " + v + " not found")
			}
		}
		if bad.status != 0 {
			return &bad
		}
	}
	return nil
}

func badParam(msg string) reply { return errReply(http.StatusBadRequest, "CH.010001", msg) }
func notFound(msg string) reply { return errReply(http.StatusNotFound, "CH.000404", msg) }

// intParam parses a positive int32 path parameter.
func intParam(v string) (int64, bool) {
	n, err := strconv.ParseInt(v, 10, 32)
	return n, err == nil && n >= 1
}

// intQuery reads the integer query parameter key: def when it is absent,
// false when it is not an integer from lo to hi.
func (q *request) intQuery(key string, def, lo, hi int) (int, bool) {
	v := q.query.Get(key)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && lo <= n && n <= hi
}

// page applies v4 offset/limit (limit 1–100, default 20); behaviour
// page_cap N > 0 silently returns at most N items whatever limit asks.
func page[T any](q *request, items []T) ([]T, *reply) {
	offset, ok := q.intQuery("offset", 0, 0, math.MaxInt32)
	if !ok {
		return nil, new(badParam("offset must be an integer from 0 to 2147483647"))
	}
	limit, ok := q.intQuery("limit", 20, 1, 100)
	if !ok {
		return nil, new(badParam("limit must be an integer from 1 to 100"))
	}
	if q.pageCap > 0 {
		limit = min(limit, q.pageCap)
	}
	if offset >= len(items) {
		return []T{}, nil
	}
	return items[offset:min(offset+limit, len(items))], nil
}

// listReply pages items; withTotal adds the X-Total header.
func listReply[T any](q *request, items []T, withTotal bool) reply {
	p, bad := page(q, items)
	if bad != nil {
		return *bad
	}
	rep := jsonReply(http.StatusOK, p)
	if withTotal {
		rep.header = http.Header{"X-Total": {strconv.Itoa(len(items))}}
	}
	return rep
}

// index holds lookups over the fixture. It points into the fixture's slices,
// so the two writes that change one of them (CreateGroup, DeleteGroup)
// rebuild it; handlers never change the key fields (names, paths, ids) of an
// existing object, so any other write keeps it valid.
type index struct {
	userByName  map[string]*User
	userByIAM   map[string]*User
	userByID    map[int64]*User
	mgByName    map[string]*MemberGroup
	mgByID      map[string]*MemberGroup
	mgByTeam    map[int64]*MemberGroup
	roleByName  map[string]*Role
	roleByID    map[string]*Role
	groupByID   map[int64]*Group
	groupByPath map[string]*Group
	repoByID    map[int64]*Repository
	repoByUUID  map[string]*Repository
	repoByPath  map[string]*Repository
}

func buildIndex(fx *Fixture) *index {
	return &index{
		userByName:  indexBy(fx.Users, func(u *User) string { return u.Name }),
		userByIAM:   indexBy(fx.Users, func(u *User) string { return u.IAMID }),
		userByID:    indexBy(fx.Users, func(u *User) int64 { return u.ID }),
		mgByName:    indexBy(fx.MemberGroups, func(m *MemberGroup) string { return m.Name }),
		mgByID:      indexBy(fx.MemberGroups, func(m *MemberGroup) string { return m.ID }),
		mgByTeam:    indexBy(fx.MemberGroups, func(m *MemberGroup) int64 { return m.TeamID }),
		roleByName:  indexBy(fx.Roles, func(r *Role) string { return r.Name }),
		roleByID:    indexBy(fx.Roles, func(r *Role) string { return r.ID }),
		groupByID:   indexBy(fx.Groups, func(g *Group) int64 { return g.ID }),
		groupByPath: indexBy(fx.Groups, func(g *Group) string { return g.Path }),
		repoByID:    indexBy(fx.Repositories, func(r *Repository) int64 { return r.ID }),
		repoByUUID:  indexBy(fx.Repositories, func(r *Repository) string { return r.UUID }),
		repoByPath:  indexBy(fx.Repositories, func(r *Repository) string { return r.Path }),
	}
}

// indexBy maps the key of every item to the item, a pointer into items.
func indexBy[K comparable, T any](items []T, key func(*T) K) map[K]*T {
	m := make(map[K]*T, len(items))
	for i := range items {
		m[key(&items[i])] = &items[i]
	}
	return m
}
