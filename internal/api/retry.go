package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxRetryAfter caps the wait one Retry-After header may impose. The
// gateway's budget is per minute (docs/api-reference.md §15.2, APIG.0308),
// so a longer wait cannot be about that budget, and a proxy or a misbehaving
// server asking for an hour must not silently hold a run for an hour. A
// server still throttled after 60 s answers 429 again; the attempts and the
// call timeout bound the total.
const MaxRetryAfter = 60 * time.Second

type jitter struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newJitter(seed uint64) *jitter {
	return &jitter{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// int64n returns a uniform value in [0, n).
func (j *jitter) int64n(n int64) int64 {
	if n <= 0 {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.r.Int64N(n)
}

// backoff is "equal jitter" (docs/api-reference.md §15.3): half of
// min(max, base·2^(n-1)) plus a random part of the other half, for the wait
// after attempt n.
func (p RetryPolicy) backoff(attempt int, j *jitter) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + time.Duration(j.int64n(int64(d-half)+1))
}

// parseRetryAfter reads Retry-After as delay seconds or an HTTP date. wait
// is asked capped at MaxRetryAfter; asked is what the server said.
func parseRetryAfter(v string, now time.Time) (wait, asked time.Duration, ok bool) {
	v = strings.TrimSpace(v) // "" parses as neither
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		asked = time.Duration(min(s, int64(math.MaxInt64/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		asked = max(t.Sub(now), 0)
	} else {
		return 0, 0, false
	}
	return min(asked, MaxRetryAfter), asked, true
}

// WaitNotice describes a wait of more than a second that the server caused
// (a Retry-After, or the back-off after a throttling answer), announced
// before it starts through WithWaitNotice.
type WaitNotice struct {
	// Op is the API operation that waits, e.g. "ListMembers".
	Op string
	// Attempt is the attempt that follows the wait (2 for the first retry).
	Attempt int
	// Wait is how long the client waits.
	Wait time.Duration
	// Reason is "Retry-After" when the server's header set the wait, or
	// "throttled" for the client's own back-off after a 429 without one.
	Reason string
	// RetryAfter is what the server's Retry-After asked, 0 without one;
	// more than Wait when the wait was capped at MaxRetryAfter.
	RetryAfter time.Duration
}

// String renders the notice for a person, e.g. "waiting 60s (Retry-After
// said 3600s, capped at 60s) before retrying ListMembers".
func (n WaitNotice) String() string {
	why := n.Reason
	if n.RetryAfter > n.Wait {
		why = fmt.Sprintf("Retry-After said %s, capped at %s", seconds(n.RetryAfter), seconds(MaxRetryAfter))
	}
	return fmt.Sprintf("waiting %s (%s) before retrying %s", seconds(n.Wait), why, n.Op)
}

// seconds renders whole seconds as "3600s" rather than "1h0m0s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.Round(10 * time.Millisecond).String()
}

// noticeAbove is the shortest wait announced through WithWaitNotice.
const noticeAbove = time.Second

// retryableStatus decides whether an error answer may be retried.
//
// 408, 429 and 503 prove that nothing was processed (408: the server timed
// out waiting for the request; 429: throttled before reaching the service;
// 503 is documented as "before processing", and the simulator's --fail-rate
// answers 503 without acting), so every call retries them, POST included.
// When repeatOn5xx (idempotent calls: GET, PUT, DELETE) 500, 502 and 504 are
// retried too. A 500, 502 or 504 to a POST may come after the service acted,
// so it is returned (and so is one to a call marked serverErrorFinal). Every
// other 4xx answer says the request itself is wrong (parameters, permission,
// conflict): repeating it cannot help.
func retryableStatus(repeatOn5xx bool, status int, code string) bool {
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, code == "APIG.0308",
		status == http.StatusServiceUnavailable:
		return true
	case status == http.StatusInternalServerError, status == http.StatusBadGateway, status == http.StatusGatewayTimeout:
		return repeatOn5xx
	}
	return false
}

// permanent reports whether a transport failure cannot heal by retrying: a
// TLS certificate that does not verify (unknown authority, wrong host name,
// expired or otherwise invalid), a TLS handshake with something that does
// not speak TLS, or a header value net/http refuses.
func permanent(err error) bool {
	return is[x509.UnknownAuthorityError](err) || is[x509.HostnameError](err) || is[x509.CertificateInvalidError](err) ||
		is[*tls.CertificateVerificationError](err) || is[tls.RecordHeaderError](err) || is[*headerError](err)
}

// is reports whether err's tree holds an error of type E.
func is[E error](err error) bool {
	_, ok := errors.AsType[E](err)
	return ok
}

var errBodyTooLarge = errors.New("response body too large")
