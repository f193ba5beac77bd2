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
	code := cli.Main(ctx, os.Args[1:], iostreams.System(), os.Getenv)
	stop()
	os.Exit(code)
}
