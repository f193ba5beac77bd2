package spec

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reposync/reposync/internal/state"
)

// A value that fails a schema `pattern` gets one short line saying what is
// wrong with it and, where the slip is a common one, the corrected value —
// never the schema's description, which is written for editors' hover help
// and runs to a paragraph.

// patternHint explains why v does not match the pattern of the schema
// definition at ptr (such as /$defs/groupPath), in a few words.
func patternHint(ptr, v string) string {
	def := strings.TrimPrefix(ptr, "/$defs/")
	switch def {
	case "hexId":
		return hexIDHint(v)
	case "userName":
		return nameHint("a user name", v, 64, func(r rune) bool {
			return unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune(" _.@-", r)
		}, "letters, digits, spaces, `-`, `_`, `.` and `@`", " ", "")
	case "memberGroupName", "roleName":
		what := map[string]string{"memberGroupName": "a member group name", "roleName": "a role name"}[def]
		return nameHint(what, v, 100, func(r rune) bool { return r != '/' && !unicode.IsControl(r) },
			"anything but `/` and control characters", asciiSpace, asciiSpace)
	case "policyName":
		return nameHint("a policy name", v, 100, asciiNameRune, "letters, digits, `_`, `-` and `.`", ".-", "")
	case "gitAuthName":
		return nameHint("an authorization name", v, 64, asciiNameRune, "letters, digits, `_`, `-` and `.`", "._-", "")
	case "groupPath", "repositoryPath":
		return pathHint(v)
	case "pushRulePath": // a control character is the converter's error (invisibleIn)
		if !strings.HasPrefix(v, "/") && schemaAccepts(ptr, "/"+v) {
			return fmt.Sprintf("push rule paths start with `/`: write `/%s`", clip(v))
		}
		return "push rule paths start with `/`"
	case "repositoryPattern":
		return repositoryPatternProblem(v)
	case "expires":
		return dateHint(v)
	case "owner":
		if strings.HasPrefix(v, "TODO") {
			return "a placeholder `reposync export` wrote: name who reviews this file, as `@user`, `@org/team` or an e-mail address"
		}
	case "specFile":
		if fixed := path.Clean("/" + v)[1:]; fixed != v && !strings.Contains(v, "..") && schemaAccepts(ptr, fixed) {
			return fmt.Sprintf("a key is a file's path below the spec root: write `%s`", clip(fixed))
		}
		return "a key is a file's path below the spec root, without `..`, `./` or a hidden part"
	}
	if strings.HasSuffix(ptr, "/properties/password_env") {
		return "" // the caller knows the entry and names the variable
	}
	if d := strings.TrimSuffix(schemaAt(ptr).Description, "."); d != "" && len(d) <= 80 {
		return lowerFirst(d)
	}
	return "see `reposync schema`"
}

// asciiSpace is what `\s` matches in the schema's (RE2) patterns.
const asciiSpace = " \t\n\f\r\v"

func asciiNameRune(r rune) bool {
	return r < utf8.RuneSelf && (r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

func hexIDHint(v string) string {
	if n := utf8.RuneCountInString(v); n != 32 {
		return fmt.Sprintf("ids are 32 hexadecimal characters, this one has %d", n)
	}
	notHex := func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }
	if lower := strings.ToLower(v); lower != v && !strings.ContainsFunc(lower, notHex) {
		return fmt.Sprintf("ids are lower case: write `%s`", lower)
	}
	if i := strings.IndexFunc(v, notHex); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v[i:])
		return fmt.Sprintf("ids are hexadecimal: `%c` is not a hexadecimal digit", r)
	}
	return "ids are 32 lowercase hexadecimal characters"
}

// nameHint explains a bad name: its length, its first or last character,
// or the first character it may not contain.
func nameHint(what, v string, maxLen int, ok func(rune) bool, allowed, badStart, badEnd string) string {
	if n := utf8.RuneCountInString(v); n > maxLen {
		return fmt.Sprintf("%s has at most %d characters, this one has %d", what, maxLen, n)
	}
	if v == "" {
		return what + " cannot be empty"
	}
	first, _ := utf8.DecodeRuneInString(v)
	last, _ := utf8.DecodeLastRuneInString(v)
	switch {
	case strings.ContainsRune(badStart, first):
		return fmt.Sprintf("%s cannot start with %s", what, describeRune(first))
	case strings.ContainsRune(badEnd, last):
		return fmt.Sprintf("%s cannot end with %s", what, describeRune(last))
	}
	for _, r := range v {
		if !ok(r) {
			return fmt.Sprintf("%s cannot contain %s (allowed: %s)", what, describeRune(r), allowed)
		}
	}
	return fmt.Sprintf("%s has %s", what, allowed)
}

func describeRune(r rune) string {
	switch {
	case r == ' ':
		return "a space"
	case r == '\t':
		return "a tab"
	case unicode.IsControl(r) || !unicode.IsPrint(r):
		return fmt.Sprintf("the control character %U", r)
	case r == '`':
		return "a backquote"
	}
	return fmt.Sprintf("`%c`", r)
}

// pathHint explains a bad group or repository full path.
func pathHint(v string) string {
	if fixed := strings.Trim(v, "/"); fixed != v && fixed != "" && pathOK(fixed) {
		if strings.HasPrefix(v, "/") {
			return fmt.Sprintf("paths are relative to the project: write `%s`", clip(fixed))
		}
		return fmt.Sprintf("paths do not end with `/`: write `%s`", clip(fixed))
	}
	if strings.Contains(v, "//") {
		fixed := slashes.ReplaceAllString(strings.Trim(v, "/"), "/")
		if pathOK(fixed) {
			return fmt.Sprintf("empty path segment (`//`): write `%s`", clip(fixed))
		}
		return "empty path segment (`//`)"
	}
	for _, seg := range strings.Split(v, "/") {
		if seg == "" {
			return "empty path segment"
		}
		if r, _ := utf8.DecodeRuneInString(seg); r == '.' || r == '-' {
			return fmt.Sprintf("a path segment cannot start with %s (`%s`)", describeRune(r), clip(seg))
		}
		for _, r := range seg {
			if !asciiNameRune(r) {
				return fmt.Sprintf("a path cannot contain %s (allowed: letters, digits, `_`, `-`, `.` and `/`)", describeRune(r))
			}
		}
	}
	return "segments of letters, digits, `_`, `-` and `.` joined by `/`"
}

var (
	slashes = regexp.MustCompile(`/+`)
	stars   = regexp.MustCompile(`\*{2,}`)
)

// pathOK reports whether s is a valid group path by the schema's rules.
func pathOK(s string) bool { return schemaAccepts("/$defs/groupPath", s) }

// repositoryPatternProblem says in one line what is wrong with a policy's
// repository glob, with the corrected pattern for the usual slips (a
// leading or trailing `/`, `//`, `***`, `**` inside a segment); "" for a
// good one. It covers the schema's pattern and state.ParsePattern, so the
// schema and the builder report the same diagnostic, which Sort keeps once.
func repositoryPatternProblem(text string) string {
	_, perr := state.ParsePattern(text)
	if perr == nil && repositoryPatternOK(text) {
		return ""
	}
	neg, body := "", text
	if strings.HasPrefix(body, "!") {
		neg, body = "!", body[1:]
	}
	var reasons []string
	note := func(r string) {
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	if strings.HasPrefix(body, "!") {
		note("double negation `!!` is not supported")
		body = strings.TrimLeft(body, "!")
	}
	if t := strings.TrimLeftFunc(body, unicode.IsSpace); t != body {
		note("a pattern cannot start with " + describeRune([]rune(body)[0]))
		body = t
	}
	if strings.IndexFunc(body, unicode.IsControl) >= 0 {
		note("control characters are not allowed")
		body = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, body)
	}
	if strings.HasPrefix(body, "/") {
		note("patterns are relative to the project")
		body = strings.TrimLeft(body, "/")
	}
	under := ""
	if strings.HasSuffix(body, "/") {
		note("patterns do not end with `/`")
		body = strings.TrimRight(body, "/")
		if body != "" && !strings.HasSuffix(body, "**") {
			under = body
			body += "/**"
		}
	}
	if strings.Contains(body, "//") {
		note("empty path segment (`//`)")
		body = slashes.ReplaceAllString(body, "/")
	}
	alt := ""
	segs := strings.Split(body, "/")
	for i, seg := range segs {
		if !strings.Contains(seg, "**") || seg == "**" {
			continue
		}
		rest := strings.Trim(seg, "*")
		switch {
		case rest == "":
			note("`" + seg + "` is not a glob")
			segs[i] = "**"
		case strings.HasPrefix(seg, "**") && !strings.Contains(rest, "**"):
			note("`**` must be a whole path segment")
			segs[i] = "**/" + rest
			alt = strings.Join(slices.Concat(segs[:i], []string{"*" + rest}, segs[i+1:]), "/")
		case strings.HasSuffix(seg, "**") && !strings.Contains(rest, "**"):
			note("`**` must be a whole path segment")
			segs[i] = rest + "*"
			alt = strings.Join(slices.Concat(segs[:i], []string{rest, "**"}, segs[i+1:]), "/")
		default:
			note("`**` must be a whole path segment")
			segs[i] = stars.ReplaceAllString(seg, "*")
		}
	}
	body = strings.Join(segs, "/")
	if under != "" {
		under = strings.TrimSuffix(body, "/**")
	}
	fixed := neg + body
	if _, err := state.ParsePattern(fixed); len(reasons) == 0 || err != nil || !repositoryPatternOK(fixed) {
		// No fix to offer: name the slips found and what is still wrong.
		switch {
		case len(reasons) == 0 && perr != nil:
			return perr.Error()
		case err != nil:
			reasons = append(reasons, err.Error())
		case len(reasons) == 0:
			reasons = append(reasons, "not a valid glob")
		}
		return strings.Join(reasons[:min(len(reasons), 2)], "; ")
	}
	if len(reasons) > 2 {
		reasons = []string{"several slips"} // the fix says it better than a list
	}
	msg := fmt.Sprintf("%s: write `%s`", strings.Join(reasons, "; "), clip(fixed))
	switch {
	case under != "" && alt == "":
		msg += fmt.Sprintf(" for everything under `%s`", clip(under))
	case alt != "":
		if _, err := state.ParsePattern(neg + alt); err == nil && repositoryPatternOK(neg+alt) {
			msg += fmt.Sprintf(" or `%s`", clip(neg+alt))
		}
	}
	return msg
}

func repositoryPatternOK(s string) bool { return schemaAccepts("/$defs/repositoryPattern", s) }

// schemaAccepts reports whether the schema definition at ptr accepts the
// string s, so a suggested fix is only offered when the schema accepts it.
func schemaAccepts(ptr, s string) bool {
	def := schemaIndex()[ptr]
	return def != nil && new(quickRun).validScalar(def, s) // one value: no results to remember
}

// passwordEnvFor is the environment variable proposed for a Git
// authorization's password: the entry's name upper-cased, every run of
// other characters as `_`, between GIT_AUTH_ and _PASSWORD (`gh-ci` →
// GIT_AUTH_GH_CI_PASSWORD). Names, unlike repo_types, are unique in a spec,
// and the prefix keeps clear of variables CI systems set (CI, GITHUB_…).
// Export writes the same name, so a hint and an exported spec agree.
func passwordEnvFor(name string) string {
	return "GIT_AUTH_" + strings.Trim(envUnsafe.ReplaceAllString(strings.ToUpper(name), "_"), "_") + "_PASSWORD"
}

// clip shortens a value quoted in a message to 60 characters.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 60 {
		return s
	}
	r := []rune(s)
	return string(r[:59]) + "…"
}

// dateHint explains a grant's `expires` the schema refused: the one form
// is YYYY-MM-DD.
func dateHint(v string) string {
	if t, ok := looseDate(v); ok {
		return fmt.Sprintf("write the date as YYYY-MM-DD: `%s`", t)
	}
	return "write the last day of the grant as YYYY-MM-DD, for example `2027-01-31`"
}

// looseDate reads a date with one-digit months or days, or with a time of
// day, and returns it in the spec's form.
func looseDate(v string) (string, bool) {
	day, _, _ := strings.Cut(strings.TrimSpace(v), "T")
	day, _, _ = strings.Cut(day, " ")
	var y, m, d int
	if n, err := fmt.Sscanf(day, "%d-%d-%d", &y, &m, &d); n != 3 || err != nil || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return "", false
	}
	s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	if _, err := state.ParseDate(s); err != nil {
		return "", false
	}
	return s, s != v
}
