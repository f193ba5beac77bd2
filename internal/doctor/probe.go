package doctor

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// Probe statuses.
const (
	ProbePassed      = "passed"      // every step ran (its checks say what was learned)
	ProbeFailed      = "failed"      // a step failed, or the cleanup could not remove something
	ProbeInterrupted = "interrupted" // stopped by the user; the cleanup still ran
)

// Probe is the write probe: one push rule on a path that cannot exist,
// created, updated (BatchUpdate dropping a grant), read back and deleted,
// and a member group already attached attached again.
type Probe struct {
	Repository string `json:"repository"`
	// Path is the probe rule's path, /.reposync-doctor-probe-<random>/**.
	Path    string      `json:"path"`
	Status  string      `json:"status"`
	Summary string      `json:"summary"`
	Steps   []ProbeStep `json:"steps"`
	Cleanup Cleanup     `json:"cleanup"`
}

// Step statuses.
const (
	StepDone    = "done"
	StepFailed  = "failed"
	StepSkipped = "skipped"
)

// ProbeStep is one call of the probe.
type ProbeStep struct {
	// Step is a stable key: create, update, read_back, delete,
	// list_member_groups, attach_again.
	Step      string    `json:"step"`
	Operation string    `json:"operation"`
	Status    string    `json:"status"`
	Detail    string    `json:"detail"`
	Error     *APIError `json:"error"`
}

// Cleanup is what the probe's deferred cleanup found and did; it runs after
// every probe that tried to create its rule.
type Cleanup struct {
	Ran bool `json:"ran"`
	// Removed lists what the cleanup itself removed (an interrupted probe's
	// rule); a probe that finished deleted its rule already.
	Removed []string `json:"removed"`
	// Failed lists what it could not remove or verify: remove it by hand.
	Failed []string `json:"failed"`
	// Verified: a final read found no rule at the probe's path.
	Verified bool `json:"verified"`
}

// CleanupTimeout bounds the cleanup after an interruption: long enough for
// a list, a delete and a list under the gateway's budget, short enough that
// a second Ctrl-C is not needed.
const CleanupTimeout = 30 * time.Second

// ProbePathPrefix starts the path of every probe rule: a hidden directory no
// repository has, so the rule can never restrict a real push.
const ProbePathPrefix = "/.reposync-doctor-probe-"

// grant is one user, member group or role a probe rule names.
type grant struct {
	kind   string // "user", "member group", "role"
	id     int64  // user or member group id
	roleID string // role id to send
	name   string
}

func (g grant) String() string {
	if g.kind == "role" {
		return "role " + g.name
	}
	return fmt.Sprintf("%s %s (%d)", g.kind, g.name, g.id)
}

// key identifies a grant in a rule as read back; roles by name, since the
// id a rule shows may not be the id sent (A14).
func (g grant) key() string {
	if g.kind == "role" {
		return "role:" + g.name
	}
	return g.kind + ":" + strconv.FormatInt(g.id, 10)
}

func grantKeys(rule *api.FilePushPermission) map[string]string {
	out := map[string]string{}
	add := func(g grant) { out[g.key()] = g.String() }
	if rule == nil {
		return out
	}
	for _, a := range rule.Actions {
		for _, u := range a.Users {
			add(grant{kind: "user", id: u.ID, name: u.Name})
		}
		for _, t := range a.UserTeams {
			add(grant{kind: "member group", id: t.ID, name: t.Name})
		}
		for _, ro := range a.Roles {
			add(grant{kind: "role", name: ro.Name})
		}
	}
	return out
}

func action(gs []grant) api.PushActionBody {
	b := api.PushActionBody{Action: "push", Enable: true}
	for _, g := range gs {
		switch g.kind {
		case "user":
			b.UserIDs = append(b.UserIDs, g.id)
		case "member group":
			b.UserTeamIDs = append(b.UserTeamIDs, g.id)
		case "role":
			b.RelatedRoleIDs = append(b.RelatedRoleIDs, g.roleID)
		}
	}
	return b
}

// probeGrants picks two grants for the probe rule from what the run read:
// users first, then member groups, then roles.
func (r *run) probeGrants() []grant {
	var out []grant
	byName := func(a, b api.GrantedUser) int { return strings.Compare(a.Name, b.Name) }
	for _, u := range slices.SortedFunc(slices.Values(r.users), byName) {
		if u.ID > 0 {
			out = append(out, grant{kind: "user", id: u.ID, name: u.Name})
		}
	}
	for _, t := range r.teams {
		out = append(out, grant{kind: "member group", id: t.ID, name: t.Name})
	}
	for _, ro := range r.roles.RoleSync {
		out = append(out, grant{kind: "role", roleID: ro.RoleID, name: ro.RoleName})
	}
	return out[:min(2, len(out))]
}

// probe runs the write probe in o.WriteProbe and adds its checks (A13, A25).
func (r *run) probe(ctx context.Context) *Probe {
	p := &Probe{Repository: r.o.WriteProbe, Path: ProbePathPrefix + r.o.ProbeSuffix + "/**", Steps: []ProbeStep{},
		Cleanup: Cleanup{Removed: []string{}, Failed: []string{}}}
	a13 := check("A13", "batch_update", NotObserved, "the probe did not get as far as BatchUpdate", nil)
	a25 := check("A25", "attach_conflict", NotObserved, "the probe did not get as far as attaching a member group", nil)
	defer func() {
		r.rep.Behaviour = append(r.rep.Behaviour, a13, a25)
		p.Status, p.Summary = r.probeOutcome(p)
	}()
	var repo *state.LiveRepository
	missing := "the project tree could not be listed, so repository " + p.Repository + " could not be found"
	if r.live != nil {
		repo, missing = r.live.Repositories[p.Repository], "no repository "+p.Repository+" in the project (archived repositories are not probed)"
	}
	if repo == nil || repo.Archived {
		p.Steps = append(p.Steps, ProbeStep{Step: "create", Operation: "CreateFilePushPermission", Status: StepFailed, Detail: missing + "; nothing was written"})
		return p
	}
	if !r.probeRule(ctx, repo, p, &a13) {
		return p
	}
	r.probeAttach(ctx, repo, p, &a25)
	return p
}

// step records one step; it returns false when the probe must stop.
func (r *run) step(ctx context.Context, p *Probe, s ProbeStep, err error) bool {
	if err != nil {
		s.Status, s.Error = StepFailed, apiError(err)
		if r.stopped(ctx) {
			s.Detail = strings.TrimSpace(s.Detail + " (interrupted)")
		}
	} else if s.Status == "" {
		s.Status = StepDone
	}
	p.Steps = append(p.Steps, s)
	return err == nil
}

// probeRule creates, updates, reads back and deletes the probe rule. Its
// deferred cleanup removes the rule whatever happened once the create was
// sent — even if its answer never came.
func (r *run) probeRule(ctx context.Context, repo *state.LiveRepository, p *Probe, a13 *Check) bool {
	grants := r.probeGrants()
	defer r.cleanup(ctx, repo, p)
	rule, err := r.c.CreateFilePushPermission(ctx, repo.ID, api.NewFilePushPermission{Path: p.Path, Actions: []api.PushActionBody{action(grants)}})
	detail := fmt.Sprintf("rule %d at %s granting %s", rule.ID, p.Path, nobodyOr(grantStrings(grants)))
	if err != nil {
		detail = "a rule at " + p.Path
	}
	if !r.step(ctx, p, ProbeStep{Step: "create", Operation: "CreateFilePushPermission", Detail: detail}, err) {
		return false
	}
	if len(grants) == 0 {
		*a13 = check("A13", "batch_update", NotObserved, "the project has no user, member group or role to grant, so removing a grant could not be tried", nil)
		p.Steps = append(p.Steps, ProbeStep{Step: "update", Operation: "BatchUpdateRepositoryFilePushPermissions", Status: StepSkipped, Detail: "nothing to remove"})
	} else {
		keep := grants[:len(grants)-1]
		answer, err := r.c.BatchUpdateRepositoryFilePushPermissions(ctx, repo.ID, []api.FilePushPermissionUpdate{{ID: rule.ID, Path: p.Path, Actions: []api.PushActionBody{action(keep)}}})
		if !r.step(ctx, p, ProbeStep{Step: "update", Operation: "BatchUpdateRepositoryFilePushPermissions",
			Detail: fmt.Sprintf("sent %s (dropping %s)", nobodyOr(grantStrings(keep)), grants[len(grants)-1])}, err) {
			return false
		}
		rules, err := r.c.ListRepositoryFilePushPermissions(ctx, repo.ID)
		back := findRule(rules, rule.ID)
		if !r.step(ctx, p, ProbeStep{Step: "read_back", Operation: "ListRepositoryFilePushPermissions", Detail: "the rule now grants " + nobodyOr(sortedValues(grantKeys(back)))}, err) {
			return false
		}
		*a13 = batchUpdateVerdict(grants, keep, findRule(answer, rule.ID), back)
	}
	err = r.c.BatchDeleteRepositoryFilePushPermissions(ctx, repo.ID, []int64{rule.ID})
	return r.step(ctx, p, ProbeStep{Step: "delete", Operation: "BatchDeleteRepositoryFilePushPermissions", Detail: fmt.Sprintf("rule %d", rule.ID)}, err)
}

// batchUpdateVerdict (A13) reads what BatchUpdate did to a rule created with
// grants and updated with keep (grants minus the last): replaced (as
// assumed), merged (reposync re-creates rules whose grants must shrink), or
// something else.
func batchUpdateVerdict(grants, keep []grant, answer, back *api.FilePushPermission) Check {
	const id, name = "A13", "batch_update"
	have := grantKeys(back)
	obs := map[string]any{"created_with": grantStrings(grants), "sent": grantStrings(keep),
		"answer": sortedValues(grantKeys(answer)), "read_back": sortedValues(have)}
	if back == nil {
		obs["mode"] = "other"
		return check(id, name, DiffersUnsupported, "the rule was gone after BatchUpdate", obs)
	}
	for _, g := range keep {
		if _, ok := have[g.key()]; !ok {
			obs["mode"] = "other"
			return check(id, name, DiffersUnsupported, fmt.Sprintf("BatchUpdate dropped %s, which it was sent", g), obs)
		}
	}
	dropped := grants[len(grants)-1]
	if _, still := have[dropped.key()]; still {
		obs["mode"] = "merge"
		return check(id, name, DiffersHandled, fmt.Sprintf("BatchUpdate merges: %s, left out of the update, is still granted; reposync deletes and re-creates a rule whose grants must shrink", dropped), obs)
	}
	obs["mode"] = "replace"
	return check(id, name, AsAssumed, fmt.Sprintf("BatchUpdate replaces: %s, left out of the update, is no longer granted", dropped), obs)
}

// probeAttach attaches a member group that is already attached to the
// repository (nothing changes) to see the answer (A25).
func (r *run) probeAttach(ctx context.Context, repo *state.LiveRepository, p *Probe, a25 *Check) {
	const id, name = "A25", "attach_conflict"
	groups, err := r.c.ListRepositoryUserGroups(ctx, repo.ID)
	if !r.step(ctx, p, ProbeStep{Step: "list_member_groups", Operation: "ListRepositoryUserGroups", Detail: state.Count(len(groups), "member group") + " attached"}, err) {
		return
	}
	if len(groups) == 0 {
		p.Steps = append(p.Steps, ProbeStep{Step: "attach_again", Operation: "AssociateRepositoryUserGroup", Status: StepSkipped,
			Detail: "no member group is attached to " + repo.Path + ", and the probe attaches nothing new"})
		*a25 = check(id, name, NotObserved, "no member group is attached to "+repo.Path+": attach one there to learn what attaching it again answers", nil)
		return
	}
	g := groups[0]
	err = r.c.AssociateRepositoryUserGroup(ctx, r.o.Project, repo.ID, g.UserGroupID)
	obs := map[string]any{"member_group": g.UserGroupName}
	if e := apiError(err); e != nil {
		obs["http_status"], obs["code"] = e.HTTPStatus, e.Code
	}
	s := ProbeStep{Step: "attach_again", Operation: "AssociateRepositoryUserGroup", Detail: "member group " + g.UserGroupName + ", already attached"}
	// A 409 is the answer looked for, so the step is done.
	switch {
	case err == nil:
		*a25 = check(id, name, DiffersHandled, "attaching an attached member group succeeds instead of answering 409; reposync counts success as done", obs)
	case api.IsAlreadyExists(err):
		s.Detail += ": 409 CH_23_51308"
		*a25 = check(id, name, AsAssumed, "attaching an attached member group answers 409 CH_23_51308", obs)
	case api.IsConflict(err):
		s.Detail += ": 409 " + apiError(err).Code
		*a25 = check(id, name, DiffersUnsupported, fmt.Sprintf("attaching an attached member group answers 409 %q, not CH_23_51308: reposync would count it a failure", apiError(err).Code), obs)
	default:
		r.step(ctx, p, s, err)
		return
	}
	r.step(ctx, p, s, nil)
}

// cleanup removes every rule at the probe's path, on a context that survives
// the run's (an interruption must not leave the rule behind), bounded by
// CleanupTimeout, and verifies with a final read.
func (r *run) cleanup(ctx context.Context, repo *state.LiveRepository, p *Probe) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	c := &p.Cleanup
	c.Ran = true
	left := func() ([]int64, error) {
		rules, err := r.c.ListRepositoryFilePushPermissions(cctx, repo.ID)
		var ids []int64
		for _, rule := range rules {
			if rule.Path == p.Path {
				ids = append(ids, rule.ID)
			}
		}
		return ids, err
	}
	ids, err := left()
	if err != nil {
		c.Failed = append(c.Failed, fmt.Sprintf("could not read the push rules of %s to find the probe rule%s; remove any rule at %s there by hand", repo.Path, errText(apiError(err)), p.Path))
		return
	}
	if len(ids) == 0 {
		c.Verified = true
		return
	}
	what := fmt.Sprintf("push rule %s at %s in %s", idList(ids), p.Path, repo.Path)
	if err := r.c.BatchDeleteRepositoryFilePushPermissions(cctx, repo.ID, ids); err != nil {
		c.Failed = append(c.Failed, what+errText(apiError(err))+"; remove it by hand")
		return
	}
	c.Removed = append(c.Removed, what)
	ids, err = left()
	switch {
	case err != nil:
		c.Failed = append(c.Failed, fmt.Sprintf("could not verify that %s is gone%s", what, errText(apiError(err))))
	case len(ids) > 0:
		c.Failed = append(c.Failed, fmt.Sprintf("push rule %s at %s in %s is still there after its deletion; remove it by hand", idList(ids), p.Path, repo.Path))
	default:
		c.Verified = true
	}
}

// probeOutcome sums the probe up.
func (r *run) probeOutcome(p *Probe) (string, string) {
	var failed []string
	for _, s := range p.Steps {
		if s.Status != StepFailed {
			continue
		}
		why := errText(s.Error) // the error, else the detail
		if s.Error == nil && s.Detail != "" {
			why = ": " + s.Detail
		}
		failed = append(failed, s.Step+" ("+s.Operation+")"+why)
	}
	left := "nothing is left behind"
	switch {
	case len(p.Cleanup.Failed) > 0:
		left = "the cleanup could not remove or verify everything: " + strings.Join(p.Cleanup.Failed, "; ")
	case len(p.Cleanup.Removed) > 0:
		left = "the cleanup removed " + strings.Join(p.Cleanup.Removed, ", ")
	case !p.Cleanup.Ran:
		left = "nothing was written"
	}
	switch {
	case r.interrupted:
		return ProbeInterrupted, "interrupted; " + left
	case len(failed) > 0 || len(p.Cleanup.Failed) > 0:
		return ProbeFailed, strings.Join(append(failed, left), "; ")
	}
	return ProbePassed, "every step ran; " + left
}

func findRule(rules []api.FilePushPermission, id int64) *api.FilePushPermission {
	if i := slices.IndexFunc(rules, func(r api.FilePushPermission) bool { return r.ID == id }); i >= 0 {
		return &rules[i]
	}
	return nil
}

func grantStrings(gs []grant) []string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.String()
	}
	return out
}

// nobodyOr lists grants as text, "nobody" for none.
func nobodyOr(grants []string) string { return cmp.Or(strings.Join(grants, ", "), "nobody") }

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}
