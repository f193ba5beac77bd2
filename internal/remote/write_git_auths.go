package remote

import (
	"context"
	"fmt"
	"slices"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
)

func (w *Writer) password(c plan.Change, v *plan.GitAuthValue) (string, error) {
	if v.PasswordEnv == "" {
		return "", fmt.Errorf("%s: the plan names no password_env", c.Address)
	}
	pw, ok := w.secret(v.PasswordEnv)
	if !ok || pw == "" {
		return "", fmt.Errorf("environment variable %s (password_env of %s) is not set", v.PasswordEnv, c.Target.GitAuth)
	}
	return pw, nil
}

func (w *Writer) hasGitAuth(ctx context.Context, name string) (bool, error) {
	auths, err := w.c.api.ListAuthorizations(ctx, w.c.iamProject)
	return slices.ContainsFunc(auths, func(a api.Authorization) bool { return a.Name == name }), err
}

func (w *Writer) createGitAuth(ctx context.Context, c plan.Change) error {
	v, err := after[*plan.GitAuthValue](c)
	if err != nil {
		return err
	}
	pw, err := w.password(c, v)
	if err != nil {
		return err
	}
	name := c.Target.GitAuth
	return verifyOne(ctx, "create Git authorization "+name,
		func() error {
			_, err := w.c.api.CreatePasswordAuth(ctx, w.c.iamProject, v.RepoType, api.PasswordAuth{Name: name, User: v.User, Password: pw})
			return err
		},
		func() (bool, error) { return w.hasGitAuth(ctx, name) })
}

// deleteGitAuth deletes an authorization. DeleteAuthorize documents a 500
// (docs/api-reference.md §11.3): after one, the list is re-read before
// deleting again.
func (w *Writer) deleteGitAuth(ctx context.Context, c plan.Change) error {
	name := c.Target.GitAuth
	return verifyOne(ctx, "delete Git authorization "+name,
		func() error {
			err := w.c.api.DeleteAuthorize(ctx, w.c.iamProject, name)
			if api.IsNotFound(err) {
				return nil
			}
			return err
		},
		func() (bool, error) {
			there, err := w.hasGitAuth(ctx, name)
			return !there, err
		})
}

// replaceGitAuth deletes and re-creates an authorization with the current
// password, checked first: never delete what cannot be re-created.
func (w *Writer) replaceGitAuth(ctx context.Context, c plan.Change) error {
	v, err := after[*plan.GitAuthValue](c)
	if err != nil {
		return err
	}
	if _, err := w.password(c, v); err != nil {
		return err
	}
	if err := w.deleteGitAuth(ctx, c); err != nil {
		return err
	}
	if err := w.createGitAuth(ctx, c); err != nil {
		return tookEffect(fmt.Errorf("deleted, but not created again: %w", err))
	}
	return nil
}
