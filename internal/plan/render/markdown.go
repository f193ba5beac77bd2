package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// MarkdownMarker is the hidden first line of every Markdown plan; CI bots
// find and update their previous comment by it.
const MarkdownMarker = "<!-- reposync:plan -->"

// maxSubjects is how many subjects "Look at these first" and "Changed
// outside the spec" describe in full; a last line names the others.
const maxSubjects = 15

// maxFolded caps the names in one folded list of targets.
const maxFolded = 100

// Markdown writes the pull-request comment in the order of docs/ci.md
// ("What a reviewer reads"): the summary and what apply would refuse
// (never cut); "Look at these first"; who gains or loses what; "Changed
// outside the spec"; grants ending soon; the details, inside one fold, as
// many as fit; the full plan's whereabouts (Options.FullPlan) and the
// warnings. It stays under DefaultMaxMarkdown bytes. Every string that
// comes from the spec or the live state is rendered inert (escape.go).
func Markdown(w io.Writer, p *plan.Plan, o Options) error {
	p = visiblePlan(p)
	limit := cmp.Or(o.maxMarkdown, DefaultMaxMarkdown)
	var b strings.Builder
	markdownHeader(&b, p)
	attentionFacts, personFacts := prFacts(p, o)
	attention := bySubject("### ⚠️ Look at these first\n\n", "", attentionIcon, attentionFacts, o, limit/2)
	drift := bySubject("### ❔ Changed outside the spec\n\n", driftIntro(p), driftIcon, driftFacts(p, mdQuoting), o, limit/4)
	expiring := markdownExpiring(p, o)
	footer := markdownFooter(p, o)
	const reserve = 600 // the notes of what was cut
	b.WriteString(attention)
	b.WriteString(markdownPerPerson(personFacts, o, limit-reserve-b.Len()-len(drift)-len(expiring)-len(footer)))
	b.WriteString(drift)
	b.WriteString(expiring)
	b.WriteString(markdownDetails(p, o, limit-reserve-b.Len()-len(footer)))
	b.WriteString(footer)
	out := b.String()
	if len(out) > limit { // only when the parts never cut are too big themselves; cut on a line boundary
		cut := strings.LastIndexByte(out[:limit-200], '\n')
		out = out[:cut+1] + "\n_…truncated" + o.fullPlanNote() + "._\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// fullPlanNote ends a note of what was left out: where to read it all.
func (o Options) fullPlanNote() string {
	if o.FullPlan == "" {
		return "; the full plan was not saved (plan --out FILE saves it)"
	}
	return "; the full plan is " + o.FullPlan
}

func markdownHeader(b *strings.Builder, p *plan.Plan) {
	b.WriteString(MarkdownMarker + "\n")
	if p.ChangesDigest != "" {
		// For bots: the digest a merge job can hold the next plan to
		// (apply --expect-changes).
		b.WriteString("<!-- reposync:changes " + html(p.ChangesDigest) + " -->\n")
	}
	b.WriteString("## reposync plan\n\n")
	fmt.Fprintf(b, "**%s** · project %s", p.Summary.Line(), code(p.Project))
	if p.SpecDigest != "" {
		fmt.Fprintf(b, " · spec %s", code(shortDigest(p.SpecDigest)))
	}
	if c := p.Context.Commit; c != "" {
		fmt.Fprintf(b, " · commit %s", code(c[:min(len(c), 12)]))
	}
	if p.ChangesDigest != "" {
		fmt.Fprintf(b, " · changes %s", code(shortDigest(p.ChangesDigest)))
	}
	if p.Prune {
		b.WriteString(" · prune on")
	}
	b.WriteString("\n\n")
	if p.Context.Dirty {
		b.WriteString("> ⚠️ **Uncommitted:** this plan was made from spec files with uncommitted changes; no commit holds what it shows, so its sources are not linked.\n\n")
	}
	if line := scopeLine(p.Context.Scope, code); line != "" {
		b.WriteString("> 🎯 **Scoped:** " + line + "\n\n")
	}
	if !p.Summary.Drift() {
		b.WriteString("No changes: the live state matches the spec.\n\n")
	} else {
		b.WriteString("| | action | changes |\n|---|---|---:|\n")
		row := func(icon, name string, n int, always bool) {
			if always || n > 0 {
				fmt.Fprintf(b, "| %s | %s | %d |\n", icon, name, n)
			}
		}
		row(marks[plan.Create].icon, "create", p.Summary.Create, true)
		row(marks[plan.Update].icon, "update", p.Summary.Update, true)
		row(marks[plan.Delete].icon, "delete", p.Summary.Delete, true)
		row(marks[plan.Replace].icon, "replace", p.Summary.Replace, false)
		row(marks[plan.Manual].icon, "manual", p.Summary.Manual, false)
		row("❔", "not in the spec", p.Summary.Unlisted, false)
		b.WriteString("\n")
	}
	if len(p.Refusals) > 0 {
		b.WriteString("### ⛔ Apply will refuse this plan\n\n")
		for _, r := range p.Refusals {
			fmt.Fprintf(b, "- **%s**: %s", text(r.Rule), text(r.Message))
			if len(r.Addresses) > 0 {
				b.WriteString(": " + r.Named(code, text))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
}

func attentionIcon(e *entry) string { return attentionKinds[e.rank] }

// driftIcon is what apply does to a drift entry (➖, ✋), or what it grants
// when apply leaves it as it is (🔑 admin, 👥 a member group, ❔).
func driftIcon(e *entry) string {
	if e.undo != "" {
		return marks[e.undo].icon
	}
	return driftKinds[e.rank]
}

// prFacts are the facts of the changes the spec asks for (not those that
// undo drift): those a reviewer looks at first, and those of "Who gains or
// loses what".
func prFacts(p *plan.Plan, o Options) (attention, person []fact) {
	for _, c := range p.Changes {
		if undoesDrift(c) {
			continue
		}
		for _, f := range changeFacts(c, mdQuoting, o.changeSource(c)) {
			if f.rank >= 0 {
				attention = append(attention, f)
			}
			if f.person {
				person = append(person, f)
			}
		}
	}
	return attention, person
}

// driftIntro says what the live entries not in the spec are, and what
// becomes of them.
func driftIntro(p *plan.Plan) string {
	const what = "The spec never listed these live entries: they were made in the CodeArts console or through the API. "
	if p.Prune {
		return what + "This plan prunes (`--prune`): **apply removes those marked ➖**, those marked ✋ need a person, and the others stay as they are; none is a change the spec asks for.\n\n"
	}
	return what + "This plan leaves them as they are; `--prune` removes what the API can remove, and the nightly drift job reports them.\n\n"
}

// bySubject writes a section of facts grouped by subject, the worst
// first: the first maxSubjects in full (the lines of one as many as budget
// bytes hold), then one line naming the others — as many as budget bytes
// hold, which only thousands of people exceed; "" without facts.
func bySubject(heading, intro string, icon func(*entry) string, fs []fact, o Options, budget int) string {
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(heading + intro)
	subs := subjects(group(fs))
	for i, s := range subs {
		if i == maxSubjects {
			fmt.Fprintf(&b, "- _…and %d more:_ ", len(subs)-i)
			for j, r := range subs[i:] {
				if b.Len() > budget {
					fmt.Fprintf(&b, " and %d more%s", len(subs)-i-j, o.fullPlanNote())
					break
				}
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(r[0].who)
			}
			b.WriteString(".\n")
			break
		}
		if len(s) == 1 {
			fmt.Fprintf(&b, "- %s **%s**: %s\n", icon(s[0]), s[0].who, s[0].line(mdQuoting, 3))
			continue
		}
		fmt.Fprintf(&b, "- **%s**\n", s[0].who)
		for k, e := range s {
			if b.Len() > budget { // one subject of thousands of lines
				fmt.Fprintf(&b, "  - _…and %d more%s._\n", len(s)-k, o.fullPlanNote())
				break
			}
			fmt.Fprintf(&b, "  - %s %s\n", icon(e), e.line(mdQuoting, 3))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// markdownPerPerson is "Who gains or loses what": one row per person or
// member group and what happens to them, the same on many repositories
// folded into one expandable row, as many rows as budget bytes hold.
func markdownPerPerson(fs []fact, o Options, budget int) string {
	if len(fs) == 0 {
		return ""
	}
	for i := range fs {
		fs[i].rank, fs[i].src = 0, "" // one row whatever the source
	}
	es := group(fs)
	slices.SortStableFunc(es, func(a, b *entry) int { return cmp.Or(cmp.Compare(a.who, b.who), cmp.Compare(a.what, b.what)) })
	var b strings.Builder
	b.WriteString("### Who gains or loses what\n\n| who | change |\n|---|---|\n")
	for i, e := range es {
		r := fmt.Sprintf("| %s | %s |\n", cell(e.who), cell(foldedTargets(e)))
		if len(r) > (budget-b.Len())/2 && i > 0 || len(r) > budget-b.Len() {
			fmt.Fprintf(&b, "\n_…and %s%s._\n", state.Count(len(es)-i, "more row"), o.fullPlanNote())
			break
		}
		b.WriteString(r)
	}
	b.WriteString("\n")
	return b.String()
}

// foldedTargets writes an entry with its targets: one inline, more in a
// fold that names at most maxFolded of them.
func foldedTargets(e *entry) string {
	if len(e.on) < 2 {
		return e.what + e.targets(mdQuoting, 1)
	}
	shown := e.on[:min(len(e.on), maxFolded)]
	list := make([]string, len(shown))
	for i, t := range shown {
		list[i] = code(t)
	}
	if more := len(e.on) - len(shown); more > 0 {
		list = append(list, fmt.Sprintf("…and %d more", more))
	}
	return fmt.Sprintf("<details><summary>%s %s %s</summary>%s</details>", e.what, e.prep, state.Count(len(e.on), e.noun()), strings.Join(list, "<br>"))
}

type block struct {
	text    string
	changes int
}

// markdownDetails is every change per repository, group and the Git
// authorizations, each a fold, all inside one fold, as many as budget
// bytes hold.
func markdownDetails(p *plan.Plan, o Options, budget int) string {
	if len(p.Changes) == 0 {
		return ""
	}
	blocks := detailBlocks(p, o)
	var inner strings.Builder
	shown, shownChanges := 0, 0
	for _, blk := range blocks {
		if inner.Len()+len(blk.text) > budget-200 {
			break
		}
		inner.WriteString(blk.text)
		shown, shownChanges = shown+1, shownChanges+blk.changes
	}
	what := fmt.Sprintf("%s, %s", state.Count(len(blocks), "object"), state.Count(len(p.Changes), "change"))
	if shown < len(blocks) {
		fmt.Fprintf(&inner, "_…not shown here, to keep this comment short: %s with %s%s._\n\n",
			state.Count(len(blocks)-shown, "more object"), state.Count(len(p.Changes)-shownChanges, "change"), o.fullPlanNote())
		what += fmt.Sprintf(" (%d of the objects here)", shown)
	}
	return fmt.Sprintf("### Details\n\n<details><summary>Every change, by repository and group: %s</summary>\n\n%s</details>\n\n", what, inner.String())
}

// detailBlocks renders one <details> block per repository, group, and one
// for Git authorizations, in plan order.
func detailBlocks(p *plan.Plan, o Options) []block {
	owner := func(c plan.Change) plan.Address {
		a := c.Address.Owner()
		if a.Object == plan.ObjectGitAuth {
			a.Name = "" // one block for them all
		}
		return a
	}
	var out []block
	for _, changes := range byFirstSeen(p.Changes, owner) {
		title := "Git authorizations"
		switch a := changes[0].Address; a.Object {
		case plan.ObjectRepository:
			title = "repository " + html(a.Name)
		case plan.ObjectGroup:
			title = "group " + html(a.Name)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "<details><summary><b>%s</b> — %s</summary>\n\n", title, state.Count(len(changes), "change"))
		b.WriteString("| | what | change | source |\n|---|---|---|---|\n")
		var diffs []string
		for _, c := range changes {
			change := text(describe(c))
			if diff := changeDiff(c); diff != nil {
				if c.Kind == plan.KindPushRule {
					change = "see the diff below"
				}
				body := strings.Join(diff, "\n")
				f := fence(body)
				diffs = append(diffs, fmt.Sprintf("%s\n\n%sdiff\n%s\n%s\n", code(c.Address.Leaf()), f, body, f))
			}
			if c.Reason != "" {
				change += " — " + prose(c.Reason)
			}
			for _, wr := range c.Warnings {
				change += " ⚠️ " + prose(wr)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", marks[c.Action].icon, cell(displayLeaf(c)), cell(change), cell(o.changeSource(c)))
		}
		for _, d := range diffs {
			b.WriteString("\n" + d)
		}
		b.WriteString("\n</details>\n\n")
		out = append(out, block{text: b.String(), changes: len(changes)})
	}
	return out
}

// markdownFooter says where the full plan is, and the plan's warnings.
func markdownFooter(p *plan.Plan, o Options) string {
	var b strings.Builder
	if o.FullPlan != "" && len(p.Changes)+len(p.Extras) > 0 {
		fmt.Fprintf(&b, "📄 The full plan, every change with the ids apply uses: %s.\n\n", o.FullPlan)
	}
	if len(p.Warnings) > 0 {
		b.WriteString("**Warnings**\n\n")
		const maxWarnings = 50
		for i, w := range p.Warnings {
			if i == maxWarnings {
				fmt.Fprintf(&b, "- _…and %d more_\n", len(p.Warnings)-maxWarnings)
				break
			}
			fmt.Fprintf(&b, "- %s\n", prose(w))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func displayLeaf(c plan.Change) string {
	switch c.Kind {
	case plan.KindMember:
		return "member " + code(c.Address.Leaf())
	case plan.KindMemberGroup, plan.KindGroupMemberGroup:
		return "member group " + code(c.Address.Leaf())
	case plan.KindPushRule:
		return "push rule " + code(c.Address.Leaf())
	case plan.KindGitAuth:
		return code(c.Address.Leaf())
	case plan.KindGroup:
		return "group settings"
	}
	return code(c.Address.String())
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}
