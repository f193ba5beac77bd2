package cli

import (
	"context"
	"time"

	"github.com/reposync/reposync/internal/iostreams"
)

// testNow is the one clock of the command tests: a day between the dates
// the test specs write, so that which grants have expired, and which end
// soon, never depends on the day the tests run.
var testNow = time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)

// mainAt is Main with a fixed clock.
func mainAt(ctx context.Context, now time.Time, args []string, ios *iostreams.IOStreams, getenv func(string) string) int {
	return execute(ctx, args, &Factory{IO: ios, Getenv: getenv, Now: func() time.Time { return now }})
}
