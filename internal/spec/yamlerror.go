package spec

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlMark is a position as yaml.v3's parser records it: 0-based line and
// column, the column and index counted in characters.
type yamlMark struct{ index, line, column int }

// yamlFailure is what yaml.v3's parser knows about a syntax error: the
// problem and where it is, and the construct it was reading ("while parsing
// a flow sequence") and where that starts.
type yamlFailure struct {
	problem   string
	problemAt yamlMark
	context   string
	contextAt yamlMark
}

// yaml.v3 error types (yaml_error_type_t).
const (
	yamlNoError      = 0 // an error raised by the node builder (unknown anchor), not the parser
	yamlReaderError  = 2
	yamlScannerError = 3
	yamlParserError  = 4
)

// yamlFailureOf reads the position of the syntax error a yaml.v3 Decoder
// has just returned. Its error text says only "line N", the line where the
// enclosing block or flow starts (from 0 for parser errors), and no column;
// the parser records the exact position in unexported fields that yaml.v3
// (archived, pinned in go.mod) never exposes, so this reads them through
// reflect. If a future yaml.v3 moves them, ok is false and the caller falls
// back to the text, and TestYAMLSyntaxErrorPositions fails.
func yamlFailureOf(dec *yaml.Decoder, data []byte) (f yamlFailure, ok bool) {
	defer func() {
		if recover() != nil { // a field moved, or of an unexpected kind
			ok = false
		}
	}()
	field := func(v reflect.Value, name string) reflect.Value {
		if fv := v.FieldByName(name); fv.IsValid() {
			return fv
		}
		panic("no field " + name)
	}
	mark := func(v reflect.Value) yamlMark {
		return yamlMark{index: int(field(v, "index").Int()), line: int(field(v, "line").Int()), column: int(field(v, "column").Int())}
	}
	p := field(reflect.ValueOf(dec).Elem(), "parser").Elem()
	yp, ev := field(p, "parser"), field(p, "event")
	f.problem, f.context = field(yp, "problem").String(), field(yp, "context").String()
	switch field(yp, "error").Int() {
	case yamlNoError:
		// The node builder failed (an alias to an unknown anchor): the event
		// it was handling is the culprit.
		f.problemAt = mark(field(ev, "start_mark"))
	case yamlReaderError:
		// Reader errors carry a byte offset instead of a mark.
		off := int(field(yp, "problem_offset").Int())
		if off < 0 || off > len(data) {
			return f, false
		}
		line, col := lineCol(data, off)
		f.problemAt = yamlMark{line: line - 1, column: col - 1, index: utf8.RuneCount(data[:off])}
	case yamlScannerError, yamlParserError:
		f.problemAt, f.contextAt = mark(field(yp, "problem_mark")), mark(field(yp, "context_mark"))
	default:
		return f, false
	}
	return f, true
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into a diagnostic at the character
// where the problem is, with a hint for the usual slips.
func syntaxError(file string, data []byte, dec *yaml.Decoder, err error) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	d := Diagnostic{Severity: SeverityError, File: file}
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		msg = m[2]
		d.Line, _ = strconv.Atoi(m[1]) // only a fallback: see yamlFailureOf
	}
	f, ok := yamlFailureOf(dec, data)
	if !ok {
		d.Message = "invalid YAML: " + msg
		return d
	}
	if f.problem != "" {
		msg = f.problem
	}
	at := f.problemAt
	// The construct being read, and where it starts.
	opened, openedAt := what(f.context, runeAt(data, f.contextAt)), fmt.Sprintf("line %d, column %d", f.contextAt.line+1, f.contextAt.column+1)
	hint := ""
	switch {
	case at.index >= utf8.RuneCount(data) && f.context != "":
		// Something opened is never closed: point at where it opens, since the
		// end of the file is no help.
		at = f.contextAt
		hint = "the " + opened + " that starts here is never closed"
		if opened == "flow node" {
			hint = "the file ends where a value is expected: is a `[`, `{` or quote above it never closed?"
		}
	case strings.HasPrefix(msg, "did not find expected key") || strings.HasPrefix(msg, "did not find expected '-'"):
		hint = fmt.Sprintf("check the indentation: this line does not line up with the entries of the %s at %s", opened, openedAt)
	case strings.HasPrefix(msg, "found character that cannot start any token"):
		switch r := runeAt(data, at); r {
		case '\t':
			hint = "YAML is indented with spaces, never tabs"
		case '@', '`':
			hint = fmt.Sprintf("`%c` is reserved in YAML; put the value in quotes", r)
		}
	case strings.HasPrefix(msg, "mapping values are not allowed in this context"):
		hint = colonHint + ", or check the indentation"
	case strings.HasPrefix(msg, "did not find expected ',' or '") && at.line == f.contextAt.line && runeAt(data, at) == ':':
		hint = colonHint
	case strings.HasPrefix(msg, "did not find expected ',' or '") && f.context != "":
		hint = fmt.Sprintf("the %s at %s is not closed before this", opened, openedAt)
	}
	if hint != "" {
		msg += " (" + hint + ")"
	}
	d.Line, d.Column = at.line+1, at.column+1
	d.Message = "invalid YAML: " + msg
	return d
}

const colonHint = "a `: ` inside a plain value starts a mapping; put the value in quotes"

// what names the construct of a yaml.v3 error context in a user's words.
func what(context string, opening rune) string {
	switch {
	case strings.Contains(context, "flow sequence"):
		return "list `[`"
	case strings.Contains(context, "flow mapping"):
		return "mapping `{`"
	case strings.Contains(context, "quoted scalar"):
		return fmt.Sprintf("quoted string `%c`", opening)
	case strings.Contains(context, "block mapping"):
		return "mapping"
	case strings.Contains(context, "block collection"):
		return "list"
	}
	s := strings.TrimPrefix(strings.TrimPrefix(context, "while parsing "), "while scanning ")
	return strings.TrimPrefix(s, "a ") // "the" is the caller's
}

// runeAt returns the character at a 0-based line and column, or 0.
func runeAt(data []byte, m yamlMark) rune {
	if m.line < 0 || m.column < 0 {
		return 0
	}
	lines := bytes.SplitN(data, []byte("\n"), m.line+2)
	if m.line >= len(lines) {
		return 0
	}
	if line := []rune(string(lines[m.line])); m.column < len(line) {
		return line[m.column]
	}
	return 0
}
