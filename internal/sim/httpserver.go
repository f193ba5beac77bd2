package sim

import (
	"net/http"
	"time"
)

// NewHTTPServer is the http.Server of `reposync sim`: h behind timeouts, so a
// client that trickles its headers, never finishes a body or never reads the
// answer cannot hold a connection for ever. They grow with opts.Latency,
// which the handler sleeps under the read and write deadlines.
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
