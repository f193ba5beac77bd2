package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoad10k loads a spec of 10 000 repositories split over 100 team
// files, each repository with three members and one push rule, plus a
// policy — schema validation, merge and checks included.
func BenchmarkLoad10k(b *testing.B) {
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
			fmt.Fprintf(&sb, "  org/team%03d/repo%05d:\n    members: {u%d: admin, u%d: developer, u%d: viewer}\n    push_rules:\n      /config/*: {users: [u%d], member_groups: [leads]}\n",
				t, t*100+r, r, r+1, r+2, r)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("team%03d.yaml", t)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, diags := Load(dir)
		if d == nil || len(d.Repositories) != 10_000 {
			b.Fatalf("load failed: %v", diags)
		}
	}
}
