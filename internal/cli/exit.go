package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/reposync/reposync/internal/api"
)

// Exit codes shared by every command (docs/exit-codes.md).
const (
	ExitOK          = 0   // success
	ExitError       = 1   // error or invalid input, or a plan apply would refuse
	ExitChanges     = 2   // changes or drift present; only with --detailed-exitcode
	ExitApplyFailed = 3   // apply finished but some changes failed or did not take effect
	ExitAuth        = 4   // authentication or permission failure
	ExitWarnings    = 5   // doctor: no problem observed, but writes likely denied by role, not tried
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM), as shells report it
)

// silentExit ends a command that has already said everything it had to
// say, with its code: changes present (2), some changes failed (3), or an
// error it reported in its own format (1). Main prints nothing more.
type silentExit int

func (e silentExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// interruptedError ends a command stopped by a signal with what it had
// done; it is a cancellation (exit 130), told in the user's terms rather
// than as "context canceled".
type interruptedError struct{ msg string }

func (e interruptedError) Error() string { return e.msg }
func (e interruptedError) Unwrap() error { return context.Canceled }

// stoppedError says why a command stopped early, with what it was doing:
// --timeout ran out (exit 1, the cause names the flag) or the user
// interrupted it (exit 130).
func stoppedError(ctx context.Context, doing string) error {
	if te, ok := errors.AsType[timeoutError](context.Cause(ctx)); ok {
		return fmt.Errorf("%s %s", te, doing)
	}
	return interruptedError{"interrupted " + doing}
}

// authConfigError is a credential problem found before any request: the
// environment holds no usable credentials. It exits like a refused login.
type authConfigError string

func (e authConfigError) Error() string { return string(e) }

// exitCode maps a command's error to the process exit code, the one place
// that does: commands return typed errors (an *api.Error, a cancelled
// context, a silentExit) and never pick a number for an ordinary failure.
func exitCode(err error) int {
	var se silentExit
	var ac authConfigError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &se):
		return int(se)
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case api.IsAuth(err), errors.As(err, &ac):
		return ExitAuth
	}
	return ExitError
}
