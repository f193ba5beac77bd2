package doctor

import (
	"fmt"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// writeFamily is one kind of write apply may make, what grants it, and
// when a spec needs it.
type writeFamily struct {
	family string
	ops    []string
	// on says what the right depends on: "group" (the group role or project
	// administration), "repository" (the repository's administrator, level
	// 40, or project administration) or "iam" (ServiceStage: IAM policies).
	on string
	// needed says whether the spec makes apply use the family; unneeded
	// says why not.
	needed   func(*Scope, Managed) bool
	unneeded string
}

var writeFamilies = []writeFamily{
	{"groups", []string{"CreateGroup", "DeleteGroup"}, "group",
		func(s *Scope, _ Managed) bool { return s.Groups > 0 }, "the spec lists no group"},
	{"group_member_groups", []string{"AssociateGroupUserGroup"}, "group",
		func(s *Scope, _ Managed) bool { return s.GroupMemberGroups }, "no group of the spec lists member groups"},
	{"repository_members", []string{"AddRepoMembers", "SetRepoRole", "DeleteRepoMember"}, "repository",
		func(_ *Scope, m Managed) bool { return m.Members }, "the spec manages no repository's members"},
	{"repository_member_groups", []string{"AssociateRepositoryUserGroup"}, "repository",
		func(_ *Scope, m Managed) bool { return m.MemberGroups }, "the spec manages no repository's member groups"},
	{"push_rules", []string{"CreateFilePushPermission", "BatchUpdateRepositoryFilePushPermissions", "BatchDeleteRepositoryFilePushPermissions"}, "repository",
		func(_ *Scope, m Managed) bool { return m.PushRules }, "the spec manages no repository's push rules"},
	{"git_auths", []string{"CreatePasswordAuth", "DeleteAuthorize"}, "iam",
		func(s *Scope, _ Managed) bool { return s.GitAuths }, "the spec has no git_auths"},
}

// writes infers, from the caller's roles, whether apply's writes would be
// allowed. Nothing is tried: the write probe is the only write doctor makes.
// Without a spec, or when it could not be expanded, every family counts.
func (r *run) writes() {
	for _, f := range writeFamilies {
		w := Write{Family: f.family, Operations: f.ops}
		if s := r.o.Spec; s != nil && r.scopeErr == nil && !f.needed(s, r.managed) {
			w.Status, w.Reason = NotNeeded, f.unneeded
		} else if p := r.deniedRead(f.family); p != nil {
			w.Status, w.Reason = Denied, fmt.Sprintf("observed: reading it is denied on %s%s", p.Target, errText(p.Error))
		} else {
			w.Status, w.Reason = r.inferWrite(f)
		}
		r.rep.Writes = append(r.rep.Writes, w)
	}
}

// deniedRead is the denied read of the list a write family changes, nil
// when it was allowed or not read: a caller who may not read a list may not
// change it either, so the denial is observed, not inferred.
func (r *run) deniedRead(family string) *Permission {
	for i, p := range r.rep.Permissions {
		if p.Family == family && p.Status == Denied {
			return &r.rep.Permissions[i]
		}
	}
	return nil
}

// inferWrite infers a write family's status from the caller's roles, the
// rules docs/api-assumptions.md A42 states (and the simulator enforces).
func (r *run) inferWrite(f writeFamily) (string, string) {
	id := r.rep.Identity
	switch {
	case f.on == "iam":
		return Unknown, "ServiceStage authorizations follow the identity's IAM policies, not a CodeArts role; doctor cannot infer them"
	case id.Status != IdentityKnown:
		return Unknown, "the identity is unknown, so its roles are"
	case id.ProjectAdmin != nil && *id.ProjectAdmin:
		return LikelyAllowed, "the caller administers the project (" + id.ProjectAdminSource + ")"
	case id.ProjectMember != nil && !*id.ProjectMember:
		return DeniedByRole, "the caller is not a member of the CodeArts project; only a tenant administrator may write then, which doctor cannot see"
	case f.on == "group":
		return Unknown, "group rights follow the caller's role on each group, which doctor does not read; a project administrator or the group's administrator may"
	case len(id.Repositories) == 0:
		return Unknown, "no sampled repository's member list could be read"
	}
	var not []string
	for _, rr := range id.Repositories {
		switch {
		case rr.Admin:
		case !rr.Member:
			not = append(not, rr.Repository+" (not a member)")
		default:
			role := rr.Role
			if rr.Level != 0 {
				role = fmt.Sprintf("%s, level %d", role, rr.Level)
			}
			not = append(not, fmt.Sprintf("%s (%s)", rr.Repository, strings.TrimPrefix(role, ", ")))
		}
	}
	if len(not) == 0 {
		return LikelyAllowed, fmt.Sprintf("the caller administers all %s", state.Count(len(id.Repositories), "sampled repository"))
	}
	return DeniedByRole, "it needs the repository's administrator (level 40), a project administrator or a tenant administrator (which doctor cannot see); the caller is none of the first two on " + strings.Join(not, ", ")
}

// probeWrites corrects the push rule writes by what the write probe saw:
// its create denied is an observed denial; its create done proves the write
// in the probe's repository, which settles an inference that was not a
// denial (a denial inferred for other repositories stands).
func (r *run) probeWrites() {
	p := r.rep.WriteProbe
	i := slices.IndexFunc(r.rep.Writes, func(w Write) bool { return w.Family == "push_rules" })
	if p == nil || i < 0 {
		return
	}
	w, create := &r.rep.Writes[i], p.Steps[0] // a probe's first step is always its create
	switch {
	case w.Status == NotNeeded || w.Status == Denied:
	case create.Status == StepFailed && create.Error != nil && (create.Error.HTTPStatus == 401 || create.Error.HTTPStatus == 403):
		w.Status, w.Reason = Denied, "observed: the write probe's "+create.Operation+" in "+p.Repository+" was denied"+errText(create.Error)
	case create.Status == StepDone && w.Status != DeniedByRole:
		w.Status, w.Reason = Allowed, "the write probe created, changed and deleted a push rule in "+p.Repository
	}
}
