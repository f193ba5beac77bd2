package cli

import (
	"errors"
	"fmt"
)

// Exit codes shared by every command (DESIGN.md, "Exit codes").
const (
	ExitOK          = 0 // success
	ExitError       = 1 // error or invalid input
	ExitChanges     = 2 // changes present; only with --detailed-exitcode
	ExitApplyFailed = 3 // apply finished but some changes failed
	ExitAuth        = 4 // authentication or permission failure
)

// exitError carries a chosen exit code up to Main. silent means the command
// has already explained the failure on ErrOut and Main must not print it again.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit wraps err so that Main exits with code; a nil err gives a silent
// exit with that code (the command already reported what happened).
func withExit(code int, err error) error {
	return &exitError{code: code, err: err, silent: err == nil}
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError
}
