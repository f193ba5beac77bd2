package state

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Suggest returns the candidate that s is most likely a typo of, or "" when
// none is close enough: the one "did you mean" of reposync (unknown keys and
// enum values, near misses of pinned names, live names at plan time). A
// candidate equal to s but for case wins ("Members" → "members"); else the
// nearest by edit distance in characters, case ignored, ties to the earlier
// (an insertion, deletion, substitution or swap of two neighbours costs one;
// "repository" and "repositories" are one apart), within one edit, or two
// when s has four characters or more (so "ab" never suggests "xy").
func Suggest(s string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c
		}
	}
	ls := strings.ToLower(s)
	rs := runesOf(ls)
	maxDist := 1
	if len(rs) >= 4 {
		maxDist = 2
	}
	best, bestDist := "", maxDist+1
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(rs, runesOf(lc), bestDist-1)
		if d > 1 && singularOf(ls) == singularOf(lc) {
			d = 1 // "repository" for "repositories"
		}
		if d < bestDist {
			best, bestDist = c, d
			if d <= 1 {
				break // only a case-insensitive match beats one edit, and the earlier candidate wins ties
			}
		}
	}
	return best
}

// Count is the one plural of reposync: "1 repository", "3 repositories",
// "2 policies", "1 Git authorization", "4 keys", "9 days".
func Count(n int, noun string) string {
	switch {
	case n == 1:
	case strings.HasSuffix(noun, "y") && !strings.ContainsAny(noun[max(0, len(noun)-2):len(noun)-1], "aeiou"):
		noun = strings.TrimSuffix(noun, "y") + "ies"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// DidYouMean is Suggest as the end of a message: " — did you mean `x`?",
// or "" when no candidate is close enough.
func DidYouMean(s string, candidates []string) string {
	if c := Suggest(s, candidates); c != "" {
		return fmt.Sprintf(" — did you mean `%s`?", c)
	}
	return ""
}

// editDistance returns the optimal string alignment distance between a and
// b (Levenshtein plus swaps of two adjacent characters), or limit+1 when it
// is larger than limit. Only a band of width 2*limit+1 around the diagonal is
// computed, so comparing long strings with a small limit stays cheap.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	const inf = 1 << 30
	// Three rows of the classic table: prev2 = i-2, prev = i-1, cur = i.
	width := len(b) + 1
	prev2, prev, cur := make([]int, width), make([]int, width), make([]int, width)
	for j := range prev {
		prev[j] = j
		if j > limit {
			prev[j] = inf
		}
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(len(b), i+limit)
		for j := range cur {
			cur[j] = inf
		}
		if i <= limit {
			cur[0] = i
		}
		rowMin := cur[0]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := prev[len(b)]; d <= limit {
		return d
	}
	return limit + 1
}

// runesOf splits s into characters; invalid UTF-8 is compared byte by byte,
// so a one-byte slip in a malformed name still counts as one edit.
func runesOf(s string) []rune {
	if utf8.ValidString(s) {
		return []rune(s)
	}
	out := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = rune(s[i])
	}
	return out
}

// singularOf strips an English plural ending from a lower-case word, so the
// singular and plural forms of a key count as the same word.
func singularOf(s string) string {
	if stem, ok := strings.CutSuffix(s, "ies"); ok {
		return stem + "y"
	}
	return strings.TrimSuffix(s, "s")
}
