package cli

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/sim"
)

// The time left is the slowest operation's remaining reads at its budget,
// unless the pace so far says it takes longer.
func TestReadMeterLine(t *testing.T) {
	m := &readMeter{rate: 600}
	c := remote.ReadCounts{Expected: 4000, Done: 1000, Remaining: map[string]int{"ListMembers": 1000, "ListRepoMembers": 1000, "ListRepositoryFilePushPermissions": 1000}}
	for _, tc := range []struct {
		c       remote.ReadCounts
		elapsed time.Duration
		want    string
	}{
		// 1 000 ListMembers left at 600 a minute: 100 s; the pace (3 000
		// more at 1 000 in 10 s) says 30 s.
		{c, 10 * time.Second, "reading the live state: 1000 of 4000 reads (25%), about 1m40s left"},
		// At 1 000 in 60 s the pace is slower than the budget.
		{c, time.Minute, "reading the live state: 1000 of 4000 reads (25%), about 3m0s left"},
		// Nothing done yet: no estimate.
		{remote.ReadCounts{Expected: 1, Remaining: map[string]int{"ListProjectSubgroupsAndRepositories": 1}}, time.Second, "reading the live state: 0 of 1 reads (0%)"},
		{remote.ReadCounts{Expected: 2, Done: 2, Remaining: map[string]int{}}, 300 * time.Millisecond, "reading the live state: 2 of 2 reads (100%), less than a second left"},
	} {
		if got := m.line(tc.c, tc.elapsed); got != tc.want {
			t.Errorf("line(%+v, %s)\n got %q\nwant %q", tc.c, tc.elapsed, got, tc.want)
		}
	}
}

// A terminal gets one line redrawn in place and erased at the end; the
// plan's own output is never mixed into it.
func TestReadMeterOnATerminal(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	p := remote.NewProgress()
	m := &readMeter{ios: ios, progress: p, mu: &sync.Mutex{}, rate: 600, start: time.Now(), tty: true}
	m.show(m.start.Add(2 * time.Second))
	m.show(m.start.Add(3 * time.Second))
	m.finish(m.start.Add(4 * time.Second))
	got := errOut.String()
	if strings.Count(got, "\r\x1b[K") != 3 || strings.Contains(got, "\n") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("terminal output %q", got)
	}
}

// Without a terminal, a long read writes a line every few seconds and a
// last one with the total; stdout stays the plan alone.
func TestReadMeterLinesInCI(t *testing.T) {
	saved := readMeterEvery
	t.Cleanup(func() { readMeterEvery = saved })
	readMeterEvery.lines = 20 * time.Millisecond
	w := newWorld(t, "aksk", sim.Options{Latency: 15 * time.Millisecond})
	code, out, errOut := w.run("plan", "--format", "json", e2eSpec)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "reading the live state: ") || !strings.Contains(errOut, " reads (") {
		t.Errorf("no progress lines:\n%s", errOut)
	}
	last := ""
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if strings.HasPrefix(l, "reading the live state: ") {
			last = l
		}
	}
	calls := 0
	for _, n := range w.sim.Stats().Calls {
		calls += n
	}
	// Every list is done at the end; a list of several pages is one read.
	var done, expected int
	var took string
	if _, err := fmt.Sscanf(last, "reading the live state: %d of %d reads in %s", &done, &expected, &took); err != nil || done != expected || done == 0 || done > calls {
		t.Errorf("last line %q (%d calls)", last, calls)
	}
	if strings.Contains(out, "reading") {
		t.Errorf("progress on stdout:\n%s", out)
	}
}
