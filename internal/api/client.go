// Package api is the typed HTTP client of CodeArts Repo, ServiceStage and IAM:
// the only code in reposync that speaks HTTP to the cloud. It owns the wire
// structs (exact JSON names and types of shared/api/REFERENCE.md), the
// authentication transport (X-Auth-Token, IAM password login, SDK-HMAC-SHA256
// AK/SK signing), the per-operation rate budget, the one retry loop,
// pagination and typed errors.
//
// It must import no other internal package: it knows nothing of specs, plans
// or state.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default body limits: a list page is far below 16 MiB; an error body has no
// reason to exceed 64 KiB.
const (
	defaultMaxBody      = 16 << 20
	defaultMaxErrorBody = 64 << 10
	defaultPageSize     = 100
)

// Client calls the CodeArts Repo, ServiceStage and IAM APIs. It is safe for
// concurrent use; all goroutines share its rate budget and token cache.
type Client struct {
	base      *http.Client
	creds     Credentials
	rateLimit int
	retry     RetryPolicy
	clock     Clock
	userAgent string
	endpoint  string
	region    string
	insecure  bool
	allowHTTP bool

	endpoints    map[service]*url.URL
	authed       *http.Client
	plain        *http.Client
	budget       *budget
	jitter       *jitter
	tokens       *tokenCache
	maxBody      int64
	maxErrorBody int64
	pageSize     int

	statsMu sync.Mutex
	stats   map[string]*OpStats
}

// OpStats counts what the client did for one API operation.
type OpStats struct {
	// Calls is the number of HTTP requests sent, retries included.
	Calls int
	// Retries is the number of those that repeated an earlier attempt.
	Retries int
	// Throttled is the number of 429 / APIG.0308 answers.
	Throttled int
}

// New builds a client. It needs WithEndpoint or WithRegion.
func New(opts ...Option) (*Client, error) {
	c := &Client{
		base:         &http.Client{Timeout: 60 * time.Second},
		rateLimit:    DefaultRateLimit,
		retry:        DefaultRetryPolicy,
		clock:        realClock{},
		userAgent:    "reposync/dev",
		maxBody:      defaultMaxBody,
		maxErrorBody: defaultMaxErrorBody,
		pageSize:     defaultPageSize,
		stats:        map[string]*OpStats{},
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("configure api client: %w", err)
		}
	}
	eps, err := resolveEndpoints(c.endpoint, c.region, c.allowHTTP)
	if err != nil {
		return nil, fmt.Errorf("configure api client: %w", err)
	}
	c.endpoints = eps
	rt := c.base.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	if c.insecure {
		if rt, err = insecureTransport(rt); err != nil {
			return nil, fmt.Errorf("configure api client: %w", err)
		}
	}
	hosts := map[string]bool{}
	for _, u := range eps {
		hosts[u.Host] = true
	}
	plain := *c.base
	plain.Transport = &authTransport{base: rt, c: &Client{}, hosts: map[string]bool{}}
	plain.CheckRedirect = noRedirect
	authed := plain
	authed.Transport = &authTransport{base: rt, c: c, hosts: hosts}
	c.plain, c.authed = &plain, &authed
	c.budget = newBudget(c.rateLimit, c.clock)
	seed := c.retry.Seed
	if seed == 0 {
		seed = uint64(c.clock.Now().UnixNano())
	}
	c.jitter = newJitter(seed)
	c.tokens = &tokenCache{c: c}
	return c, nil
}

// Stats returns a copy of the per-operation counters.
func (c *Client) Stats() map[string]OpStats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	out := make(map[string]OpStats, len(c.stats))
	for k, v := range c.stats {
		out[k] = *v
	}
	return out
}

func (c *Client) count(op string, f func(*OpStats)) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	s := c.stats[op]
	if s == nil {
		s = &OpStats{}
		c.stats[op] = s
	}
	f(s)
}

// IAMProjectID returns the IAM project id of the credentials, or, with IAM
// password login, the project of the token (logging in when needed).
func (c *Client) IAMProjectID(ctx context.Context) (string, error) {
	if c.creds.ProjectID != "" {
		return c.creds.ProjectID, nil
	}
	if c.creds.mode() == authPassword {
		if _, err := c.tokens.get(ctx, ""); err != nil {
			return "", err
		}
		c.tokens.mu.Lock()
		defer c.tokens.mu.Unlock()
		if c.tokens.projectID != "" {
			return c.tokens.projectID, nil
		}
	}
	return "", fmt.Errorf("the IAM project id is unknown: set HW_PROJECT_ID")
}

// CallerIAMID returns the IAM user id of the identity the client acts as,
// when the credentials tell it: with IAM password login it is the token's
// user (logging in when needed). AK/SK and plain tokens do not say who they
// are; then ok is false.
func (c *Client) CallerIAMID(ctx context.Context) (id string, ok bool, err error) {
	if c.creds.mode() != authPassword {
		return "", false, nil
	}
	if _, err := c.tokens.get(ctx, ""); err != nil {
		return "", false, err
	}
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	return c.tokens.userID, c.tokens.userID != "", nil
}

// call describes one API request.
type call struct {
	op     string
	method string
	svc    service
	path   string // escaped path, segments built with seg()
	query  url.Values
	body   any  // marshalled to JSON when non-nil
	noAuth bool // IAM login: no credentials at all
	ctype  string
}

// response is a successful answer, its body read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

func (c *Client) url(cl *call) (*url.URL, error) {
	base := c.endpoints[cl.svc]
	if base == nil {
		return nil, &Error{Op: cl.op, Method: cl.method, URL: cl.path, Kind: KindTransport,
			Message: fmt.Sprintf("%s has no endpoint in region %q", cl.svc, c.region)}
	}
	u := *base
	raw := strings.TrimSuffix(base.EscapedPath(), "/") + cl.path
	p, err := url.PathUnescape(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: bad path %q: %w", cl.op, cl.path, err)
	}
	u.Path, u.RawPath = p, raw
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	return &u, nil
}

// do runs the one retry loop: budget, send, classify, back off.
func (c *Client) do(ctx context.Context, cl *call) (*response, error) {
	u, err := c.url(cl)
	if err != nil {
		return nil, err
	}
	var body []byte
	if cl.body != nil {
		if body, err = json.Marshal(cl.body); err != nil {
			return nil, fmt.Errorf("%s: encode request: %w", cl.op, err)
		}
	}
	for attempt := 1; ; attempt++ {
		if err := c.budget.wait(ctx, cl.op); err != nil {
			return nil, fmt.Errorf("%s: wait for rate budget: %w", cl.op, err)
		}
		c.count(cl.op, func(s *OpStats) {
			s.Calls++
			if attempt > 1 {
				s.Retries++
			}
		})
		resp, written, err := c.send(ctx, cl, u, body)
		var retryAfter time.Duration
		var hasRetryAfter bool
		switch {
		case err != nil && ctx.Err() != nil:
			if cl.method == http.MethodPost && written {
				// Cancelled after the write: the outcome is unknown.
				return nil, c.newError(cl, u, nil, KindAmbiguous, ctx.Err())
			}
			return nil, fmt.Errorf("%s %s: %w", cl.op, c.sanitize(u), ctx.Err())
		case err != nil && errors.As(err, new(*loginError)):
			// The IAM login failed; its own call already retried.
			return nil, fmt.Errorf("%s %s: %w", cl.op, c.sanitize(u), err)
		case errors.Is(err, errBodyTooLarge):
			return nil, c.newError(cl, u, nil, KindDecode, err)
		case err != nil:
			if cl.method == http.MethodPost && written {
				return nil, c.newError(cl, u, nil, KindAmbiguous, err)
			}
			if attempt >= c.retry.MaxAttempts {
				return nil, c.newError(cl, u, nil, KindTransport, err)
			}
		case resp.status < 300:
			return resp, nil
		case resp.status < 400:
			// Never retried: a redirect is configuration, not a passing fault.
			return nil, c.redirectError(cl, u, resp)
		default:
			e := c.newError(cl, u, resp, KindHTTP, nil)
			throttled := IsThrottled(e)
			if throttled {
				c.count(cl.op, func(s *OpStats) { s.Throttled++ })
			}
			if !retryableStatus(cl.method, resp.status, e.Code) || attempt >= c.retry.MaxAttempts {
				return nil, e
			}
			retryAfter, hasRetryAfter = parseRetryAfter(resp.header.Get("Retry-After"), c.clock.Now())
			if throttled && hasRetryAfter {
				c.budget.pause(cl.op, c.clock.Now().Add(retryAfter))
			}
		}
		delay := c.retry.backoff(attempt, c.jitter)
		if hasRetryAfter {
			delay = retryAfter
		}
		if err := sleep(ctx, c.clock, delay); err != nil {
			return nil, fmt.Errorf("%s %s: %w", cl.op, c.sanitize(u), err)
		}
	}
}

// send performs one attempt. written reports whether the request reached the
// wire, which decides whether a failed POST is ambiguous.
func (c *Client) send(ctx context.Context, cl *call, u *url.URL, body []byte) (*response, bool, error) {
	if !cl.noAuth && c.creds.mode() == authPassword {
		// Log in before the traced request exists, so that the login's own
		// write is not taken for this request's (which would make a failed
		// POST look ambiguous).
		if _, err := c.tokens.get(ctx, ""); err != nil {
			return nil, false, err
		}
	}
	var written atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			written.Store(true)
		}
	}}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), cl.method, u.String(), rd)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		ct := cl.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	hc := c.authed
	if cl.noAuth {
		hc = c.plain
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, written.Load(), err
	}
	defer res.Body.Close()
	limit := c.maxBody
	if res.StatusCode >= 300 {
		limit = c.maxErrorBody
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, true, err
	}
	if int64(len(b)) > limit {
		if res.StatusCode < 300 {
			return nil, true, fmt.Errorf("%w: more than %d bytes", errBodyTooLarge, limit)
		}
		b = b[:limit]
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, true, nil
}

// newError builds the *Error of a failed call; resp may be nil.
func (c *Client) newError(cl *call, u *url.URL, resp *response, kind Kind, err error) *Error {
	e := &Error{Op: cl.op, Method: cl.method, URL: c.sanitize(u), Kind: kind}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			cp := *ue
			if pu, perr := url.Parse(ue.URL); perr == nil {
				cp.URL = RedactURL(sanitizeURL(pu))
			} else {
				cp.URL = RedactURL(ue.URL)
			}
			err = &cp
		}
		e.Err = err
		if msg := c.redact(err.Error()); msg != err.Error() {
			e.Err = errors.New(msg) // keep no secret, even at the cost of errors.Is
		}
	}
	if resp != nil {
		e.Status = resp.status
		e.RequestID = resp.header.Get("X-Request-Id")
		code, msg := extractError(resp.body)
		if code == "" && msg == "" {
			msg = strings.TrimSpace(string(resp.body))
			if len(msg) > 200 {
				msg = msg[:200] + "…"
			}
			if msg == "" {
				msg = http.StatusText(resp.status)
			}
		}
		e.Code, e.Message = c.redact(code), c.redact(msg)
	}
	return e
}

// redirectError describes a 3xx answer: the client follows no redirect
// (noRedirect), so the answer names a host the configuration did not.
func (c *Client) redirectError(cl *call, u *url.URL, resp *response) *Error {
	e := &Error{Op: cl.op, Method: cl.method, URL: c.sanitize(u), Kind: KindRedirect, Status: resp.status,
		RequestID: resp.header.Get("X-Request-Id")}
	hint := "is the region right?"
	if c.endpoint != "" {
		hint = "is --endpoint right?"
	}
	loc := resp.header.Get(redirectLocation)
	if loc == "" {
		e.Message = fmt.Sprintf("the server answered %d without a Location; reposync never follows redirects (%s)", resp.status, hint)
		return e
	}
	e.Location = c.sanitizeLocation(u, loc)
	e.Message = fmt.Sprintf("the server redirected to %s; reposync never follows redirects (%s)", e.Location, hint)
	return e
}

// sanitizeLocation resolves a Location header against the request URL and
// renders it without user info or secret-looking query values.
func (c *Client) sanitizeLocation(u *url.URL, loc string) string {
	t, err := u.Parse(loc)
	if err != nil {
		return c.redact(RedactURL(loc))
	}
	// RedactURL again: url.Parse reads "https://u:1/pw@h" as host u, port 1.
	return RedactURL(c.sanitize(t))
}

var secretQueryName = regexp.MustCompile(`(?i)token|password|passwd|secret|signature|credential`)

// sanitize renders u without user info and with secret-looking query values
// replaced by REDACTED.
func (c *Client) sanitize(u *url.URL) string { return c.redact(sanitizeURL(u)) }

func sanitizeURL(u *url.URL) string {
	v := *u
	v.User = nil
	if v.RawQuery != "" {
		q := v.Query()
		for k := range q {
			if secretQueryName.MatchString(k) {
				q[k] = []string{"REDACTED"}
			}
		}
		v.RawQuery = q.Encode()
	}
	return v.String()
}

var secretJSONField = regexp.MustCompile(`(?i)("(?:password|token|secret|sk|secret_key|security_token)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// textUserinfo matches the user info of a URL inside free text (a server's
// message, a proxy error, a decode error quoting a value): from "scheme://"
// to the last '@' before a space or quote.
var textUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^\s"'<>]*@`)

// redact removes every configured secret, the user info of any URL and
// every secret-looking JSON value from s: the one redaction point of
// everything that reaches an error.
func (c *Client) redact(s string) string {
	for _, sec := range c.creds.secrets() {
		s = strings.ReplaceAll(s, sec, "REDACTED")
	}
	if c.tokens != nil {
		c.tokens.mu.Lock()
		if c.tokens.token != "" {
			s = strings.ReplaceAll(s, c.tokens.token, "REDACTED")
		}
		c.tokens.mu.Unlock()
	}
	s = textUserinfo.ReplaceAllString(s, "${1}REDACTED@")
	return secretJSONField.ReplaceAllString(s, `${1}"REDACTED"`)
}

// decode unmarshals a successful body into out, naming the operation.
func (c *Client) decode(cl *call, resp *response, out any) error {
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		u, _ := c.url(cl)
		return c.newError(cl, u, nil, KindDecode, fmt.Errorf("decode response: %w", err))
	}
	return nil
}

// getJSON runs a call and decodes its answer into out.
func (c *Client) getJSON(ctx context.Context, cl *call, out any) (*response, error) {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := c.decode(cl, resp, out); err != nil {
			return nil, err
		}
	}
	return resp, nil
}
