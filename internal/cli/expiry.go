package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reposync/reposync/internal/state"
)

// Expiring grants need "today", and today comes from one clock per run:
// Factory.Now, handed to each command's Options.Now (tests set a fixed
// one). Nothing below the command reads the clock; plan.Diff is given the
// day.

// clockOf is the clock commands of f use.
func clockOf(f *Factory) func() time.Time {
	if f == nil || f.Now == nil {
		return time.Now
	}
	return f.Now
}

// today is the UTC calendar day of now (time.Now when nil).
func today(now func() time.Time) state.Date {
	if now == nil {
		now = time.Now
	}
	return state.DateOf(now())
}

// daysValue is a flag holding a number of days, written `14d` or `14`;
// -1 when not given.
type daysValue struct{ n int }

func newDaysValue() *daysValue { return &daysValue{n: -1} }

func (v *daysValue) String() string {
	if v == nil || v.n < 0 {
		return ""
	}
	return strconv.Itoa(v.n) + "d"
}

func (v *daysValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "d"))
	if err != nil || n < 0 || n > 36500 {
		return fmt.Errorf("%q is not a number of days (write it like 14d)", s)
	}
	v.n = n
	return nil
}

func (v *daysValue) Type() string { return "days" }
