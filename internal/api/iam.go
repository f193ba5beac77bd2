package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Token is an IAM user token and what its body says about it.
type Token struct {
	// Value is the X-Subject-Token header: the secret itself.
	Value string
	// ExpiresAt is token.expires_at (zero when absent).
	ExpiresAt time.Time
	// UserID is the caller's IAM user id (token.user.id).
	UserID string
	// UserName is the caller's IAM user name (token.user.name).
	UserName string
	// ProjectID is the IAM project id of the scope (token.project.id).
	ProjectID string
}

// String describes the token without revealing it.
func (t Token) String() string {
	return "api.Token{user " + t.UserID + ", project " + t.ProjectID + ", expires " + t.ExpiresAt.Format(time.RFC3339) + "}"
}

// GoString is String, so %#v does not reveal the token either.
func (t Token) GoString() string { return t.String() }

type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   struct {
						Name string `json:"name"`
					} `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID   string `json:"id,omitempty"`
				Name string `json:"name,omitempty"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type tokenResponse struct {
	Token struct {
		ExpiresAt string `json:"expires_at"`
		User      struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"user"`
		Project struct {
			ID string `json:"id"`
		} `json:"project"`
	} `json:"token"`
}

// createUserToken logs in to IAM with cr's password
// (KeystoneCreateUserTokenByPassword, POST /v3/auth/tokens?nocatalog=true),
// for a token scoped to cr's project: by id when known, else by the region's
// name. The token is the X-Subject-Token response header. The password never
// appears in an error: request bodies are never put into one.
func (c *Client) createUserToken(ctx context.Context, cr Credentials) (Token, error) {
	var body tokenRequest
	id := &body.Auth.Identity
	id.Methods = []string{"password"}
	id.Password.User.Name = cr.IAMUser
	id.Password.User.Password = cr.IAMPassword
	id.Password.User.Domain.Name = cr.IAMDomain
	body.Auth.Scope.Project.ID = cr.ProjectID
	if cr.ProjectID == "" {
		body.Auth.Scope.Project.Name = c.region
	}
	cl := &call{op: "KeystoneCreateUserTokenByPassword", method: http.MethodPost, svc: svcIAM,
		path: "/v3/auth/tokens", query: url.Values{"nocatalog": {"true"}}, body: &body, noAuth: true,
		ctype: "application/json;charset=UTF-8", repeatable: true}
	var out tokenResponse
	resp, err := c.getJSON(ctx, cl, &out)
	if err != nil {
		return Token{}, err
	}
	tok := Token{Value: resp.header.Get("X-Subject-Token"), UserID: out.Token.User.ID, UserName: out.Token.User.Name, ProjectID: out.Token.Project.ID}
	if tok.Value == "" {
		return Token{}, c.answerError(cl, KindDecode, errors.New("no X-Subject-Token header in the answer"))
	}
	if t, err := time.Parse(time.RFC3339Nano, out.Token.ExpiresAt); err == nil { // "" does not parse
		tok.ExpiresAt = t
	}
	return tok, nil
}
