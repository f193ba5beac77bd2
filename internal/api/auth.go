package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Credential-bearing headers: never sent to a host that is not one of the
// client's service hosts.
var credentialHeaders = []string{"X-Auth-Token", "Authorization", "X-Security-Token"}

// authTransport adds credentials to requests bound for the client's own
// service hosts and to no other host. The client follows no redirect
// (noRedirect), so today every request it sends is bound for a service host;
// the host check stays as defence in depth: should a later change ever build
// a request URL from something a server sent (a Location, a pagination link),
// credentials still go only where the configuration said.
type authTransport struct {
	base  http.RoundTripper
	c     *Client
	hosts map[string]bool
}

// RoundTrip authenticates r when it is bound for a service host, and hides
// the Location of a 3xx answer from http.Client (send).
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	if !t.hosts[r.URL.Host] {
		for _, h := range credentialHeaders {
			r.Header.Del(h)
		}
		return t.send(r)
	}
	switch t.c.creds.Kind() {
	case CredentialsAKSK:
		if err := t.c.sign(r); err != nil {
			return nil, err
		}
	case CredentialsToken:
		r.Header.Set("X-Auth-Token", t.c.creds.Token)
	case CredentialsIAMPassword:
		return t.passwordRoundTrip(r)
	}
	return t.send(r)
}

// send checks the header values, credentials included, sends r, and hides
// the Location of a 3xx answer (hideLocation).
func (t *authTransport) send(r *http.Request) (*http.Response, error) {
	if err := checkHeaderValues(r.Header); err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		hideLocation(resp)
	}
	return resp, err
}

// redirectLocation carries a 3xx answer's Location past http.Client.
const redirectLocation = "X-Reposync-Redirect-Location"

// hideLocation moves the Location of a 3xx answer to redirectLocation.
// http.Client parses a redirect's Location before it asks CheckRedirect, and
// fails with a transport error (retried, quoting the raw header) when it
// cannot; without a Location it hands the answer back untouched, and do
// reports the redirect itself. noRedirect stays as the second guard.
func hideLocation(resp *http.Response) {
	resp.Header.Del(redirectLocation) // only this transport may set it
	if resp.StatusCode < 300 || resp.StatusCode >= 400 {
		return
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		resp.Header.Del("Location")
		resp.Header.Set(redirectLocation, loc)
	}
}

// headerError is a header value net/http would refuse to send, such as a
// credential read from a file with its trailing newline. It names the
// header, never the value, and is never retried.
type headerError struct{ name string }

func (e *headerError) Error() string {
	return fmt.Sprintf("the %s header value holds a control character (a newline at the end of a credential?); nothing was sent", e.name)
}

// checkHeaderValues applies net/http's rule for field values (no control
// character but tab) before the request is sent: net/http's own error for
// it is an untyped string, and would be retried as a transport failure.
func checkHeaderValues(h http.Header) error {
	names := slices.AppendSeq(make([]string, 0, len(h)), maps.Keys(h)) // sized: this runs for every request
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			if strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) {
				return &headerError{name: k}
			}
		}
	}
	return nil
}

// expiredTokenCodes are the 401 codes that mean the token is no longer
// valid, so a new login can help (docs/api-reference.md §15.2, §18.4):
// CodeArts Repo's DEV.00000003, the gateway's APIG.0301 ("decrypt token
// fail") and APIG.0307 ("the token needs to be updated"). Other 401s
// (CH.080401, no permission on the resource) are returned as they are.
var expiredTokenCodes = map[string]bool{"DEV.00000003": true, "APIG.0301": true, "APIG.0307": true}

// passwordRoundTrip sends with the cached IAM token, and on an expired-token
// answer (expiredTokenCodes) logs in again and re-sends once.
func (t *authTransport) passwordRoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := t.c.tokens.get(r.Context(), "")
	if err != nil {
		return nil, err
	}
	r.Header.Set("X-Auth-Token", tok.Value)
	resp, err := t.send(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, t.c.maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		return resp, nil
	}
	code, _ := extractError(body)
	if !expiredTokenCodes[code] {
		return resp, nil
	}
	tok2, err := t.c.tokens.get(r.Context(), tok.Value)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	if r.GetBody != nil {
		b, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		r2.Body = b
	}
	r2.Header.Set("X-Auth-Token", tok2.Value)
	return t.send(r2)
}

// sign adds X-Sdk-Date (fresh for every attempt), X-Project-Id,
// X-Security-Token and the SDK-HMAC-SHA256 Authorization header.
func (c *Client) sign(r *http.Request) error {
	var body []byte
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			return fmt.Errorf("read body for signing: %w", err)
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read body for signing: %w", err)
		}
	}
	r.Header.Del("Authorization")
	r.Header.Set(headerSdkDate, c.clock.Now().UTC().Format(sdkDateLayout))
	if c.creds.ProjectID != "" && r.Context().Value(noProjectHeader{}) == nil {
		r.Header.Set("X-Project-Id", c.creds.ProjectID)
	}
	if c.creds.SecurityToken != "" {
		r.Header.Set("X-Security-Token", c.creds.SecurityToken)
	}
	r.Header.Set("Authorization", signature(c.creds.AccessKey, c.creds.SecretKey, r.Method, r.URL.Path, r.URL.Query(), r.Header, body))
	return nil
}

// noRedirect makes http.Client return a 3xx answer as it is instead of
// following it. Go re-sends a POST body on 307/308, so following would carry
// the IAM password (login) or a Git authorization's password to whatever host
// the redirect names, and count that host's answer as success. reposync only
// talks to known API hosts: do turns every 3xx into an error naming the target.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// noProjectHeader, as a request context key, signs a request without
// X-Project-Id: IAM is a global service, and the SDK signs its IAM calls
// with X-Domain-Id (which reposync does not know) or, for the project
// lookup, with neither (docs/api-reference.md §12.2, §13.2).
type noProjectHeader struct{}

// tokenCache holds the IAM token of password authentication.
type tokenCache struct {
	c *Client

	// login serialises logins: a one-slot semaphore held across the IAM
	// call. Unlike a mutex, waiting for it ends with the waiter's context.
	login chan struct{}

	mu      sync.Mutex // guards the fields below; never held across I/O
	tok     Token
	renewAt time.Time // renew the token from this time on
}

// refreshMargin renews a token this long before IAM's expiry.
const refreshMargin = 5 * time.Minute

// get returns a valid token; stale names a token the server rejected, which
// is replaced unless another goroutine already replaced it.
func (tc *tokenCache) get(ctx context.Context, stale string) (Token, error) {
	select {
	case tc.login <- struct{}{}:
		defer func() { <-tc.login }()
	case <-ctx.Done():
		return Token{}, &loginError{fmt.Errorf("wait for the IAM login of %s: %w", tc.c.creds.IAMUser, ctx.Err())}
	}
	tc.mu.Lock()
	cached, renewAt := tc.tok, tc.renewAt
	tc.mu.Unlock()
	if cached.Value != "" && cached.Value != stale && tc.c.clock.Now().Before(renewAt) {
		return cached, nil
	}
	cr := tc.c.creds
	if cr.ProjectID == "" && tc.c.region == "" {
		return Token{}, &loginError{fmt.Errorf("iam login of %s needs the IAM project id (HW_PROJECT_ID) or a region to scope the token", cr.IAMUser)}
	}
	tok, err := tc.c.createUserToken(ctx, cr)
	if err != nil {
		return Token{}, &loginError{fmt.Errorf("iam login of %s: %w", cr.IAMUser, err)}
	}
	now := tc.c.clock.Now()
	if tok.ExpiresAt.IsZero() {
		// IAM tokens live 24 hours (docs/api-reference.md §12.1).
		tok.ExpiresAt = now.Add(24 * time.Hour)
	}
	renewAt = tok.ExpiresAt.Add(-refreshMargin)
	if !renewAt.After(now) {
		// A fresh token that claims to expire soon (clock skew) is used for a
		// minute rather than fetched again for every request; a 401 still
		// triggers the refresh.
		renewAt = now.Add(time.Minute)
	}
	tc.mu.Lock()
	tc.tok, tc.renewAt = tok, renewAt
	tc.mu.Unlock()
	return tok, nil
}

// extractError finds error_code/error_msg (or code/message, also nested) in
// an error body, as the official SDK does (docs/api-reference.md §15.1).
func extractError(body []byte) (code, msg string) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	return findError(v, 0)
}

func findError(v any, depth int) (string, string) {
	m, ok := v.(map[string]any)
	if !ok || depth > 4 {
		return "", ""
	}
	if c, msg := str(m["error_code"]), str(m["error_msg"]); c != "" && msg != "" {
		return c, msg
	}
	if c, msg := str(m["code"]), str(m["message"]); c != "" && msg != "" {
		return c, msg
	}
	for _, k := range []string{"error", "errors"} {
		if c, msg := findError(m[k], depth+1); c != "" {
			return c, msg
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if c, msg := findError(m[k], depth+1); c != "" {
			return c, msg
		}
	}
	if c, msg := str(m["error_code"]), str(m["error_msg"]); c != "" || msg != "" {
		return c, msg
	}
	return "", ""
}

// str renders a JSON string or number (IAM error codes are numbers).
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}

// loginError is a failed IAM login met while sending a request: it is
// returned as is, never retried as a transport failure.
type loginError struct{ err error }

func (e *loginError) Error() string { return e.err.Error() }
func (e *loginError) Unwrap() error { return e.err }
