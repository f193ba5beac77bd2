package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// expiredTLSServer serves with a self-signed certificate for 127.0.0.1 that
// expired a year ago, and returns it with a pool that trusts it.
func expiredTLSServer(t *testing.T, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "expired"},
		NotBefore: time.Now().Add(-2 * 365 * 24 * time.Hour), NotAfter: time.Now().Add(-365 * 24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	srv := quietServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return srv, pool
}

func trusting(pool *x509.CertPool) *countingTransport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	return &countingTransport{base: tr}
}

// quietServer is an unstarted test server that does not log the failed TLS
// handshakes these tests cause on purpose.
func quietServer(h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	return srv
}

// TestNoRetryOfWhatCannotHeal: failures that the same request cannot
// overcome are returned after one attempt, without a back-off.
func TestNoRetryOfWhatCannotHeal(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the endpoint, the transport (to count attempts) and
		// the credentials.
		setup    func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials)
		want     string
		wantSent int // requests the server should see
	}{
		{"TLS unknown authority", func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials) {
			srv := quietServer(h)
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL, trusting(x509.NewCertPool()), Credentials{Token: tToken}
		}, "certificate signed by unknown authority", 0},
		{"TLS wrong host name", func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials) {
			srv := quietServer(h) // its certificate names example.com, 127.0.0.1 and ::1
			srv.StartTLS()
			t.Cleanup(srv.Close)
			pool := x509.NewCertPool()
			pool.AddCert(srv.Certificate())
			u, _ := url.Parse(srv.URL)
			return "https://localhost:" + u.Port(), trusting(pool), Credentials{Token: tToken}
		}, "not localhost", 0},
		{"TLS expired certificate", func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials) {
			srv, pool := expiredTLSServer(t, h)
			return srv.URL, trusting(pool), Credentials{Token: tToken}
		}, "expired", 0},
		{"token with a trailing newline", func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials) {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			return srv.URL, &countingTransport{base: http.DefaultTransport}, Credentials{Token: tToken + "\n"}
		}, "the X-Auth-Token header value holds a control character", 0},
		{"access key with a carriage return", func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials) {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			return srv.URL, &countingTransport{base: http.DefaultTransport}, Credentials{AccessKey: tAK + "\r", SecretKey: tSK, ProjectID: tIAMProject}
		}, "the Authorization header value holds a control character", 0},
		{"security token with a newline", func(t *testing.T, h http.Handler) (string, *countingTransport, Credentials) {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			return srv.URL, &countingTransport{base: http.DefaultTransport}, Credentials{AccessKey: tAK, SecretKey: tSK, SecurityToken: "sts\nSECRET", ProjectID: tIAMProject}
		}, "the X-Security-Token header value", 0},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "POST"} {
			t.Run(tt.name+"/"+method, func(t *testing.T) {
				var hits atomic.Int32
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					answer(w, 200, "", `{"id":1}`)
				})
				endpoint, tr, creds := tt.setup(t, h)
				clk := newFakeClock(true)
				c, err := New(WithEndpoint(endpoint), WithClock(clk), WithHTTPClient(&http.Client{Transport: tr}), WithCredentials(creds),
					WithRetry(RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 8 * time.Second, Seed: 7}))
				if err != nil {
					t.Fatal(err)
				}
				if method == "GET" {
					_, err = c.ShowRepository(context.Background(), 1)
				} else {
					err = c.BatchDeleteRepositoryFilePushPermissions(context.Background(), 1, []int64{1})
				}
				e := asError(err)
				if e == nil || e.Kind != KindTransport {
					t.Fatalf("error %v, want a transport error", err)
				}
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q does not say %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), tToken) {
					t.Errorf("error reveals a credential: %v", err)
				}
				if tr.n > 1 || len(clk.Sleeps()) != 0 || int(hits.Load()) != tt.wantSent {
					t.Errorf("%d attempts, back-offs %v, %d requests served; want no retry", tr.n, clk.Sleeps(), hits.Load())
				}
			})
		}
	}
}

func TestPermanentTransportErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"unknown authority in url.Error", &url.Error{Op: "Get", URL: "https://h", Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, true},
		{"hostname", fmt.Errorf("dial: %w", x509.HostnameError{Host: "h"}), true},
		{"invalid certificate", &url.Error{Op: "Get", URL: "https://h", Err: x509.CertificateInvalidError{Reason: x509.Expired}}, true},
		{"not TLS", &url.Error{Op: "Get", URL: "https://h", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, true},
		{"invalid header value", &url.Error{Op: "Get", URL: "https://h", Err: &headerError{name: "X-Auth-Token"}}, true},
		{"connection refused", &url.Error{Op: "Get", URL: "https://h", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}, false},
		{"timeout", &timeoutError{msg: "no answer"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := permanent(tt.err); got != tt.want {
				t.Errorf("permanent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestNoRetryOfClientErrors(t *testing.T) {
	tests := []struct {
		status   int
		method   string
		wantHits int32
	}{
		{400, "GET", 1}, {401, "GET", 1}, {403, "GET", 1}, {404, "GET", 1}, {409, "GET", 1}, {410, "GET", 1}, {422, "GET", 1},
		{400, "POST", 1}, {403, "POST", 1}, {409, "POST", 1},
		{408, "GET", 2}, {408, "POST", 2}, {429, "GET", 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.method, tt.status), func(t *testing.T) {
			srv, mux := newServer(t)
			var hits atomic.Int32
			h := func(w http.ResponseWriter, r *http.Request) {
				if hits.Add(1) == 1 {
					answer(w, tt.status, "", `{"error_code":"CH.010001","error_msg":"no"}`)
					return
				}
				answer(w, 200, "", `{"id":1}`)
			}
			mux.HandleFunc("GET /v4/repositories/1", h)
			mux.HandleFunc("POST /v4/repositories/1/file-push-permissions/batch-delete", h)
			c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: tToken}))
			var err error
			if tt.method == "GET" {
				_, err = c.ShowRepository(context.Background(), 1)
			} else {
				err = c.BatchDeleteRepositoryFilePushPermissions(context.Background(), 1, []int64{1})
			}
			if hits.Load() != tt.wantHits {
				t.Errorf("%d attempts, want %d", hits.Load(), tt.wantHits)
			}
			if (err == nil) != (tt.wantHits == 2) {
				t.Errorf("error %v", err)
			}
		})
	}
}
