package api

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"
)

// TestConnectionsAreReused: calls in flight at once open one connection
// each, and the next calls reuse them instead of dialling again (with TLS,
// every new connection would cost a handshake). The handler holds each
// round until all of its calls arrived, so every round has them all in
// flight at once.
func TestConnectionsAreReused(t *testing.T) {
	const inFlight, rounds = 16, 4
	var mu sync.Mutex
	newConns, arrived := 0, 0
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v4/repositories/{id}/members", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		wait := release
		if arrived++; arrived == inFlight {
			close(release)
			release, arrived = make(chan struct{}), 0
		}
		mu.Unlock()
		<-wait
		w.Header().Set("X-Total", "0")
		_, _ = w.Write([]byte("[]"))
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			newConns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, srv, newFakeClock(true), WithCredentials(Credentials{Token: "tok"}), WithRateLimit(1_000_000))
	for round := range rounds {
		g, ctx := errgroup.WithContext(context.Background())
		for i := range inFlight {
			g.Go(func() error {
				_, err := c.ListMembers(ctx, int64(round*inFlight+i))
				return err
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if newConns > inFlight {
		t.Errorf("%d calls, %d at a time, opened %d connections; want at most %d (one per call in flight)", inFlight*rounds, inFlight, newConns, inFlight)
	}
}
