package state

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	keys := []string{"version", "project", "settings", "users", "member_groups", "roles", "groups", "repositories", "policies", "git_auths"}
	tests := []struct {
		name       string
		s          string
		candidates []string
		want       string
	}{
		{"plural for singular", "repository", keys, "repositories"},
		{"singular for plural", "member", []string{"members", "member_groups", "push_rules"}, "members"},
		{"case only", "Members", []string{"member_groups", "members"}, "members"},
		{"case only beats an earlier one-edit candidate", "ADMIN", []string{"admins", "admin"}, "admin"},
		{"one deletion", "admn", []string{"viewer", "developer", "admin"}, "admin"},
		{"one insertion", "privatee", []string{"private", "public"}, "private"},
		{"adjacent swap", "pirvate", []string{"private", "public"}, "private"},
		{"two edits in a long word", "gitlab", []string{"bitbucket", "github", "devcloud"}, "github"},
		{"closest wins over earlier", "alicee", []string{"alic", "alice"}, "alice"},
		{"earlier wins a tie", "bob", []string{"bab", "bub"}, "bab"},
		{"two edits in a short word are too many", "abc", []string{"xyc"}, ""},
		{"one edit in a one-letter word", "a", []string{"b"}, "b"},
		{"nothing close", "frobnicate", keys, ""},
		{"no candidates", "x", nil, ""},
		{"empty string", "", []string{"a"}, "a"},
		{"non-ASCII", "zoë", []string{"zoe"}, "zoe"},
		{"long names stay cheap and exact", strings.Repeat("a", 200) + "x", []string{strings.Repeat("a", 200) + "y"}, strings.Repeat("a", 200) + "y"},
		{"long names two edits apart", strings.Repeat("a", 200) + "xx", []string{strings.Repeat("a", 200) + "yy"}, strings.Repeat("a", 200) + "yy"},
		{"long names three edits apart", strings.Repeat("a", 200) + "xxx", []string{strings.Repeat("a", 200) + "yyy"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Suggest(tt.s, tt.candidates); got != tt.want {
				t.Errorf("Suggest(%q, %q) = %q, want %q", tt.s, tt.candidates, got, tt.want)
			}
		})
	}
}

// planDidYouMean is internal/plan's didYouMean (resolve.go) as it was when
// state.Suggest was written, reduced to the name it suggests. Suggest must
// suggest something whenever it does, so plan can switch over without
// losing a hint.
func planDidYouMean(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	for _, c := range candidates {
		if planOneEdit(strings.ToLower(name), strings.ToLower(c)) {
			return c
		}
	}
	return ""
}

func planOneEdit(a, b string) bool {
	if a == b || len(a)-len(b) > 1 || len(b)-len(a) > 1 {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if len(a) == len(b) {
		return a[i+1:] == b[i+1:] || (i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:])
	}
	return a[i:] == b[i+1:]
}

// TestSuggestCoversPlan checks Suggest against plan's cases (its golden
// "alcie" → "alice" and the cases its rules name) and against random near
// misses: wherever plan suggests a name, Suggest suggests one at least as
// close.
func TestSuggestCoversPlan(t *testing.T) {
	users := []string{"alice", "bob", "carol", "security-bot", "release-bot", "Dave", "zoë", "a"}
	cases := []string{"alcie", "Alice", "ALICE", "bob2", "bo", "crol", "security_bot", "releasebot", "dave", "DAV", "zoe", "b", "A", "x", "alice smith", "", "zoëë"}
	check := func(t *testing.T, name string, candidates []string) {
		t.Helper()
		want := planDidYouMean(name, candidates)
		got := Suggest(name, candidates)
		if want != "" && got == "" {
			t.Errorf("Suggest(%q) = \"\", but plan suggests %q", name, want)
		}
		if want != "" && got != "" && !strings.EqualFold(got, want) && strings.EqualFold(want, name) {
			t.Errorf("Suggest(%q) = %q, but %q matches ignoring case", name, got, want)
		}
	}
	for _, name := range cases {
		t.Run(name, func(t *testing.T) { check(t, name, users) })
	}
	if got := Suggest("alcie", users); got != "alice" {
		t.Errorf("Suggest(alcie) = %q, want alice (plan's golden case)", got)
	}

	// Random one-edit mutations (insert, delete, substitute, swap, change
	// case) of random names over a small alphabet, so collisions happen.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abAB-é")
	randName := func() string {
		n := 1 + rng.IntN(6)
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	for i := 0; i < 20000; i++ {
		cands := make([]string, 1+rng.IntN(4))
		for j := range cands {
			cands[j] = randName()
		}
		r := []rune(cands[rng.IntN(len(cands))])
		p := rng.IntN(len(r) + 1)
		switch rng.IntN(5) {
		case 0:
			r = append(r[:p], append([]rune{alphabet[rng.IntN(len(alphabet))]}, r[p:]...)...)
		case 1:
			if p < len(r) {
				r = append(r[:p], r[p+1:]...)
			}
		case 2:
			if p < len(r) {
				r[p] = alphabet[rng.IntN(len(alphabet))]
			}
		case 3:
			if p+1 < len(r) {
				r[p], r[p+1] = r[p+1], r[p]
			}
		case 4:
			r = []rune(strings.ToUpper(string(r)))
		}
		name := string(r)
		want, got := planDidYouMean(name, cands), Suggest(name, cands)
		if want != "" && got == "" {
			t.Fatalf("Suggest(%q, %q) = \"\", but plan suggests %q", name, cands, want)
		}
	}
}

// TestEditDistance compares the banded distance with the full table.
func TestEditDistance(t *testing.T) {
	full := func(a, b []rune) int {
		d := make([][]int, len(a)+1)
		for i := range d {
			d[i] = make([]int, len(b)+1)
			d[i][0] = i
		}
		for j := range d[0] {
			d[0][j] = j
		}
		for i := 1; i <= len(a); i++ {
			for j := 1; j <= len(b); j++ {
				cost := 1
				if a[i-1] == b[j-1] {
					cost = 0
				}
				d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
				if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
					d[i][j] = min(d[i][j], d[i-2][j-2]+1)
				}
			}
		}
		return d[len(a)][len(b)]
	}
	rng := rand.New(rand.NewPCG(3, 4))
	word := func() []rune {
		r := make([]rune, rng.IntN(8))
		for i := range r {
			r[i] = rune('a' + rng.IntN(3))
		}
		return r
	}
	for i := 0; i < 20000; i++ {
		a, b, limit := word(), word(), rng.IntN(5)
		want := min(full(a, b), limit+1)
		if got := editDistance(a, b, limit); got != want {
			t.Fatalf("editDistance(%q, %q, %d) = %d, want %d", string(a), string(b), limit, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 Git authorizations", 1: "1 Git authorization", 2: "2 Git authorizations"} {
		if got := Count(n, "Git authorization"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	for noun, want := range map[string]string{"repository": "3 repositories", "policy": "3 policies", "day": "3 days", "key": "3 keys", "entry": "3 entries"} {
		if got := Count(3, noun); got != want {
			t.Errorf("Count(3, %q) = %q, want %q", noun, got, want)
		}
	}
}
