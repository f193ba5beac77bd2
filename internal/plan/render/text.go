package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/reposync/reposync/internal/plan"
)

const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	ansiDim     = "\x1b[2m"
)

// Text writes the terminal view: what apply would refuse; one line per
// change the spec asks for, with a `+ ~ - !` marker, its values and its
// spec source, unified diffs of changed push rules; then, apart, what was
// changed outside the spec, grouped by person, the worst grant first;
// grants ending soon, warnings and the summary line.
func Text(w io.Writer, p *plan.Plan, o Options) error {
	p = visiblePlan(p)
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !o.Color || code == "" {
			return s
		}
		return code + s + ansiReset
	}
	fmt.Fprintf(bw, "reposync plan for project %s\n", p.Project)
	if p.Context.Dirty {
		fmt.Fprintf(bw, "%s planned from spec files with uncommitted changes\n", paint(ansiYellow, "Uncommitted:"))
	}
	if line := scopeLine(p.Context.Scope, func(s string) string { return s }); line != "" {
		fmt.Fprintf(bw, "%s %s\n", paint(ansiBold, "Scope:"), line)
	}
	if len(p.Refusals) > 0 {
		fmt.Fprintf(bw, "\n%s\n", paint(ansiRed+ansiBold, "Apply will refuse this plan:"))
		for _, r := range p.Refusals {
			fmt.Fprintf(bw, "  %s %s\n", paint(ansiRed, "✗"), r.String())
		}
	}
	if !p.Summary.Drift() {
		fmt.Fprintln(bw, "\nNo changes. The live state matches the spec.")
	}
	sep := "\n" // before the first change shown
	for _, c := range p.Changes {
		if !undoesDrift(c) {
			bw.WriteString(sep)
			sep = ""
			textChange(bw, c, o, paint)
		}
	}
	if drift := driftFacts(p, plainQuoting); len(drift) > 0 {
		what := "not in the spec; --prune removes what the API can"
		if p.Prune {
			what = "not in the spec; apply removes those marked -, those marked ! need a person, those marked ? stay"
		}
		fmt.Fprintf(bw, "\n%s (%s):\n", paint(ansiBold, "Changed outside the spec"), what)
		mark := func(e *entry) string {
			if e.undo == "" {
				return paint(ansiMagenta, "?")
			}
			return paint(marks[e.undo].color, marks[e.undo].marker)
		}
		for _, s := range subjects(group(drift)) {
			if len(s) == 1 {
				fmt.Fprintf(bw, "  %s %s: %s\n", mark(s[0]), s[0].who, s[0].line(plainQuoting, 10))
				continue
			}
			fmt.Fprintf(bw, "  %s:\n", s[0].who)
			for _, e := range s {
				fmt.Fprintf(bw, "    %s %s\n", mark(e), e.line(plainQuoting, 10))
			}
		}
	}
	if len(p.Expiring) > 0 {
		fmt.Fprintln(bw, "\nGrants ending soon (extend `expires` in the spec, or let them lapse):")
		for _, e := range p.Expiring {
			fmt.Fprintf(bw, "  %s %s\n", paint(ansiYellow, "⏳"), expiringLine(e))
		}
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintln(bw, "\nWarnings:")
		for _, wr := range p.Warnings {
			fmt.Fprintf(bw, "  %s %s\n", paint(ansiYellow, "!"), wr)
		}
	}
	fmt.Fprintf(bw, "\n%s %s.\n", paint(ansiBold, "Plan:"), p.Summary.Line())
	return bw.Flush()
}

// textChange writes one change: its line, its diff, reason and warnings.
func textChange(bw *bufio.Writer, c plan.Change, o Options, paint func(code, s string) string) {
	fmt.Fprint(bw, paint(marks[c.Action].color, fmt.Sprintf("  %s %s", marks[c.Action].marker, c.Address)))
	if d := describe(c); d != "" {
		fmt.Fprintf(bw, "  %s", d)
	}
	if c.Source != "" {
		src := c.Source
		if c.Withdrawn != nil {
			src += ", deleted line at " + c.Withdrawn.Revision[:min(len(c.Withdrawn.Revision), 7)]
		}
		if n := o.scopeNote(c, plainQuoting); n != "" {
			src += ", " + n
		}
		fmt.Fprint(bw, paint(ansiDim, "  ("+src+")"))
	}
	fmt.Fprintln(bw)
	for _, l := range changeDiff(c) {
		color := map[byte]string{'-': ansiRed, '+': ansiGreen}[l[0]]
		fmt.Fprintln(bw, "      "+paint(color, l))
	}
	if c.Reason != "" {
		fmt.Fprintf(bw, "      %s\n", c.Reason)
	}
	for _, wr := range c.Warnings {
		fmt.Fprintf(bw, "      %s %s\n", paint(ansiYellow, "warning:"), wr)
	}
}

// LineDiff diffs two small texts line by line: "--- beforeName" and
// "+++ afterName" headers, then every line prefixed with ' ', '-' or '+'
// and a space (the whole texts, for files short enough to read at once).
func LineDiff(beforeName, afterName, before, after string) []string {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(before, after)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	out := []string{"--- " + beforeName, "+++ " + afterName}
	for _, d := range diffs {
		prefix := " "
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			prefix = "-"
		case diffmatchpatch.DiffInsert:
			prefix = "+"
		}
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l == "" {
				continue
			}
			out = append(out, prefix+" "+strings.TrimSuffix(l, "\n"))
		}
	}
	return out
}
