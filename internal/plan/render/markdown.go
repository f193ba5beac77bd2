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

// Markdown writes the pull-request comment, in this order:
//
//  1. the summary, and what apply would refuse (never cut);
//  2. everything that needs a reviewer's attention — removals, admin
//     grants, loosened push rules, member-group attachments, replacements,
//     manual steps, live entries not in the spec — never cut: past the size
//     limit it is summarised by count, with a pointer to the full plan;
//  3. who gains or loses what, per person or member group, a person's same
//     change on many repositories folded into one expandable row;
//  4. the details per object in <details> blocks, as many as fit.
//
// It stays under Options.MaxMarkdown bytes. Every string that comes from
// the spec or the live state is rendered inert (escape.go).
func Markdown(w io.Writer, p *plan.Plan, o Options) error {
	p = visiblePlan(p)
	limit := o.MaxMarkdown
	if limit <= 0 {
		limit = DefaultMaxMarkdown
	}
	full := o.FullPlan
	if full == "" {
		full = "the JSON plan (`reposync plan --format json`)"
	}
	var b strings.Builder
	b.WriteString(MarkdownMarker + "\n")
	if p.ChangesDigest != "" {
		// For bots: the digest a merge job can hold the next plan to
		// (apply --expect-changes).
		b.WriteString("<!-- reposync:changes " + html(p.ChangesDigest) + " -->\n")
	}
	b.WriteString("## reposync plan\n\n")
	fmt.Fprintf(&b, "**%s** · project %s", p.Summary.Line(), code(p.Project))
	if p.SpecDigest != "" {
		fmt.Fprintf(&b, " · spec %s", code(shortDigest(p.SpecDigest)))
	}
	if c := p.Context.Commit; c != "" {
		fmt.Fprintf(&b, " · commit %s", code(c[:min(len(c), 12)]))
	}
	if p.ChangesDigest != "" {
		fmt.Fprintf(&b, " · changes %s", code(shortDigest(p.ChangesDigest)))
	}
	if p.Prune {
		b.WriteString(" · prune on")
	}
	b.WriteString("\n\n")
	if line := scopeLine(p.Context.Scope, code); line != "" {
		b.WriteString("> 🎯 **Scoped:** " + line + "\n\n")
	}
	if !p.Summary.Drift() {
		b.WriteString("No changes: the live state matches the spec.\n\n")
	} else {
		b.WriteString("| | action | changes |\n|---|---|---:|\n")
		for _, row := range []struct {
			icon, name string
			n          int
			always     bool
		}{
			{mdIcon[plan.Create], "create", p.Summary.Create, true},
			{mdIcon[plan.Update], "update", p.Summary.Update, true},
			{mdIcon[plan.Delete], "delete", p.Summary.Delete, true},
			{mdIcon[plan.Replace], "replace", p.Summary.Replace, false},
			{mdIcon[plan.Manual], "manual", p.Summary.Manual, false},
			{"❔", "not in the spec", p.Summary.Unlisted, false},
		} {
			if row.n > 0 || row.always {
				fmt.Fprintf(&b, "| %s | %s | %d |\n", row.icon, row.name, row.n)
			}
		}
		b.WriteString("\n")
	}
	if len(p.Refusals) > 0 {
		b.WriteString("### ⛔ Apply will refuse this plan\n\n")
		for _, r := range p.Refusals {
			fmt.Fprintf(&b, "- **%s**: %s", text(r.Rule), text(r.Message))
			const show = 10
			for i, a := range r.Addresses {
				if i == show {
					fmt.Fprintf(&b, " … and %d more", len(r.Addresses)-show)
					break
				}
				if i == 0 {
					b.WriteString(": ")
				} else {
					b.WriteString(", ")
				}
				b.WriteString(code(a))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}

	footer := markdownFooter(p)
	reserve := len(footer) + 600 // the truncation notes
	if items := attention(p, o); len(items) > 0 {
		b.WriteString("### ⚠️ Look at these first\n\n")
		// Built once (appending to a string copies it each time: quadratic
		// in a plan of thousands of entries).
		var sb strings.Builder
		for _, it := range items {
			sb.WriteString(it.text)
		}
		list := sb.String()
		if b.Len()+len(list)+reserve > limit*3/4 {
			// Too many to list: never cut the list, count it.
			b.WriteString(attentionCounts(items))
			fmt.Fprintf(&b, "\n_These %d entries are too many to list here; every one is in %s._\n", len(items), full)
		} else {
			b.WriteString(list)
		}
		b.WriteString("\n")
	}
	b.WriteString(markdownExpiring(p, o, full))
	if rows := perPerson(p, o); len(rows) > 0 {
		b.WriteString("### Who gains or loses what\n\n| who | change |\n|---|---|\n")
		budget := limit - reserve - b.Len()
		for i, r := range rows {
			if len(r) > budget/2 && i > 0 || len(r) > budget {
				fmt.Fprintf(&b, "\n_…and %d more rows; every change is in %s._\n", len(rows)-i, full)
				break
			}
			b.WriteString(r)
			budget -= len(r)
		}
		b.WriteString("\n")
	}
	if len(p.Changes) > 0 {
		b.WriteString("### Details\n\n")
		blocks := detailBlocks(p, o)
		shown := 0
		for _, blk := range blocks {
			if b.Len()+len(blk.text)+reserve > limit {
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
			fmt.Fprintf(&b, "\n_…not shown here, to keep this comment short: %s with %s; every change is in %s._\n\n", count(len(blocks)-shown, "more object"), count(rest, "change"), full)
		}
	}
	b.WriteString(footer)
	out := b.String()
	if len(out) > limit { // cannot happen with the reserves above; a last guard, cut on a line boundary
		cut := strings.LastIndexByte(out[:limit-200], '\n')
		out = out[:cut+1] + "\n_…truncated; every change is in " + full + "._\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// attentionItem is one line of "Look at these first".
type attentionItem struct {
	rank int
	what string // the category, for counting
	icon string
	text string
}

// The categories of attention items, most dangerous first.
var attentionKinds = []struct{ icon, what string }{
	{"➖", "removals"}, {"➖", "deletions"}, {"🔑", "admin grants"}, {"🔓", "loosened push rules"},
	{"👥", "member-group attachments"}, {"🔁", "replacements"}, {"✋", "manual steps"}, {"❔", "entries not in the spec"},
}

// attention lists everything a reviewer must see, most dangerous first.
func attention(p *plan.Plan, o Options) []attentionItem {
	var items []attentionItem
	add := func(rank int, format string, args ...any) {
		k := attentionKinds[rank]
		items = append(items, attentionItem{rank: rank, what: k.what, icon: k.icon, text: "- " + k.icon + " " + fmt.Sprintf(format, args...) + "\n"})
	}
	for _, c := range p.Changes {
		src := ""
		if c.Source != "" {
			src = " — " + o.changeSource(c)
		}
		owner := c.Address.Owner()
		where := code(owner.Name)
		switch {
		case c.Action == plan.Delete && c.Kind == plan.KindMember:
			role := ""
			if b, ok := c.Before.(*plan.MemberValue); ok {
				role = " (" + text(roleText(b)) + ")"
			}
			why := ""
			if len(c.Expired) > 0 {
				why = " — " + text(c.Reason)
			}
			add(0, "**Removes** %s%s from %s%s%s", code(c.Address.Leaf()), role, where, why, src)
		case c.Action == plan.Delete && c.Kind == plan.KindPushRule:
			add(1, "**Deletes** push rule %s on %s — matching files are no longer restricted%s", code(c.Address.Leaf()), where, src)
		case c.Action == plan.Delete && c.Kind == plan.KindGroup:
			add(1, "**Deletes** group %s%s", where, src)
		case c.Action == plan.Delete:
			add(1, "**Deletes** Git authorization %s%s", where, src)
		case demotesAdmin(c):
			add(0, "**Demotes** %s from admin to %s on %s%s", code(c.Address.Leaf()), text(roleText(c.After.(*plan.MemberValue))), where, src)
		case grantsAdmin(c):
			was := "new member"
			if b, ok := c.Before.(*plan.MemberValue); ok {
				was = "was " + roleText(b)
				if b.Via != "" {
					was += " through " + b.Via
				}
			}
			add(2, "**Grants admin** to %s on %s (%s)%s", code(c.Address.Leaf()), where, text(was), src)
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
			add(3, "**Loosens** push rule %s on %s: now also %s%s", code(c.Address.Leaf()), where, strings.Join(more, ", "), src)
		case c.Action == plan.Create && (c.Kind == plan.KindMemberGroup || c.Kind == plan.KindGroupMemberGroup):
			scope := "repository"
			if c.Kind == plan.KindGroupMemberGroup {
				scope = "group"
			}
			add(4, "**Attaches** member group %s to %s %s: its members gain access%s", code(c.Address.Leaf()), scope, where, src)
		case c.Action == plan.Replace:
			add(5, "**Replaces** Git authorization %s (deleted, then created with the password from the environment)%s", where, src)
		case c.Action == plan.Manual:
			detail := describe(c)
			if detail != "" {
				detail = ": " + text(detail)
			}
			add(6, "**Manual step** for %s%s — %s%s", code(c.Address.String()), detail, text(c.Reason), src)
		}
	}
	for _, e := range p.Extras {
		add(7, "**Not in the spec:** %s — %s; %s", code(e.Address.String()), text(e.Detail), text(unlistedHint(p, e)))
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].rank < items[j].rank })
	return items
}

// attentionCounts summarises attention items by category.
func attentionCounts(items []attentionItem) string {
	n := make([]int, len(attentionKinds))
	for _, it := range items {
		n[it.rank]++
	}
	var b strings.Builder
	for i, k := range attentionKinds {
		if n[i] > 0 {
			fmt.Fprintf(&b, "- %s **%d %s**\n", k.icon, n[i], k.what)
		}
	}
	return b.String()
}

// personChange is one thing one person or member group gains or loses on
// one target.
type personChange struct {
	who, what, prep, on string
	groups              bool // on is a group, not a repository
}

// perPerson lists, per user and member group, the access they gain or
// lose; the same change on several repositories is one row that expands to
// the list ("security-bot: gains viewer on 11 repositories").
func perPerson(p *plan.Plan, o Options) []string {
	var pcs []personChange
	for _, c := range p.Changes {
		repo := c.Address.Name
		switch c.Kind {
		case plan.KindMember:
			b, _ := c.Before.(*plan.MemberValue)
			a, _ := c.After.(*plan.MemberValue)
			var what string
			switch {
			case c.Action == plan.Manual:
				continue
			case a == nil:
				what = "loses " + roleText(b)
			case b == nil:
				what = "gains " + string(a.Role)
			case b.Via != "":
				what = fmt.Sprintf("%s through %s → %s (direct)", roleText(b), b.Via, a.Role)
			default:
				what = fmt.Sprintf("%s → %s", roleText(b), a.Role)
			}
			pcs = append(pcs, personChange{code(c.Address.Leaf()), text(what), "on", repo, false})
		case plan.KindMemberGroup, plan.KindGroupMemberGroup:
			if c.Action != plan.Create {
				continue
			}
			pcs = append(pcs, personChange{"member group " + code(c.Address.Leaf()), "is attached (its members gain access)", "to", repo, c.Kind == plan.KindGroupMemberGroup})
		case plan.KindPushRule:
			b, _ := c.Before.(*plan.PushRuleValue)
			a, _ := c.After.(*plan.PushRuleValue)
			if b == nil {
				b = &plan.PushRuleValue{}
			}
			if a == nil {
				a = &plan.PushRuleValue{}
			}
			path := code(c.Address.Leaf())
			for _, u := range added(b.Users, a.Users) {
				pcs = append(pcs, personChange{code(u), "may push " + path, "on", repo, false})
			}
			for _, m := range added(b.MemberGroups, a.MemberGroups) {
				pcs = append(pcs, personChange{"member group " + code(m), "may push " + path, "on", repo, false})
			}
			if c.Action != plan.Delete {
				for _, u := range added(a.Users, b.Users) {
					pcs = append(pcs, personChange{code(u), "may no longer push " + path, "on", repo, false})
				}
				for _, m := range added(a.MemberGroups, b.MemberGroups) {
					pcs = append(pcs, personChange{"member group " + code(m), "may no longer push " + path, "on", repo, false})
				}
			}
		}
	}
	type key struct {
		who, what, prep string
		groups          bool
	}
	var order []key
	targets := map[key][]string{}
	for _, pc := range pcs {
		k := key{pc.who, pc.what, pc.prep, pc.groups}
		if _, ok := targets[k]; !ok {
			order = append(order, k)
		}
		targets[k] = append(targets[k], pc.on)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].who != order[j].who {
			return order[i].who < order[j].who
		}
		return order[i].what < order[j].what
	})
	out := make([]string, 0, len(order))
	for _, k := range order {
		on := targets[k]
		sort.Strings(on)
		var change string
		if len(on) == 1 {
			change = k.what + " " + k.prep + " " + code(on[0])
		} else {
			list := make([]string, len(on))
			for i, t := range on {
				list[i] = code(t)
			}
			noun := "repositories"
			if k.groups {
				noun = "groups"
			}
			change = fmt.Sprintf("<details><summary>%s %s %d %s</summary>%s</details>", k.what, k.prep, len(on), noun, strings.Join(list, "<br>"))
		}
		out = append(out, fmt.Sprintf("| %s | %s |\n", cell(k.who), cell(change)))
	}
	return out
}

type block struct {
	text    string
	changes int
}

// detailBlocks renders one <details> block per repository, group, and one
// for Git authorizations, in plan order.
func detailBlocks(p *plan.Plan, o Options) []block {
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
				change += " — " + text(c.Reason)
			}
			for _, wr := range c.Warnings {
				change += " ⚠️ " + text(wr)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdIcon[c.Action], cell(displayLeaf(c)), cell(change), cell(o.changeSource(c)))
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
	if len(p.Warnings) > 0 {
		b.WriteString("**Warnings**\n\n")
		const maxWarnings = 50
		for i, w := range p.Warnings {
			if i == maxWarnings {
				fmt.Fprintf(&b, "- _…and %d more_\n", len(p.Warnings)-maxWarnings)
				break
			}
			fmt.Fprintf(&b, "- %s\n", text(w))
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

func countChanges(cs []plan.Change) string { return count(len(cs), "change") }

// count renders "1 change", "2 changes", "1 more object", "3 more objects".
func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}
