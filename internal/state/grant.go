package state

import (
	"fmt"
	"time"
)

// Date is a calendar day in UTC as the spec writes it, "YYYY-MM-DD"; the
// zero Date ("") is no day. Dates in that form order as strings do, so
// they compare with < and ==.
type Date string

// dateLayout is the one form a Date has.
const dateLayout = "2006-01-02"

// ParseDate checks that s is a calendar day written YYYY-MM-DD (so
// 2027-02-30 is refused) and returns it as a Date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Format(dateLayout) != s {
		return "", fmt.Errorf("`%s` is not a calendar date written YYYY-MM-DD", s)
	}
	return Date(s), nil
}

// DateOf is the UTC calendar day of t.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(dateLayout)) }

// IsZero reports whether d is no day.
func (d Date) IsZero() bool { return d == "" }

// AddDays is the day n days after d (before, for negative n); the zero
// Date stays zero.
func (d Date) AddDays(n int) Date {
	t, err := time.Parse(dateLayout, string(d))
	if err != nil {
		return ""
	}
	return Date(t.AddDate(0, 0, n).Format(dateLayout))
}

// DaysUntil is the number of days from d to later (negative when later is
// before d); 0 when either is not a day.
func (d Date) DaysUntil(later Date) int {
	a, err1 := time.Parse(dateLayout, string(d))
	b, err2 := time.Parse(dateLayout, string(later))
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

// Grant is what a spec may say about a grant besides its subject: until
// when it holds and why it exists. The zero Grant never expires.
type Grant struct {
	// Expires is the last day the grant holds (until the end of that day,
	// UTC); from the day after, the grant counts as absent from the spec.
	Expires Date
	// Reason is free text: a ticket, a justification.
	Reason string
}

// ExpiredOn reports whether the grant no longer holds on day today. A zero
// today (no clock given) expires nothing.
func (g Grant) ExpiredOn(today Date) bool {
	return g.Expires != "" && today != "" && g.Expires < today
}

// ExpiresWithin reports whether the grant still holds on day today but
// ends within the next days days (today included: a grant expiring today
// ends tonight).
func (g Grant) ExpiresWithin(today Date, days int) bool {
	return g.Expires != "" && today != "" && !g.ExpiredOn(today) && g.Expires <= today.AddDays(days)
}
