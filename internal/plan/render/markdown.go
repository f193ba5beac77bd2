package render

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/plan"
)

// MarkdownMarker is the hidden first line of every Markdown plan; CI bots
// find and update their previous comment by it.
const MarkdownMarker = "<!-- reposync:plan -->"

var mdIcon = map[plan.Action]string{
	plan.Create:  "➕",
	plan.Update:  "✏️",
	plan.Delete:  "➖",
	plan.Replace: "🔁",
	plan.Manual:  "✋",
}

// Markdown writes the pull-request comment: a summary table, the changes that
// deserve a careful look (removals, admin grants, loosened push rules, manual
// steps) first, a per-person view, then the details per repository in
// <details> blocks. It stays under Options.MaxMarkdown bytes by summarising
// what does not fit.
func Markdown(w io.Writer, p *plan.Plan, o Options) error {
	limit := o.MaxMarkdown
	if limit <= 0 {
		limit = DefaultMaxMarkdown
	}
	var b strings.Builder
	b.WriteString(MarkdownMarker + "\n")
	b.WriteString("## reposync plan\n\n")
	fmt.Fprintf(&b, "**%s** · project %s", p.Summary.Line(), code(p.Project))
	if p.SpecDigest != "" {
		fmt.Fprintf(&b, " · spec %s", code(shortDigest(p.SpecDigest)))
	}
	if p.Prune {
		b.WriteString(" · prune on")
	}
	b.WriteString("\n\n")
	if len(p.Changes) == 0 {
		b.WriteString("No changes: the live state matches the spec.\n")
	} else {
		b.WriteString("| | action | changes |\n|---|---|---:|\n")
		for _, row := range []struct {
			a plan.Action
			n int
		}{{plan.Create, p.Summary.Create}, {plan.Update, p.Summary.Update}, {plan.Delete, p.Summary.Delete}, {plan.Replace, p.Summary.Replace}, {plan.Manual, p.Summary.Manual}} {
			if row.n == 0 && (row.a == plan.Replace || row.a == plan.Manual) {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %d |\n", mdIcon[row.a], row.a, row.n)
		}
		b.WriteString("\n")
	}

	// The footer (extras, warnings) is reserved first so details can never
	// push it out.
	footer := markdownFooter(p)
	budget := limit - len(footer) - 400 // room for a truncation note

	if att := attention(p); len(att) > 0 {
		b.WriteString("### ⚠️ Look at these first\n\n")
		writeCapped(&b, att, budget/3, "more changes that need attention are in the details below")
		b.WriteString("\n")
	}
	if people := perPerson(p); len(people) > 0 {
		b.WriteString("### Who gains or loses what\n\n| person | change |\n|---|---|\n")
		writeCapped(&b, people, budget/2, "more rows; see the details below")
		b.WriteString("\n")
	}
	if len(p.Changes) > 0 {
		b.WriteString("### Details\n\n")
		blocks := detailBlocks(p)
		shown := 0
		for _, blk := range blocks {
			if b.Len()+len(blk.text) > budget {
				break
			}
			b.WriteString(blk.text)
			shown++
		}
		if shown < len(blocks) {
			rest := 0
			for _, blk := range blocks[shown:] {
				rest += blk.changes
			}
			fmt.Fprintf(&b, "\n_…%d more objects with %d changes are not shown here to keep this comment short; run `reposync plan --format json` for the full plan._\n\n", len(blocks)-shown, rest)
		}
	}
	b.WriteString(footer)
	out := b.String()
	if len(out) > limit { // the footer alone was too large: cut it, on a line boundary
		cut := strings.LastIndexByte(out[:limit-200], '\n')
		out = out[:cut+1] + "\n_…truncated; run `reposync plan --format json` for the full plan._\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// writeCapped writes lines until the byte budget is spent, then a note.
func writeCapped(b *strings.Builder, lines []string, budget int, what string) {
	used := 0
	for i, l := range lines {
		if used+len(l) > budget && i > 0 {
			fmt.Fprintf(b, "\n_…and %d %s._\n", len(lines)-i, what)
			return
		}
		b.WriteString(l)
		used += len(l)
	}
}

// attention lists removals, admin grants, loosened push rules, group and
// authorization deletions and manual steps, most dangerous first.
func attention(p *plan.Plan) []string {
	type item struct {
		rank int
		text string
	}
	var items []item
	for _, c := range p.Changes {
		src := ""
		if c.Source != "" {
			src = " — " + code(c.Source)
		}
		kind, path := c.Address.Object, c.Address.Name
		where := code(path)
		switch {
		case c.Action == plan.Delete && c.Kind == plan.KindMember:
			role := ""
			if b, ok := c.Before.(*plan.MemberValue); ok {
				role = roleText(b)
			}
			items = append(items, item{0, fmt.Sprintf("- ➖ **Removes** %s (%s) from %s%s\n", code(c.Address.Leaf()), role, where, src)})
		case c.Action == plan.Delete:
			what := map[plan.Kind]string{plan.KindGroup: "group", plan.KindPushRule: "push rule " + code(c.Address.Leaf()) + " on", plan.KindGitAuth: "Git authorization"}[c.Kind]
			if kind == plan.ObjectGroup || kind == plan.ObjectGitAuth {
				items = append(items, item{1, fmt.Sprintf("- ➖ **Deletes** %s %s%s\n", what, where, src)})
			} else {
				items = append(items, item{1, fmt.Sprintf("- ➖ **Deletes** %s %s — matching files are no longer restricted%s\n", what, where, src)})
			}
		case grantsAdmin(c):
			was := "new member"
			if b, ok := c.Before.(*plan.MemberValue); ok {
				was = "was " + roleText(b)
				if b.Via != "" {
					was += " through " + b.Via
				}
			}
			items = append(items, item{2, fmt.Sprintf("- 🔑 **Grants admin** to %s on %s (%s)%s\n", code(c.Address.Leaf()), where, was, src)})
		case loosens(c):
			b, _ := c.Before.(*plan.PushRuleValue)
			a, _ := c.After.(*plan.PushRuleValue)
			var more []string
			for _, s := range added(b.Users, a.Users) {
				more = append(more, "user "+code(s))
			}
			for _, s := range added(b.MemberGroups, a.MemberGroups) {
				more = append(more, "member group "+code(s))
			}
			for _, s := range added(b.Roles, a.Roles) {
				more = append(more, "role "+code(s))
			}
			items = append(items, item{3, fmt.Sprintf("- 🔓 **Loosens** push rule %s on %s: now also %s%s\n", code(c.Address.Leaf()), where, strings.Join(more, ", "), src)})
		case c.Action == plan.Replace:
			items = append(items, item{4, fmt.Sprintf("- 🔁 **Replaces** Git authorization %s (deleted, then created with the password from the environment)%s\n", where, src)})
		case c.Action == plan.Manual:
			detail := describe(c)
			if detail != "" {
				detail = ": " + detail
			}
			items = append(items, item{5, fmt.Sprintf("- ✋ **Manual step** for %s%s — %s%s\n", code(c.Address.String()), escapeMD(detail), escapeMD(c.Reason), src)})
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].rank < items[j].rank })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.text
	}
	return out
}

// perPerson lists, per user, the access they gain or lose: roles on
// repositories and push permissions on paths.
func perPerson(p *plan.Plan) []string {
	type row struct{ person, repo, text string }
	var rows []row
	for _, c := range p.Changes {
		repo := c.Address.Name
		switch c.Kind {
		case plan.KindMember:
			user := c.Address.Leaf()
			b, _ := c.Before.(*plan.MemberValue)
			a, _ := c.After.(*plan.MemberValue)
			var t string
			switch {
			case c.Action == plan.Manual:
				continue
			case a == nil:
				t = fmt.Sprintf("loses %s on %s", roleText(b), code(repo))
			case b == nil:
				t = fmt.Sprintf("gains %s on %s", a.Role, code(repo))
			case b.Via != "":
				t = fmt.Sprintf("%s through %s → %s (direct) on %s", roleText(b), escapeMD(b.Via), a.Role, code(repo))
			default:
				t = fmt.Sprintf("%s → %s on %s", roleText(b), a.Role, code(repo))
			}
			rows = append(rows, row{user, repo, t})
		case plan.KindPushRule:
			b, _ := c.Before.(*plan.PushRuleValue)
			a, _ := c.After.(*plan.PushRuleValue)
			var before, after []string
			if b != nil {
				before = b.Users
			}
			if a != nil {
				after = a.Users
			}
			path := c.Address.Leaf()
			for _, u := range added(before, after) {
				rows = append(rows, row{u, repo, fmt.Sprintf("may push %s on %s", code(path), code(repo))})
			}
			if c.Action != plan.Delete {
				for _, u := range added(after, before) {
					rows = append(rows, row{u, repo, fmt.Sprintf("may no longer push %s on %s", code(path), code(repo))})
				}
			}
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].person != rows[j].person {
			return rows[i].person < rows[j].person
		}
		return rows[i].repo < rows[j].repo
	})
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("| %s | %s |\n", escapeCell(r.person), escapeCell(r.text))
	}
	return out
}

type block struct {
	text    string
	changes int
}

// detailBlocks renders one <details> block per repository, group, and one
// for Git authorizations, in plan order.
func detailBlocks(p *plan.Plan) []block {
	type bucket struct {
		title   string
		changes []plan.Change
	}
	var order []plan.Address
	buckets := map[plan.Address]*bucket{}
	for _, c := range p.Changes {
		key, title := c.Address.Owner(), ""
		switch key.Object {
		case plan.ObjectRepository:
			title = "repository " + html(key.Name)
		case plan.ObjectGroup:
			title = "group " + html(key.Name)
		default:
			key, title = plan.Address{Object: plan.ObjectGitAuth}, "Git authorizations"
		}
		bk := buckets[key]
		if bk == nil {
			bk = &bucket{title: title}
			buckets[key] = bk
			order = append(order, key)
		}
		bk.changes = append(bk.changes, c)
	}
	var out []block
	for _, key := range order {
		bk := buckets[key]
		var b strings.Builder
		fmt.Fprintf(&b, "<details><summary><b>%s</b> — %s</summary>\n\n", bk.title, countChanges(bk.changes))
		b.WriteString("| | what | change | source |\n|---|---|---|---|\n")
		var diffs []string
		for _, c := range bk.changes {
			what := displayLeaf(c)
			change := describe(c)
			if diff := changeDiff(c); diff != nil {
				if c.Kind == plan.KindPushRule {
					change = "see diff below"
				}
				diffs = append(diffs, fmt.Sprintf("%s\n\n```diff\n%s\n```\n", code(c.Address.Leaf()), strings.Join(diff, "\n")))
			}
			if c.Reason != "" {
				change += " — " + c.Reason
			}
			for _, wr := range c.Warnings {
				change += " ⚠️ " + wr
			}
			src := ""
			if c.Source != "" {
				src = code(c.Source)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdIcon[c.Action], escapeCell(what), escapeCell(change), escapeCell(src))
		}
		for _, d := range diffs {
			b.WriteString("\n" + d)
		}
		b.WriteString("\n</details>\n\n")
		out = append(out, block{text: b.String(), changes: len(bk.changes)})
	}
	return out
}

func markdownFooter(p *plan.Plan) string {
	var b strings.Builder
	if len(p.Extras) > 0 {
		hint := "; `--prune` removes what the API can remove"
		if p.Prune {
			hint = ""
		}
		noun := "entries are"
		if len(p.Extras) == 1 {
			noun = "entry is"
		}
		fmt.Fprintf(&b, "<details><summary>%d live %s not in the spec and left alone%s</summary>\n\n", len(p.Extras), noun, hint)
		const maxExtras = 200
		for i, e := range p.Extras {
			if i == maxExtras {
				fmt.Fprintf(&b, "- _…and %d more_\n", len(p.Extras)-maxExtras)
				break
			}
			fmt.Fprintf(&b, "- %s: %s\n", code(e.Address.String()), escapeMD(e.Detail))
		}
		b.WriteString("\n</details>\n\n")
	}
	if len(p.Warnings) > 0 {
		b.WriteString("**Warnings**\n\n")
		const maxWarnings = 50
		for i, w := range p.Warnings {
			if i == maxWarnings {
				fmt.Fprintf(&b, "- _…and %d more_\n", len(p.Warnings)-maxWarnings)
				break
			}
			fmt.Fprintf(&b, "- %s\n", escapeMD(w))
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

func countChanges(cs []plan.Change) string {
	if len(cs) == 1 {
		return "1 change"
	}
	return fmt.Sprintf("%d changes", len(cs))
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

// code wraps s in a Markdown code span that survives backticks inside it.
func code(s string) string {
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return "`` " + s + " ``"
}

// escapeCell makes text safe inside a table cell.
func escapeCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// escapeMD neutralises characters that would start HTML or links in text
// taken from the live state or the spec.
func escapeMD(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`).Replace(s)
}

func html(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
