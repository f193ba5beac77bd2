// Package api is the typed HTTP client of CodeArts Repo, ServiceStage and IAM:
// the only code in reposync that speaks HTTP to the cloud. It owns the wire
// structs (exact JSON names and types of docs/api-reference.md), the
// authentication transport (X-Auth-Token, IAM password login, SDK-HMAC-SHA256
// AK/SK signing), the per-operation rate budget, the one retry loop,
// pagination and typed errors.
//
// It must import no other internal package: it knows nothing of specs, plans
// or state.
package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"slices"
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

	attemptTimeout time.Duration
	callTimeout    time.Duration
	waitNotice     func(WaitNotice)
	clock          Clock
	userAgent      string
	endpoint       string
	region         string
	insecure       bool
	allowHTTP      bool

	endpoints    map[service]*url.URL
	authed       *http.Client
	plain        *http.Client
	budget       *budget
	jitter       *jitter
	tokens       *tokenCache
	maxBody      int64
	maxList      int64 // bytes of all pages of one listing
	maxErrorBody int64
	pageSize     int

	statsMu sync.Mutex
	stats   map[string]OpStats

	factsMu    sync.Mutex            // guards lists and serverTime (Facts)
	lists      map[string]ListFacts  // per operation
	serverTime map[string]ServerTime // per service key

	identityLookup chan struct{} // one CallerIdentity lookup at a time; waiting ends with the context
	identity       *Identity     // what it found; guarded by identityLookup
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
		base:           &http.Client{},
		attemptTimeout: DefaultAttemptTimeout,
		callTimeout:    DefaultCallTimeout,
		rateLimit:      DefaultRateLimit,
		retry:          DefaultRetryPolicy,
		clock:          realClock{},
		userAgent:      "reposync/dev",
		maxBody:        defaultMaxBody,
		maxList:        defaultMaxList,
		maxErrorBody:   defaultMaxErrorBody,
		pageSize:       defaultPageSize,
		stats:          map[string]OpStats{},
		lists:          map[string]ListFacts{},
		serverTime:     map[string]ServerTime{},
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
		rt = defaultTransport()
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
	// The attempt and call timeouts bound every request; a Timeout of a
	// client passed with WithHTTPClient would only add a third bound with a
	// less clear message.
	plain.Timeout = 0
	plain.Transport = &authTransport{base: rt, c: &Client{}, hosts: map[string]bool{}}
	plain.CheckRedirect = noRedirect
	authed := plain
	authed.Transport = &authTransport{base: rt, c: c, hosts: hosts}
	c.plain, c.authed = &plain, &authed
	c.budget = newBudget(c.rateLimit, c.clock)
	c.jitter = newJitter(cmp.Or(c.retry.Seed, uint64(c.clock.Now().UnixNano())))
	c.tokens = &tokenCache{c: c, login: make(chan struct{}, 1)}
	c.identityLookup = make(chan struct{}, 1)
	return c, nil
}

// maxIdlePerHost is the highest --concurrency: every call in flight keeps
// its connection for the next one.
const maxIdlePerHost = 256

// defaultTransport is http.DefaultTransport keeping up to maxIdlePerHost
// idle connections per host instead of 2. With 2, every call beyond the
// second that finishes at the same time closes its connection and the next
// call dials a new one — a TCP and TLS handshake per call on a busy run
// (measured: 58 connections for 64 calls, 16 at a time).
func defaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	t.MaxIdleConns = 0 // no total bound: the few hosts times maxIdlePerHost bound it
	return t
}

// Stats returns a copy of the per-operation counters.
func (c *Client) Stats() map[string]OpStats {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	return maps.Clone(c.stats)
}

func (c *Client) count(op string, f func(*OpStats)) {
	c.statsMu.Lock()
	defer c.statsMu.Unlock()
	s := c.stats[op]
	f(&s)
	c.stats[op] = s
}

// IAMProjectID returns the IAM project id of the credentials, or, with IAM
// password login, the project of the token (logging in when needed).
func (c *Client) IAMProjectID(ctx context.Context) (string, error) {
	if c.creds.ProjectID != "" {
		return c.creds.ProjectID, nil
	}
	if c.creds.Kind() == CredentialsIAMPassword {
		tok, err := c.tokens.get(ctx, "")
		if err != nil {
			return "", err
		}
		if tok.ProjectID != "" {
			return tok.ProjectID, nil
		}
	}
	return "", fmt.Errorf("the IAM project id is unknown: set HW_PROJECT_ID")
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
	// repeatable marks a POST that may be sent again whatever became of
	// the first one: the IAM login only hands out a token, so a lost answer
	// is retried like a GET's, never reported as an ambiguous write.
	repeatable bool
	// header holds extra request headers (KeystoneValidateToken's
	// X-Subject-Token).
	header http.Header
	// noProject signs an AK/SK request without X-Project-Id (IAM calls).
	noProject bool
	// serverErrorFinal returns a 500, 502 or 504 instead of retrying it,
	// although the method is idempotent. A per-call flag rather than a
	// case in the loop: the loop keeps one rule, and the operation that
	// needs the exception says so where it is defined (DeleteAuthorize).
	serverErrorFinal bool
}

// idempotent reports whether the call may be repeated blindly: every method
// but POST, and a repeatable POST.
func (cl *call) idempotent() bool { return cl.method != http.MethodPost || cl.repeatable }

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
		u.RawQuery = encodeQuery(cl.query)
	}
	return &u, nil
}

// encodeQuery writes q sorted by name, in the signer's encoding: only
// A-Z a-z 0-9 - _ . ~ stay as they are, so a space is %20, never the "+" of
// url.Values.Encode (docs/api-reference.md §13.3, §18.4). What goes on the
// wire is then byte for byte what is signed, even for a gateway that reads
// "+" as a plus.
func encodeQuery(q url.Values) string {
	names := slices.AppendSeq(make([]string, 0, len(q)), maps.Keys(q)) // sized: this runs for every request
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(signEscape(k))
			b.WriteByte('=')
			b.WriteString(signEscape(v))
		}
	}
	return b.String()
}

// do runs the one retry loop: budget, send, classify, back off. Two bounds
// keep it from waiting without end: every attempt has attemptTimeout (which
// also bounds reading the answer, so a server trickling a byte every few
// seconds is cut off), and the whole call, budget waits and back-offs
// included, has callTimeout. They do not multiply: five attempts of 30 s
// still end at the call's 2 min. A shorter deadline of ctx wins.
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
	callCtx, cancel := context.WithTimeoutCause(ctx, c.callTimeout, errCallTimeout)
	defer cancel()
	var last error // the previous attempt's failure, for a give-up message
	for attempt := 1; ; attempt++ {
		if callCtx.Err() != nil {
			during := "not started"
			if attempt > 1 {
				during = "before a retry"
			}
			return nil, c.ended(ctx, cl, u, attempt-1, last, false, during)
		}
		if err := c.budget.wait(callCtx, cl.op); err != nil {
			return nil, c.ended(ctx, cl, u, attempt-1, last, false, "wait for rate budget")
		}
		c.count(cl.op, func(s *OpStats) {
			s.Calls++
			if attempt > 1 {
				s.Retries++
			}
		})
		resp, written, err := c.send(callCtx, cl, u, body, attempt)
		ambiguous := !cl.idempotent() && written
		var retryAfter, asked time.Duration
		var hasRetryAfter, throttled bool
		switch {
		case err != nil && callCtx.Err() != nil:
			// The caller or the call timeout ended the attempt: no retry
			// will follow, so the outcome of any write sent is unknown.
			return nil, c.ended(ctx, cl, u, attempt, last, written && cl.method != http.MethodGet && !cl.repeatable, "")
		case err != nil && is[*loginError](err):
			// The IAM login failed; its own call already retried.
			return nil, fmt.Errorf("%s %s %s: %w", cl.op, cl.method, c.sanitize(u), err)
		case errors.Is(err, errBodyTooLarge):
			return nil, c.newError(cl, u, nil, KindDecode, err)
		case err != nil:
			if ambiguous {
				return nil, c.newError(cl, u, nil, KindAmbiguous, err)
			}
			if attempt >= c.retry.MaxAttempts || permanent(err) {
				kind := KindTransport
				if IsTimeout(err) {
					kind = KindTimeout
				}
				return nil, c.newError(cl, u, nil, kind, err)
			}
			last = err
		case resp.status < 300:
			c.noteDate(cl.svc, resp.header)
			return resp, nil
		case resp.status < 400:
			// Never retried: a redirect is configuration, not a passing fault.
			return nil, c.redirectError(cl, u, resp)
		default:
			e := c.newError(cl, u, resp, KindHTTP, nil)
			throttled = IsThrottled(e)
			if throttled {
				c.count(cl.op, func(s *OpStats) { s.Throttled++ })
			}
			if !retryableStatus(cl.idempotent() && !cl.serverErrorFinal, resp.status, e.Code) || attempt >= c.retry.MaxAttempts {
				return nil, e
			}
			last = e
			retryAfter, asked, hasRetryAfter = parseRetryAfter(resp.header.Get("Retry-After"), c.clock.Now())
			if throttled && hasRetryAfter {
				c.budget.pause(cl.op, c.clock.Now().Add(retryAfter))
			}
		}
		delay := c.retry.backoff(attempt, c.jitter)
		if hasRetryAfter {
			delay = retryAfter
		}
		notice := WaitNotice{Op: cl.op, Attempt: attempt + 1, Wait: delay, Reason: "throttled"}
		if hasRetryAfter {
			notice.Reason, notice.RetryAfter = "Retry-After", asked
		}
		if dl, ok := callCtx.Deadline(); ok && time.Until(dl) < delay {
			// Waiting would only end at the deadline: say so now.
			wait := fmt.Sprintf("waiting %s before attempt %d", delay.Round(time.Millisecond), attempt+1)
			if hasRetryAfter || throttled {
				wait = notice.String()
			}
			if cdl, ok := ctx.Deadline(); ok && cdl.Equal(dl) {
				// The caller's deadline (the run's --timeout): still
				// say what failed, or the cause is lost.
				cause := ""
				if last != nil {
					cause = "; last failure" + c.redact(detail(last))
				}
				return nil, fmt.Errorf("%s %s %s: %s would pass the deadline: %w%s", cl.op, cl.method, c.sanitize(u), wait, context.DeadlineExceeded, cause)
			}
			return nil, c.gaveUp(cl, u, attempt, last, false, wait)
		}
		if c.waitNotice != nil && (hasRetryAfter || throttled) && delay > noticeAbove {
			c.waitNotice(notice)
		}
		if err := sleep(callCtx, c.clock, delay); err != nil {
			return nil, c.ended(ctx, cl, u, attempt, last, false, "back-off before a retry")
		}
	}
}

// Causes of the client's own deadlines (context.Cause tells them apart).
var (
	errCallTimeout    = errors.New("call timeout")
	errAttemptTimeout = errors.New("attempt timeout")
)

// timeoutError says which bound of the client ended a call and its value.
// It unwraps to context.DeadlineExceeded.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string { return e.msg }
func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// Timeout reports true, as net.Error does for its timeouts.
func (e *timeoutError) Timeout() bool { return true }

// ended builds the error of a call that stopped before an answer. When ctx
// (the caller's) ended, its error is wrapped as it is, so that
// errors.Is(err, context.Canceled) holds; otherwise the call timeout ran
// out. ambiguous marks a write that was sent; during names what the call
// was doing ("" while an attempt was in flight).
func (c *Client) ended(ctx context.Context, cl *call, u *url.URL, attempts int, last error, ambiguous bool, during string) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return c.gaveUp(cl, u, attempts, last, ambiguous, "")
	case ambiguous:
		return c.newError(cl, u, nil, KindAmbiguous, err)
	case during != "":
		return fmt.Errorf("%s %s %s: %s: %w", cl.op, cl.method, c.sanitize(u), during, err)
	}
	return fmt.Errorf("%s %s %s: %w", cl.op, cl.method, c.sanitize(u), err)
}

// gaveUp is the error of a call the call timeout ended, or that would have
// ended during a wait (then named by wait).
func (c *Client) gaveUp(cl *call, u *url.URL, attempts int, last error, ambiguous bool, wait string) error {
	msg := fmt.Sprintf("gave up after %s across %s", c.callTimeout, plural(attempts, "attempt"))
	if wait != "" {
		msg = fmt.Sprintf("gave up after %s: %s would pass the call timeout of %s", plural(attempts, "attempt"), wait, c.callTimeout)
	}
	if last != nil {
		msg += "; last failure" + detail(last)
	}
	kind := KindTimeout
	if ambiguous {
		kind = KindAmbiguous
	}
	return c.newError(cl, u, nil, kind, &timeoutError{msg: msg})
}

// plural is state.Count's rule for the nouns this package uses: api
// imports no other internal package (internal/archtest).
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// detail renders a failure without its operation and URL, for a message
// that already names them; it starts with ": ".
func detail(err error) string {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.detail()
	}
	return ": " + err.Error()
}

// send performs one attempt, bounded by attemptTimeout from sending to the
// last byte of the answer. written reports whether the request reached the
// wire, which decides whether a failed POST is ambiguous.
func (c *Client) send(ctx context.Context, cl *call, u *url.URL, body []byte, attempt int) (*response, bool, error) {
	if !cl.noAuth && c.creds.Kind() == CredentialsIAMPassword {
		// Log in before the traced request exists, so that the login's own
		// write is not taken for this request's (which would make a failed
		// POST look ambiguous). The login is a call of its own, with its own
		// bounds.
		if _, err := c.tokens.get(ctx, ""); err != nil {
			return nil, false, err
		}
	}
	actx, cancel := context.WithTimeoutCause(ctx, c.attemptTimeout, errAttemptTimeout)
	defer cancel()
	// timedOut turns a failure caused by the attempt timeout into a message
	// naming the bound; status is 0 when no answer began.
	timedOut := func(err error, status int) error {
		if ctx.Err() != nil || !errors.Is(context.Cause(actx), errAttemptTimeout) {
			return err
		}
		of := fmt.Sprintf("(attempt %d of %d)", attempt, c.retry.MaxAttempts)
		if status == 0 {
			return &timeoutError{msg: fmt.Sprintf("no answer within %s %s", c.attemptTimeout, of)}
		}
		return &timeoutError{msg: fmt.Sprintf("answer (status %d) not complete within %s %s", status, c.attemptTimeout, of)}
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
	rctx := httptrace.WithClientTrace(actx, trace)
	if cl.noProject {
		rctx = context.WithValue(rctx, noProjectHeader{}, true)
	}
	req, err := http.NewRequestWithContext(rctx, cl.method, u.String(), rd)
	if err != nil {
		return nil, false, err
	}
	for k, v := range cl.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil || cl.svc == svcServiceStage {
		// ServiceStage marks Content-Type mandatory on every call, GETs and
		// DELETEs included (docs/api-reference.md §18.4). The signer never
		// signs it (§13.3), so it cannot break a signature.
		req.Header.Set("Content-Type", cmp.Or(cl.ctype, "application/json"))
	}
	hc := c.authed
	if cl.noAuth {
		hc = c.plain
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, written.Load(), timedOut(err, 0)
	}
	defer res.Body.Close()
	limit := c.maxBody
	if res.StatusCode >= 300 {
		limit = c.maxErrorBody
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, true, timedOut(err, res.StatusCode)
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
		if ue, ok := errors.AsType[*url.Error](err); ok {
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
			msg = cmp.Or(msg, http.StatusText(resp.status))
		}
		e.Code, e.Message = c.redact(code), c.redact(msg)
	}
	return e
}

// answerError is the *Error of a call whose answer arrived but cannot be
// taken as it is (undecodable, too long, partly failed).
func (c *Client) answerError(cl *call, kind Kind, err error) *Error {
	u, _ := c.url(cl)
	return c.newError(cl, u, nil, kind, err)
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
		if c.tokens.tok.Value != "" {
			s = strings.ReplaceAll(s, c.tokens.tok.Value, "REDACTED")
		}
		c.tokens.mu.Unlock()
	}
	s = textUserinfo.ReplaceAllString(s, "${1}REDACTED@")
	return secretJSONField.ReplaceAllString(s, `${1}"REDACTED"`)
}

// getJSON runs a call and decodes its answer into out; an empty body
// leaves out as it is.
func (c *Client) getJSON(ctx context.Context, cl *call, out any) (*response, error) {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(resp.body)) > 0 {
		if err := json.Unmarshal(resp.body, out); err != nil {
			return nil, c.answerError(cl, KindDecode, fmt.Errorf("decode response: %w", err))
		}
	}
	return resp, nil
}
