package sim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDemoFixture loads examples/demo/fixture.yaml and checks the drift it is
// meant to show, and that its ids are the same on every load.
func TestDemoFixture(t *testing.T) {
	load := func() *Fixture {
		fx, err := LoadFixture("../../examples/demo/fixture.yaml")
		if err != nil {
			t.Fatalf("load demo fixture: %v", err)
		}
		return fx
	}
	a, b := load(), load()
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two loads differ (-first +second):\n%s", diff)
	}
	idx := buildIndex(a)
	gw := idx.repoByPath["payments/api/gateway"]
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"project", a.ProjectID, "0b234373cf3f4b04ab2d8a245155e12b"},
		{"repositories", len(a.Repositories), 16},
		{"a repository made in the console", idx.repoByPath["payments/sandbox/shadow-prod"].Members["mallory"], "admin"},
		{"groups", len(a.Groups), 9},
		{"gateway id", gw.ID, int64(2000)},
		{"carol's wrong role", gw.Members["carol"], "developer"},
		{"extra member", gw.Members["mallory"], "developer"},
		{"platform lacks its member group", len(idx.groupByPath["platform"].MemberGroups), 0},
		{"etl lacks data-eng", len(idx.repoByPath["data/pipelines/etl"].MemberGroups), 0},
		{"old-github to delete, bitbucket-ci to replace", len(a.GitAuths) == 2 && a.GitAuths[0].Name == "old-github" && a.GitAuths[1].Name == "bitbucket-ci", true},
		{"a member group attached by hand", gw.MemberGroups, []string{"payments-leads", "sre"}},
		{"a description changed in the console", idx.groupByPath["payments/sandbox"].Description, "Old experiments"},
		{"dave missing on ledger", idx.repoByPath["payments/api/ledger"].Members["dave"], ""},
		{"pinned ids kept", idx.userByName["security-bot"].IAMID, "5c1f0e7a9b2d4c3e8f6a7b1c2d3e4f50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
