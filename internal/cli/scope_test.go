package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/sim"
	"github.com/reposync/reposync/internal/state"
)

// The walk asks at once for the lookups of the lists the specs manage in
// scope: a repository out of scope adds none, a policy (of the head or the
// base) adds its own wherever it reaches.
func TestLookupsAskedAsTheWalkStarts(t *testing.T) {
	members := &state.Desired{Repositories: map[string]*state.Repository{
		"pay/api": {Members: map[string]state.Member{}},
		"ops/cfg": {PushRules: map[string]state.PushRule{}},
	}}
	inScope := &plan.Scope{Repositories: []string{"pay/**"}}
	if err := inScope.Compile(); err != nil {
		t.Fatal(err)
	}
	if got := lookups(inScope, members, nil); got != (remote.RepoRead{Members: true}) {
		t.Errorf("members in scope, push rules out of it: %+v", got)
	}
	base := &state.Desired{Policies: map[string]*state.Policy{"guard": {PushRules: map[string]state.PushRule{}}}}
	if got := lookups(inScope, members, base); got != (remote.RepoRead{Members: true, PushRules: true}) {
		t.Errorf("with the base's push-rule policy: %+v", got)
	}
	if got := lookups(inScope, &state.Desired{}); got != (remote.RepoRead{}) {
		t.Errorf("an empty spec: %+v", got)
	}
}

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
// A --target that matches nothing, live or in the spec, plans nothing; it
// says so rather than look like a project without drift.
func TestTargetThatMatchesNothingWarns(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	for _, tc := range []struct {
		targets []string
		missed  []string
	}{
		{[]string{"paymnts/**"}, []string{"paymnts/**"}},
		{[]string{"payments/**", "payments/api/gatway"}, []string{"payments/api/gatway"}},
		{[]string{"payments/api/gateway"}, nil},
		{[]string{"payments/web"}, nil}, // listed in the spec, not created yet
	} {
		t.Run(strings.Join(tc.targets, ","), func(t *testing.T) {
			args := []string{"plan"}
			for _, tg := range tc.targets {
				args = append(args, "--target", tg)
			}
			code, _, errOut := w.run(append(args, e2eSpec)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			var missed []string
			for _, line := range strings.Split(errOut, "\n") {
				if tg, ok := strings.CutPrefix(line, "warning: --target "); ok {
					missed = append(missed, strings.TrimSuffix(tg, " matches no repository or group, live or in the spec"))
				}
			}
			if strings.Join(missed, " ") != strings.Join(tc.missed, " ") {
				t.Errorf("warned about %q, want %q\n%s", missed, tc.missed, errOut)
			}
		})
	}
}

func TestMembersOnlySpecReadsOnlyMembers(t *testing.T) {
	w := newWorld(t, "aksk", sim.Options{})
	spec := writeSpec(t, "repositories:\n  payments/api/ledger:\n    members: {bob: admin, carol: developer}\npolicies:\n  p:\n    repositories: [\"payments/**\"]\n    members: {erin: viewer}\n")
	if code, _, errOut := w.run("plan", spec); code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	calls := w.sim.Stats().Calls
	for _, op := range []string{"ListProjectProtectedRefsUserGroups",
		"ListGroupUserGroups", "ListGroupAddableUserGroups", "ListAuthorizations"} {
		if calls[op] != 0 {
			t.Errorf("%s called %d times for a members-only spec", op, calls[op])
		}
	}
	// The policy reaches two repositories the spec does not list (gateway
	// and unmanaged): the territory, whose other lists are read to show
	// their grants, and only theirs.
	for _, op := range []string{"ListRepositoryFilePushPermissions", "ListRepositoryUserGroups"} {
		if calls[op] != 2 {
			t.Errorf("%s called %d times, want 2: the unlisted repositories' alone", op, calls[op])
		}
	}
	// Once a plan: the member setting says which members CodeArts syncs.
	if calls["ShowProjectMemberSetting"] != 1 {
		t.Errorf("ShowProjectMemberSetting called %d times, want 1", calls["ShowProjectMemberSetting"])
	}
	if calls["ListMembers"] == 0 {
		t.Error("members were not read")
	}
}

// The guard for reposync's own admin role is active with every kind of
// credentials: AK/SK (the access key's owner), a token (the token's user)
// and an IAM password (the login's user).
func TestOwnAdminGuardForEveryCredentialKind(t *testing.T) {
	fixture := `project_id: 0b234373cf3f4b04ab2d8a245155e12b
iam_project_id: 5109940fad834a4eb3e408182d3b5786
credentials:
  access_key: SIMAK00000000000000000
  secret_key: SIMSKsecret000000000000000000000000000
  token: sim-static-token-e2e
  user: bob
  iam_users: [{domain: acme, name: ci-bot, password: ci-bot-pass-e2e, user: bob}]
users: [{name: alice}, {name: bob}]
groups: [{path: pay}]
repositories: [{path: pay/ledger, members: {alice: admin, bob: admin}}]
behaviour: {member_sync: false}
`
	for _, auth := range []string{"aksk", "token", "password"} {
		t.Run(auth, func(t *testing.T) {
			fx, err := sim.ParseFixture([]byte(fixture), "guard.yaml")
			if err != nil {
				t.Fatal(err)
			}
			w := newWorldFrom(t, &world{t: t, sim: mustSim(t, fx), env: newWorld(t, auth, sim.Options{}).env})
			spec := writeSpec(t, "repositories:\n  pay/ledger:\n    members: {alice: admin, bob: developer}\n")
			code, _, errOut := w.run("apply", "--yes", spec)
			if code != ExitError || !strings.Contains(errOut, "self: the plan removes or demotes the admin role of the identity reposync runs as (bob)") {
				t.Errorf("exit %d\n%s", code, errOut)
			}
			if w.writes() != 0 {
				t.Errorf("%d writes", w.writes())
			}
		})
	}
}

func mustSim(t *testing.T, fx *sim.Fixture) *sim.Server {
	t.Helper()
	s, err := sim.New(fx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
