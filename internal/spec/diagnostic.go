package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// Severity says whether a diagnostic makes the spec invalid.
type Severity string

// The severities of a diagnostic. Only errors make validate exit 1.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem found in a spec, located precisely enough for an
// editor to jump to it.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	// Path is the YAML path of the value, e.g. repositories["payments/api"].members.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// String renders d as "file:line:col: severity: path: message", with any
// invisible character escaped (state.Visible).
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(state.Visible(d.File))
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
		if d.Column > 0 {
			fmt.Fprintf(&b, ":%d", d.Column)
		}
	}
	fmt.Fprintf(&b, ": %s: ", d.Severity)
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(state.Visible(d.Message))
	return b.String()
}

// diagAt is a diagnostic about the value written at s, whose YAML path is p.
func diagAt(sev Severity, s state.Source, p yamlPath, msg string) Diagnostic {
	return Diagnostic{Severity: sev, File: s.File, Line: s.Line, Column: s.Column, Path: p.String(), Message: msg}
}

// Diagnostics is a list of problems, reported all at once.
type Diagnostics []Diagnostic

func isError(d Diagnostic) bool { return d.Severity == SeverityError }

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool { return slices.ContainsFunc(ds, isError) }

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errs, warns int) {
	for _, d := range ds {
		if isError(d) {
			errs++
		}
	}
	return errs, len(ds) - errs
}

// Sort orders diagnostics by file, line, column, then message, and drops exact
// duplicates (the same problem found twice through a YAML alias, say).
func (ds Diagnostics) Sort() Diagnostics {
	slices.SortFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(ds)
}

// Error makes a failed load usable as an error: the first problem and a count.
func (ds Diagnostics) Error() string {
	i := slices.IndexFunc(ds, isError)
	switch errs, _ := ds.Count(); {
	case i < 0:
		return "no errors"
	case errs == 1:
		return ds[i].String()
	default:
		return fmt.Sprintf("%s (and %d more errors)", ds[i], errs-1)
	}
}

// yamlPath is the YAML path of a value: a list of keys and indexes.
type yamlPath []any

// String renders the path as key.key["odd key"][3].
func (p yamlPath) String() string {
	var b strings.Builder
	for i, el := range p {
		switch v := el.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if plainKey(v) {
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(v)
			} else {
				fmt.Fprintf(&b, "[%q]", v)
			}
		}
	}
	return b.String()
}

func (p yamlPath) key(k string) yamlPath { return append(slices.Clip(p), k) }
func (p yamlPath) index(i int) yamlPath  { return append(slices.Clip(p), i) }

// plainKey reports whether a key is written as it is in a path: letters,
// digits, `_` and `-`.
func plainKey(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return r == '.' || !asciiNameRune(r) })
}
