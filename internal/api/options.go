package api

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Credentials are the secrets the client authenticates with. When several
// kinds are set, AK/SK wins over a token, and a token over an IAM password
// (docs/auth.md).
type Credentials struct {
	// AccessKey and SecretKey sign every request with SDK-HMAC-SHA256.
	AccessKey string
	SecretKey string
	// SecurityToken accompanies temporary AK/SK (X-Security-Token).
	SecurityToken string
	// ProjectID is the IAM project id of the region (X-Project-Id, ServiceStage
	// paths, IAM token scope).
	ProjectID string
	// Token is sent as X-Auth-Token.
	Token string
	// IAMUser, IAMPassword and IAMDomain obtain a token from IAM.
	IAMUser     string
	IAMPassword string
	IAMDomain   string
}

// String describes which credentials are set without revealing any secret.
func (c Credentials) String() string {
	switch c.Kind() {
	case CredentialsAKSK:
		s := "aksk(access key " + redactKey(c.AccessKey)
		if c.SecurityToken != "" {
			s += ", temporary"
		}
		return s + ")"
	case CredentialsToken:
		return "token(REDACTED)"
	case CredentialsIAMPassword:
		return fmt.Sprintf("iam-password(user %s, domain %s)", c.IAMUser, c.IAMDomain)
	}
	return "none"
}

// GoString is String, so %#v does not reveal secrets either.
func (c Credentials) GoString() string { return "api.Credentials{" + c.String() + "}" }

func redactKey(ak string) string {
	if len(ak) <= 4 {
		return "****"
	}
	return ak[:4] + "****"
}

// CredentialKind names the kind of credentials a client authenticates
// with, as Credentials.Kind chooses it.
type CredentialKind string

// The kinds of credentials.
const (
	CredentialsNone        CredentialKind = "none"
	CredentialsAKSK        CredentialKind = "aksk"
	CredentialsToken       CredentialKind = "token"
	CredentialsIAMPassword CredentialKind = "iam-password"
)

// Kind returns the kind of credentials the client will use when several
// are set: AK/SK, then a token, then an IAM password.
func (c Credentials) Kind() CredentialKind {
	switch {
	case c.AccessKey != "" && c.SecretKey != "":
		return CredentialsAKSK
	case c.Token != "":
		return CredentialsToken
	case c.IAMUser != "" && c.IAMPassword != "" && c.IAMDomain != "":
		return CredentialsIAMPassword
	}
	return CredentialsNone
}

func (c Credentials) secrets() []string {
	all := []string{c.SecretKey, c.SecurityToken, c.Token, c.IAMPassword}
	return slices.DeleteFunc(all, func(s string) bool { return s == "" })
}

// Clock is the client's source of time; tests inject a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives once d has elapsed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RetryPolicy bounds the client's one retry loop.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the back-off before the second attempt; it doubles each time.
	BaseDelay time.Duration
	// MaxDelay caps one back-off (a longer Retry-After is still honoured).
	MaxDelay time.Duration
	// Seed seeds the jitter; 0 picks one from the clock.
	Seed uint64
}

// DefaultRetryPolicy is used unless WithRetry says otherwise: five attempts,
// 1 s doubling to at most 30 s (docs/api-reference.md §15.3 recommends
// starting near 1 s).
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 30 * time.Second}

// Default bounds of waiting (WithAttemptTimeout, WithCallTimeout): one
// attempt may take 30 s from sending to the last byte of the answer; one
// call, all attempts, back-offs and budget waits included, 2 min.
const (
	DefaultAttemptTimeout = 30 * time.Second
	DefaultCallTimeout    = 2 * time.Minute
)

// DefaultRateLimit is the gateway's limit: calls per minute per API operation.
const DefaultRateLimit = 600

// Option configures a Client.
type Option func(*Client) error

// WithWaitNotice calls f before every wait of more than a second that the
// server caused: a Retry-After (capped at MaxRetryAfter) or the back-off
// after a throttling answer; one notice per answer, not per goroutine
// waiting on the operation's paused budget. f may be called from several
// goroutines at once and must return quickly; the CLI prints n.String().
func WithWaitNotice(f func(WaitNotice)) Option {
	return func(c *Client) error { c.waitNotice = f; return nil }
}

// WithCredentials sets the credentials every request is authenticated with.
func WithCredentials(cr Credentials) Option {
	return func(c *Client) error { c.creds = cr; return nil }
}

// WithRateLimit sets the budget in calls per minute per API operation.
func WithRateLimit(perMinute int) Option {
	return func(c *Client) error {
		if perMinute < 1 {
			return fmt.Errorf("rate limit must be at least 1 call per minute, got %d", perMinute)
		}
		c.rateLimit = perMinute
		return nil
	}
}

// WithRetry sets the retry policy.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		if p.MaxAttempts < 1 {
			return fmt.Errorf("retry policy needs at least 1 attempt, got %d", p.MaxAttempts)
		}
		if p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
			return fmt.Errorf("retry policy needs 0 <= base delay <= max delay, got %s and %s", p.BaseDelay, p.MaxDelay)
		}
		c.retry = p
		return nil
	}
}

// WithUserAgent sets the User-Agent header; the default is "reposync/dev".
// Callers pass "reposync/" + version.
func WithUserAgent(ua string) Option {
	return func(c *Client) error { c.userAgent = ua; return nil }
}

// WithEndpoint sends every service's requests to one base URL (the simulator,
// a proxy), instead of the regional hosts.
func WithEndpoint(base string) Option {
	return func(c *Client) error { c.endpoint = base; return nil }
}

// WithRegion selects the official regional hosts (docs/api-reference.md
// §16); it also scopes IAM tokens by region name when no IAM project id is
// known.
func WithRegion(region string) Option {
	return func(c *Client) error { c.region = region; return nil }
}

// WithAllowInsecureHTTP lets WithEndpoint name a plain http:// URL on a host
// that is not loopback. Without it such an endpoint is refused: tokens, AK/SK
// signatures and the IAM password would cross the network in clear text.
// The CLI sets it for --allow-insecure-http.
func WithAllowInsecureHTTP() Option {
	return func(c *Client) error { c.allowHTTP = true; return nil }
}

// WithInsecureSkipVerify turns TLS certificate verification off. Only for
// test set-ups; never use it against the real cloud.
func WithInsecureSkipVerify() Option {
	return func(c *Client) error { c.insecure = true; return nil }
}

func insecureTransport(rt http.RoundTripper) (http.RoundTripper, error) {
	t, ok := rt.(*http.Transport)
	if !ok {
		return nil, fmt.Errorf("insecure TLS needs an *http.Transport, got %T", rt)
	}
	t = t.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.InsecureSkipVerify = true
	return t, nil
}
