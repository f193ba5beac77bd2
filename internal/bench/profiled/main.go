// Command profiled is reposync under the CPU profiler, for `make bench
// PROFILE=1`: `profiled FILE ARGS...` runs `reposync ARGS...` (a plan, an
// apply, or `sim`) and writes its CPU profile to FILE when the command
// returns, and to FILE.heap the heap profile taken when the heap in use was
// largest (sampled every 100 ms; the profile shows the live objects of the
// last collection before it). The bench runs the simulator and reposync as two such processes,
// so each one's CPU is profiled on its own. It adds nothing to reposync:
// the commands, their flags and exit codes are cli.Main's.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/reposync/reposync/internal/cli"
	"github.com/reposync/reposync/internal/iostreams"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: profiled CPU_PROFILE_FILE REPOSYNC_ARGS...")
		os.Exit(2)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		os.Exit(2)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	heapDone := make(chan struct{})
	go heapPeak(os.Args[1]+".heap", done, heapDone)
	code := cli.Main(ctx, os.Args[2:], iostreams.System(), os.Getenv)
	stop()
	close(done)
	<-heapDone
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// heapPeak writes a heap profile to path each time the heap in use grows
// past its largest so far, until done is closed.
func heapPeak(path string, done <-chan struct{}, finished chan<- struct{}) {
	defer close(finished)
	var peak uint64
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse <= peak+peak/20 { // 5% more before writing again
			continue
		}
		peak = ms.HeapInuse
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			_ = f.Close()
		}
	}
}
