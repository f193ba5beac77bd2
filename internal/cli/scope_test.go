package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/sim"
)

// --target plans only matching repositories and groups, reads only what
// they need, and records the scope in the saved plan.
func TestTargetRestrictsThePlanAndItsReads(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	code, out, errOut := w.run("plan", "--format", "json", "--target", "payments/api/ledger", e2eSpec)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var p struct {
		Context struct {
			Scope *struct{ Repositories, Groups []string }
		}
		Changes []struct{ Address string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if !strings.HasPrefix(c.Address, "repository[payments/api/ledger]") {
			t.Errorf("out of scope: %s", c.Address)
		}
	}
	if len(p.Changes) == 0 || p.Context.Scope == nil || p.Context.Scope.Repositories[0] != "payments/api/ledger" {
		t.Errorf("changes %v, scope %+v", p.Changes, p.Context.Scope)
	}
	calls := w.sim.Stats().Calls
	if calls["ListMembers"] != 1 || calls["ListRepositoryFilePushPermissions"] != 0 || calls["ListAuthorizations"] != 0 {
		t.Errorf("reads beyond the target: %v", calls)
	}
	for _, bad := range []string{"!payments/**", "/payments", "payments/**/"} {
		if code, _, errOut := w.run("plan", "--target", bad, e2eSpec); code != ExitError || !strings.Contains(errOut, "--target `"+bad+"`") {
			t.Errorf("--target %s: exit %d\n%s", bad, code, errOut)
		}
	}
}

// A spec that manages only members never asks for push rules or member
// groups, in a full plan too.
func TestMembersOnlySpecReadsOnlyMembers(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	spec := writeSpec(t, "repositories:\n  payments/api/ledger:\n    members: {bob: admin, carol: developer}\npolicies:\n  p:\n    repositories: [\"payments/**\"]\n    members: {erin: viewer}\n")
	if code, _, errOut := w.run("plan", spec); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	calls := w.sim.Stats().Calls
	for _, op := range []string{"ListRepositoryFilePushPermissions", "ListRepositoryUserGroups", "ListProjectProtectedRefsUserGroups",
		"ShowProjectMemberSetting", "ListGroupUserGroups", "ListGroupAddableUserGroups", "ListAuthorizations"} {
		if calls[op] != 0 {
			t.Errorf("%s called %d times for a members-only spec", op, calls[op])
		}
	}
	if calls["ListMembers"] == 0 {
		t.Error("members were not read")
	}
}
