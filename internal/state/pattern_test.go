package state

import (
	"fmt"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"payments/**", "payments/api/gateway", true},
		{"payments/**", "payments/gateway", true},
		{"payments/**", "payments", false},
		{"payments/**", "paymentsx/api", false},
		{"payments/*", "payments/gateway", true},
		{"payments/*", "payments/api/gateway", false},
		{"**/gateway", "gateway", true},
		{"**/gateway", "a/b/gateway", true},
		{"**/gateway", "a/b/gateway2", false},
		{"payments/**/gateway", "payments/gateway", true},
		{"payments/**/gateway", "payments/a/b/gateway", true},
		{"payments/**/gateway", "payments/a/b/other", false},
		{"**", "anything/at/all", true},
		{"**", "top", true},
		{"*/api/*", "payments/api/ledger", true},
		{"payments/api/gate?ay", "payments/api/gateway", true},
		{"payments/api/[gl]*", "payments/api/ledger", true},
		{"payments/api/[gl]*", "payments/api/fraud", false},
		{"**/**/x", "x", true},
		{"a/**/**", "a/b", true},
		{"a/**/**", "a", false},
		{"!payments/sandbox/**", "payments/sandbox/play", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.path, func(t *testing.T) {
			p, err := ParsePattern(tt.pattern)
			if err != nil {
				t.Fatalf("ParsePattern(%q): %v", tt.pattern, err)
			}
			if got := p.Match(tt.path); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	for _, bad := range []string{"", "!", "/payments/**", "payments/", "a//b", "a**/b", "pay[ments/**", "!!a", "a/b\\"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := ParsePattern(bad); err == nil {
				t.Errorf("ParsePattern(%q) succeeded, want an error", bad)
			}
		})
	}
}

func TestSelects(t *testing.T) {
	pats := []Pattern{MustPattern("payments/**"), MustPattern("!payments/sandbox/**")}
	tests := map[string]bool{
		"payments/api/gateway":        true,
		"payments/sandbox/playground": false,
		"platform/infra/terraform":    false,
	}
	for path, want := range tests {
		if got := Selects(pats, path); got != want {
			t.Errorf("Selects(%q) = %v, want %v", path, got, want)
		}
	}
	if Selects([]Pattern{MustPattern("!a/**")}, "b/c") {
		t.Error("a list of only negations must select nothing")
	}
}

// MustPattern is ParsePattern for patterns known to be valid.
func MustPattern(text string) Pattern {
	p, err := ParsePattern(text)
	if err != nil {
		panic(fmt.Sprintf("MustPattern(%q): %v", text, err))
	}
	return p
}

func TestPatternReaches(t *testing.T) {
	tests := []struct {
		pattern, group string
		want           bool
	}{
		{"payments/api/gateway", "payments", true},
		{"payments/api/gateway", "payments/api", true},
		{"payments/api/gateway", "payments/api/gateway", false},
		{"payments/api/gateway", "platform", false},
		{"payments/api/gateway", "payments/web", false},
		{"payments/**", "payments", true},
		{"payments/**", "payments/api/deep", true},
		{"payments/**", "platform", false},
		{"**", "anything/at/all", true},
		{"*/api/*", "payments", true},
		{"*/api/*", "payments/api", true},
		{"*/api/*", "payments/web", false},
		{"*/api/*", "payments/api/gw", false},
		{"**/gateway", "a/b/c", true},
		{"pay*/**", "payments", true},
		{"pay*/**", "data", false},
		{"!payments/**", "payments", true}, // negation is ignored: a superset is safe
		{"top", "top", false},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Reaches(tt.group); got != tt.want {
			t.Errorf("%q reaches below %q = %v, want %v", tt.pattern, tt.group, got, tt.want)
		}
	}
}

// Reaches never says no where a match exists: for every path a pattern
// matches, every group on its way is reached.
func TestPatternReachesIsASuperset(t *testing.T) {
	paths := []string{"a/b/c", "a/b", "a/x/c", "b/b/c", "a/b/c/d", "x", "a/bc/c"}
	for _, text := range []string{"a/**", "*/b/*", "**/c", "a/b/c", "a/*/c", "**", "a/**/c", "*/*"} {
		p, _ := ParsePattern(text)
		for _, full := range paths {
			if !p.Match(full) {
				continue
			}
			segs := strings.Split(full, "/")
			for i := 1; i < len(segs); i++ {
				if g := strings.Join(segs[:i], "/"); !p.Reaches(g) {
					t.Errorf("%q matches %q but does not reach %q", text, full, g)
				}
			}
		}
	}
}
