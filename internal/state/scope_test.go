package state

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustPatterns(t *testing.T, texts ...string) []Pattern {
	t.Helper()
	var out []Pattern
	for _, s := range texts {
		p, err := ParsePattern(s)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", s, err)
		}
		out = append(out, p)
	}
	return out
}

func TestPatternWithin(t *testing.T) {
	for _, tc := range []struct {
		p, q string
		want bool
	}{
		{"payments/api/**", "payments/**", true},
		{"payments/**", "payments/**", true},
		{"payments/api/gateway", "payments/**", true},
		{"payments", "payments/**", false}, // `**` at the end needs a segment
		{"payments/*", "payments/**", true},
		{"payments/**/x", "payments/**", true},
		{"payments/a?i/**", "payments/*/**", true},
		{"payments/api", "payments/a?i", true},
		{"payments/a?i", "payments/api", false},
		{"*/api/**", "payments/**", false},
		{"**", "payments/**", false},
		{"payments/**", "**", true},
		{"a/**/b", "a/**", true},
		{"a/**", "a/**/b", false},
		{"platform/**", "payments/**", false},
	} {
		p, q := mustPatterns(t, tc.p)[0], mustPatterns(t, tc.q)[0]
		if got := p.Within(q); got != tc.want {
			t.Errorf("%q.Within(%q) = %v, want %v", tc.p, tc.q, got, tc.want)
		}
	}
}

func TestPatternOverlaps(t *testing.T) {
	for _, tc := range []struct {
		p, q string
		want bool
	}{
		{"payments/api/**", "payments/sandbox/**", false},
		{"payments/**", "payments/sandbox/**", true},
		{"*/api", "payments/*", true},
		{"payments/a*", "payments/b*", true}, // two globs: cannot tell, so yes
		{"payments/api", "payments/web", false},
	} {
		p, q := mustPatterns(t, tc.p)[0], mustPatterns(t, tc.q)[0]
		if got := p.Overlaps(q); got != tc.want {
			t.Errorf("%q.Overlaps(%q) = %v, want %v", tc.p, tc.q, got, tc.want)
		}
	}
}

func TestFileScopeHolds(t *testing.T) {
	sc := &FileScope{Patterns: mustPatterns(t, "payments/**", "!payments/sandbox/**"), MaxRole: RoleDeveloper}
	groups := map[string]bool{"payments": false, "payments/api": true, "payments/api/v2": true, "payments/sandbox": false, "platform": false}
	got := map[string]bool{}
	for g := range groups {
		got[g] = sc.HoldsGroup(g)
	}
	if d := cmp.Diff(groups, got); d != "" {
		t.Errorf("HoldsGroup (-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		pats []string
		want bool
	}{
		{[]string{"payments/api/**"}, true},
		{[]string{"payments/**"}, false},
		{[]string{"payments/**", "!payments/sandbox/**"}, true},
		{[]string{"payments/**", "!payments/sandbox/x"}, false},
		{[]string{"*/api/**"}, false},
	} {
		own := mustPatterns(t, tc.pats...)
		if got := sc.HoldsPattern(own[0], own); got != tc.want {
			t.Errorf("HoldsPattern(%v) = %v, want %v", tc.pats, got, tc.want)
		}
	}
	for r, want := range map[Role]bool{RoleViewer: true, RoleDeveloper: true, RoleAdmin: false} {
		if got := sc.Allows(r); got != want {
			t.Errorf("Allows(%s) = %v, want %v", r, got, want)
		}
	}
}

func TestProjectRoleRank(t *testing.T) {
	for name, want := range map[string]Role{
		"project-manager": RoleAdmin, "Project manager": RoleAdmin, "developer": RoleDeveloper,
		"viewer": RoleViewer, "release-approvers": RoleAdmin, "guest": RoleViewer,
	} {
		if got := ProjectRoleRank(name); got != want {
			t.Errorf("ProjectRoleRank(%q) = %s, want %s", name, got, want)
		}
	}
}
