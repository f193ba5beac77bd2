package spec

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/state"
)

func TestRepositoryPatternProblem(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"payments/**", ""},
		{"!payments/sandbox/**", ""},
		{"/payments/**", "patterns are relative to the project: write `payments/**`"},
		{"!/payments/**", "patterns are relative to the project: write `!payments/**`"},
		{"payments/**/", "patterns do not end with `/`: write `payments/**`"},
		{"payments/", "patterns do not end with `/`: write `payments/**` for everything under `payments`"},
		{"/payments/api/", "patterns are relative to the project; patterns do not end with `/`: write `payments/api/**` for everything under `payments/api`"},
		{"payments/***", "`***` is not a glob: write `payments/**`"},
		{"payments/**gateway", "`**` must be a whole path segment: write `payments/**/gateway` or `payments/*gateway`"},
		{"pay**/gateway", "`**` must be a whole path segment: write `pay*/gateway` or `pay/**/gateway`"},
		{"pay***", "`**` must be a whole path segment: write `pay*` or `pay/**`"},
		{"a**b/c", "`**` must be a whole path segment: write `a*b/c`"},
		{"payments//api/*", "empty path segment (`//`): write `payments/api/*`"},
		{"!!payments/**", "double negation `!!` is not supported: write `!payments/**`"},
		{" payments/**", "a pattern cannot start with a space: write `payments/**`"},
		{"pay[ments/**", "bad glob segment \"pay[ments\": unclosed `[` or stray `\\`"},
		{"", "empty pattern"},
		{"!", "empty pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			if got := repositoryPatternProblem(tt.pattern); got != tt.want {
				t.Errorf("repositoryPatternProblem(%q) =\n  %q\nwant\n  %q", tt.pattern, got, tt.want)
			}
		})
	}
}

func TestPatternHint(t *testing.T) {
	tests := []struct{ def, value, want string }{
		{"hexId", "87b3dc2019f04ee7", "ids are 32 hexadecimal characters, this one has 16"},
		{"hexId", "0B234373CF3F4B04AB2D8A245155E12B", "ids are lower case: write `0b234373cf3f4b04ab2d8a245155e12b`"},
		{"hexId", "0b234373cf3f4b04ab2d8a245155e12g", "ids are hexadecimal: `g` is not a hexadecimal digit"},
		{"userName", "alice smith!", "a user name cannot contain `!` (allowed: letters, digits, spaces, `-`, `_`, `.` and `@`)"},
		{"userName", " alice", "a user name cannot start with a space"},
		{"userName", strings.Repeat("a", 65), "a user name has at most 64 characters, this one has 65"},
		{"memberGroupName", "leads ", "a member group name cannot end with a space"},
		{"memberGroupName", "a/b", "a member group name cannot contain `/` (allowed: anything but `/` and control characters)"},
		{"roleName", "\tpm", "a role name cannot start with a tab"},
		{"policyName", "-audit", "a policy name cannot start with `-`"},
		{"policyName", "audit all", "a policy name cannot contain a space (allowed: letters, digits, `_`, `-` and `.`)"},
		{"gitAuthName", "_ci", "an authorization name cannot start with `_`"},
		{"groupPath", "/payments", "paths are relative to the project: write `payments`"},
		{"groupPath", "payments/", "paths do not end with `/`: write `payments`"},
		{"groupPath", "payments//api", "empty path segment (`//`): write `payments/api`"},
		{"repositoryPath", "payments/.hidden", "a path segment cannot start with `.` (`.hidden`)"},
		{"repositoryPath", "payments/my repo", "a path cannot contain a space (allowed: letters, digits, `_`, `-`, `.` and `/`)"},
		{"pushRulePath", "config/*", "push rule paths start with `/`: write `/config/*`"},
	}
	for _, tt := range tests {
		t.Run(tt.def+"~"+tt.value, func(t *testing.T) {
			if schemaAccepts("/$defs/"+tt.def, tt.value) {
				t.Fatalf("the schema accepts %q as %s; the case tests nothing", tt.value, tt.def)
			}
			if got := patternHint("/$defs/"+tt.def, tt.value); got != tt.want {
				t.Errorf("patternHint(%s, %q) =\n  %q\nwant\n  %q", tt.def, tt.value, got, tt.want)
			}
		})
	}
}

// TestPatternHintsAreShort feeds random strings to every definition with a
// pattern: whenever the schema rejects one, the hint is one short line, and
// a value it proposes ("write `x`") is accepted.
func TestPatternHintsAreShort(t *testing.T) {
	if _, err := compiledSchema(); err != nil {
		t.Fatal(err)
	}
	var names []string
	for ptr, s := range schemaIndex() {
		if name, ok := strings.CutPrefix(ptr, "/$defs/"); ok && !strings.Contains(name, "/") && s.Pattern != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) < 9 {
		t.Fatalf("found %d definitions with a pattern: %v", len(names), names)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "Z", "0", "_", "-", ".", "/", "//", "*", "**", "***", "!", " ", "\t", "@", "é", "[", "\\", "\x01", "payments", "/payments/"}
	for _, name := range names {
		ptr := "/$defs/" + name
		for i := 0; i < 3000; i++ {
			var b strings.Builder
			for n := rng.IntN(6); n >= 0; n-- {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			v := b.String()
			if schemaAccepts(ptr, v) {
				if name == "repositoryPattern" {
					if _, err := state.ParsePattern(v); err != nil && repositoryPatternProblem(v) == "" {
						t.Fatalf("%q: the glob parser rejects it but no problem is reported", v)
					}
				}
				continue
			}
			hint := patternHint(ptr, v)
			if hint == "" || strings.ContainsAny(hint, "\n\r") || len(hint) > 120+2*len(v) {
				t.Fatalf("%s %q: hint %q is not one short line", name, v, hint)
			}
			if i := strings.Index(hint, "write `"); i >= 0 {
				fix := hint[i+len("write `"):]
				fix = fix[:strings.IndexByte(fix, '`')]
				if !schemaAccepts(ptr, fix) {
					t.Fatalf("%s %q: the proposed %q is not valid either", name, v, fix)
				}
				if _, err := state.ParsePattern(fix); name == "repositoryPattern" && err != nil {
					t.Fatalf("%q: the proposed %q does not parse: %v", v, fix, err)
				}
			}
		}
	}
}

func TestPasswordEnvFor(t *testing.T) {
	for name, want := range map[string]string{
		"gh-ci":        "GIT_AUTH_GH_CI_PASSWORD",
		"bitbucket-ci": "GIT_AUTH_BITBUCKET_CI_PASSWORD",
		"1st.mirror":   "GIT_AUTH_1ST_MIRROR_PASSWORD",
		"a__b":         "GIT_AUTH_A_B_PASSWORD",
	} {
		if got := passwordEnvFor(name); got != want {
			t.Errorf("passwordEnvFor(%q) = %q, want %q", name, got, want)
		}
		if !schemaAccepts("/$defs/gitAuth/properties/password_env", passwordEnvFor(name)) {
			t.Errorf("passwordEnvFor(%q) is not a valid password_env", name)
		}
	}
}

// ValidOwner takes the owners a scope's `owners` takes, and only those.
func TestValidOwner(t *testing.T) {
	for s, want := range map[string]bool{"@acme/payments": true, "@alice": true, "dev@acme.example": true,
		"@": false, "@_x": false, "platform team": false, "x@y": false, "@acme//x": false} {
		if ValidOwner(s) != want {
			t.Errorf("ValidOwner(%q) = %t, want %t", s, !want, want)
		}
	}
}
