package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"gopkg.in/yaml.v3"
)

// maxBody is the gateway's AK/SK body limit (docs/api-reference.md §13.2).
const maxBody = 12 << 20

// maxLoginBody caps the one unauthenticated route, the IAM password login,
// whose body is a few hundred bytes; anyone may send it, so it must not be
// able to make the simulator buffer 12 MB.
const maxLoginBody = 64 << 10

// Options tune the simulator's persistence, limits and faults.
type Options struct {
	// StatePath, when set, makes every change durable before it is
	// answered (state.go).
	StatePath string
	// Latency is slept before every request is handled.
	Latency time.Duration
	// RateLimit is the number of calls per minute per operation; 0 = unlimited.
	RateLimit int
	// FailRate is the fraction of API requests answered 500/503 without acting.
	FailRate float64
	// DropRate is the fraction of successful writes whose connection is closed
	// without an answer, after the change was made and persisted.
	DropRate float64
	// Seed seeds the one random source behind FailRate and DropRate.
	Seed int64
	// Clock is the time source (time.Now when nil).
	Clock func() time.Time
}

// Server is the simulator: an http.Handler over one model.
type Server struct {
	opts Options
	now  func() time.Time

	mu     sync.Mutex // guards fx, idx, tokens, ghosts and the state file
	fx     *Fixture
	idx    *index
	tokens map[string]*issuedToken // by token, from IAM login
	ghosts map[int64]*ghost        // delete_group: async, by group id (ghosts.go)
	// updateSeq is the last value of the change counter (order.go).
	updateSeq int64

	rndMu sync.Mutex
	rnd   *rand.Rand

	budgetMu sync.Mutex
	budgets  map[string]*rate.Limiter // by operation (take)

	statsMu sync.Mutex
	stats   Stats
}

// Stats is the body of GET /_sim/stats.
type Stats struct {
	Calls     map[string]int `json:"calls"`
	Throttled map[string]int `json:"throttled"`
	Failed    map[string]int `json:"failed"`
	Dropped   map[string]int `json:"dropped"`
	Delayed   map[string]int `json:"delayed"`
	Writes    int            `json:"writes"`
}

// New builds a simulator over fx (which it then owns).
func New(fx *Fixture, opts Options) (*Server, error) {
	if fx == nil {
		return nil, errors.New("new simulator: no fixture")
	}
	if opts.FailRate < 0 || opts.FailRate > 1 || opts.DropRate < 0 || opts.DropRate > 1 {
		return nil, fmt.Errorf("new simulator: fail and drop rates must be within 0..1")
	}
	if opts.RateLimit < 0 {
		return nil, fmt.Errorf("new simulator: rate limit %d must not be negative", opts.RateLimit)
	}
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	s := &Server{
		opts:    opts,
		now:     now,
		fx:      fx,
		tokens:  map[string]*issuedToken{},
		ghosts:  map[int64]*ghost{},
		rnd:     rand.New(rand.NewSource(opts.Seed)),
		budgets: map[string]*rate.Limiter{},
		stats: Stats{Calls: map[string]int{}, Throttled: map[string]int{},
			Failed: map[string]int{}, Dropped: map[string]int{}, Delayed: map[string]int{}},
	}
	s.idx = buildIndex(fx)
	// The change counter and the highest ids handed out so far cover the
	// fixture's own, whether the checker filled them in (ParseFixture) or the
	// fixture was built in Go.
	for _, g := range fx.Groups {
		s.updateSeq = max(s.updateSeq, g.Updated)
		fx.LastGroupID = max(fx.LastGroupID, g.ID)
	}
	for _, r := range fx.Repositories {
		s.updateSeq = max(s.updateSeq, r.Updated)
		for _, p := range r.PushRules {
			fx.LastPushRuleID = max(fx.LastPushRuleID, p.ID)
		}
	}
	if err := s.persistLocked(); err != nil {
		return nil, err
	}
	return s, nil
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	st := s.stats
	return Stats{Calls: maps.Clone(st.Calls), Throttled: maps.Clone(st.Throttled),
		Failed: maps.Clone(st.Failed), Dropped: maps.Clone(st.Dropped), Delayed: maps.Clone(st.Delayed), Writes: st.Writes}
}

func (s *Server) count(f func(*Stats)) {
	s.statsMu.Lock()
	f(&s.stats)
	s.statsMu.Unlock()
}

// Snapshot returns a deep copy of the live state.
func (s *Server) Snapshot() *Fixture {
	s.mu.Lock()
	defer s.mu.Unlock()
	data, _ := yaml.Marshal(s.fx)
	var out Fixture
	_ = yaml.Unmarshal(data, &out)
	return &out
}

func (s *Server) chance(p float64) (bool, int) {
	if p <= 0 {
		return false, 0
	}
	s.rndMu.Lock()
	defer s.rndMu.Unlock()
	hit := s.rnd.Float64() < p
	return hit, s.rnd.Intn(2)
}

// reply is what a handler answers.
type reply struct {
	status  int
	header  http.Header
	body    any  // marshalled as JSON; nil = no body
	changed bool // the model changed: persist, count a write, maybe drop
}

// oneIf is an API flag: 1 when b holds, else 0.
func oneIf(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonReply(status int, body any) reply { return reply{status: status, body: body} }

func errReply(status int, code, msg string) reply {
	return reply{status: status, body: map[string]string{"error_code": code, "error_msg": msg}}
}

func legacyErr(status int, code, msg string) reply {
	return reply{status: status, body: map[string]any{"status": "failed", "result": nil,
		"error": map[string]string{"code": code, "message": msg}}}
}

func legacyOK(result any) reply {
	return reply{status: http.StatusOK, body: map[string]any{"status": "success", "result": result, "error": nil}}
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Date comes from the simulator's clock (net/http would use the real
	// one), so a client that reads the server time for its X-Sdk-Date skew
	// agrees with the clock the simulator checks the skew against.
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	rt, params := match(r.Method, r.URL.Path)
	if rt == nil {
		writeReply(w, errReply(http.StatusNotFound, "CH.000404", "no such API: "+r.Method+" "+r.URL.Path))
		return
	}
	s.count(func(st *Stats) { st.Calls[rt.op]++ })
	if s.opts.Latency > 0 {
		select {
		case <-time.After(s.opts.Latency): // collected unfired since Go 1.23
			s.count(func(st *Stats) { st.Delayed[rt.op]++ })
		case <-r.Context().Done():
			return
		}
	}
	if wait, ok := s.take(rt.op); !ok {
		s.count(func(st *Stats) { st.Throttled[rt.op]++ })
		secs := max(1, int((wait+time.Second-1)/time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeReply(w, errReply(http.StatusTooManyRequests, "APIG.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:"+strconv.Itoa(s.opts.RateLimit)+",time:1 minute"))
		return
	}
	// Everything the headers can prove is checked before the body is read;
	// only the AK/SK signature needs the body.
	var cred credential
	var bad *reply
	limit := int64(maxBody)
	if rt.op == "KeystoneCreateUserTokenByPassword" {
		limit = maxLoginBody
	} else if cred, bad = s.authenticateHeaders(r, rt); bad != nil {
		writeReply(w, *bad)
		return
	}
	if rt.serviceStage() && s.fx.Behaviour.ServiceStageContentType == "required" && !isJSON(r.Header.Get("Content-Type")) {
		// ServiceStage marks Content-Type mandatory on every call, GETs and
		// DELETEs included (docs/api-reference.md §18.4); the code is ours.
		writeReply(w, errReply(http.StatusBadRequest, "SVCSTG.REPO.0415", "Content-Type must be application/json"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeReply(w, errReply(http.StatusBadRequest, "APIG.0201", "request body could not be read"))
		return
	}
	if int64(len(body)) > limit {
		// APIG.0201 is the gateway's generic "bad request" code; the 12 MB cap
		// is documented (docs/api-reference.md §13.2) but its code is not.
		writeReply(w, errReply(http.StatusRequestEntityTooLarge, "APIG.0201", fmt.Sprintf("request body exceeds %d bytes", limit)))
		return
	}
	if bad = s.verifyBody(r, cred, body); bad != nil {
		writeReply(w, *bad)
		return
	}
	req := &request{query: r.URL.Query(), header: r.Header, body: body, params: params, credential: cred,
		at: s.now(), pageCap: s.fx.Behaviour.PageCap} // behaviour never changes after load
	if hit, which := s.chance(s.opts.FailRate); hit {
		s.count(func(st *Stats) { st.Failed[rt.op]++ })
		if which == 0 {
			writeReply(w, errReply(http.StatusInternalServerError, "CH.000001", "unknown server error (injected)"))
		} else {
			writeReply(w, errReply(http.StatusServiceUnavailable, "APIG.0203", "backend unavailable (injected)"))
		}
		return
	}
	rep, err := s.handle(rt, req)
	if err != nil {
		writeReply(w, errReply(http.StatusInternalServerError, "CH.000001", "persist state: "+err.Error()))
		return
	}
	if rep.changed {
		s.count(func(st *Stats) { st.Writes++ })
		if hit, _ := s.chance(s.opts.DropRate); hit {
			s.count(func(st *Stats) { st.Dropped[rt.op]++ })
			// Aborting the handler makes net/http close the connection
			// without a response (nothing is written before this point).
			panic(http.ErrAbortHandler)
		}
	}
	writeReply(w, rep)
}

// handle answers an authenticated request under the state lock: the role
// check, what the path names, then the route's handler; a change is
// persisted before it is answered (or dropped). The lock is released even if
// a handler panics, so one bad request cannot hang every later one.
func (s *Server) handle(rt *route, q *request) (reply, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if denied := s.authorize(rt, q); denied != nil {
		return *denied, nil
	}
	if bad := s.resolve(rt, q); bad != nil {
		return *bad, nil
	}
	rep := rt.h(s, q)
	if rep.changed {
		return rep, s.persistLocked()
	}
	return rep, nil
}

// isJSON reports whether a Content-Type is application/json (parameters
// such as charset allowed).
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

func writeReply(w http.ResponseWriter, rep reply) {
	maps.Copy(w.Header(), rep.header)
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rep.body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(rep.status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeReply(w, errReply(http.StatusMethodNotAllowed, "CH.010001", "only GET"))
		return
	}
	switch r.URL.Path {
	case "/_sim/stats":
		writeReply(w, jsonReply(http.StatusOK, s.Stats()))
	case "/_sim/state":
		writeReply(w, jsonReply(http.StatusOK, s.Snapshot()))
	default:
		writeReply(w, errReply(http.StatusNotFound, "CH.000404", "no such simulator endpoint"))
	}
}

// take spends one call of op's budget, the gateway's: one token bucket per
// operation, RateLimit calls per minute refilled continuously, burst
// ceil(N/60) (at least 1), on the simulator's clock (rate.Limiter takes the
// time of every call, so a fake clock drives it). When none is left it
// reports how long until one is, and spends nothing.
func (s *Server) take(op string) (time.Duration, bool) {
	perMin := s.opts.RateLimit
	if perMin <= 0 {
		return 0, true
	}
	s.budgetMu.Lock()
	lim := s.budgets[op]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(float64(perMin)/60), max(1, (perMin+59)/60))
		s.budgets[op] = lim
	}
	s.budgetMu.Unlock()
	now := s.now()
	if lim.AllowN(now, 1) {
		return 0, true
	}
	missing := 1 - lim.TokensAt(now)
	return time.Duration(missing / float64(lim.Limit()) * float64(time.Second)), false
}

// Serve runs the simulator on an HTTP server until ctx ends, then shuts it
// down gracefully so in-flight requests (and their persistence) finish.
func Serve(ctx context.Context, srv *http.Server, serve func() error) error {
	errc := make(chan error, 1)
	go func() { errc <- serve() }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return fmt.Errorf("shut down simulator: %w", err)
		}
		<-errc
		return nil
	}
}
