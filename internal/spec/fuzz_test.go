package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary bytes to the loader as one spec file next to a
// fixed valid one. Whatever the input, the loader must not panic or hang,
// every diagnostic must be located and worded, a load without errors must
// yield a state, and the same input must give the same diagnostics.
//
//	go test ./internal/spec -run '^$' -fuzz FuzzLoad -fuzztime 10m
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"../../examples/*/*.yaml", "../../examples/*/*/*.yaml", "../../testdata/invalid/*/*.yaml", "../../testdata/valid/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("version: 1\na: &a [*a]\n"))
	f.Add([]byte("version: 1\npolicies:\n  p: {repositories: ['**/[a-', '!**'], members: {x: admin}}\n"))
	companion := []byte("version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\nrepositories:\n  payments/api/gateway:\n    members: {alice: admin}\n")
	opts := DefaultOptions()
	opts.MaxFileSize = 64 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		if int64(len(data)) > opts.MaxFileSize {
			return
		}
		timer := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on input %q", data)) })
		defer timer.Stop()
		srcs := []source{{name: "fuzz.yaml", rel: "fuzz.yaml", data: data}, {name: "z.yaml", rel: "z.yaml", data: companion}}
		d, diags := loadSources(opts, srcs)
		for _, dg := range diags {
			if dg.File == "" || dg.Message == "" || (dg.Severity != SeverityError && dg.Severity != SeverityWarning) {
				t.Fatalf("malformed diagnostic: %#v", dg)
			}
		}
		if !diags.HasErrors() && (d == nil || d.Digest == "") {
			t.Fatalf("no errors but no desired state")
		}
		if !diags.HasErrors() {
			// A valid spec must also expand without trouble.
			Expand(d, []string{"payments/api/gateway", "a/b/c"})
		}
		_, again := loadSources(opts, srcs)
		if !reflect.DeepEqual(diags.Sort(), again.Sort()) {
			t.Fatalf("non-deterministic diagnostics:\n%s\nvs\n%s", messages(diags), messages(again))
		}
	})
}
