package remote

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

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

func (w *Writer) remember(path string, id int64) {
	w.mu.Lock()
	w.created[path] = id
	w.mu.Unlock()
}

func (w *Writer) createGroup(ctx context.Context, c plan.Change) error {
	t := c.Target
	v, err := value[*plan.GroupValue](c, c.After, "after")
	if err != nil {
		return err
	}
	var parentID int64
	if t.ParentGroup != "" {
		if parentID, err = w.groupID(t.ParentGroup, t.ParentGroupID); err != nil {
			return err
		}
	}
	req := api.CreateGroupRequest{Name: state.BaseName(t.Group), ParentID: parentID, Visibility: "private"}
	if v.Visibility != "" {
		req.Visibility = v.Visibility
	}
	if v.Description != nil {
		req.Description = *v.Description
	}
	return verifyOne(ctx, "create group "+t.Group,
		func() error {
			g, err := w.c.api.CreateGroup(ctx, w.c.project, req)
			if err == nil {
				w.remember(t.Group, g.ID)
			}
			return err
		},
		func() (bool, error) {
			id, found, err := w.findGroup(ctx, parentID, req.Name)
			if found {
				w.remember(t.Group, id)
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
		items, err = w.c.api.ListProjectSubgroupsAndRepositories(ctx, w.c.project)
	} else {
		items, err = w.c.api.ListGroupSubgroupsAndRepositories(ctx, parentID)
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

func (w *Writer) deleteGroup(ctx context.Context, c plan.Change) error {
	_, err := w.c.api.DeleteGroup(ctx, w.c.project, c.Target.GroupID)
	if api.IsNotFound(err) {
		return nil // already gone
	}
	return err
}

func (w *Writer) attachToGroup(ctx context.Context, c plan.Change) error {
	gid, err := w.groupID(c.Target.Group, c.Target.GroupID)
	if err != nil {
		return err
	}
	return verifyOne(ctx, "attach member group "+c.Target.MemberGroup,
		func() error {
			_, err := w.c.api.AssociateGroupUserGroup(ctx, w.c.project, gid, c.Target.MemberGroupID)
			if alreadyAttached(err) || isPartial(err) {
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
	return verifyOne(ctx, "attach member group "+c.Target.MemberGroup,
		func() error {
			err := w.c.api.AssociateRepositoryUserGroup(ctx, w.c.project, c.Target.RepositoryID, c.Target.MemberGroupID)
			if alreadyAttached(err) {
				return nil
			}
			return err
		},
		func() (bool, error) {
			list, err := w.c.api.ListRepositoryUserGroups(ctx, c.Target.RepositoryID)
			return slices.ContainsFunc(list, func(m api.RepositoryUserGroup) bool { return m.UserGroupID == c.Target.MemberGroupID }), err
		})
}

// alreadyAttached reports the answer to attaching a member group that is
// attached already: 409 CH_23_51308 (REFERENCE §7, §15.2).
func alreadyAttached(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Kind == api.KindHTTP && ae.Status == 409 && ae.Code == "CH_23_51308"
}

func isPartial(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Kind == api.KindPartial
}
