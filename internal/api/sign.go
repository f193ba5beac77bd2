package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Written from docs/api-reference.md §13.3 (the official SDK's
// SDK-HMAC-SHA256 signer).

const (
	signAlgorithm  = "SDK-HMAC-SHA256"
	sdkDateLayout  = "20060102T150405Z"
	headerSdkDate  = "X-Sdk-Date"
	emptyBodySHA   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	unsignedBodyID = "UNSIGNED-PAYLOAD"
)

// signEscape percent-encodes s byte-wise, leaving only A-Z a-z 0-9 - _ . ~
// and writing upper-case hex.
func signEscape(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = signEscape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

func canonicalQuery(q url.Values) string {
	names := slices.AppendSeq(make([]string, 0, len(q)), maps.Keys(q)) // sized: this runs for every request
	slices.Sort(names)
	var parts []string
	for _, k := range names {
		vals := slices.Clone(q[k])
		slices.Sort(vals)
		for _, v := range vals {
			parts = append(parts, signEscape(k)+"="+signEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// signedHeaderNames lists the lower-case header names that are signed:
// every present header except content-type* and names containing "_".
func signedHeaderNames(h http.Header) []string {
	var names []string
	for k := range h {
		l := strings.ToLower(k)
		if strings.HasPrefix(l, "content-type") || strings.Contains(l, "_") {
			continue
		}
		names = append(names, l)
	}
	sort.Strings(names)
	return names
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// canonicalRequest builds the six-part canonical request and returns it with
// the signed header list.
func canonicalRequest(method, path string, query url.Values, h http.Header, body []byte) (string, string) {
	names := signedHeaderNames(h)
	var hb strings.Builder
	for _, n := range names {
		hb.WriteString(n)
		hb.WriteByte(':')
		hb.WriteString(strings.TrimSpace(strings.Join(h.Values(n), ",")))
		hb.WriteByte('\n')
	}
	payload := hexSHA256(body)
	if h.Get("X-Sdk-Content-Sha256") == unsignedBodyID {
		payload = unsignedBodyID
	}
	signed := strings.Join(names, ";")
	return strings.Join([]string{
		strings.ToUpper(method),
		canonicalURI(path),
		canonicalQuery(query),
		hb.String(),
		signed,
		payload,
	}, "\n"), signed
}

// signature computes the Authorization header value for a request whose
// headers already hold X-Sdk-Date (and everything else that must be signed).
func signature(ak, sk, method, path string, query url.Values, h http.Header, body []byte) string {
	if ct := h.Get("Content-Type"); ct != "" && !strings.Contains(ct, "application/json") && !strings.Contains(ct, "application/bson") {
		h.Set("X-Sdk-Content-Sha256", unsignedBodyID)
	}
	canon, signed := canonicalRequest(method, path, query, h, body)
	sts := signAlgorithm + "\n" + h.Get(headerSdkDate) + "\n" + hexSHA256([]byte(canon))
	mac := hmac.New(sha256.New, []byte(sk))
	mac.Write([]byte(sts))
	return signAlgorithm + " Access=" + ak + ", SignedHeaders=" + signed + ", Signature=" + hex.EncodeToString(mac.Sum(nil))
}
