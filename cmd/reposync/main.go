// Command reposync keeps CodeArts Repo access policy as code. All behaviour
// lives in internal/cli; this file only binds the process to it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/reposync/reposync/internal/cli"
	"github.com/reposync/reposync/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop cleanly; after it, default
	// handling is back, so a second Ctrl-C ends the process at once.
	context.AfterFunc(ctx, stop)
	code := cli.Main(ctx, os.Args[1:], iostreams.System(), os.Getenv)
	stop()
	os.Exit(code)
}
