package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reposync/reposync/internal/apply"
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
	m := &readMeter{ios: ios, counts: p.Counts, mu: &sync.Mutex{}, rate: 600, start: time.Now(), tty: true}
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

// Without a terminal, apply writes a line at its first change, then at
// most every few seconds (not every tenth of the work: a tenth of a large
// apply is minutes), and at the end. The clock is the test's.
func TestApplyProgressLinesInCI(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := t0
	p := newProgress(ios, func() time.Time { return now }, nil)
	for _, step := range []struct {
		after time.Duration
		done  int
	}{{time.Second, 1}, {2 * time.Second, 2}, {7 * time.Second, 3}, {8 * time.Second, 50}, {9 * time.Second, 60}, {40 * time.Second, 61}, {41 * time.Second, 100}} {
		now = t0.Add(step.after)
		p.update(apply.Progress{Total: 100, Done: step.done})
	}
	want := "progress: 1/100 changes (1%), 0 failed, 1.0 changes/s\n" +
		"progress: 3/100 changes (3%), 0 failed, 0.4 changes/s\n" +
		"progress: 61/100 changes (61%), 0 failed, 1.5 changes/s\n" +
		"progress: 100/100 changes (100%), 0 failed, 2.4 changes/s\n"
	if got := errOut.String(); got != want {
		t.Errorf("lines:\n%s\nwant:\n%s", got, want)
	}
}

// Without a terminal, the read meter writes a line at every tick of its
// clock and, once stopped, the total; nothing but its clock decides when.
func TestReadMeterTicks(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	// What the reads are at each look, in turn (only the meter looks).
	script := []remote.ReadCounts{{Expected: 20, Remaining: map[string]int{"ListMembers": 20}},
		{Expected: 20, Done: 10, Remaining: map[string]int{"ListMembers": 10}}}
	counts := func() remote.ReadCounts {
		c := script[0]
		if len(script) > 1 {
			script = script[1:]
		}
		return c
	}
	m := &readMeter{ios: ios, counts: counts, mu: &sync.Mutex{}, rate: 600,
		now: func() time.Time { return t0.Add(15 * time.Second) }, start: t0, stop: make(chan struct{}), stopped: make(chan struct{})}
	ticks := make(chan time.Time)
	go m.run(ticks)
	ticks <- t0.Add(5 * time.Second)
	ticks <- t0.Add(10 * time.Second)
	close(m.stop)
	<-m.stopped
	want := "reading the live state: 0 of 20 reads (0%)\n" +
		"reading the live state: 10 of 20 reads (50%), about 10s left\n" +
		"reading the live state: 10 of 20 reads in 15s\n"
	if got := errOut.String(); got != want {
		t.Errorf("lines:\n%s\nwant:\n%s", got, want)
	}
}

// access reads with the meter too: a question about 10 000 repositories
// is minutes of reads. The test holds the first request until the meter
// has taken a tick.
func TestAccessShowsTheReadMeter(t *testing.T) {
	ticks := make(chan time.Time)
	saved := meterTicks
	t.Cleanup(func() { meterTicks = saved })
	meterTicks = func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }
	fx := mustFixture(t, accessFixture)
	s, err := sim.New(fx, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() {
			select {
			case ticks <- time.Now():
			case <-time.After(5 * time.Second): // no meter took it: the test fails below
			}
		})
		s.ServeHTTP(w, r)
	}))
	defer srv.Close()
	_, env := accessWorld(t)
	env["REPOSYNC_ENDPOINT"] = srv.URL
	code, out, errOut := runAccessCmd(t, env, "--user", "alice")
	if code != 0 || !strings.Contains(errOut, "reading the live state: 0 of 1 reads (0%)\n") || !strings.Contains(errOut, "reading the live state: ") || strings.Contains(out, "reading") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
