package remote

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// groupID returns the id of a group that exists or that this run created.
func (w *Writer) groupID(path string, known int64) (int64, error) {
	if known != 0 {
		return known, nil
	}
	if id, ok := w.created.Load(path); ok {
		return id.(int64), nil
	}
	return 0, fmt.Errorf("group %s does not exist yet", path)
}

func (w *Writer) createGroup(ctx context.Context, c plan.Change) error {
	t := c.Target
	v, err := after[*plan.GroupValue](c)
	if err != nil {
		return err
	}
	var parentID int64
	if t.ParentGroup != "" {
		if parentID, err = w.groupID(t.ParentGroup, t.ParentGroupID); err != nil {
			return err
		}
	}
	req := api.CreateGroupRequest{Name: state.BaseName(t.Group), ParentID: parentID, Visibility: cmp.Or(v.Visibility, "private")}
	if v.Description != nil {
		req.Description = *v.Description
	}
	return verifyOne(ctx, "create group "+t.Group,
		func() error {
			g, err := w.c.api.CreateGroup(ctx, w.c.project, req)
			if err == nil {
				w.created.Store(t.Group, g.ID)
			}
			return err
		},
		func() (bool, error) {
			id, found, err := w.findGroup(ctx, parentID, req.Name)
			if found {
				w.created.Store(t.Group, id)
			}
			return found, err
		})
}

// findGroup looks for a sub-group by its own path segment under a parent
// (0 = the project root). The segment, not full_path, identifies it: the
// service may prefix full paths with a namespace (docs/api-assumptions.md).
func (w *Writer) findGroup(ctx context.Context, parentID int64, name string) (int64, bool, error) {
	var items []api.TreeItem
	var err error
	if parentID == 0 {
		items, err = w.c.api.ListProjectSubgroupsAndRepositoriesWith(ctx, w.c.project, api.TreeQuery{})
	} else {
		items, err = w.c.api.ListGroupSubgroupsAndRepositoriesWith(ctx, parentID, api.TreeQuery{})
	}
	if err != nil {
		return 0, false, err
	}
	for _, it := range items {
		if it.DescendantType == api.DescendantGroup && it.Path == name {
			return it.ID, true, nil
		}
	}
	return 0, false, nil
}

// deleteGroup deletes an empty group. The service may delete a group with
// everything in it (docs/api-assumptions.md A45), so right before
// DeleteGroup ShowGroup's counts and a listing with archived repositories
// (the default one leaves them out) must say empty, whatever the plan saw.
// DeleteGroup only schedules the deletion (202): the step ends when the
// group is gone, so that its parent, deleted next, is really empty.
func (w *Writer) deleteGroup(ctx context.Context, c plan.Change) error {
	id, path := c.Target.GroupID, c.Target.Group
	g, err := w.c.api.ShowGroup(ctx, w.c.project, id)
	if api.IsNotFound(err) {
		return nil // already gone
	}
	if err != nil {
		return fmt.Errorf("check that group %s is empty: %w", path, err)
	}
	// The id is the group's still: its parent lists the path at it (ids
	// of deleted groups might be handed out again, A20).
	if c.Target.ParentGroup != state.ParentPath(path) {
		return fmt.Errorf("not deleted: the plan names %q as the parent of group %s, so its id cannot be checked", c.Target.ParentGroup, path)
	}
	if found, ok, err := w.findGroup(ctx, c.Target.ParentGroupID, state.BaseName(path)); err != nil {
		return fmt.Errorf("check that group %s is still group %d: %w", path, id, err)
	} else if !ok || found != id {
		return fmt.Errorf("not deleted: group id %d is no longer %s in the tree (%s is there: %v, at id %d)", id, path, path, ok, found)
	}
	items, err := w.c.api.ListGroupSubgroupsAndRepositoriesIncludingArchived(ctx, id)
	if err != nil {
		return fmt.Errorf("check that group %s is empty: %w", path, err)
	}
	if len(items) > 0 || g.SubgroupCount > 0 || g.RepositoryCount > 0 {
		names := []string{}
		for _, it := range items {
			n := it.Path
			if it.Archived {
				n += " (archived)"
			}
			names = append(names, n)
		}
		if len(names) == 0 {
			names = []string{"its listings show nothing"}
		}
		return fmt.Errorf("not deleted: group %s is not empty after all (%s); ShowGroup says subgroup_count %d, repository_count %d",
			path, strings.Join(names, ", "), g.SubgroupCount, g.RepositoryCount)
	}
	if _, err := w.c.api.DeleteGroup(ctx, w.c.project, id); err != nil {
		if api.IsNotFound(err) {
			return nil
		}
		return err
	}
	return w.waitGroupGone(ctx, id, path)
}

// groupGoneWithin bounds the wait for an asynchronous group deletion.
const groupGoneWithin = 2 * time.Minute

// waitGroupGone polls ShowGroup until it answers 404, backing off from a
// tenth of a second to five seconds, for at most groupGoneWithin.
func (w *Writer) waitGroupGone(ctx context.Context, id int64, path string) error {
	deadline := time.Now().Add(groupGoneWithin)
	delay := 100 * time.Millisecond
	for {
		_, err := w.c.api.ShowGroup(ctx, w.c.project, id)
		switch {
		case api.IsNotFound(err):
			return nil
		case err != nil:
			return tookEffect(fmt.Errorf("deletion of group %s was accepted, but checking that it is gone failed: %w", path, err))
		case time.Now().Add(delay).After(deadline):
			return fmt.Errorf("deletion of group %s was accepted, but it still exists after %s; its parent is not deleted in this run", path, groupGoneWithin)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deletion of group %s was accepted, but the run was interrupted before it was gone", path)
		case <-time.After(delay): // since Go 1.23 an unfired timer needs no Stop
		}
		delay = min(2*delay, 5*time.Second)
	}
}

func (w *Writer) attachToGroup(ctx context.Context, c plan.Change) error {
	gid, err := w.groupID(c.Target.Group, c.Target.GroupID)
	if err != nil {
		return err
	}
	return verifyOne(ctx, "attach member group "+c.Target.MemberGroup,
		func() error {
			_, err := w.c.api.AssociateGroupUserGroup(ctx, w.c.project, gid, c.Target.MemberGroupID)
			if api.IsAlreadyExists(err) {
				return nil
			}
			// Users the answer lists under failure fail the change with the
			// service's message: whether the member group was attached
			// anyway is not documented (docs/api-assumptions.md A47).
			return err
		},
		func() (bool, error) {
			list, err := w.c.api.ListGroupUserGroups(ctx, gid)
			return slices.ContainsFunc(list, func(m api.GroupUserGroup) bool { return m.UserGroupID == c.Target.MemberGroupID }), err
		})
}

func (w *Writer) attachToRepository(ctx context.Context, c plan.Change) error {
	return verifyOne(ctx, "attach member group "+c.Target.MemberGroup,
		func() error {
			err := w.c.api.AssociateRepositoryUserGroup(ctx, w.c.project, c.Target.RepositoryID, c.Target.MemberGroupID)
			if api.IsAlreadyExists(err) {
				return nil
			}
			return err
		},
		func() (bool, error) {
			list, err := w.c.api.ListRepositoryUserGroups(ctx, c.Target.RepositoryID)
			return slices.ContainsFunc(list, func(m api.RepositoryUserGroup) bool { return m.UserGroupID == c.Target.MemberGroupID }), err
		})
}
