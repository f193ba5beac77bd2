package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/golden"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/schema"
)

// run executes reposync with args against in-memory streams.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code = mainAt(context.Background(), testNow, args, ios, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

func caseDirs(t *testing.T, pattern string) []string {
	t.Helper()
	dirs, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

// TestValidateInvalidCorpus runs validate on every case under
// testdata/invalid: each must exit 1 and print exactly its golden
// diagnostics (want.txt, paths relative to the case directory).
func TestValidateInvalidCorpus(t *testing.T) {
	dirs := caseDirs(t, "../../testdata/invalid/*")
	if len(dirs) < 30 {
		t.Fatalf("invalid corpus has %d cases, want at least 30", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			code, stdout, stderr := run(t, "validate", dir)
			if code != ExitError {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, ExitError, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing for an invalid spec", stdout)
			}
			if !strings.Contains(stderr, ": error: ") {
				t.Errorf("stderr has no error diagnostic:\n%s", stderr)
			}
			got := strings.ReplaceAll(stderr, filepath.ToSlash(dir)+"/", "")
			got = strings.ReplaceAll(got, filepath.ToSlash(dir)+":", ".:")
			golden.Check(t, filepath.Join(dir, "want.txt"), []byte(got))
		})
	}
}

// TestValidateValidCases checks specs that are valid but draw warnings.
func TestValidateValidCases(t *testing.T) {
	for _, dir := range caseDirs(t, "../../testdata/valid/*") {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			code, stdout, stderr := run(t, "validate", dir)
			if code != ExitOK {
				t.Fatalf("exit code = %d, want 0; stderr:\n%s", code, stderr)
			}
			got := strings.ReplaceAll(stdout+stderr, filepath.ToSlash(dir)+"/", "")
			got = strings.ReplaceAll(got, filepath.ToSlash(dir)+":", ".:")
			golden.Check(t, filepath.Join(dir, "want.txt"), []byte(got))
		})
	}
}

// TestValidateExamples validates every bundled example: they are what users
// copy, so they must stay valid and free of warnings.
func TestValidateExamples(t *testing.T) {
	dirs := caseDirs(t, "../../examples/*")
	var specs []string
	for _, d := range dirs {
		if ys, _ := filepath.Glob(filepath.Join(d, "*.yaml")); len(ys) > 0 && filepath.Base(d) != "demo" && filepath.Base(d) != "ci" {
			specs = append(specs, d)
		}
	}
	if len(specs) < 2 {
		t.Fatalf("found %d example specs, want at least minimal and realistic", len(specs))
	}
	for _, dir := range specs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			code, stdout, stderr := run(t, "validate", dir)
			if code != ExitOK {
				t.Fatalf("exit code = %d, want 0; stderr:\n%s", code, stderr)
			}
			if stderr != "" {
				t.Errorf("example has diagnostics:\n%s", stderr)
			}
			if !strings.Contains(stdout, ": valid: ") {
				t.Errorf("stdout = %q, want a valid summary", stdout)
			}
		})
	}
}

func TestValidateRealisticCounts(t *testing.T) {
	code, stdout, stderr := run(t, "validate", "../../examples/realistic")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "../../examples/realistic: valid: 5 files, 10 groups, 14 repositories, 4 policies, 1 Git authorization\n"
	if stdout != want {
		t.Errorf("stdout = %q, want %q", stdout, want)
	}
}

func TestValidateFormats(t *testing.T) {
	dir := "../../testdata/invalid/duplicate-repository-across-files"
	t.Run("json", func(t *testing.T) {
		code, stdout, stderr := run(t, "validate", "--format", "json", dir)
		if code != ExitError {
			t.Fatalf("exit %d, want 1", code)
		}
		if stderr != "" {
			t.Errorf("stderr = %q, want nothing: JSON output goes to stdout alone", stderr)
		}
		var doc struct {
			Valid       bool
			Errors      int
			Diagnostics []map[string]any
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
		}
		if doc.Valid || doc.Errors != 1 || len(doc.Diagnostics) != 1 {
			t.Fatalf("got %+v", doc)
		}
		d := doc.Diagnostics[0]
		if d["file"] != dir+"/b.yaml" || d["line"] != float64(4) || d["column"] != float64(3) {
			t.Errorf("diagnostic location = %v:%v:%v", d["file"], d["line"], d["column"])
		}
		if msg, _ := d["message"].(string); !strings.Contains(msg, dir+"/a.yaml:4:3") {
			t.Errorf("message %q does not name the first definition", msg)
		}
	})
	t.Run("github", func(t *testing.T) {
		code, stdout, _ := run(t, "validate", "--format", "github", dir)
		if code != ExitError {
			t.Fatalf("exit %d, want 1", code)
		}
		// The file from the repository's root, not from this directory.
		want := "::error file=" + strings.TrimPrefix(dir, "../../") + "/b.yaml,line=4,col=3,title=reposync validate::"
		if !strings.HasPrefix(stdout, want) {
			t.Errorf("stdout = %q, want prefix %q", stdout, want)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		code, _, stderr := run(t, "validate", "--format", "yaml", dir)
		if code != ExitError || !strings.Contains(stderr, `unknown --format "yaml"`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestValidateMissingPath(t *testing.T) {
	code, _, stderr := run(t, "validate", "does/not/exist")
	if code != ExitError {
		t.Fatalf("exit %d, want 1", code)
	}
	if want := "does/not/exist: error: no such file or directory"; !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

func TestSchemaCommand(t *testing.T) {
	code, stdout, _ := run(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !bytes.Equal([]byte(stdout), schema.JSON) {
		t.Error("schema output differs from the embedded schema")
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
}

func TestVersionAndCompletion(t *testing.T) {
	code, stdout, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "reposync "+Version+" (") {
		t.Errorf("version: exit %d, stdout %q", code, stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, stderr := run(t, "completion", sh)
		if code != 0 || !strings.Contains(stdout, "reposync") {
			t.Errorf("completion %s: exit %d, stderr %q", sh, code, stderr)
		}
	}
	if code, _, stderr := run(t, "completion", "tcsh"); code != ExitError || !strings.Contains(stderr, "tcsh") {
		t.Errorf("completion tcsh: exit %d, stderr %q", code, stderr)
	}
}

func TestUnknownCommandAndFlag(t *testing.T) {
	if code, _, stderr := run(t, "frobnicate"); code != ExitError || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run(t, "validate", "--nope"); code != ExitError || !strings.Contains(stderr, "unknown flag: --nope") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, stderr)
	}
}

// TestValidateEmptySpecs checks that validate is honest about a spec with
// nothing in it: an empty directory is an error, and empty files or a file
// with only `version: 1` are valid but say that nothing is managed.
func TestValidateEmptySpecs(t *testing.T) {
	tests := []struct {
		name         string
		files        map[string]string
		code         int
		stdout       string
		stderrSuffix string
	}{
		{"empty directory", nil, ExitError, "",
			"DIR: error: no spec files (*.yaml, *.yml) found\nDIR: invalid: 1 error, 0 warnings\n"},
		{"empty files", map[string]string{"a.yaml": "", "b.yml": "# nothing yet\n"}, ExitOK,
			"DIR: valid, but empty: no spec file has content (3 warnings)\n",
			"DIR/a.yaml: warning: empty file (no YAML document); it is ignored\n" +
				"DIR/a.yaml: warning: every spec file is empty: the spec manages nothing\n" +
				"DIR/b.yml: warning: empty file (no YAML document); it is ignored\n"},
		{"only a version", map[string]string{"spec.yaml": "version: 1\n"}, ExitOK,
			"DIR: valid, but manages nothing: 1 file (2 warnings)\n",
			"DIR/spec.yaml: warning: no file sets `project`; plan and apply will need --project or REPOSYNC_PROJECT\n" +
				"DIR/spec.yaml: warning: the spec manages nothing: no file lists groups, repositories, policies or git_auths\n"},
		{"one repository", map[string]string{"spec.yaml": "version: 1\nproject: 0b234373cf3f4b04ab2d8a245155e12b\nrepositories:\n  a/b: {}\n"}, ExitOK,
			"DIR: valid: 1 file, 0 groups, 1 repository, 0 policies, 0 Git authorizations\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := run(t, "validate", dir)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d", code, tt.code)
			}
			if diff := cmp.Diff(tt.stdout, strings.ReplaceAll(stdout, dir, "DIR")); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.stderrSuffix, strings.ReplaceAll(stderr, dir, "DIR")); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}
