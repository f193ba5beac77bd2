package access

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/reposync/reposync/internal/plan/render"
	"github.com/reposync/reposync/internal/state"
)

// Formats are the output formats of `reposync access`.
var Formats = []string{"text", "markdown", "json", "csv"}

// Render writes res in format (one of Formats).
func Render(w io.Writer, res *Result, format string) error {
	if res.Entries == nil {
		res.Entries = []Entry{}
	}
	switch format {
	case "text":
		return Text(w, res)
	case "markdown":
		return Markdown(w, res)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(res)
	case "csv":
		return CSV(w, res)
	}
	return fmt.Errorf("unknown format %q: choose %s", format, strings.Join(Formats, ", "))
}

// title says what was asked, from what.
func title(res *Result) string {
	var what string
	switch q := res.Query; {
	case q.User != "" && q.Repository != "":
		what = fmt.Sprintf("of %s to %s", q.User, q.Repository)
	case q.User != "":
		what = "of " + q.User
	case q.Repository != "":
		what = "to " + q.Repository
	default:
		what = "to the repositories of project " + res.Project
	}
	from := "the live state"
	if res.From == "spec" {
		from = "the spec alone (offline)"
	}
	return fmt.Sprintf("Access %s, from %s, on %s", what, from, res.Today)
}

// columns are the table's columns for a query: the question's own subject
// is left out.
func columns(q Query) []string {
	return slices.DeleteFunc([]string{"repository", "who", "access", "through", "spec"}, func(col string) bool {
		return col == "repository" && q.Repository != "" || col == "who" && q.User != ""
	})
}

// cell is an entry's cell in column col (one of columns), with names and
// paths passed through code and other text through text.
func (e Entry) cell(col string, text, code func(string) string) string {
	switch col {
	case "repository":
		return code(e.Repository)
	case "who":
		return e.grantee(code)
	case "access":
		if e.Access == AccessPush {
			return "push " + code(e.Path)
		}
		return text(e.Access)
	case "through":
		return text(e.Via.Detail)
	case "spec":
		if e.Spec == nil {
			return "—" // the spec does not grant it
		}
		return code(e.Spec.Source) + text(e.Spec.details())
	}
	return ""
}

// details follow the source in the spec column: "teams/a.yaml:9" then
// " (policy audit), until 2027-01-31 — TICKET-1".
func (s *SpecRef) details() string {
	out := ""
	if s.Policy != "" {
		out += " (policy " + s.Policy + ")"
	}
	switch {
	case s.Expired:
		out += ", expired on " + string(s.Expires)
	case s.Expires != "":
		out += ", until " + string(s.Expires)
	}
	if s.Reason != "" {
		out += " — " + s.Reason
	}
	return out
}

// Text writes an aligned table for a terminal; control characters from
// names the service returned are shown escaped, never sent to the terminal.
func Text(w io.Writer, res *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, title(res))
	if len(res.Entries) == 0 {
		fmt.Fprintln(bw, "\nNo access found.")
		return bw.Flush()
	}
	fmt.Fprintln(bw)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	cols := columns(res.Query)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, e := range res.Entries {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = e.cell(c, state.Visible, state.Visible)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n%s\n", summary(res))
	return bw.Flush()
}

func summary(res *Result) string {
	users, repos := map[string]bool{}, map[string]bool{}
	unknown := 0
	for _, e := range res.Entries {
		if e.User != "" {
			users[e.User] = true
		}
		repos[e.Repository] = true
		if e.MembersKnown != nil && !*e.MembersKnown {
			unknown++
		}
	}
	s := fmt.Sprintf("%s: %s on %s.", state.Count(len(res.Entries), "entry"), state.Count(len(users), "user"),
		state.Count(len(repos), "repository"))
	if unknown > 0 {
		s += fmt.Sprintf(" Through member groups, whose members no API lists: %s, whose reach cannot be known.", state.Count(unknown, "entry"))
	}
	return s
}

// Markdown writes a table for a pull-request comment or an issue; every
// name, path, detail and reason is rendered inert (render's escaping).
func Markdown(w io.Writer, res *Result) error {
	var b strings.Builder
	b.WriteString("<!-- reposync:access -->\n")
	fmt.Fprintf(&b, "## %s\n\n", render.InertText(title(res)))
	if len(res.Entries) == 0 {
		_, err := io.WriteString(w, b.String()+"No access found.\n")
		return err
	}
	cols := columns(res.Query)
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Repeat("---|", len(cols)) + "\n")
	for _, e := range res.Entries {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = render.InertCell(e.cell(c, render.InertText, render.InertCode))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	fmt.Fprintf(&b, "\n%s\n", render.InertText(summary(res)))
	_, err := io.WriteString(w, b.String())
	return err
}

// csvHeader are the CSV columns, one per field of an entry.
var csvHeader = []string{"repository", "user", "member_group", "role", "access", "path", "via", "via_detail", "via_group",
	"via_member_group", "spec_source", "spec_policy", "expires", "expired", "reason"}

// CSV writes a header and one row per entry, quoted by encoding/csv; a cell
// a spreadsheet would run as a formula gets a leading apostrophe.
func CSV(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, e := range res.Entries {
		var src, policy, expires, expired, reason string
		if s := e.Spec; s != nil {
			src, policy, expires, reason = s.Source, s.Policy, string(s.Expires), s.Reason
			if s.Expired {
				expired = "true"
			}
		}
		row := []string{e.Repository, e.User, e.MemberGroup, e.Role, e.Access, e.Path, e.Via.Kind, e.Via.Detail, e.Via.Group,
			e.Via.MemberGroup, src, policy, expires, expired, reason}
		for i := range row {
			row[i] = noFormula(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// noFormula keeps a spreadsheet from running a cell as a formula (OWASP,
// "CSV injection"): names and reasons are spec or service text. A cell that
// starts with a tab or carriage return, or whose first visible character
// (after any spaces) is = + - @ or their fullwidth forms, gets the
// apostrophe: spreadsheets skip leading spaces and some fold ＝ into =.
func noFormula(s string) string {
	r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(s, unicode.IsSpace))
	if strings.HasPrefix(s, "\t") || strings.HasPrefix(s, "\r") || strings.ContainsRune(formulaStarts, r) {
		return "'" + s
	}
	return s
}

// formulaStarts are the characters that make a spreadsheet read a cell as a
// formula, ASCII and fullwidth.
const formulaStarts = "=+-@＝＋－＠"
