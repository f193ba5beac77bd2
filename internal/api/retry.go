package api

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxRetryAfter bounds how long one Retry-After may hold a call.
const maxRetryAfter = 10 * time.Minute

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

// backoff is "equal jitter" (REFERENCE §15.3): half of min(max, base·2^(n-1))
// plus a random part of the other half, for the wait after attempt n.
func (p RetryPolicy) backoff(attempt int, j *jitter) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	half := d / 2
	return half + time.Duration(j.int64n(int64(d-half)+1))
}

// parseRetryAfter reads Retry-After as delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return min(time.Duration(s)*time.Second, maxRetryAfter), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		return min(max(d, 0), maxRetryAfter), true
	}
	return 0, false
}

// retryableStatus decides whether an error answer may be retried.
//
// GET, PUT and DELETE are idempotent and retried on 429, 500, 502, 503 and
// 504. A POST is retried only when the answer proves nothing happened: 429
// (throttled before reaching the service) and 503 (documented as "before
// processing"; the simulator's --fail-rate answers 503 without acting). A 500,
// 502 or 504 to a POST may come after the service acted, so it is returned.
func retryableStatus(method string, status int, code string) bool {
	if status == http.StatusTooManyRequests || code == "APIG.0308" || status == http.StatusServiceUnavailable {
		return true
	}
	if method == http.MethodPost {
		return false
	}
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	}
	return false
}

var errBodyTooLarge = errors.New("response body too large")
