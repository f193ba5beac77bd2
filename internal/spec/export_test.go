package spec

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/state"
)

// TestExportNamesTheMembersItLeavesOut: a repository's members that CodeArts
// manages, or whose role the spec cannot name, are left out of the export
// and named, once per file, in a comment over its repositories with where
// (service text kept on one line); inherited members are not.
func TestExportNamesTheMembersItLeavesOut(t *testing.T) {
	live := &state.Live{Project: "p", Repositories: map[string]*state.LiveRepository{
		"a/r": {Path: "a/r", Details: true, Members: map[string]state.LiveMember{
			"ann":       {User: state.LiveUser{Name: "ann"}, Role: state.RoleAdmin},
			"ben":       {User: state.LiveUser{Name: "ben"}, Role: state.RoleAdmin, Managed: "the repository creator"},
			"cat":       {User: state.LiveUser{Name: "cat"}, RoleName: "Guardian", Managed: "synced from the project as Guardian"},
			"dan":       {User: state.LiveUser{Name: "dan"}, Role: state.RoleDeveloper, Inherited: true, Via: "member group ops"},
			"eve\nx: 1": {User: state.LiveUser{Name: "eve\nx: 1"}, RoleName: "Odd\nrole"},
		}},
		"a/s": {Path: "a/s", Details: true, Members: map[string]state.LiveMember{
			"ann": {User: state.LiveUser{Name: "ann"}, Role: state.RoleViewer},
			"ben": {User: state.LiveUser{Name: "ben"}, Role: state.RoleAdmin, Managed: "the repository creator"},
		}},
	}}
	files, err := Export(live, ExportOptions{Origin: "project p", Now: time.Unix(0, 0), ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	text := string(files[0].Data)
	i := strings.Index(text, "# Members left out")
	if i < 0 {
		t.Fatalf("no comment on the members left out:\n%s", text)
	}
	want := `# Members left out below, as CodeArts manages them and reposync never changes them:
#   ben (the repository creator): every repository
#   cat (synced from the project as Guardian): a/r
# Members left out below, as the spec has no name for their role and reposync never changes them:
#   eve x: 1 (role Odd role): a/r
repositories:
  a/r:
    members: {ann: admin}
    member_groups: []
    push_rules: {}
  a/s:
    members: {ann: viewer}
    member_groups: []
    push_rules: {}
`
	if diff := cmp.Diff(want, text[i:]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// conflictsOf is Expand for its diagnostics alone, as check runs it.
func conflictsOf(d *state.Desired, repoPaths []string) Diagnostics {
	_, ds := expand(d, repoPaths, false)
	return ds
}
