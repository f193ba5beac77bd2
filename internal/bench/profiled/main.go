// Command profiled is reposync under the CPU profiler, for `make bench
// PROFILE=1`: `profiled FILE ARGS...` runs `reposync ARGS...` (a plan, an
// apply, or `sim`) and writes its CPU profile to FILE when the command
// returns. The bench runs the simulator and reposync as two such processes,
// so each one's CPU is profiled on its own. It adds nothing to reposync:
// the commands, their flags and exit codes are cli.Main's.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

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
	code := cli.Main(ctx, os.Args[2:], iostreams.System(), os.Getenv)
	stop()
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "profiled:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}
