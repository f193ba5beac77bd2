package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Authorization is a ServiceStage git authorization.
type Authorization struct {
	Name     string `json:"name"`
	RepoType string `json:"repo_type"`
	RepoUser string `json:"repo_user"`
}

// PasswordAuth is CreatePasswordAuth's body. Its String hides the password.
type PasswordAuth struct {
	Name     string `json:"name"`
	User     string `json:"user"`
	Password string `json:"password"`
}

// String describes the authorization without its password.
func (p PasswordAuth) String() string { return "PasswordAuth{" + p.Name + ", user " + p.User + "}" }

// GoString is String, so %#v hides the password too.
func (p PasswordAuth) GoString() string { return p.String() }

func authsPath(iamProjectID string) string { return "/v1/" + seg(iamProjectID) + "/git/auths" }

// ListAuthorizations lists the git authorizations of an IAM project (one
// call: the API is not paged).
func (c *Client) ListAuthorizations(ctx context.Context, iamProjectID string) ([]Authorization, error) {
	var out struct {
		Authorizations []Authorization `json:"authorizations"`
	}
	_, err := c.getJSON(ctx, get("ListAuthorizations", svcServiceStage, authsPath(iamProjectID), nil), &out)
	return out.Authorizations, err
}

// CreatePasswordAuth creates a password authorization for repoType
// ("bitbucket", "github", "devcloud"). Errors never contain the password.
func (c *Client) CreatePasswordAuth(ctx context.Context, iamProjectID, repoType string, a PasswordAuth) (Authorization, error) {
	var out struct {
		Authorization Authorization `json:"authorization"`
	}
	_, err := c.getJSON(ctx, &call{op: "CreatePasswordAuth", method: http.MethodPost, svc: svcServiceStage,
		path: authsPath(iamProjectID) + "/" + seg(repoType) + "/password", body: a}, &out)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && a.Password != "" {
			e.Message = strings.ReplaceAll(e.Message, a.Password, "REDACTED")
		}
		return Authorization{}, err
	}
	return out.Authorization, nil
}

// DeleteAuthorize deletes an authorization by name (204). A 500 is returned
// at once, not retried: it is the only error this operation documents
// (docs/api-reference.md §11, §18.4), so it is how ServiceStage refuses (a
// name that does not exist, one in use), and it may also follow a deletion
// that took effect: the caller re-reads ListAuthorizations to learn which.
// 429, 408 and 503, which prove nothing happened, are still retried.
func (c *Client) DeleteAuthorize(ctx context.Context, iamProjectID, name string) error {
	_, err := c.do(ctx, &call{op: "DeleteAuthorize", method: http.MethodDelete, svc: svcServiceStage,
		path: authsPath(iamProjectID) + "/" + seg(name), serverErrorFinal: true})
	return err
}
