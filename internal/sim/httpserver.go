package sim

import (
	"net/http"
	"time"
)

// Timeouts bound the connections of the simulator's HTTP server; a zero field
// takes its default from DefaultTimeouts.
type Timeouts struct {
	// ReadHeader is how long a client may take to send the request headers.
	ReadHeader time.Duration
	// Read is how long it may take to send the whole request, body included.
	Read time.Duration
	// Write is how long the answer may take, from the end of the headers.
	Write time.Duration
	// Idle is how long a kept-alive connection may wait for its next request.
	Idle time.Duration
}

// DefaultTimeouts are generous for a local client and grow with the injected
// latency: the handler sleeps it before reading the body and before
// answering, and both run under the server's read and write deadlines.
func DefaultTimeouts(latency time.Duration) Timeouts {
	return Timeouts{
		ReadHeader: 10 * time.Second,
		Read:       latency + time.Minute,
		Write:      latency + 2*time.Minute,
		Idle:       2 * time.Minute,
	}
}

// NewHTTPServer is the http.Server of `reposync sim`: h behind every timeout
// (Options.Timeouts, defaults from DefaultTimeouts(opts.Latency)), so a
// client that sends its headers a byte at a time, never finishes a body or
// never reads the answer cannot hold a connection for ever.
func NewHTTPServer(addr string, h http.Handler, opts Options) *http.Server {
	t, d := opts.Timeouts, DefaultTimeouts(opts.Latency)
	or := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: or(t.ReadHeader, d.ReadHeader),
		ReadTimeout:       or(t.Read, d.Read),
		WriteTimeout:      or(t.Write, d.Write),
		IdleTimeout:       or(t.Idle, d.Idle),
	}
}
