package remote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
)

// Writer performs plan changes, one API write per call of Apply. It makes
// the fewest writes (batches where the API has them), treats "already there"
// answers as done, and when a POST's outcome is unknown (the connection was
// lost after sending) re-reads the object and only retries if the first
// attempt did not take effect. It satisfies apply.Mutator.
type Writer struct {
	c *Client
	// secret returns the value of a password environment variable.
	secret func(name string) (string, bool)

	mu      sync.Mutex
	created map[string]int64 // group path -> id of groups created by this run
}

// NewWriter returns a Writer; secret looks up Git authorization passwords
// by the environment variable name the spec gives (password_env).
func (c *Client) NewWriter(secret func(name string) (string, bool)) *Writer {
	return &Writer{c: c, secret: secret, created: map[string]int64{}}
}

// Partial reports per-change failures of one batch write.
type Partial map[string]error

func (p Partial) Error() string {
	addrs := make([]string, 0, len(p))
	for a := range p {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	return fmt.Sprintf("%d of the batch failed; first %s: %v", len(p), addrs[0], p[addrs[0]])
}

// FailedChanges maps the failed changes' addresses to their errors.
func (p Partial) FailedChanges() map[string]error { return p }

// Apply performs one write covering changes (see apply.Mutator).
func (w *Writer) Apply(ctx context.Context, op string, changes []plan.Change) error {
	if len(changes) == 0 {
		return nil
	}
	c := changes[0]
	switch op {
	case "CreateGroup":
		return w.createGroup(ctx, c)
	case "DeleteGroup":
		_, err := w.c.api.DeleteGroup(ctx, w.c.project, c.Target.GroupID)
		if api.IsNotFound(err) {
			return nil // already gone
		}
		return err
	case "AssociateGroupUserGroup":
		return w.attachToGroup(ctx, c)
	case "AssociateRepositoryUserGroup":
		return w.attachToRepository(ctx, c)
	case "AddRepoMembers":
		return w.addMembers(ctx, changes)
	case "SetRepoRole":
		role := c.After.(*plan.MemberValue).Role
		return w.c.api.SetRepoRole(ctx, c.Target.RepositoryUUID, c.Target.UserIAMID, int64(role.Level()))
	case "DeleteRepoMember":
		err := w.c.api.DeleteRepoMember(ctx, c.Target.RepositoryUUID, c.Target.UserIAMID)
		if api.IsNotFound(err) {
			return nil
		}
		return err
	case "CreateFilePushPermission":
		return w.createPushRule(ctx, c)
	case "BatchUpdateRepositoryFilePushPermissions":
		var rules []api.FilePushPermissionUpdate
		for _, ch := range changes {
			rules = append(rules, api.FilePushPermissionUpdate{ID: ch.Target.PushRuleID, Path: leafOf(ch.Address), Actions: pushActions(ch.Target)})
		}
		_, err := w.c.api.BatchUpdateRepositoryFilePushPermissions(ctx, c.Target.RepositoryID, rules)
		return err
	case "BatchDeleteRepositoryFilePushPermissions":
		return w.deletePushRules(ctx, changes)
	case "CreatePasswordAuth":
		return w.createGitAuth(ctx, c)
	case "DeleteAuthorize":
		err := w.c.api.DeleteAuthorize(ctx, w.c.iamProject, c.Target.GitAuth)
		if api.IsNotFound(err) {
			return nil
		}
		return err
	case "ReplacePasswordAuth":
		if _, err := w.password(c); err != nil {
			return err // never delete what cannot be re-created
		}
		if err := w.c.api.DeleteAuthorize(ctx, w.c.iamProject, c.Target.GitAuth); err != nil && !api.IsNotFound(err) {
			return err
		}
		return w.createGitAuth(ctx, c)
	}
	return fmt.Errorf("internal error: unknown operation %s", op)
}

// groupID returns the id of a group that exists or that this run created.
func (w *Writer) groupID(path string, known int64) (int64, error) {
	if known != 0 {
		return known, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if id, ok := w.created[path]; ok {
		return id, nil
	}
	return 0, fmt.Errorf("group %s does not exist yet", path)
}

func (w *Writer) createGroup(ctx context.Context, c plan.Change) error {
	t := c.Target
	var parentID int64
	if t.ParentGroup != "" {
		id, err := w.groupID(t.ParentGroup, t.ParentGroupID)
		if err != nil {
			return err
		}
		parentID = id
	}
	v, _ := c.After.(*plan.GroupValue)
	req := api.CreateGroupRequest{Name: baseName(t.Group), ParentID: parentID, Visibility: "private"}
	if v != nil {
		if v.Visibility != "" {
			req.Visibility = v.Visibility
		}
		if v.Description != nil {
			req.Description = *v.Description
		}
	}
	for attempt := 0; attempt < maxWriteAttempts; attempt++ {
		g, err := w.c.api.CreateGroup(ctx, w.c.project, req)
		if err == nil {
			w.remember(t.Group, g.ID)
			return nil
		}
		if !unknownOutcome(err) {
			return err
		}
		// The answer was lost: look before creating again.
		id, found, rerr := w.findGroup(ctx, parentID, t.Group)
		if rerr != nil {
			return fmt.Errorf("%w (and re-reading to check failed: %v)", err, rerr)
		}
		if found {
			w.remember(t.Group, id)
			return nil
		}
	}
	return fmt.Errorf("create group %s: the outcome stayed unknown after several attempts and the group is still missing", t.Group)
}

func (w *Writer) remember(path string, id int64) {
	w.mu.Lock()
	w.created[path] = id
	w.mu.Unlock()
}

func (w *Writer) findGroup(ctx context.Context, parentID int64, path string) (int64, bool, error) {
	var items []api.TreeItem
	var err error
	if parentID == 0 {
		items, err = w.c.api.ListProjectSubgroupsAndRepositories(ctx, w.c.project)
	} else {
		items, err = w.c.api.ListGroupSubgroupsAndRepositories(ctx, parentID)
	}
	if err != nil {
		return 0, false, err
	}
	for _, it := range items {
		if it.DescendantType == api.DescendantGroup && (it.FullPath == path || it.Path == baseName(path) && it.Name == baseName(path)) {
			return it.ID, true, nil
		}
	}
	return 0, false, nil
}

func (w *Writer) attachToGroup(ctx context.Context, c plan.Change) error {
	gid, err := w.groupID(c.Target.Group, c.Target.GroupID)
	if err != nil {
		return err
	}
	return writeVerified(ctx, "attach member group "+c.Target.MemberGroup,
		func() error {
			_, err := w.c.api.AssociateGroupUserGroup(ctx, w.c.project, gid, c.Target.MemberGroupID)
			if api.IsConflict(err) || isPartial(err) {
				// Attached; a partial answer only means some of the member
				// group's users could not be added, which is not ours to fix.
				return nil
			}
			return err
		},
		func() (bool, error) {
			list, err := w.c.api.ListGroupUserGroups(ctx, gid)
			return slices.ContainsFunc(list, func(m api.GroupUserGroup) bool { return m.UserGroupID == c.Target.MemberGroupID }), err
		})
}

func (w *Writer) attachToRepository(ctx context.Context, c plan.Change) error {
	return writeVerified(ctx, "attach member group "+c.Target.MemberGroup,
		func() error {
			err := w.c.api.AssociateRepositoryUserGroup(ctx, w.c.project, c.Target.RepositoryID, c.Target.MemberGroupID)
			if api.IsConflict(err) {
				return nil // CH_23_51308: already attached
			}
			return err
		},
		func() (bool, error) {
			list, err := w.c.api.ListRepositoryUserGroups(ctx, c.Target.RepositoryID)
			return slices.ContainsFunc(list, func(m api.RepositoryUserGroup) bool { return m.UserGroupID == c.Target.MemberGroupID }), err
		})
}

// addMembers adds every new member of one repository in one call. After a
// lost answer it re-reads the members and re-sends only those still missing.
func (w *Writer) addMembers(ctx context.Context, changes []plan.Change) error {
	uuid := changes[0].Target.RepositoryUUID
	pending := changes
	for attempt := 0; attempt < maxWriteAttempts && len(pending) > 0; attempt++ {
		users := make([]api.NewRepoMember, 0, len(pending))
		for _, c := range pending {
			users = append(users, api.NewRepoMember{ID: c.Target.UserIAMID, Name: c.Target.User, Role: int64(c.After.(*plan.MemberValue).Role.Level())})
		}
		_, err := w.c.api.AddRepoMembers(ctx, uuid, users)
		if err == nil {
			return nil
		}
		var ae *api.Error
		if errors.As(err, &ae) && ae.Kind == api.KindPartial {
			failed := Partial{}
			for _, f := range ae.Failures {
				for _, c := range pending {
					if f.ID == c.Target.UserIAMID || (f.ID == "" && f.Name == c.Target.User) {
						failed[c.Address] = fmt.Errorf("%s", f.Message)
					}
				}
			}
			if len(failed) == 0 {
				return err
			}
			return failed
		}
		if !unknownOutcome(err) {
			return err
		}
		members, rerr := w.c.api.ListRepoMembers(ctx, uuid)
		if rerr != nil {
			return fmt.Errorf("%w (and re-reading to check failed: %v)", err, rerr)
		}
		have := map[string]bool{}
		for _, m := range members {
			have[m.UserID] = true
		}
		var still []plan.Change
		for _, c := range pending {
			if !have[c.Target.UserIAMID] {
				still = append(still, c)
			}
		}
		pending = still
	}
	if len(pending) > 0 {
		failed := Partial{}
		for _, c := range pending {
			failed[c.Address] = errors.New("the outcome stayed unknown after several attempts and the member is still missing")
		}
		return failed
	}
	return nil
}

func pushActions(t plan.Target) []api.PushActionBody {
	return []api.PushActionBody{{Action: "push", Enable: true, UserIDs: t.PushUserIDs, UserTeamIDs: t.PushTeamIDs, RelatedRoleIDs: t.PushRoleIDs}}
}

func (w *Writer) createPushRule(ctx context.Context, c plan.Change) error {
	path := leafOf(c.Address)
	return writeVerified(ctx, "create push rule "+path,
		func() error {
			_, err := w.c.api.CreateFilePushPermission(ctx, c.Target.RepositoryID, api.NewFilePushPermission{Path: path, Actions: pushActions(c.Target)})
			return err
		},
		func() (bool, error) {
			rules, err := w.c.api.ListRepositoryFilePushPermissions(ctx, c.Target.RepositoryID)
			return slices.ContainsFunc(rules, func(r api.FilePushPermission) bool { return r.Path == path }), err
		})
}

// deletePushRules deletes a repository's removed rules in one call; after a
// lost answer it re-reads and deletes only what is left.
func (w *Writer) deletePushRules(ctx context.Context, changes []plan.Change) error {
	repo := changes[0].Target.RepositoryID
	ids := make([]int64, 0, len(changes))
	for _, c := range changes {
		ids = append(ids, c.Target.PushRuleID)
	}
	for attempt := 0; attempt < maxWriteAttempts && len(ids) > 0; attempt++ {
		err := w.c.api.BatchDeleteRepositoryFilePushPermissions(ctx, repo, ids)
		if err == nil || !unknownOutcome(err) {
			return err
		}
		rules, rerr := w.c.api.ListRepositoryFilePushPermissions(ctx, repo)
		if rerr != nil {
			return fmt.Errorf("%w (and re-reading to check failed: %v)", err, rerr)
		}
		left := map[int64]bool{}
		for _, r := range rules {
			left[r.ID] = true
		}
		var still []int64
		for _, id := range ids {
			if left[id] {
				still = append(still, id)
			}
		}
		ids = still
	}
	if len(ids) > 0 {
		return fmt.Errorf("delete push rules: the outcome stayed unknown after several attempts and %d rules are still there", len(ids))
	}
	return nil
}

func (w *Writer) password(c plan.Change) (string, error) {
	v, _ := c.After.(*plan.GitAuthValue)
	if v == nil || v.PasswordEnv == "" {
		return "", fmt.Errorf("internal error: %s has no password_env", c.Address)
	}
	pw, ok := w.secret(v.PasswordEnv)
	if !ok || pw == "" {
		return "", fmt.Errorf("environment variable %s (password_env of %s) is not set", v.PasswordEnv, c.Target.GitAuth)
	}
	return pw, nil
}

func (w *Writer) createGitAuth(ctx context.Context, c plan.Change) error {
	pw, err := w.password(c)
	if err != nil {
		return err
	}
	v := c.After.(*plan.GitAuthValue)
	return writeVerified(ctx, "create Git authorization "+c.Target.GitAuth,
		func() error {
			_, err := w.c.api.CreatePasswordAuth(ctx, w.c.iamProject, v.RepoType, api.PasswordAuth{Name: c.Target.GitAuth, User: v.User, Password: pw})
			return err
		},
		func() (bool, error) {
			auths, err := w.c.api.ListAuthorizations(ctx, w.c.iamProject)
			return slices.ContainsFunc(auths, func(a api.Authorization) bool { return a.Name == c.Target.GitAuth }), err
		})
}

// writeVerified performs a write that creates one object. When its outcome
// is unknown (lost answer, 500) it asks present whether the object exists and
// writes again only if it does not: never a blind repeat.
func writeVerified(ctx context.Context, what string, write func() error, present func() (bool, error)) error {
	for attempt := 0; attempt < maxWriteAttempts; attempt++ {
		err := write()
		if err == nil || !unknownOutcome(err) {
			return err
		}
		ok, rerr := present()
		if rerr != nil {
			return fmt.Errorf("%s: %w (and re-reading to check failed: %v)", what, err, rerr)
		}
		if ok {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("%s: the outcome stayed unknown after %d attempts and it is still missing", what, maxWriteAttempts)
}

// maxWriteAttempts bounds how often a write whose outcome was unknown is
// checked and sent again.
const maxWriteAttempts = 4

// unknownOutcome reports whether a failed write may nevertheless have taken
// effect: the answer was lost after sending, or the service failed with a
// 500/502/504 while processing it (the api client retries only writes that
// provably did nothing). Such a write is re-read, never blindly repeated.
func unknownOutcome(err error) bool {
	if api.IsAmbiguous(err) {
		return true
	}
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Kind != api.KindHTTP {
		return false
	}
	return ae.Status == 500 || ae.Status == 502 || ae.Status == 504
}

func isPartial(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Kind == api.KindPartial
}

// CheckSecrets reports every Git authorization change whose password
// variable is missing, so apply can refuse before the first write.
func CheckSecrets(p *plan.Plan, secret func(string) (string, bool)) []string {
	var missing []string
	for _, c := range p.Changes {
		if c.Kind != plan.KindGitAuth || (c.Action != plan.Create && c.Action != plan.Replace) {
			continue
		}
		v, _ := c.After.(*plan.GitAuthValue)
		if v == nil {
			continue
		}
		if pw, ok := secret(v.PasswordEnv); !ok || pw == "" {
			missing = append(missing, fmt.Sprintf("%s needs the environment variable %s", c.Address, v.PasswordEnv))
		}
	}
	return missing
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// leafOf returns the entry of an address: a rule's path, say.
func leafOf(addr string) string { return plan.ParseAddress(addr).Entry }
