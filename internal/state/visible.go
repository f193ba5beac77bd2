package state

import (
	"fmt"
	"strings"
	"unicode"
)

// Invisible reports whether r is a character a reader cannot see for what
// it is: a control character (Cc, tab and line feed included), a format
// character (Cf: bidirectional overrides such as U+202E, zero-width spaces
// and joiners), a line or paragraph separator (Zl, Zp), or a space other
// than U+0020 (Zs: no-break, em, ideographic…). The spec refuses them in
// names and keys, and every human output shows them escaped (Visible).
func Invisible(r rune) bool {
	if r < 0x7f {
		return r < ' ' // the common case
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) || unicode.Is(unicode.Zs, r)
}

// Visible returns s with every Invisible character written as an escape
// (`\t`, `\n`, `\r`, `\u202e`, `\U000e0001`), so that what a reviewer reads
// is what the value is. It returns s itself when there is nothing to escape.
func Visible(s string) string {
	i := strings.IndexFunc(s, Invisible)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case !Invisible(r):
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}
