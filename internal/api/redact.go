package api

import (
	"regexp"
	"strings"
)

// secretNameWords are the words that make a query parameter's name look like
// it carries a secret (sanitizeURL, RedactURL).
const secretNameWords = `token|password|passwd|secret|signature|credential`

// secretQueryName matches a parameter name that looks like it carries a
// secret.
var secretQueryName = regexp.MustCompile(`(?i)` + secretNameWords)

// secretQueryParam matches a query (or fragment) parameter whose name looks
// like it carries a secret, up to the end of its value.
var secretQueryParam = regexp.MustCompile(`(?i)([?&;#][^=&#?;\s]*(?:` + secretNameWords + `)[^=&#?;\s]*=)[^&#;\s]*`)

// RedactURL returns raw with the user info of a URL replaced by REDACTED and
// the values of secret-looking query parameters (access_token=…,
// password=…) replaced by REDACTED. It does not parse raw as a URL, so it
// also cleans what url.Parse rejects: bad percent-escapes, an unclosed IPv6
// bracket, an unknown scheme (ftp://user:pw@host), no scheme at all
// (user:pw@host), a password containing '/', '?', '#' or '@'.
//
// The user info is taken to run from just after "://" (or from the start
// when there is none before it) to the last '@' of the string. That is safe
// whatever the password holds; the price is that a string with an '@' in its
// path or query loses what lies before that '@' (it is shown as REDACTED),
// which is acceptable for the endpoints and redirect targets it is meant for.
// The CLI uses it wherever it echoes a URL the user gave.
func RedactURL(raw string) string {
	s := raw
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		start := 0
		if i := strings.Index(s, "://"); i >= 0 && i+3 <= at {
			start = i + 3
		} else if strings.HasPrefix(s, "//") {
			start = 2
		}
		s = s[:start] + "REDACTED" + s[at:]
	}
	return secretQueryParam.ReplaceAllString(s, "${1}REDACTED")
}
