package render

import (
	"testing"

	"github.com/reposync/reposync/internal/plan"
)

// A change names its scope: "scoped" when that is the file its source
// names already, else the scope's file.
func TestScopeNote(t *testing.T) {
	id := func(s string) string { return s }
	for _, tc := range []struct {
		source, scope, want string
	}{
		{"teams/pay.yaml:12", "", ""},
		{"teams/pay.yaml:12", "teams/pay.yaml", "scoped"},
		{"teams/pay.yaml.bak:3", "teams/pay.yaml", "scope teams/pay.yaml"},
		{"", "teams/pay.yaml", "scope teams/pay.yaml"},
	} {
		if got := scopeNote(plan.Change{Source: tc.source, Scope: tc.scope}, id); got != tc.want {
			t.Errorf("source %q, scope %q: %q, want %q", tc.source, tc.scope, got, tc.want)
		}
	}
}
