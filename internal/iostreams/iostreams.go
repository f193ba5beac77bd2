// Package iostreams owns the process's standard streams for the commands: where
// results and diagnostics go, whether a terminal is attached, whether colour and
// prompts are allowed. It imports no other internal package.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams bundles the three standard streams with what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	noColor   bool
}

// System returns streams bound to the process's stdin, stdout and stderr, with
// TTY detection and the NO_COLOR convention (https://no-color.org) applied.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		noColor:   os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams over in-memory buffers, none of them a TTY.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, noColor: true}, in, out, errOut
}

// SetTTY marks all three streams as terminals or not; for tests.
func (s *IOStreams) SetTTY(tty bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = tty, tty, tty
}

// ColorEnabled reports whether output to ErrOut/Out may carry ANSI colour:
// only on a terminal and never when NO_COLOR is set.
func (s *IOStreams) ColorEnabled() bool { return !s.noColor && s.stdoutTTY && s.stderrTTY }

// ProgressEnabled reports whether progress bars may be drawn on ErrOut.
func (s *IOStreams) ProgressEnabled() bool { return s.stderrTTY }

// CanPrompt reports whether a question can be asked and answered: both stdin
// and stderr must be terminals.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }
