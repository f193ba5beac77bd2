package remote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

func pushActions(t plan.Target) []api.PushActionBody {
	return []api.PushActionBody{{Action: "push", Enable: true, UserIDs: t.PushUserIDs, UserTeamIDs: t.PushTeamIDs, RelatedRoleIDs: t.PushRoleIDs}}
}

func (w *Writer) createPushRule(ctx context.Context, c plan.Change) error {
	if _, err := after[*plan.PushRuleValue](c); err != nil {
		return err
	}
	path, repo := c.Address.Key, c.Target.RepositoryID
	return verifyOne(ctx, "create push rule "+path,
		func() error {
			_, err := w.c.api.CreateFilePushPermission(ctx, repo, api.NewFilePushPermission{Path: path, Actions: pushActions(c.Target)})
			return err
		},
		func() (bool, error) {
			rules, err := w.c.api.ListRepositoryFilePushPermissions(ctx, repo)
			return slices.ContainsFunc(rules, func(r api.FilePushPermission) bool { return r.Path == path }), err
		})
}

// updatePushRules updates a repository's changed rules in one call (a PUT,
// which the api client repeats after a lost answer), then checks the rules
// the answer returns. Whether BatchUpdate replaces a rule's grants or merges
// them is undocumented (docs/api-assumptions.md, behaviour batch_update): a
// rule that kept grants the plan removes is deleted and created again with
// exactly the planned grants; one missing a planned grant did not take effect.
func (w *Writer) updatePushRules(ctx context.Context, changes []plan.Change) error {
	repo := changes[0].Target.RepositoryID
	rules := make([]api.FilePushPermissionUpdate, 0, len(changes))
	for _, c := range changes {
		if _, err := after[*plan.PushRuleValue](c); err != nil {
			return err
		}
		rules = append(rules, api.FilePushPermissionUpdate{ID: c.Target.PushRuleID, Path: c.Address.Key, Actions: pushActions(c.Target)})
	}
	got, err := w.c.api.BatchUpdateRepositoryFilePushPermissions(ctx, repo, rules)
	if err != nil {
		return err
	}
	byID := map[int64]api.FilePushPermission{}
	for _, r := range got {
		byID[r.ID] = r
	}
	for _, c := range changes {
		if _, ok := byID[c.Target.PushRuleID]; !ok {
			// The answer does not show every rule: read them.
			listed, err := w.c.api.ListRepositoryFilePushPermissions(ctx, repo)
			if err != nil {
				return tookEffect(fmt.Errorf("the update was accepted, but checking the updated push rules failed: %w", err))
			}
			for _, r := range listed {
				byID[r.ID] = r
			}
			break
		}
	}
	roles := projectRoles(w.c.memberSetting())
	failed := Partial{}
	for _, c := range changes {
		r, ok := byID[c.Target.PushRuleID]
		if !ok {
			failed[c.Address] = fmt.Errorf("did not take effect: rule %d is gone after the update", c.Target.PushRuleID)
			continue
		}
		extra, missing := grantDelta(c.Target, r, roles)
		switch {
		case missing != "":
			failed[c.Address] = fmt.Errorf("did not take effect: the service answered the update without %s", missing)
		case extra != "":
			// Merged, not replaced: the only way to remove a grant is to
			// delete the rule and create it again.
			if err := w.recreatePushRule(ctx, c, r, roles); err != nil {
				failed[c.Address] = tookEffect(fmt.Errorf("the service kept %s after the update (it merges grants), and re-creating the rule failed: %w", extra, err))
			}
		}
	}
	if len(failed) > 0 {
		return failed
	}
	return nil
}

// recreatePushRule deletes a rule (was, as the update left it) and creates
// it with the planned grants, back to back; should the service refuse
// those, the rule is created again as it was, so that a refusal never
// leaves the path unrestricted.
func (w *Writer) recreatePushRule(ctx context.Context, c plan.Change, was api.FilePushPermission, roles map[string]state.LiveRole) error {
	del := c
	del.Action, del.After = plan.Delete, nil
	if err := w.deletePushRules(ctx, []plan.Change{del}); err != nil {
		return fmt.Errorf("delete rule %d: %w", c.Target.PushRuleID, err)
	}
	create := c
	create.Action = plan.Create
	err := w.createPushRule(ctx, create)
	if err == nil {
		return nil
	}
	back := create
	back.Target.PushUserIDs, back.Target.PushTeamIDs, back.Target.PushRoleIDs = livePushRule(was, roles).GrantIDs()
	if rerr := w.createPushRule(ctx, back); rerr != nil {
		return fmt.Errorf("rule %s was deleted but not created again, so the path is unrestricted until the next apply: %w (creating it as it was failed too: %v)", c.Address.Key, err, rerr)
	}
	return fmt.Errorf("creating rule %s again with the planned grants failed, so it was created again as it was: %w", c.Address.Key, err)
}

// grantDelta compares the grants a rule has with the ones a change wants:
// extra names what the rule grants beyond them, missing what it lacks ("" =
// nothing). Roles are compared as project role ids (projectRoleID).
func grantDelta(t plan.Target, r api.FilePushPermission, roles map[string]state.LiveRole) (extra, missing string) {
	users, teams, roleIDs := livePushRule(r, roles).GrantIDs()
	ex := slices.Concat(notIn("user", users, t.PushUserIDs), notIn("member group", teams, t.PushTeamIDs),
		notIn("role", roleIDs, t.PushRoleIDs))
	mi := slices.Concat(notIn("user", t.PushUserIDs, users), notIn("member group", t.PushTeamIDs, teams),
		notIn("role", t.PushRoleIDs, roleIDs))
	return strings.Join(ex, ", "), strings.Join(mi, ", ")
}

// notIn names, as "what id", each of ids that of lacks.
func notIn[T comparable](what string, ids, of []T) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(of, id) {
			out = append(out, fmt.Sprint(what, " ", id))
		}
	}
	return out
}

// prunePushRules deletes a repository's removed rules: only those a read
// right before still shows at their planned path, since ids of deleted
// rules might be handed out again (docs/api-assumptions.md A20); a rule
// already gone is done.
func (w *Writer) prunePushRules(ctx context.Context, changes []plan.Change) error {
	rules, err := w.c.api.ListRepositoryFilePushPermissions(ctx, changes[0].Target.RepositoryID)
	if err != nil {
		return fmt.Errorf("check the push rules to delete: %w", err)
	}
	failed, del := Partial{}, []plan.Change{}
	for _, c := range changes {
		i := slices.IndexFunc(rules, func(r api.FilePushPermission) bool { return r.ID == c.Target.PushRuleID })
		switch {
		case i < 0: // already gone
		case rules[i].Path != c.Address.Key:
			failed[c.Address] = fmt.Errorf("not deleted: rule %d is the rule of %s now", c.Target.PushRuleID, rules[i].Path)
		default:
			del = append(del, c)
		}
	}
	if err := w.deletePushRules(ctx, del); err != nil {
		p, ok := errors.AsType[Partial](err)
		if !ok {
			p = failEach(del, err)
		}
		maps.Copy(failed, p)
	}
	if len(failed) > 0 {
		return failed
	}
	return nil
}

// deletePushRules deletes a repository's removed rules in one call; after an
// unknown outcome it re-reads and deletes only what is left.
func (w *Writer) deletePushRules(ctx context.Context, changes []plan.Change) error {
	if len(changes) == 0 {
		return nil
	}
	repo := changes[0].Target.RepositoryID
	return verifyBatch(ctx, changes,
		func(pending []plan.Change) error {
			ids := make([]int64, 0, len(pending))
			for _, c := range pending {
				ids = append(ids, c.Target.PushRuleID)
			}
			return w.c.api.BatchDeleteRepositoryFilePushPermissions(ctx, repo, ids)
		},
		func(pending []plan.Change) ([]plan.Change, error) {
			rules, err := w.c.api.ListRepositoryFilePushPermissions(ctx, repo)
			if err != nil {
				return nil, err
			}
			return slices.DeleteFunc(slices.Clone(pending), func(c plan.Change) bool {
				return !slices.ContainsFunc(rules, func(r api.FilePushPermission) bool { return r.ID == c.Target.PushRuleID })
			}), nil
		})
}
