package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Identity is who the client acts as (docs/api-reference.md §12.1, §18.4).
type Identity struct {
	// UserID is the IAM user id (32 hex characters).
	UserID string
	// UserName is the IAM user name, "" when the lookup does not tell it
	// (AK/SK: the credential query answers with the user id only).
	UserName string
	// Source is the IAM operation whose answer told:
	// "KeystoneCreateUserTokenByPassword" (the login's token body),
	// "KeystoneValidateToken" or "ShowPermanentAccessKey".
	Source string
}

// ErrIdentityUnknown is wrapped by CallerIdentity's error when the
// credentials cannot name their user: temporary AK/SK, or none at all.
var ErrIdentityUnknown = errors.New("the identity reposync runs as cannot be looked up")

// CallerIdentity returns who the client acts as, for every kind of
// credentials, looking it up once per client (a failed lookup is tried
// again on the next call):
//
//   - IAM password: the login's token body (token.user.id and .name);
//   - token: IAM KeystoneValidateToken, GET /v3/auth/tokens with the token
//     as both X-Auth-Token and X-Subject-Token;
//   - AK/SK: IAM ShowPermanentAccessKey, GET
//     /v3.0/OS-CREDENTIAL/credentials/{access_key}, signed without
//     X-Project-Id; the answer has no user name. Temporary AK/SK (a security
//     token) are not permanent keys: the error wraps ErrIdentityUnknown
//     without a request.
//
// doctor reports it; apply's guard for the caller's own admin role matches
// UserID against the members' IAM ids.
func (c *Client) CallerIdentity(ctx context.Context) (Identity, error) {
	select {
	case c.identityLookup <- struct{}{}:
		defer func() { <-c.identityLookup }()
	case <-ctx.Done():
		return Identity{}, fmt.Errorf("look up the caller's identity: %w", ctx.Err())
	}
	if c.identity != nil {
		return *c.identity, nil
	}
	id, err := c.lookupIdentity(ctx)
	if err != nil {
		return Identity{}, err
	}
	c.identity = &id
	return id, nil
}

func (c *Client) lookupIdentity(ctx context.Context) (Identity, error) {
	switch c.creds.Kind() {
	case CredentialsIAMPassword:
		tok, err := c.tokens.get(ctx, "")
		if err != nil {
			return Identity{}, err
		}
		id := Identity{UserID: tok.UserID, UserName: tok.UserName, Source: "KeystoneCreateUserTokenByPassword"}
		if id.UserID == "" {
			return Identity{}, fmt.Errorf("the IAM login's token names no user (token.user.id): %w", ErrIdentityUnknown)
		}
		return id, nil
	case CredentialsToken:
		return c.validateToken(ctx)
	case CredentialsAKSK:
		if c.creds.SecurityToken != "" {
			return Identity{}, fmt.Errorf("the identity of temporary AK/SK cannot be looked up (IAM's ShowPermanentAccessKey knows permanent keys only): %w", ErrIdentityUnknown)
		}
		return c.showAccessKey(ctx)
	}
	return Identity{}, fmt.Errorf("no credentials are set: %w", ErrIdentityUnknown)
}

// validateToken asks IAM whose the client's token is (KeystoneValidateToken,
// docs/api-reference.md §12.1).
func (c *Client) validateToken(ctx context.Context) (Identity, error) {
	cl := &call{op: "KeystoneValidateToken", method: http.MethodGet, svc: svcIAM, path: "/v3/auth/tokens",
		header: http.Header{"X-Subject-Token": {c.creds.Token}}}
	var out tokenResponse
	if _, err := c.getJSON(ctx, cl, &out); err != nil {
		return Identity{}, err
	}
	if out.Token.User.ID == "" {
		return Identity{}, c.answerError(cl, KindDecode, errors.New("the answer names no user (token.user.id)"))
	}
	return Identity{UserID: out.Token.User.ID, UserName: out.Token.User.Name, Source: cl.op}, nil
}

// showAccessKey asks IAM whose the client's access key is (the SDK's
// ShowPermanentAccessKey).
func (c *Client) showAccessKey(ctx context.Context) (Identity, error) {
	cl := &call{op: "ShowPermanentAccessKey", method: http.MethodGet, svc: svcIAM,
		path: "/v3.0/OS-CREDENTIAL/credentials/" + seg(c.creds.AccessKey), noProject: true}
	var out struct {
		Credential struct {
			UserID string `json:"user_id"`
			Access string `json:"access"`
		} `json:"credential"`
	}
	if _, err := c.getJSON(ctx, cl, &out); err != nil {
		return Identity{}, err
	}
	switch cr := out.Credential; {
	case cr.UserID == "":
		return Identity{}, c.answerError(cl, KindDecode, errors.New("the answer names no user (credential.user_id)"))
	case cr.Access != "" && cr.Access != c.creds.AccessKey:
		return Identity{}, c.answerError(cl, KindDecode, errors.New("the answer is about another access key (credential.access)"))
	}
	return Identity{UserID: out.Credential.UserID, Source: cl.op}, nil
}
