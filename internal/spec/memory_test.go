package spec

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/state"
)

// filesBelow reads every file below dir as LoadFiles takes them, named as
// LoadWith's walk names them.
func filesBelow(t *testing.T, dir string) []File {
	t.Helper()
	var out []File
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(name)
		out = append(out, File{Name: filepath.ToSlash(name), Data: data})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLoadFilesAgreesWithLoad: for every example, valid and invalid test
// spec, loading the files from memory gives what loading them from disk
// gives — the desired state (sources, file list and digest included) and
// every diagnostic, word for word.
func TestLoadFilesAgreesWithLoad(t *testing.T) {
	var dirs []string
	for _, glob := range []string{"../../examples/*", "../../testdata/valid/*", "../../testdata/invalid/*"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range m {
			if info, err := os.Stat(d); err == nil && info.IsDir() {
				dirs = append(dirs, d)
			}
		}
	}
	if len(dirs) < 50 {
		t.Fatalf("found %d spec directories; the globs are wrong", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			root := filepath.ToSlash(dir)
			want, wantDiags := Load(dir)
			got, gotDiags := LoadFiles(DefaultOptions(), filesBelow(t, dir), root)
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(state.Pattern{})); diff != "" {
				t.Errorf("desired state (-Load +LoadFiles):\n%s", diff)
			}
			if diff := cmp.Diff(messages(wantDiags), messages(gotDiags)); diff != "" {
				t.Errorf("diagnostics (-Load +LoadFiles):\n%s", diff)
			}
		})
	}
}

func TestLoadFilesPicksWhatTheWalkPicks(t *testing.T) {
	spec := "version: 1\nrepositories:\n  a/b: {}\n"
	files := []File{
		{Name: "top/spec.yml", Data: []byte(spec)},
		{Name: "top/.github/workflows/ci.yaml", Data: []byte("on: push\njobs: {}\n")},
		{Name: "top/README.md", Data: []byte("# not a spec\n")},
		{Name: "top/teams/.hidden.yaml", Data: []byte("not: a spec\n")},
		{Name: "top/teams/platform/infra.YAML", Data: []byte("version: 1\nrepositories:\n  p/i: {}\n")},
		{Name: "top/teams/platform/notes.yaml.bak", Data: []byte("garbage")},
		{Name: "elsewhere/other.yaml", Data: []byte("not: a spec\n")},
		{Name: "one.yaml", Data: []byte("version: 1\nrepositories:\n  o/n: {}\n")},
		{Name: "one.json", Data: []byte("{}")},
		{Name: "docs/readme.md", Data: []byte("# docs\n")},
	}
	for _, tc := range []struct {
		name      string
		roots     []string
		wantFiles []string
		wantDiag  string
	}{
		{"a directory", []string{"top"}, []string{"top/spec.yml", "top/teams/platform/infra.YAML"}, ""},
		{"a file, and the same file again below a directory", []string{"top/spec.yml", "top"}, []string{"top/spec.yml", "top/teams/platform/infra.YAML"}, ""},
		{"a file root", []string{"one.yaml"}, []string{"one.yaml"}, ""},
		{"a file that is not YAML", []string{"one.json"}, nil, "one.json: error: not a YAML file"},
		{"a root that is not there", []string{"missing"}, nil, "missing: error: no such file or directory"},
		{"a root is cleaned", []string{"top/teams/.hidden.yaml/.."}, []string{"top/teams/platform/infra.YAML"}, ""},
		{"a directory without spec files", []string{"docs"}, nil, "docs: error: no spec files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, diags := LoadFiles(DefaultOptions(), files, tc.roots...)
			if tc.wantDiag != "" {
				if d != nil || !strings.Contains(messages(diags), tc.wantDiag) {
					t.Errorf("want an error %q, got %v and\n%s", tc.wantDiag, d != nil, messages(diags))
				}
				return
			}
			if d == nil {
				t.Fatalf("load failed:\n%s", messages(diags))
			}
			if diff := cmp.Diff(tc.wantFiles, d.Files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFilesLimits(t *testing.T) {
	opts := DefaultOptions()
	opts.MaxFileSize = 10
	_, diags := LoadFiles(opts, []File{{Name: "s/a.yaml", Data: []byte("version: 1\nrepositories: {}\n")}}, "s")
	if !strings.Contains(messages(diags), "file is larger than the limit") {
		t.Errorf("diagnostics = %s", messages(diags))
	}
	opts = DefaultOptions()
	opts.MaxFiles = 1
	_, diags = LoadFiles(opts, []File{{Name: "s/a.yaml"}, {Name: "s/b.yaml"}}, "s")
	if !strings.Contains(messages(diags), "more than 1 spec files") {
		t.Errorf("diagnostics = %s", messages(diags))
	}
}

// TestCacheChangesNothing: loads that share a Cache give what loads
// without one give — for every example and test spec, loaded twice, and for
// the realistic example with one file edited between the loads (the spec at
// the base of --changed-since and the spec now) — and the edited load
// parses only the edited file again.
func TestCacheChangesNothing(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/*/*")
	if err != nil {
		t.Fatal(err)
	}
	dirs = append(dirs, "../../examples/realistic", "../../examples/minimal")
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		files := filesBelow(t, dir)
		want, wantDiags := LoadFiles(DefaultOptions(), files, filepath.ToSlash(dir))
		opts := DefaultOptions()
		opts.Cache = NewCache()
		for round := range 2 {
			got, gotDiags := LoadFiles(opts, files, filepath.ToSlash(dir))
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(state.Pattern{})); diff != "" {
				t.Errorf("%s, cached load %d: desired state (-uncached +cached):\n%s", dir, round+1, diff)
			}
			if diff := cmp.Diff(messages(wantDiags), messages(gotDiags)); diff != "" {
				t.Errorf("%s, cached load %d: diagnostics (-uncached +cached):\n%s", dir, round+1, diff)
			}
		}
	}

	files := filesBelow(t, "../../examples/realistic")
	opts := DefaultOptions()
	opts.Cache = NewCache()
	first, diags := LoadFiles(opts, files, "../../examples/realistic")
	if first == nil || len(first.Scopes) == 0 {
		t.Fatalf("realistic does not load, or has no scopes:\n%s", messages(diags))
	}
	parsed := len(opts.Cache.files)
	edited := false
	for i, f := range files {
		if strings.HasSuffix(f.Name, "teams/payments.yaml") {
			files[i].Data = []byte(strings.Replace(string(f.Data), "bob: developer", "bob: viewer", 1))
			edited = string(files[i].Data) != string(f.Data)
		}
	}
	if !edited {
		t.Fatal("teams/payments.yaml no longer grants bob developer: edit something else")
	}
	want, _ := LoadFiles(DefaultOptions(), files, "../../examples/realistic")
	got, _ := LoadFiles(opts, files, "../../examples/realistic")
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(state.Pattern{})); diff != "" {
		t.Errorf("edited: desired state (-uncached +cached):\n%s", diff)
	}
	if n := len(opts.Cache.files); n != parsed+1 {
		t.Errorf("the edited load parsed %d files again, want 1", n-parsed)
	}
	for f, sc := range got.Scopes {
		if sc == first.Scopes[f] {
			t.Errorf("the scope of %s is the first load's: each load must build its own (it sets what the scope's file lists)", f)
		}
	}
}

// TestCacheKeepsEachFileItsOwn: a file with the bytes of one cached under
// another name (a scoped file renamed, or copied, between the base of
// --changed-since and now) is built again: what it defines is written in
// it, and no scope follows the bytes to it.
func TestCacheKeepsEachFileItsOwn(t *testing.T) {
	root := File{Name: "s/reposync.yaml", Data: []byte("version: 1\nscopes:\n  teams/a.yaml: {repositories: [\"payments/**\"], max_role: viewer}\n")}
	team := []byte("version: 1\nrepositories:\n  payments/api:\n    members: {alice: viewer}\n")
	opts := DefaultOptions()
	opts.Cache = NewCache()
	if d, diags := LoadFiles(opts, []File{root, {Name: "s/teams/a.yaml", Data: team}}, "s"); d == nil || d.Scopes["s/teams/a.yaml"] == nil {
		t.Fatalf("the base does not load scoped:\n%s", messages(diags))
	}
	copied := File{Name: "s/teams/b.yaml", Data: team}
	d, diags := LoadFiles(opts, []File{root, {Name: "s/teams/a.yaml", Data: team}, copied}, "s")
	if d != nil || !strings.Contains(messages(diags), "repository `payments/api` is defined twice") {
		t.Errorf("a copy under another name: %s", messages(diags))
	}
	d, diags = LoadFiles(opts, []File{{Name: "s/reposync.yaml", Data: []byte("version: 1\n")}, copied}, "s")
	if d == nil || d.Repositories["payments/api"].Source.File != "s/teams/b.yaml" || len(d.Scopes) != 0 {
		t.Errorf("renamed and unscoped: %v, scopes %v\n%s", d.Repositories, d.Scopes, messages(diags))
	}
}
