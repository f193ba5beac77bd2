package spec

import "strings"

// suggest returns the candidate closest to s when it is close enough to be a
// likely typo (edit distance at most 2, and less than half of s), else "".
func suggest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := editDistance(s, c)
		if singularOf(s) == singularOf(c) || strings.EqualFold(s, c) {
			d = 1 // "repository" for "repositories", "Members" for "members"
		}
		if d < bestDist && d*2 < len([]rune(s))+1 {
			best, bestDist = c, d
		}
	}
	return best
}

// singularOf strips an English plural ending, so singular and plural forms
// of a key count as the same word.
func singularOf(s string) string {
	s = strings.ToLower(s)
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "s"):
		return strings.TrimSuffix(s, "s")
	}
	return s
}

// editDistance is the Damerau–Levenshtein distance (with adjacent
// transpositions) between two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 30 // never suggest for long values
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
