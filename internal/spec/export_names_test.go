package spec

import "testing"

func TestGroupFileNames(t *testing.T) {
	taken := map[string]bool{}
	var got []string
	for _, g := range []string{"Ops", "ops", "OPS", "reposync", "x"} {
		got = append(got, groupFileName(g, taken))
	}
	want := []string{"groups/Ops.yaml", "groups/ops-2.yaml", "groups/OPS-3.yaml", "groups/reposync.yaml", "groups/x.yaml"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("file %d = %q, want %q", i, got[i], want[i])
		}
	}
}
