package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeBenchSpec writes a spec of 10 000 repositories split over 100 team
// files, each repository with three members and one push rule, plus a
// policy. With badRole, one repository in one file has a role that does not
// exist, so that file takes the schema library's path for its messages.
func writeBenchSpec(b *testing.B, badRole bool) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "reposync.yaml"), []byte(`version: 1
project: 0b234373cf3f4b04ab2d8a245155e12b
policies:
  audit:
    repositories: ["org/**", "!org/team000/**"]
    members: {security-bot: viewer}
`), 0o644); err != nil {
		b.Fatal(err)
	}
	for t := 0; t < 100; t++ {
		var sb strings.Builder
		sb.WriteString("version: 1\nrepositories:\n")
		for r := 0; r < 100; r++ {
			role := "admin"
			if badRole && t == 42 && r == 42 {
				role = "owner"
			}
			fmt.Fprintf(&sb, "  org/team%03d/repo%05d:\n    members: {u%d: %s, u%d: developer, u%d: viewer}\n    push_rules:\n      /config/*: {users: [u%d], member_groups: [leads]}\n",
				t, t*100+r, r, role, r+1, r+2, r)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("team%03d.yaml", t)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

// BenchmarkLoad10k loads the 10 000-repository spec: reading, parsing,
// schema validation, merge and checks.
func BenchmarkLoad10k(b *testing.B) {
	dir := writeBenchSpec(b, false)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, diags := Load(dir)
		if d == nil || len(d.Repositories) != 10_000 {
			b.Fatalf("load failed: %v", diags)
		}
	}
}

// BenchmarkLoad10kInvalid is the same spec with one bad role: the cost of
// producing a diagnostic stays local to the file that has it.
func BenchmarkLoad10kInvalid(b *testing.B) {
	dir := writeBenchSpec(b, true)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, diags := Load(dir)
		if d != nil || len(diags) != 1 || !strings.Contains(diags[0].Message, "`owner` is not one of") {
			b.Fatalf("want one diagnostic about `owner`, got: %v", diags)
		}
	}
}
