package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/plan/render"
)

// TestValidateScopeBreachFormats checks that a scope breach is one error
// located at the offending key, naming the scope and where it is
// declared, in each format of validate.
func TestValidateScopeBreachFormats(t *testing.T) {
	dir := "../../testdata/invalid/scope-role-above-max"
	msg := "grants `admin` to `bob`, above this file's max_role `developer` (scope `payments/**`, max_role `developer`, declared at " + dir + "/reposync.yaml:3:3)"
	t.Run("json", func(t *testing.T) {
		code, stdout, _ := run(t, "validate", "--format", "json", dir)
		if code != ExitError {
			t.Fatalf("exit %d, want 1", code)
		}
		var doc struct {
			Errors      int
			Diagnostics []struct {
				Severity, File, Path, Message string
				Line, Column                  int
			}
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Errors != 1 {
			t.Errorf("errors = %d, want 1", doc.Errors)
		}
		for _, d := range doc.Diagnostics {
			if d.Severity != "error" {
				continue
			}
			got := []any{d.File, d.Line, d.Column, d.Path, d.Message}
			want := []any{dir + "/spec.yaml", 6, 7, `repositories["payments/api/gateway"].members.bob`, msg}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("diagnostic (-want +got):\n%s", diff)
			}
		}
	})
	t.Run("github", func(t *testing.T) {
		code, stdout, _ := run(t, "validate", "--format", "github", dir)
		if code != ExitError {
			t.Fatalf("exit %d, want 1", code)
		}
		want := "::error file=" + strings.TrimPrefix(dir, "../../") + "/spec.yaml,line=6,col=7,title=reposync validate::repositories[\"payments/api/gateway\"].members.bob: " +
			strings.ReplaceAll(msg, "`", "'") + "\n"
		var got string
		for _, l := range strings.SplitAfter(stdout, "\n") {
			if strings.HasPrefix(l, "::error ") {
				got += l
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("annotations (-want +got):\n%s", diff)
		}
	})
}

// TestAnnotationsShowInvisibleCharactersEscaped: a GitHub annotation
// shows a right-to-left override, a zero-width space or a line separator
// escaped, in the file and the message alike, as the text diagnostics do,
// so the annotation on the pull request cannot read as another name.
func TestAnnotationsShowInvisibleCharactersEscaped(t *testing.T) {
	var b strings.Builder
	annotate(&b, "reposync validate", []render.Problem{{File: "teams/pay\u202elmth.yaml", Line: 3, Column: 5,
		Message: "repository a\u200bb\u2028 is outside"}})
	want := "::error file=teams/pay\\u202elmth.yaml,line=3,col=5,title=reposync validate::repository a\\u200bb\\u2028 is outside\n"
	if got := b.String(); got != want {
		t.Errorf("annotation %q, want %q", got, want)
	}
}
