package render

import (
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// Everything a spec or the live state can put into a Markdown comment —
// names, paths, descriptions, reasons, sources — passes through code,
// text, html or cell, so that no tag, comment, link, emphasis or table
// break written by a pull-request author survives into the rendered
// comment, and no character a reviewer cannot see for what it is
// (state.Invisible: a right-to-left override, a zero-width space, a
// control character) reaches it unescaped. The text and Markdown views
// render a copy of the plan with every such character escaped
// (visiblePlan), so live values that reach them by other ways — a push
// rule's diff, a description — are seen too.

// code wraps s in an inline code span (inert in CommonMark: no HTML, no
// links) that no backtick run inside s can close early; line breaks become
// spaces (a code span cannot hold one).
func code(s string) string {
	s = state.Visible(oneLine(s))
	if s == "" {
		return ""
	}
	longest := longestBacktickRun(s)
	if longest == 0 {
		return "`" + s + "`"
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// longestBacktickRun is the length of the longest run of backticks in s.
func longestBacktickRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdEscaper escapes, for Markdown text, the characters that start HTML
// (<, >, & as entities) and the ASCII punctuation that can start inline
// syntax anywhere in a line (with a backslash, which CommonMark allows
// before any ASCII punctuation): code, emphasis, links and images, table
// cells, strikethrough. Line breaks become spaces, so untrusted text never
// starts a line and block syntax (#, -, +, >, 1.) cannot arise.
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`,
	"\r", " ", "\n", " ", "\t", " ",
)

// text makes s inert Markdown text.
func text(s string) string { return state.Visible(mdEscaper.Replace(s)) }

// prose makes a message of reposync's own, where `x` quotes a name, inert
// Markdown: the quoted names as code spans, the rest as text. A message
// whose backticks do not pair is all text.
func prose(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		return text(s)
	}
	var b strings.Builder
	for i, part := range parts {
		if i%2 == 1 {
			b.WriteString(code(part))
		} else {
			b.WriteString(text(part))
		}
	}
	return b.String()
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;", "`", "&#96;",
	"\r", " ", "\n", " ")

// html makes s inert inside an HTML element we emit (<summary>).
func html(s string) string { return state.Visible(htmlEscaper.Replace(s)) }

// cell makes rendered Markdown safe inside a table cell: a pipe would end
// the cell even inside a code span, and a line break would end the row.
func cell(s string) string {
	return strings.ReplaceAll(oneLine(strings.ReplaceAll(s, `\|`, "|")), "|", `\|`)
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s // the common case, without a copy
	}
	return lineBreaks.Replace(s)
}

// lineBreaks is built once: a Replacer is costly to build and safe to share.
var lineBreaks = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// visiblePlan returns p, or when any of its strings holds an invisible
// character a copy of it with every such character escaped
// (state.Visible): what the text and Markdown views render. Line breaks
// stay in group descriptions, which those views show line by line.
func visiblePlan(p *plan.Plan) *plan.Plan {
	v, changed := visibleValue(reflect.ValueOf(p), false)
	if !changed {
		return p
	}
	return v.Interface().(*plan.Plan)
}

// shownField is a field of a plan type that a view may show: exported,
// able to hold a string, and not the API's ids (Target), which no view
// shows; lines: a group's description, which may span lines. (Maps are
// not walked: the plan's only one, the live fingerprints, is never shown.)
type shownField struct {
	index int
	lines bool
}

var shown sync.Map // reflect.Type -> []shownField

func shownFields(t reflect.Type) []shownField {
	if fs, ok := shown.Load(t); ok {
		return fs.([]shownField)
	}
	var fs []shownField
	for i := range t.NumField() {
		f := t.Field(i)
		if k := f.Type.Kind(); f.IsExported() && f.Type != reflect.TypeFor[plan.Target]() && (k < reflect.Bool || k > reflect.Complex128) {
			fs = append(fs, shownField{i, f.Name == "Description" && t == reflect.TypeFor[plan.GroupValue]()})
		}
	}
	shown.Store(t, fs)
	return fs
}

// visibleValue is v with its strings escaped, copied only where one
// changed; lines keeps line breaks (a description).
func visibleValue(v reflect.Value, lines bool) (reflect.Value, bool) {
	var out reflect.Value // the copy, once something changed
	switch v.Kind() {
	case reflect.String:
		if s := visibleText(v.String(), lines); s != v.String() {
			out = reflect.New(v.Type()).Elem()
			out.SetString(s)
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			break
		}
		if e, ch := visibleValue(v.Elem(), lines); ch {
			out = e // an interface holds the copy itself, a pointer points to it
			if v.Kind() == reflect.Pointer {
				out = reflect.New(e.Type())
				out.Elem().Set(e)
			}
		}
	case reflect.Struct:
		for _, sf := range shownFields(v.Type()) {
			if f, ch := visibleValue(v.Field(sf.index), sf.lines); ch {
				if !out.IsValid() {
					out = reflect.New(v.Type()).Elem()
					out.Set(v)
				}
				out.Field(sf.index).Set(f)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if e, ch := visibleValue(v.Index(i), lines); ch {
				if !out.IsValid() {
					out = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
					reflect.Copy(out, v)
				}
				out.Index(i).Set(e)
			}
		}
	}
	if !out.IsValid() {
		return v, false
	}
	return out, true
}

// visibleText is state.Visible, line by line when lines is set.
func visibleText(s string, lines bool) string {
	if !lines {
		return state.Visible(s)
	}
	parts := strings.Split(s, "\n")
	for i := range parts {
		parts[i] = state.Visible(parts[i])
	}
	return strings.Join(parts, "\n")
}

// fence returns a code fence longer than any backtick run in body, so a
// diff of spec text cannot close its block early.
func fence(body string) string {
	return strings.Repeat("`", max(3, longestBacktickRun(body)+1))
}

// source renders a spec location, linked when o.SourceLink gives a URL
// for it; rev names the commit the line is at, "" for the plan's own (a
// line the change deleted is at its base).
func (o Options) source(src, rev string) string {
	if src == "" {
		return ""
	}
	s := code(src)
	if o.SourceLink != nil {
		s = link(s, o.SourceLink(src, rev))
	}
	if rev != "" {
		s += " (deleted line at " + code(rev[:min(len(rev), 7)]) + ")"
	}
	return s
}

// link makes label a link to u when u is an http(s) URL, else leaves it.
// The URL is ours (CI variables and a path we escaped), but a ) or a
// space would still end the link early.
func link(label, u string) string {
	parsed, err := url.Parse(u)
	if u == "" || err != nil || parsed.Scheme != "https" && parsed.Scheme != "http" {
		return label
	}
	safe := strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E",
		"[", "%5B", "]", "%5D", "!", "%21", "`", "%60", "|", "%7C").Replace(parsed.String())
	return "[" + label + "](" + safe + ")"
}

// changeSource is a change's source for Markdown (linked like source),
// followed by who owns the scope that asked for it; a change that undoes
// drift has none: the spec never listed what it takes away.
func (o Options) changeSource(c plan.Change) string {
	if undoesDrift(c) {
		return text("not in the spec")
	}
	rev := ""
	if c.Withdrawn != nil {
		rev = c.Withdrawn.Revision
	}
	s := o.source(c.Source, rev)
	if n := o.scopeNote(c, mdQuoting); n != "" {
		s += " · " + n
	}
	return s
}

// scopeNote names the scope that asked for c and who owns it, "" when its
// file has none: "owned by @acme/payments" when the scope is the file its
// source names already (always, as plans are made), else "scope FILE,
// owned by …"; "scoped" when the scope names no owners.
func (o Options) scopeNote(c plan.Change, q quoting) string {
	if c.Scope == "" {
		return ""
	}
	same := strings.HasPrefix(c.Source, c.Scope+":")
	owners := o.Owners[c.Scope]
	switch {
	case len(owners) == 0 && same:
		return q.prose("scoped")
	case len(owners) == 0:
		return q.prose("scope ") + q.name(c.Scope)
	}
	names := make([]string, len(owners))
	for i, w := range owners {
		names[i] = q.name(w)
	}
	s := q.prose("owned by ") + strings.Join(names, ", ")
	if !same {
		s = q.prose("scope ") + q.name(c.Scope) + q.prose(", ") + s
	}
	return s
}

// The escaping of this file, for other Markdown renderers over spec and
// live strings (`reposync access`) and for callers that compose Markdown text
// of their own (Options.FullPlan): one rule everywhere, so a name that is
// inert in a plan comment is inert in every comment.

// InertCode renders s as an inline code span no backtick in s can close.
func InertCode(s string) string { return code(s) }

// InertText renders s as Markdown text with every character that could
// start Markdown or HTML syntax escaped, on one line.
func InertText(s string) string { return text(s) }

// InertCell makes what InertCode and InertText produced safe inside a
// table cell.
func InertCell(s string) string { return cell(s) }

// InertLink is a Markdown link with an inert label, or the label alone
// when u is not an http(s) URL.
func InertLink(label, u string) string { return link(text(label), u) }
