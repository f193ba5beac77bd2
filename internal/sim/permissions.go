package sim

import (
	"net/http"
	"strings"
)

// Role checks (behaviour role_checks, docs/api-assumptions.md A42) follow
// the rules reposync doctor infers from what it reads, so that doctor's
// verdict and apply's result agree. ServiceStage writes follow IAM policies,
// which the simulator does not model: they are never denied. A denial
// answers 403 CH.004403 (docs/api-reference.md §15.2, seed: "caller lacks
// permission"), in the legacy envelope on the v1 member endpoints, with a
// message of the simulator's own (the reference documents none).
const denialCode = "CH.004403"

// authorize answers a CodeArts write (every route but the GETs, IAM and
// ServiceStage) that the caller may not make with the denial; nil lets the
// handler run. A request naming a repository that does not exist passes, so
// the handler answers it as usual (404).
func (s *Server) authorize(rt *route, q *request) *reply {
	if rt.method == http.MethodGet || rt.iam() || rt.serviceStage() || !flag(s.fx.Behaviour.RoleChecks) || q.tenantAdmin {
		return nil
	}
	why := s.denial(q)
	if why == "" {
		return nil
	}
	msg := "No permission to perform this operation: " + why
	if strings.HasPrefix(rt.pattern, "/v1/repositories/") {
		return new(legacyErr(http.StatusForbidden, denialCode, msg))
	}
	return new(errReply(http.StatusForbidden, denialCode, msg))
}

// denial says why the caller may not make a write, "" when it may: a tenant
// administrator (authorize) or a project manager may make every write, a
// caller who names no fixture user none; any other project member may make
// the group writes (they name no repository), and a repository write where
// it created the repository or holds level 40 (inherited members hold 30).
func (s *Server) denial(q *request) string {
	u := s.idx.userByName[q.user]
	switch {
	case u == nil:
		return "the caller is not a member of the CodeArts project"
	case s.isProjectManager(u.Name):
		return ""
	}
	var r *Repository
	if id, ok := intParam(q.params["repository_id"]); ok {
		r = s.idx.repoByID[id]
	} else if uuid := q.params["repository_uuid"]; uuid != "" {
		r = s.idx.repoByUUID[uuid]
	}
	if r == nil {
		return ""
	}
	if m, ok := s.repoMember(r, u); ok && (m.level >= 40 || m.creator) {
		return ""
	}
	return "the caller is neither an administrator of repository " + r.Path + " nor a project manager"
}

// isProjectManager reports whether the fixture makes the user a project
// manager, synced into the repositories or not (member_sync).
func (s *Server) isProjectManager(name string) bool {
	pm := s.projectEntry(name)
	return pm != nil && pm.Role == projectManager
}

// administersProject is the tree lists' is_project_admin flag about the
// caller (docs/api-reference.md §4.5: "0/1 flags about the caller"): 1 for a
// tenant administrator or a project manager.
func (s *Server) administersProject(q *request) int {
	return oneIf(q.tenantAdmin || s.isProjectManager(q.user))
}
