package remote

import (
	"context"
	"slices"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
)

func pushActions(t plan.Target) []api.PushActionBody {
	return []api.PushActionBody{{Action: "push", Enable: true, UserIDs: t.PushUserIDs, UserTeamIDs: t.PushTeamIDs, RelatedRoleIDs: t.PushRoleIDs}}
}

func (w *Writer) createPushRule(ctx context.Context, c plan.Change) error {
	if _, err := value[*plan.PushRuleValue](c, c.After, "after"); err != nil {
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

// updatePushRules updates a repository's changed rules in one call. PUT is
// idempotent: the api client itself repeats it after a lost answer.
func (w *Writer) updatePushRules(ctx context.Context, changes []plan.Change) error {
	repo := changes[0].Target.RepositoryID
	rules := make([]api.FilePushPermissionUpdate, 0, len(changes))
	for _, c := range changes {
		if _, err := value[*plan.PushRuleValue](c, c.After, "after"); err != nil {
			return err
		}
		rules = append(rules, api.FilePushPermissionUpdate{ID: c.Target.PushRuleID, Path: c.Address.Key, Actions: pushActions(c.Target)})
	}
	_, err := w.c.api.BatchUpdateRepositoryFilePushPermissions(ctx, repo, rules)
	return err
}

// deletePushRules deletes a repository's removed rules in one call; after an
// unknown outcome it re-reads and deletes only what is left.
func (w *Writer) deletePushRules(ctx context.Context, changes []plan.Change) error {
	repo := changes[0].Target.RepositoryID
	left, err := verify(ctx, changes,
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
			var still []plan.Change
			for _, c := range pending {
				if slices.ContainsFunc(rules, func(r api.FilePushPermission) bool { return r.ID == c.Target.PushRuleID }) {
					still = append(still, c)
				}
			}
			return still, nil
		})
	if err != nil && len(left) > 0 && len(left) < len(changes) {
		failed := Partial{}
		for _, c := range left {
			failed[c.Address] = err
		}
		return failed
	}
	return err
}
