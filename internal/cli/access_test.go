package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/golden"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

const (
	accessFixture = "testdata/access/fixture.yaml"
	accessSpec    = "testdata/access/spec"
)

// accessWorld is the access fixture served by a simulator.
func accessWorld(t *testing.T) (*sim.Server, map[string]string) {
	t.Helper()
	fx, err := sim.LoadFixture(accessFixture)
	if err != nil {
		t.Fatal(err)
	}
	s, url := serveSim(t, fx, sim.Options{})
	return s, map[string]string{
		"REPOSYNC_ENDPOINT": url, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786", "REPOSYNC_PROJECT": "0b234373cf3f4b04ab2d8a245155e12b",
		"HW_ACCESS_KEY": "SIMAK00000000000000000", "HW_SECRET_KEY": "SIMSKsecret000000000000000000000000000",
	}
}

func runAccessCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mainAt(context.Background(), testNow, append([]string{"access", "--rate-limit", "600000"}, args...), ios, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// TestAccessGolden: `access --user` and `--repo` against the simulator, in
// every format, matched with the spec; and offline from the spec alone.
func TestAccessGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"user-alice", []string{"--user", "alice", accessSpec}},
		{"repo-gateway", []string{"--repo", "payments/api/gateway", accessSpec}},
		{"project", []string{accessSpec}},
		{"offline-user-alice", []string{"--offline", "--user", "alice", accessSpec}},
		{"offline-repo-gateway", []string{"--offline", "--repo", "payments/api/gateway", accessSpec}},
	}
	for _, tc := range cases {
		for _, format := range []string{"text", "markdown", "json", "csv"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				s, env := accessWorld(t)
				if strings.HasPrefix(tc.name, "offline") {
					env = nil // no endpoint, no credentials
				}
				code, out, errOut := runAccessCmd(t, env, append([]string{"--format", format}, tc.args...)...)
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, errOut)
				}
				if s.Stats().Writes != 0 {
					t.Errorf("access wrote %d times", s.Stats().Writes)
				}
				ext := map[string]string{"text": "txt", "markdown": "md", "json": "json", "csv": "csv"}[format]
				golden.Check(t, filepath.Join("testdata", "access", tc.name, "out."+ext), []byte(out))
			})
		}
	}
}

// accessRows is the JSON answer as "repository who access via".
func accessRows(t *testing.T, out string) []string {
	t.Helper()
	var res struct {
		Entries []struct {
			Repository, User, Role, Access, Path string
			MemberGroup                          string `json:"member_group"`
			Via                                  struct {
				Kind, Group string
				MemberGroup string `json:"member_group"`
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var rows []string
	for _, e := range res.Entries {
		who := e.User
		if who == "" {
			who = "mg:" + e.MemberGroup + e.Role
		}
		access := e.Access
		if e.Path != "" {
			access += " " + e.Path
		}
		via := e.Via.Kind
		if e.Via.MemberGroup != "" {
			via += " " + e.Via.MemberGroup
		}
		if e.Via.Group != "" {
			via += " of " + e.Via.Group
		}
		rows = append(rows, fmt.Sprintf("%s %s %s (%s)", e.Repository, who, access, via))
	}
	return rows
}

// TestAccessMatchesSimulator checks the answers against the simulator's
// state entry by entry: inherited and member-group access included.
func TestAccessMatchesSimulator(t *testing.T) {
	_, env := accessWorld(t)
	code, out, errOut := runAccessCmd(t, env, "--format", "json", "--user", "alice")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want := []string{
		"payments/api/gateway alice admin (direct)",
		// The rule grants two member groups; whether alice, a direct
		// member, is in them cannot be known, and is said so.
		"payments/api/gateway alice push /config/* (push_rule payments-leads)",
		"payments/api/gateway alice push /config/* (push_rule release-team)",
		"payments/api/gateway alice push /config/* (push_rule)",
		"payments/api/ledger alice viewer (direct)",
	}
	if diff := cmp.Diff(want, accessRows(t, out)); diff != "" {
		t.Errorf("--user alice (-want +got):\n%s", diff)
	}
	code, out, errOut = runAccessCmd(t, env, "--format", "json", "--repo", "payments/api/gateway")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want = []string{
		"payments/api/gateway alice admin (direct)",
		"payments/api/gateway alice push /config/* (push_rule)",
		"payments/api/gateway bob developer (direct)",
		"payments/api/gateway carol developer (group payments-leads of payments)",
		"payments/api/gateway carol push /config/* (push_rule payments-leads)",
		"payments/api/gateway ci-bot admin (managed)",
		"payments/api/gateway dave developer (member_group auditors)",
		"payments/api/gateway frank admin (managed)",
		"payments/api/gateway frank push /config/* (push_rule)",
		// No API lists who is in a member group: alice is in auditors
		// too, but her row says direct. Every attachment and every push
		// rule's member group is an entry of its own, marked unknowable.
		"payments/api/gateway mg:auditors attached (member_group auditors)",
		"payments/api/gateway mg:payments-leads attached (group payments-leads of payments)",
		"payments/api/gateway mg:payments-leads push /config/* (push_rule payments-leads)",
		"payments/api/gateway mg:release-team push /config/* (push_rule release-team)",
		"payments/api/gateway mg: push /deploy/** (push_rule)",
	}
	if diff := cmp.Diff(want, accessRows(t, out)); diff != "" {
		t.Errorf("--repo (-want +got):\n%s", diff)
	}
}

// TestAccessReadsOnlyWhatItNeeds measures the API calls of each kind of
// question with the simulator's counters: one call a list, since every list
// here is shorter than the smallest page cap the client allows for
// (internal/api/pagination.go minPageCap).
func TestAccessReadsOnlyWhatItNeeds(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want map[string]int
	}{
		// The top level and the two groups on the path (not tools), their
		// member groups, then the repository's four lists; no lookups of
		// users, member groups or roles, only the member setting (which
		// roles CodeArts syncs).
		{"repo", []string{"--repo", "payments/api/gateway"}, map[string]int{
			"ListProjectSubgroupsAndRepositories": 1, "ListGroupSubgroupsAndRepositories": 2, "ListGroupUserGroups": 2,
			"ListMembers": 1, "ListRepoMembers": 1, "ListRepositoryUserGroups": 1, "ListRepositoryFilePushPermissions": 1,
			"ShowProjectMemberSetting": 1,
		}},
		// The tree (top; payments, payments/api, tools), every repository's
		// members, and the push rules of the two alice is a member of.
		{"user", []string{"--user", "alice"}, map[string]int{
			"ListProjectSubgroupsAndRepositories": 1, "ListGroupSubgroupsAndRepositories": 3,
			"ListMembers": 3, "ListRepositoryFilePushPermissions": 2, "ShowProjectMemberSetting": 1,
		}},
		// The tree, every group's member groups and every repository's four
		// lists.
		{"project", nil, map[string]int{
			"ListProjectSubgroupsAndRepositories": 1, "ListGroupSubgroupsAndRepositories": 3, "ListGroupUserGroups": 3,
			"ListMembers": 3, "ListRepoMembers": 3, "ListRepositoryUserGroups": 3, "ListRepositoryFilePushPermissions": 3,
			"ShowProjectMemberSetting": 1,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, env := accessWorld(t)
			if code, _, errOut := runAccessCmd(t, env, tc.args...); code != 0 {
				t.Fatalf("exit %d\n%s", code, errOut)
			}
			got := s.Stats().Calls
			delete(got, "KeystoneListProjects") // AK/SK without HW_PROJECT_ID only
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessErrors(t *testing.T) {
	_, env := accessWorld(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--repo", "payments/api/nope"}, "repository payments/api/nope is not in project 0b234373cf3f4b04ab2d8a245155e12b (archived repositories are not listed)\n"},
		{[]string{"--repo", "billing/x"}, "repository billing/x is not in project 0b234373cf3f4b04ab2d8a245155e12b: it has no group billing\n"},
		{[]string{"--format", "yaml"}, `unknown --format "yaml": choose text, markdown, json, csv`},
		{[]string{"--offline", "../../testdata/invalid/bad-role"}, "invalid: 1 error"},
		// A typo is an error with the near miss, never a clean answer.
		{[]string{"--repo", "payments/api/gatway"}, "(archived repositories are not listed) — did you mean `payments/api/gateway`?"},
		{[]string{"--repo", "paymnts/api/gateway"}, "it has no group paymnts — did you mean `payments`?"},
		{[]string{"--user", "alcie"}, "project 0b234373cf3f4b04ab2d8a245155e12b has no user alcie — did you mean `alice`?"},
		{[]string{"--user", "nobody-here", "--repo", "payments/api/ledger"}, "project 0b234373cf3f4b04ab2d8a245155e12b has no user nobody-here\n"},
		{[]string{"--offline", "--user", "alcie", accessSpec}, "the spec names no user alcie — did you mean `alice`?"},
		{[]string{"--offline", "--repo", "payments/api/gatway", accessSpec}, "the spec neither lists repository payments/api/gatway nor selects it with a policy — did you mean `payments/api/gateway`?"},
	} {
		code, _, errOut := runAccessCmd(t, env, tc.args...)
		if code != ExitError || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
	// A user without access is an answer: exit 0, an empty list. erin is a
	// user of the project, in release-team, which a push rule names, but a
	// member of no repository; offline, the spec grants bob nothing on
	// ledger.
	for _, args := range [][]string{{"--user", "erin"}, {"--offline", "--user", "bob", "--repo", "payments/api/ledger", accessSpec}} {
		code, out, errOut := runAccessCmd(t, env, append([]string{"--format", "json"}, args...)...)
		if code != 0 || !strings.Contains(out, `"entries": []`) {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

// TestAccessOutputsAreInert: names and reasons with Markdown, HTML, CSV
// and terminal control syntax come out inert in every format.
func TestAccessOutputsAreInert(t *testing.T) {
	_, env := accessWorld(t)
	_, md, _ := runAccessCmd(t, env, "--format", "markdown", "--repo", "payments/api/gateway", accessSpec)
	if strings.Contains(md, "<b>") || !strings.Contains(md, "&lt;b&gt;release&lt;/b&gt; \\| help") {
		t.Errorf("the reason is not inert in Markdown:\n%s", md)
	}
	_, c, _ := runAccessCmd(t, env, "--format", "csv", "--repo", "payments/api/gateway", accessSpec)
	rows, err := csv.NewReader(strings.NewReader(c)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, c)
	}
	for _, r := range rows {
		if len(r) != len(rows[0]) {
			t.Errorf("row of %d cells, header %d: %q", len(r), len(rows[0]), r)
		}
	}
}
