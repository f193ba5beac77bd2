package remote

import (
	"context"
	"errors"
	"fmt"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
)

// addMembers adds every new member of one repository in one call. After an
// unknown outcome it re-reads the members and re-sends only those still
// missing; per-user failures in the answer fail only those users' changes.
func (w *Writer) addMembers(ctx context.Context, changes []plan.Change) error {
	uuid := changes[0].Target.RepositoryUUID
	users := map[plan.Address]api.NewRepoMember{}
	for _, c := range changes {
		v, err := value[*plan.MemberValue](c, c.After, "after")
		if err != nil {
			return err
		}
		if c.Target.RepositoryUUID != uuid {
			return fmt.Errorf("internal error: %s is not in repository %s", c.Address, changes[0].Target.Repository)
		}
		users[c.Address] = api.NewRepoMember{ID: c.Target.UserIAMID, Name: c.Target.User, Role: int64(v.Role.Level())}
	}
	left, err := verify(ctx, changes,
		func(pending []plan.Change) error {
			batch := make([]api.NewRepoMember, 0, len(pending))
			for _, c := range pending {
				batch = append(batch, users[c.Address])
			}
			_, err := w.c.api.AddRepoMembers(ctx, uuid, batch)
			return err
		},
		func(pending []plan.Change) ([]plan.Change, error) {
			members, err := w.c.api.ListRepoMembers(ctx, uuid)
			if err != nil {
				return nil, err
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
			return still, nil
		})
	var ae *api.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.Kind == api.KindPartial:
		failed := Partial{}
		for _, f := range ae.Failures {
			for _, c := range changes {
				if f.ID == c.Target.UserIAMID || (f.ID == "" && f.Name == c.Target.User) {
					failed[c.Address] = fmt.Errorf("%s", f.Message)
				}
			}
		}
		if len(failed) == 0 {
			return err
		}
		return failed
	case len(left) > 0 && len(left) < len(changes):
		failed := Partial{}
		for _, c := range left {
			failed[c.Address] = err
		}
		return failed
	}
	return err
}

func (w *Writer) setRole(ctx context.Context, c plan.Change) error {
	v, err := value[*plan.MemberValue](c, c.After, "after")
	if err != nil {
		return err
	}
	// PUT is idempotent: the api client itself repeats it after a lost answer.
	return w.c.api.SetRepoRole(ctx, c.Target.RepositoryUUID, c.Target.UserIAMID, int64(v.Role.Level()))
}

func (w *Writer) deleteMember(ctx context.Context, c plan.Change) error {
	err := w.c.api.DeleteRepoMember(ctx, c.Target.RepositoryUUID, c.Target.UserIAMID)
	if api.IsNotFound(err) {
		return nil // already gone
	}
	return err
}
