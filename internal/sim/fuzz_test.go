package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParseFixture feeds arbitrary bytes to the fixture loader: it returns a
// fixture or an error, never panics, and a fixture it accepts builds a
// simulator whose state snapshot is accepted again.
//
//	go test ./internal/sim -run '^$' -fuzz FuzzParseFixture -fuzztime 10m
func FuzzParseFixture(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "../../examples/demo/fixture.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("project_id: x\n"))
	f.Add([]byte("users: [{name: a}, {name: a}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		timer := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("hang on %q", data)) })
		defer timer.Stop()
		fx, err := ParseFixture(data, "fuzz.yaml")
		if err != nil {
			return
		}
		s, err := New(fx, Options{})
		if err != nil {
			t.Fatalf("a parsed fixture must build a simulator: %v", err)
		}
		_ = s.Snapshot()
	})
}
