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

var actionColor = map[plan.Action]string{
	plan.Create:  ansiGreen,
	plan.Update:  ansiYellow,
	plan.Delete:  ansiRed,
	plan.Replace: ansiYellow,
	plan.Manual:  ansiMagenta,
}

// Text writes the terminal view: one line per change with a `+ ~ - !`
// marker, its values and its spec source, unified diffs of changed push
// rules, then extras, warnings and the summary line.
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
	if line := scopeLine(p.Context.Scope, func(s string) string { return s }); line != "" {
		fmt.Fprintf(bw, "%s %s\n", paint(ansiBold, "Scope:"), line)
	}
	if len(p.Refusals) > 0 {
		fmt.Fprintf(bw, "\n%s\n", paint(ansiRed+ansiBold, "Apply will refuse this plan:"))
		for _, r := range p.Refusals {
			fmt.Fprintf(bw, "  %s %s\n", paint(ansiRed, "✗"), r.String())
		}
	}
	if len(p.Extras) > 0 {
		fmt.Fprintf(bw, "\nNot in the spec (drift):\n")
		for _, e := range p.Extras {
			fmt.Fprintf(bw, "  %s %s: %s (%s)\n", paint(ansiMagenta, "?"), e.Address, e.Detail, unlistedHint(p, e))
		}
	}
	if !p.Summary.Drift() {
		fmt.Fprintln(bw, "\nNo changes. The live state matches the spec.")
	} else if len(p.Changes) > 0 {
		fmt.Fprintln(bw)
	}
	for _, c := range p.Changes {
		line := fmt.Sprintf("  %s %s", marker[c.Action], c.Address)
		fmt.Fprint(bw, paint(actionColor[c.Action], line))
		if d := describe(c); d != "" {
			fmt.Fprintf(bw, "  %s", d)
		}
		if c.Source != "" {
			src := c.Source
			if n := scopeNote(c, func(s string) string { return s }); n != "" {
				src += ", " + n
			}
			fmt.Fprint(bw, paint(ansiDim, "  ("+src+")"))
		}
		fmt.Fprintln(bw)
		if diff := changeDiff(c); diff != nil {
			for _, l := range diff {
				color := ""
				switch l[0] {
				case '-':
					color = ansiRed
				case '+':
					color = ansiGreen
				}
				fmt.Fprintln(bw, "      "+paint(color, l))
			}
		}
		if c.Reason != "" {
			fmt.Fprintf(bw, "      %s\n", c.Reason)
		}
		for _, wr := range c.Warnings {
			fmt.Fprintf(bw, "      %s %s\n", paint(ansiYellow, "warning:"), wr)
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

// unifiedLines diffs two small texts line by line and returns them prefixed
// with "--- before"/"+++ after" headers and ' ', '-' or '+'.
func unifiedLines(before, after string) []string {
	return LineDiff("before", "after", before, after)
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
