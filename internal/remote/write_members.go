package remote

import (
	"context"
	"errors"
	"fmt"
	"slices"

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
		v, err := after[*plan.MemberValue](c)
		if err != nil {
			return err
		}
		if c.Target.RepositoryUUID != uuid {
			return fmt.Errorf("internal error: %s is not in repository %s", c.Address, changes[0].Target.Repository)
		}
		users[c.Address] = api.NewRepoMember{ID: c.Target.UserIAMID, Name: c.Target.User, Role: int64(v.Role.Level())}
	}
	err := verifyBatch(ctx, changes,
		func(pending []plan.Change) error {
			batch := make([]api.NewRepoMember, 0, len(pending))
			for _, c := range pending {
				batch = append(batch, users[c.Address])
			}
			_, err := w.c.api.AddRepoMembers(ctx, uuid, batch)
			return err
		},
		func(pending []plan.Change) ([]plan.Change, error) {
			// The legacy list shows the repository's own members; its
			// user_id need not be the IAM id, its name is the user name.
			members, err := w.c.api.ListRepoMembers(ctx, uuid)
			if err != nil {
				return nil, err
			}
			have := map[string]bool{}
			for _, m := range members {
				have[m.UserID], have["name:"+m.Name] = true, true
			}
			return slices.DeleteFunc(slices.Clone(pending), func(c plan.Change) bool {
				return have[c.Target.UserIAMID] || have["name:"+c.Target.User]
			}), nil
		})
	ae, ok := errors.AsType[*api.Error](err)
	if !ok || ae.Kind != api.KindPartial {
		return err
	}
	// A failure that names no change of the batch (by IAM id or user name)
	// fails the whole batch: nothing refused counts as done.
	failed := Partial{}
	for _, f := range ae.Failures {
		i := slices.IndexFunc(changes, func(c plan.Change) bool {
			return f.ID != "" && f.ID == c.Target.UserIAMID || f.Name != "" && f.Name == c.Target.User
		})
		if i < 0 {
			return err
		}
		failed[changes[i].Address] = errors.New(f.Message)
	}
	return failed
}

// memberID is the id the legacy writes address c's member by: the one the
// legacy list showed for it when the plan was made, never a guess.
func memberID(c plan.Change) (string, error) {
	if c.Target.MemberID == "" {
		return "", fmt.Errorf("%s: not changed: the legacy member list did not show this member when the plan was made, so its member id is unknown; plan again", c.Address)
	}
	return c.Target.MemberID, nil
}

func (w *Writer) setRole(ctx context.Context, c plan.Change) error {
	v, err := after[*plan.MemberValue](c)
	if err != nil {
		return err
	}
	id, err := memberID(c)
	if err != nil {
		return err
	}
	// PUT is idempotent: the api client itself repeats it after a lost answer.
	return w.c.api.SetRepoRole(ctx, c.Target.RepositoryUUID, id, int64(v.Role.Level()))
}

// deleteMember removes a member. A 404 means gone only when the legacy
// list, read again, agrees: an id the service does not take answers 404 too.
func (w *Writer) deleteMember(ctx context.Context, c plan.Change) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	err = w.c.api.DeleteRepoMember(ctx, c.Target.RepositoryUUID, id)
	if !api.IsNotFound(err) {
		return err
	}
	members, rerr := w.c.api.ListRepoMembers(ctx, c.Target.RepositoryUUID)
	if rerr != nil {
		return fmt.Errorf("%w (and re-reading the members to check it is gone failed: %v)", err, rerr)
	}
	if slices.ContainsFunc(members, func(m api.LegacyMember) bool { return m.UserID == id || m.Name == c.Target.User }) {
		return fmt.Errorf("%w, yet the legacy member list still shows %s", err, c.Target.User)
	}
	return nil // already gone
}
