package state

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Pattern is one repository glob of a policy, already checked for syntax.
// Paths are matched segment by segment: `*`, `?` and `[...]` work within one
// segment (path.Match rules), `**` as a whole segment matches any number of
// segments — at the end of a pattern at least one, so `payments/**` selects
// everything under payments/ but not a repository called `payments`. A leading
// `!` makes the pattern exclude what it matches.
type Pattern struct {
	Text   string // as written, including any leading "!"
	Negate bool
	Source Source
	segs   []string
}

// ParsePattern checks the syntax of a repository glob and compiles it.
func ParsePattern(text string) (Pattern, error) {
	body, negate := strings.CutPrefix(text, "!")
	p := Pattern{Text: text, Negate: negate}
	if body == "" {
		return p, errors.New("empty pattern")
	}
	if strings.HasPrefix(body, "/") {
		return p, errors.New("patterns are relative to the project: remove the leading `/`")
	}
	if strings.HasSuffix(body, "/") {
		return p, errors.New("pattern ends with `/`: write `" + strings.TrimSuffix(body, "/") + "/**` for everything under it")
	}
	if strings.HasPrefix(body, "!") {
		return p, errors.New("double negation `!!` is not supported")
	}
	for i, seg := range strings.Split(body, "/") {
		switch {
		case seg == "":
			return p, fmt.Errorf("empty path segment %d (`//`)", i+1)
		case seg == "**":
		case strings.Contains(seg, "**"):
			return p, fmt.Errorf("`**` must be a whole path segment, not part of %q (use `*` within a segment)", seg)
		default:
			if _, err := path.Match(seg, ""); err != nil {
				return p, fmt.Errorf("bad glob segment %q: unclosed `[` or stray `\\`", seg)
			}
		}
		p.segs = append(p.segs, seg)
	}
	return p, nil
}

// Match reports whether the pattern matches repoPath, ignoring its
// negation (see Selects for how a pattern list decides).
func (p Pattern) Match(repoPath string) bool {
	if len(p.segs) == 0 {
		return false
	}
	return matchSegs(p.segs, strings.Split(repoPath, "/"))
}

// matchSegs matches pattern segments against path segments with dynamic
// programming, so patterns with several `**` stay linear-times-quadratic in
// the (short) segment counts instead of exponential.
func matchSegs(pat, name []string) bool {
	// ok[j] reports whether pat[i:] matches name[j:], built from i = len(pat) down.
	ok := make([]bool, len(name)+1)
	ok[len(name)] = true
	for i := len(pat) - 1; i >= 0; i-- {
		next := make([]bool, len(name)+1)
		if pat[i] == "**" {
			// next[j] = pat[i+1:] matches name[k:] for some k >= j; a last
			// "**" (ok is then true only at len(name)) must match at least
			// one segment.
			last, any := i == len(pat)-1, false
			for j := len(name); j >= 0; j-- {
				any = any || ok[j]
				next[j] = any && (!last || j < len(name))
			}
		} else {
			for j := len(name) - 1; j >= 0; j-- {
				if ok[j+1] {
					next[j], _ = path.Match(pat[i], name[j])
				}
			}
		}
		ok = next
	}
	return ok[0]
}

// Reaches reports whether the pattern could match a path below group:
// whether a walk of the tree looking for its matches must list the group.
// Negation is ignored, so it may say yes where every match is excluded (the
// walk lists a little more), never no where a match exists.
func (p Pattern) Reaches(group string) bool {
	if len(p.segs) == 0 {
		return false
	}
	g := strings.Split(group, "/")
	return memoize(func(reach func(i, j int) bool, i, j int) bool {
		switch {
		case j == len(g):
			// The group is consumed; whatever is left of the pattern can
			// match one or more segments more.
			return i < len(p.segs)
		case i == len(p.segs):
			return false
		case p.segs[i] == "**":
			return i == len(p.segs)-1 || reach(i+1, j) || reach(i, j+1)
		}
		m, _ := path.Match(p.segs[i], g[j])
		return m && reach(i+1, j+1)
	})(0, 0)
}

// memoize makes f, which recurses through its first argument over two
// segment indexes, remember what it answered: without it, several `**`
// would make the comparisons below exponential.
func memoize(f func(rec func(i, j int) bool, i, j int) bool) func(i, j int) bool {
	memo := map[[2]int]bool{}
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		key := [2]int{i, j}
		v, ok := memo[key]
		if !ok {
			v = f(rec, i, j)
			memo[key] = v
		}
		return v
	}
	return rec
}

// Selects reports whether a list of patterns selects the repository: it must
// match at least one positive pattern and no negated one.
func Selects(patterns []Pattern, repoPath string) bool {
	hit := false
	for _, p := range patterns {
		if !p.Match(repoPath) {
			continue
		}
		if p.Negate {
			return false
		}
		hit = true
	}
	return hit
}

// Within reports whether q matches every path p can match (negation
// ignored), segment by segment; where it cannot tell it says no, so the
// delegation checked with it is strict, never lax. `payments/api/**` is
// within `payments/**`, `[ab]*` within `*`; `*/api` is not within `payments/*`.
func (p Pattern) Within(q Pattern) bool {
	if len(p.segs) == 0 || len(q.segs) == 0 {
		return false
	}
	// within(i, j): q.segs[i:] contains p.segs[j:].
	return memoize(func(within func(i, j int) bool, i, j int) bool {
		switch {
		case i == len(q.segs):
			return j == len(p.segs)
		case q.segs[i] == "**" && i == len(q.segs)-1:
			// At least one more segment: any non-empty rest of p consumes
			// one (a literal segment, or its own trailing `**`).
			return j < len(p.segs)
		case q.segs[i] == "**":
			return within(i+1, j) || j < len(p.segs) && within(i, j+1)
		case j == len(p.segs) || p.segs[j] == "**":
			return false
		}
		return segWithin(p.segs[j], q.segs[i]) && within(i+1, j+1)
	})(0, 0)
}

// segWithin reports whether every name glob a matches, glob b matches.
func segWithin(a, b string) bool {
	if a == b || b == "*" {
		return true
	}
	if strings.ContainsAny(a, `*?[\`) {
		return false // a glob: only an equal one or `*` surely holds it
	}
	m, _ := path.Match(b, a)
	return m
}

// Overlaps reports whether p and q could both match one path (negation
// ignored). It is conservative the other way: where it cannot tell, it
// says yes.
func (p Pattern) Overlaps(q Pattern) bool {
	if len(p.segs) == 0 || len(q.segs) == 0 {
		return false
	}
	return memoize(func(ov func(i, j int) bool, i, j int) bool {
		switch {
		case i == len(p.segs) && j == len(q.segs):
			return true
		case i < len(p.segs) && p.segs[i] == "**":
			return ov(i+1, j) || j < len(q.segs) && ov(i, j+1)
		case j < len(q.segs) && q.segs[j] == "**":
			return ov(i, j+1) || i < len(p.segs) && ov(i+1, j)
		case i == len(p.segs) || j == len(q.segs):
			return false
		}
		return segOverlaps(p.segs[i], q.segs[j]) && ov(i+1, j+1)
	})(0, 0)
}

// segOverlaps reports whether two name globs could match one name.
func segOverlaps(a, b string) bool {
	aGlob, bGlob := strings.ContainsAny(a, `*?[\`), strings.ContainsAny(b, `*?[\`)
	switch {
	case !aGlob && !bGlob:
		return a == b
	case !aGlob:
		m, _ := path.Match(b, a)
		return m
	case !bGlob:
		m, _ := path.Match(a, b)
		return m
	}
	return true
}

// Covers reports whether the pattern matches every repository that can
// ever live below group: it has the form PREFIX/** with PREFIX matching
// the group's path or a parent's. (Conservative: `a/**/*` covers `a` too,
// but is not recognised.)
func (p Pattern) Covers(group string) bool {
	n := len(p.segs)
	if n == 0 || p.segs[n-1] != "**" {
		return false
	}
	for g := group; g != ""; g = ParentPath(g) {
		if matchSegs(p.segs[:n-1], strings.Split(g, "/")) {
			return true
		}
	}
	return n == 1 // `**` alone
}
