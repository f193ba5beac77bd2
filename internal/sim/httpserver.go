package sim

import (
	"net/http"
	"time"
)

// NewHTTPServer is the http.Server of `reposync sim`: h behind every
// timeout, so a client that sends its headers a byte at a time, never
// finishes a body or never reads the answer cannot hold a connection for
// ever. The timeouts are generous for a local client and grow with the
// injected latency (opts.Latency): the handler sleeps it before reading the
// body and before answering, and both run under the server's read and write
// deadlines.
func NewHTTPServer(addr string, h http.Handler, opts Options) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       opts.Latency + time.Minute,
		WriteTimeout:      opts.Latency + 2*time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
}
