package sim

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	signAlgorithm = "SDK-HMAC-SHA256"
	sdkDateLayout = "20060102T150405Z"
	maxSkew       = 15 * time.Minute
)

// All gateway authentication failures answer 401 APIG.0301 ("Incorrect IAM
// authentication information"), with the message telling which check failed
// (docs/api-reference.md §15.2): the gateway has no code per cause.
func authErr(detail string) reply {
	return errReply(http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information: "+detail)
}

// credential is who a request acts as: a fixture user ("" = none), and
// whether it administers the tenant (permissions.go). AK/SK headers whose
// access key, X-Sdk-Date and X-Project-Id are right leave sig, the signature
// still to be verified against the body; a valid token leaves it nil.
type credential struct {
	user        string
	tenantAdmin bool
	sig         *pendingSignature
}

type pendingSignature struct {
	names []string // signed header names, lower case
	sig   string
	date  string
}

// authenticateHeaders checks X-Auth-Token, or everything of the AK/SK headers
// that does not need the body, so a request with bad credentials is answered
// before its body is read (an unauthenticated client must not make the
// simulator buffer 12 MB).
func (s *Server) authenticateHeaders(r *http.Request, rt *route) (credential, *reply) {
	if tok := r.Header.Get("X-Auth-Token"); tok != "" {
		if s.fx.Credentials.Token != "" && hmac.Equal([]byte(tok), []byte(s.fx.Credentials.Token)) {
			return s.fixtureCredential(nil), nil
		}
		s.mu.Lock()
		it, ok := s.tokens[tok]
		s.mu.Unlock()
		switch {
		case !ok:
			return credential{}, new(authErr("decrypt token fail"))
		case !s.now().Before(it.expires):
			// docs/api-reference.md §18.4: the gateway's expired-token answer.
			return credential{}, new(errReply(http.StatusUnauthorized, "APIG.0307", "The token must be updated."))
		}
		return it.credential, nil
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return credential{}, new(authErr("no X-Auth-Token or Authorization header"))
	}
	p, err := s.checkSigningHeaders(r, auth, rt.iam())
	if err != "" {
		return credential{}, new(authErr(err))
	}
	return s.fixtureCredential(p), nil
}

// fixtureCredential is who the fixture's AK/SK and static token act as:
// credentials.user, a tenant administrator per credentials.tenant_admin.
func (s *Server) fixtureCredential(p *pendingSignature) credential {
	cr := s.fx.Credentials
	return credential{user: cr.User, tenantAdmin: tenantAdmin(cr.TenantAdmin, cr.User), sig: p}
}

// tenantAdmin is whether an identity administers the tenant: as the fixture
// says, else exactly when it names no fixture user (the account itself,
// which no role check denies, as before there were role checks).
func tenantAdmin(marked *bool, user string) bool {
	if marked != nil {
		return *marked
	}
	return user == ""
}

// verifyBody finishes an AK/SK check: the signature over the request and its
// body (docs/api-reference.md §13.3). A token credential has nothing left to
// verify.
func (s *Server) verifyBody(r *http.Request, c credential, body []byte) *reply {
	if c.sig == nil {
		return nil
	}
	want := Sign(s.fx.Credentials.SecretKey, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, headerValues(r, c.sig.names), body, c.sig.date)
	if !hmac.Equal([]byte(want), []byte(c.sig.sig)) {
		return new(authErr("verify aksk signature fail"))
	}
	return nil
}

// checkSigningHeaders checks the Authorization header's shape, the access
// key, the signed X-Sdk-Date and its skew, and the signed X-Project-Id. IAM
// is a global service: there a signed X-Domain-Id naming the account does
// too (the SDK's global credentials, docs/api-reference.md §13.2), and so
// does neither (the SDK's own project lookup, §12.2); a project id that is
// there must still be the account's. It returns what is left to verify and
// "", else why not.
func (s *Server) checkSigningHeaders(r *http.Request, auth string, iam bool) (*pendingSignature, string) {
	ak, signed, sig, ok := parseAuthorization(auth)
	if !ok {
		return nil, "malformed Authorization header"
	}
	cr := s.fx.Credentials
	if cr.AccessKey == "" || !hmac.Equal([]byte(ak), []byte(cr.AccessKey)) {
		return nil, "verify aksk signature fail: unknown access key"
	}
	names := strings.Split(signed, ";")
	signs := func(name string) bool { return slices.Contains(names, name) }
	if !signs("x-sdk-date") {
		return nil, "verify aksk signature fail: x-sdk-date is not signed"
	}
	date := r.Header.Get("X-Sdk-Date")
	t, err := time.Parse(sdkDateLayout, date)
	if err != nil {
		return nil, "verify aksk signature fail: malformed X-Sdk-Date"
	}
	if d := s.now().Sub(t); d > maxSkew || d < -maxSkew {
		return nil, "verify aksk signature fail: signature expired"
	}
	switch {
	case iam && signs("x-domain-id"):
		if r.Header.Get("X-Domain-Id") != cr.DomainID {
			return nil, "verify aksk signature fail: X-Domain-Id is not this account"
		}
	case iam && !signs("x-project-id"): // neither
	case !signs("x-project-id"):
		return nil, "verify aksk signature fail: x-project-id is not signed"
	case r.Header.Get("X-Project-Id") != s.fx.IAMProjectID:
		return nil, "verify aksk signature fail: X-Project-Id is not this account's project"
	}
	return &pendingSignature{names: names, sig: sig, date: date}, ""
}

func headerValues(r *http.Request, names []string) map[string]string {
	out := make(map[string]string, len(names))
	for _, n := range names {
		if n == "host" {
			out[n] = r.Host
			continue
		}
		out[n] = strings.Join(r.Header.Values(n), ",")
	}
	return out
}

func parseAuthorization(h string) (ak, signed, sig string, ok bool) {
	rest, found := strings.CutPrefix(h, signAlgorithm+" ")
	if !found {
		return "", "", "", false
	}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Access":
			ak = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	return ak, signed, sig, ak != "" && signed != "" && sig != ""
}

// Sign computes the lower-case hex SDK-HMAC-SHA256 signature of a request
// (docs/api-reference.md §13.3) from its method, escaped path, raw query,
// signed headers (lower-case name -> value), body and X-Sdk-Date value.
func Sign(sk, method, escapedPath, rawQuery string, headers map[string]string, body []byte, date string) string {
	sts := signAlgorithm + "\n" + date + "\n" + sha256Hex([]byte(CanonicalRequest(method, escapedPath, rawQuery, headers, body)))
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil))
}

// CanonicalRequest is the canonical request, docs/api-reference.md §13.3.
func CanonicalRequest(method, escapedPath, rawQuery string, headers map[string]string, body []byte) string {
	path, err := url.PathUnescape(escapedPath)
	if err != nil {
		path = escapedPath
	}
	segs := strings.Split(path, "/")
	for i, sg := range segs {
		segs[i] = escape(sg)
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	q, _ := url.ParseQuery(rawQuery)
	keys := slices.AppendSeq(make([]string, 0, len(q)), maps.Keys(q)) // sized: this runs for every AK/SK request
	slices.Sort(keys)
	var qs []string
	for _, k := range keys {
		vs := slices.Clone(q[k])
		slices.Sort(vs)
		for _, v := range vs {
			qs = append(qs, escape(k)+"="+escape(v))
		}
	}
	names := make([]string, 0, len(headers))
	for n := range headers {
		names = append(names, strings.ToLower(n))
	}
	slices.Sort(names)
	var hb strings.Builder
	for _, n := range names {
		hb.WriteString(n + ":" + strings.TrimSpace(headers[n]) + "\n")
	}
	return strings.Join([]string{strings.ToUpper(method), uri, strings.Join(qs, "&"),
		hb.String(), strings.Join(names, ";"), sha256Hex(body)}, "\n")
}

func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// IAM login wire structs (docs/api-reference.md §12.1).
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
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// tokenDTO is the token of login and validation, docs/api-reference.md §12.1.
type tokenDTO struct {
	ExpiresAt string     `json:"expires_at"`
	IssuedAt  string     `json:"issued_at"`
	Methods   []string   `json:"methods"`
	User      scopedName `json:"user"`
	Project   scopedName `json:"project"`
	Roles     []idName   `json:"roles"`
}

// scopedName is a token's user or project: its id and name, and the domain
// it is in.
type scopedName struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain idName `json:"domain"`
}

// newToken is the body of a token of one method, with no roles.
func newToken(method string, issued, expires time.Time, user, project scopedName) tokenDTO {
	return tokenDTO{ExpiresAt: expires.Format(keystoneTime), IssuedAt: issued.Format(keystoneTime), Methods: []string{method},
		User: user, Project: project, Roles: []idName{}}
}

// issuedToken is a token IAM login handed out; it lives in memory only, so
// a restart of the simulator revokes it.
type issuedToken struct {
	credential
	expires time.Time
	body    tokenDTO
}

const keystoneTime = "2006-01-02T15:04:05.000000Z"

// IAM errors: the Keystone shape (docs/api-reference.md §15.1), numeric codes.
func iamErr(status int, code any, msg string) reply {
	return reply{status: status, body: map[string]any{"error": map[string]any{"code": code, "message": msg, "title": http.StatusText(status)}}}
}

func hKeystoneLogin(s *Server, q *request) reply {
	var tr tokenRequest
	if err := json.Unmarshal(q.body, &tr); err != nil {
		return iamErr(http.StatusBadRequest, "1100", "request body is not valid JSON")
	}
	id := tr.Auth.Identity
	if len(id.Methods) != 1 || id.Methods[0] != "password" {
		return iamErr(http.StatusBadRequest, "1100", "auth.identity.methods must be [\"password\"]")
	}
	u := id.Password.User
	var match *IAMUser
	for i, iu := range s.fx.Credentials.IAMUsers {
		if iu.Name == u.Name && iu.Domain == u.Domain.Name && hmac.Equal([]byte(iu.Password), []byte(u.Password)) {
			match = &s.fx.Credentials.IAMUsers[i]
		}
	}
	if match == nil {
		return iamErr(http.StatusUnauthorized, "1101", "The username or password is wrong.")
	}
	sc := tr.Auth.Scope.Project
	if sc.ID == "" && sc.Name == "" {
		return iamErr(http.StatusBadRequest, "1100", "auth.scope.project is required")
	}
	if sc.ID != "" && sc.ID != s.fx.IAMProjectID {
		return iamErr(http.StatusUnauthorized, "1101", "no access to the requested project")
	}
	var raw [20]byte
	_, _ = rand.Read(raw[:])
	tok := "MII" + hex.EncodeToString(raw[:])
	userID := hexID("iam_user", match.Domain+"/"+match.Name)
	if u := s.idx.userByName[match.User]; match.User != "" && u != nil {
		userID = u.IAMID
	}
	now := q.at.UTC()
	dom := idName{ID: hexID("domain", match.Domain), Name: match.Domain}
	projName := cmp.Or(sc.Name, "sim-region")
	ttl := s.fx.Credentials.TokenTTL
	if ttl <= 0 {
		ttl = 24 * time.Hour // docs/api-reference.md §12.1
	}
	it := &issuedToken{credential: credential{user: match.User, tenantAdmin: tenantAdmin(match.TenantAdmin, match.User)}, expires: now.Add(ttl)}
	it.body = newToken("password", now, it.expires, scopedName{userID, match.Name, dom}, scopedName{s.fx.IAMProjectID, projName, dom})
	s.tokens[tok] = it
	body := map[string]any{"token": it.body}
	// A login creates no state that must survive a restart (tokens live in
	// memory), so it is not a write.
	return reply{status: http.StatusCreated, header: http.Header{"X-Subject-Token": {tok}}, body: body}
}

// staticTokenBody describes the fixture's static token: it acts as
// credentials.user and never expires (expires_at is a day ahead of now).
func (s *Server) staticTokenBody(now time.Time) tokenDTO {
	dom := idName{ID: s.fx.Credentials.DomainID, Name: simTenant}
	return newToken("token", simEpoch, now.UTC().Add(24*time.Hour),
		scopedName{s.actingIAMID("token"), s.fx.Credentials.User, dom}, scopedName{s.fx.IAMProjectID, "sim-region", dom})
}

// actingIAMID is the IAM user id of credentials.user, the user the static
// token and the AK/SK act as; without one, a stand-in derived from what.
func (s *Server) actingIAMID(what string) string {
	if u := s.idx.userByName[s.fx.Credentials.User]; u != nil {
		return u.IAMID
	}
	return hexID("iam_user", what)
}

// hKeystoneValidate is KeystoneValidateToken (docs/api-reference.md §12.1,
// §18.4): the caller authenticates as usual and names the token to check in
// X-Subject-Token; a known, unexpired token answers 200 with the same header
// and its token body, anything else 404.
func hKeystoneValidate(s *Server, q *request) reply {
	sub := q.header.Get("X-Subject-Token")
	if sub == "" {
		return iamErr(http.StatusBadRequest, "1100", "X-Subject-Token is required")
	}
	var body tokenDTO
	if cr := s.fx.Credentials; cr.Token != "" && hmac.Equal([]byte(sub), []byte(cr.Token)) {
		body = s.staticTokenBody(q.at)
	} else if it := s.tokens[sub]; it != nil && q.at.Before(it.expires) {
		body = it.body
	} else {
		return iamErr(http.StatusNotFound, 404, "The token could not be found.")
	}
	return reply{status: http.StatusOK, header: http.Header{"X-Subject-Token": {sub}}, body: map[string]any{"token": body}}
}

// hShowPermanentAccessKey is ShowPermanentAccessKey (docs/api-reference.md
// §18.4): the fixture's access key belongs to credentials.user.
func hShowPermanentAccessKey(s *Server, q *request) reply {
	ak := q.params["access_key"]
	cr := s.fx.Credentials
	if cr.AccessKey == "" || !hmac.Equal([]byte(ak), []byte(cr.AccessKey)) {
		return iamErr(http.StatusNotFound, 404, "Could not find credential: "+ak+".")
	}
	return jsonReply(http.StatusOK, map[string]any{"credential": map[string]string{
		"user_id": s.actingIAMID("aksk"), "access": ak, "status": "active",
		"created_at": simEpoch.Format(keystoneTime), "description": ""}})
}
