package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Each hostile input must give a clear error quickly: no hang, no crash, no
// huge allocation.
func TestHostileInput(t *testing.T) {
	bomb := `version: 1
a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]
`
	var deepFlow bytes.Buffer
	deepFlow.WriteString("version: 1\nrepositories: ")
	deepFlow.WriteString(strings.Repeat("[", 5000))
	deepFlow.WriteString(strings.Repeat("]", 5000))
	deepFlow.WriteString("\n")
	var deepBlock strings.Builder
	deepBlock.WriteString("version: 1\nrepositories:\n")
	for i := 0; i < 200; i++ {
		deepBlock.WriteString(strings.Repeat(" ", 2*(i+1)) + "k:\n")
	}
	tests := []struct {
		name string
		body string
		want string
	}{
		{"alias bomb", bomb, "aliases expand to too many values"},
		{"deep flow nesting", deepFlow.String(), "deep"},
		{"deep block nesting", deepBlock.String(), "nesting deeper than 64 levels"},
		{"not UTF-8", "version: 1\nproject: \xff\xfe\n", "not valid UTF-8"},
		{"UTF-16", "\xff\xfev\x00e\x00r\x00", "not valid UTF-8"},
		{"NUL byte", "version: 1\x00\n", "NUL byte"},
		{"self-referencing alias", "version: 1\na: &a [*a]\n", ""},
		{"tab indentation", "version: 1\nrepositories:\n\ta/b: {}\n", "invalid YAML"},
		{"unknown alias", "version: 1\nrepositories: *nope\n", "invalid YAML"},
		{"binary tag", "version: !!binary aGVsbG8=\n", "version"},
		{"huge integer", "version: 1\nusers:\n  a: {id: 99999999999999999999999999999}\n", "out of range"},
		{"float id", "version: 1\nusers:\n  a: {id: 1.5}\n", "whole number"},
		{"non-scalar key", "version: 1\n? [a, b]\n: x\n", "mapping keys must be plain strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, diags := loadSources(DefaultOptions(), []source{{name: "x.yaml", rel: "x.yaml", data: []byte(tt.body)}})
			if !diags.HasErrors() {
				t.Fatalf("want an error, got none (desired=%v)", d != nil)
			}
			if got := messages(diags); !strings.Contains(got, tt.want) {
				t.Errorf("diagnostics lack %q:\n%s", tt.want, got)
			}
		})
	}
}

func TestFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("# padding line to make the file large\n"), (5<<20)/38)
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, diags := Load(dir)
	if got := messages(diags); !strings.Contains(got, "larger than the limit of 4.0 MiB") {
		t.Errorf("diagnostics = %s", got)
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "real.yaml"), []byte("version: 1\nrepositories:\n  a/b: {}\n"), 0o644))
	t.Run("file loop", func(t *testing.T) {
		loop := filepath.Join(dir, "loop")
		must(os.MkdirAll(loop, 0o755))
		must(os.Symlink("b.yaml", filepath.Join(loop, "a.yaml")))
		must(os.Symlink("a.yaml", filepath.Join(loop, "b.yaml")))
		_, diags := Load(loop)
		if got := messages(diags); !strings.Contains(got, "symbolic link loop") {
			t.Errorf("diagnostics = %s", got)
		}
	})
	t.Run("directory loop is not followed", func(t *testing.T) {
		sub := filepath.Join(dir, "tree")
		must(os.MkdirAll(sub, 0o755))
		must(os.Symlink("..", filepath.Join(sub, "up.yaml")))
		must(os.Symlink(".", filepath.Join(sub, "self")))
		must(os.WriteFile(filepath.Join(sub, "spec.yaml"), []byte("version: 1\nrepositories:\n  c/d: {}\n"), 0o644))
		d, diags := Load(sub)
		if d == nil {
			t.Fatalf("load failed: %s", messages(diags))
		}
		if got := messages(diags); !strings.Contains(got, "symlinked directory not followed") {
			t.Errorf("diagnostics = %s", got)
		}
	})
	t.Run("symlinked file is read", func(t *testing.T) {
		sub := filepath.Join(dir, "linked")
		must(os.MkdirAll(sub, 0o755))
		must(os.Symlink(filepath.Join(dir, "real.yaml"), filepath.Join(sub, "spec.yaml")))
		d, diags := Load(sub)
		if d == nil || d.Repositories["a/b"] == nil {
			t.Fatalf("symlinked file not loaded: %s", messages(diags))
		}
	})
	t.Run("fifo is refused without blocking", func(t *testing.T) {
		fifo := filepath.Join(dir, "pipe.yaml")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		_, diags := Load(fifo)
		if got := messages(diags); !strings.Contains(got, "not a regular file") {
			t.Errorf("diagnostics = %s", got)
		}
	})
}

// A FIFO, socket or device with a spec file's name inside a spec directory
// is skipped (reading it could block), with a warning naming it; the rest of
// the spec loads.
func TestSpecialFilesInsideDirectory(t *testing.T) {
	dir := writeFiles(t, map[string]string{"spec.yaml": "version: 1\nrepositories:\n  a/b: {}\n"})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink("pipe.yaml", filepath.Join(dir, "link.yml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "notes.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, diags := Load(dir)
	if d == nil || d.Repositories["a/b"] == nil {
		t.Fatalf("spec.yaml did not load:\n%s", messages(diags))
	}
	want := dir + "/link.yml: warning: a named pipe (FIFO), not a regular file; skipped\n" +
		dir + "/pipe.yaml: warning: a named pipe (FIFO), not a regular file; skipped\n" +
		dir + "/spec.yaml: warning: no file sets `project`; plan and apply will need --project or REPOSYNC_PROJECT\n"
	if diff := cmp.Diff(want, messages(diags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
