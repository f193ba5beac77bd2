package spec

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestYAMLSyntaxErrorPositions pins the exact line and column of YAML syntax
// errors: the character where the parser found the problem, or where an
// unclosed construct opens. It also guards the reflect-based reading of
// yaml.v3's parser state (yamlFailureOf): if an upgrade breaks it, the
// columns disappear and this test fails.
func TestYAMLSyntaxErrorPositions(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		line, col int
		msg       string // a part of the message
	}{
		{"key indented too little", "version: 1\nrepositories:\n  a/b:\n    members:\n      alice: admin\n     bob: developer\n", 6, 6, "does not line up with the entries of the mapping at line 4, column 5"},
		{"list item among keys", "version: 1\nusers:\n  - a\n  b: 1\n", 4, 3, "did not find expected '-' indicator"},
		{"flow list closed by the wrong bracket", "version: 1\nrepositories:\n  a/b: {members: [x}\n", 3, 20, "the list `[` at line 3, column 18 is not closed before this"},
		{"flow mapping never closed", "version: 1\nrepositories:\n  a/b:\n    members: {alice: admin\n  c/d: {}\n", 5, 6, "the mapping `{` at line 4, column 14 is not closed before this"},
		{"flow list open at the end", "version: 1\nkey: [a, b\n", 2, 6, "the list `[` that starts here is never closed"},
		{"flow mapping open at the end, its value missing", "version: 1\nkey: {a: ", 3, 1, "the file ends where a value is expected"},
		{"quote never closed", "version: 1\nproject: \"abc\n", 2, 10, "the quoted string `\"` that starts here is never closed"},
		{"tab indentation", "version: 1\nrepositories:\n\ta/b: {}\n", 3, 1, "never tabs"},
		{"reserved character", "version: 1\nkey: @foo\n", 2, 6, "`@` is reserved"},
		{"colon in a plain value", "version: 1\nproject: a: b\n", 2, 11, "put the value in quotes"},
		{"colon in a flow value", "version: 1\ngroups:\n  g: {description: A: b}\n", 3, 21, "put the value in quotes"},
		{"columns count characters, not bytes", "version: 1\nkey: zoë: 1\n", 2, 9, "mapping values are not allowed"},
		{"unknown anchor", "version: 1\nrepositories: *nope\n", 2, 15, "unknown anchor 'nope'"},
		{"control character", "version: 1\nproject: x\x07\n", 2, 11, "control characters are not allowed"},
		{"second document", "version: 1\n---\nversion: 1\n", 2, 1, "more than one YAML document"},
		{"second document that does not parse", "version: 1\n---\n[x\n", 3, 1, "more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := parseDocument(DefaultOptions(), source{name: "x.yaml", rel: "x.yaml", data: []byte(tt.body)})
			if len(diags) != 1 {
				t.Fatalf("want one diagnostic, got:\n%s", messages(diags))
			}
			d := diags[0]
			if diff := cmp.Diff([2]int{tt.line, tt.col}, [2]int{d.Line, d.Column}); diff != "" {
				t.Errorf("position (-want +got):\n%s\n%s", diff, d)
			}
			if !strings.Contains(d.Message, tt.msg) {
				t.Errorf("message %q lacks %q", d.Message, tt.msg)
			}
		})
	}
}

// TestOddValuesAreReportedOnce: a tagged value or one holding an invisible
// character, reached a thousand times through aliases, is one error at the
// value itself.
func TestOddValuesAreReportedOnce(t *testing.T) {
	for _, value := range []string{`!x payments/**`, `"pay\u202ements/**"`} {
		var b strings.Builder
		b.WriteString("version: 1\npolicies:\n  p:\n    repositories: [&p " + value + "]\n    members: {alice: viewer}\n")
		for i := range 1000 {
			fmt.Fprintf(&b, "  q%d: {repositories: [*p], members: {alice: viewer}}\n", i)
		}
		_, diags := parseDocument(DefaultOptions(), source{name: "x.yaml", rel: "x.yaml", data: []byte(b.String())})
		if len(diags) != 1 || diags[0].Line != 4 || diags[0].Column != 20 {
			t.Errorf("%s: want one error at 4:20, got %d:\n%s", value, len(diags), messages(diags[:min(len(diags), 3)]))
		}
	}
}
