package sim

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNewHTTPServerTimeouts(t *testing.T) {
	type got struct{ ReadHeader, Read, Write, Idle time.Duration }
	tests := []struct {
		name string
		opts Options
		want got
	}{
		{"defaults", Options{}, got{10 * time.Second, time.Minute, 2 * time.Minute, 2 * time.Minute}},
		{"latency widens read and write", Options{Latency: 30 * time.Second},
			got{10 * time.Second, 90 * time.Second, 150 * time.Second, 2 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := NewHTTPServer("127.0.0.1:0", http.NotFoundHandler(), tt.opts)
			if diff := cmp.Diff(tt.want, got{hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSlowHeadersDisconnected: a client that sends its request headers one
// byte at a time, for ever, is disconnected by the header timeout.
func TestSlowHeadersDisconnected(t *testing.T) {
	s, _, _ := newTestServer(t, Options{})
	hs := NewHTTPServer("127.0.0.1:0", s, Options{})
	hs.ReadHeaderTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		head := []byte("GET /v4/repositories/12345 HTTP/1.1\r\nHost: sim\r\nX-Padding: ")
		for i := 0; ; i++ {
			b := []byte{'a'}
			if i < len(head) {
				b = head[i : i+1]
			}
			if _, err := conn.Write(b); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	// The deadline only keeps a broken server from hanging the test; the
	// timeout under test is the server's.
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the connection was still open after 30 s of dribbled headers")
	}
}
