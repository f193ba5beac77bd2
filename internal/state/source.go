package state

import "fmt"

// Source is where a value was written in the spec: file, line and column.
// The zero Source means "not from a spec file" (for example, live state).
type Source struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// IsZero reports whether s names no location.
func (s Source) IsZero() bool { return s.File == "" && s.Line == 0 }

// String renders s as "file:line", the form plans show; empty for the zero Source.
func (s Source) String() string {
	if s.Line == 0 {
		return s.File
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// Position renders s as "file:line:column", the form diagnostics use.
func (s Source) Position() string {
	if s.Column == 0 {
		return s.String()
	}
	return fmt.Sprintf("%s:%d:%d", s.File, s.Line, s.Column)
}
