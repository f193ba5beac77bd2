package render

import (
	"testing"

	"github.com/reposync/reposync/internal/plan"
)

// A change names its scope and who owns it: "scoped" when that is the
// file its source names already, else the scope's file; its owners when
// the scope names any.
func TestScopeNote(t *testing.T) {
	o := Options{Owners: map[string][]string{"teams/web.yaml": {"@acme/web", "@acme/sec"}}}
	for _, tc := range []struct {
		source, scope, want string
	}{
		{"teams/pay.yaml:12", "", ""},
		{"teams/pay.yaml:12", "teams/pay.yaml", "scoped"},
		{"teams/pay.yaml.bak:3", "teams/pay.yaml", "scope teams/pay.yaml"},
		{"", "teams/pay.yaml", "scope teams/pay.yaml"},
		{"teams/web.yaml:4", "teams/web.yaml", "owned by @acme/web, @acme/sec"},
		{"teams/web.yaml.bak:4", "teams/web.yaml", "scope teams/web.yaml, owned by @acme/web, @acme/sec"},
	} {
		if got := o.scopeNote(plan.Change{Source: tc.source, Scope: tc.scope}, plainQuoting); got != tc.want {
			t.Errorf("source %q, scope %q: %q, want %q", tc.source, tc.scope, got, tc.want)
		}
	}
}
