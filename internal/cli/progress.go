package cli

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/reposync/reposync/internal/apply"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/remote"
)

// progress shows apply's progress: a redrawn bar on a terminal; otherwise
// a line at the first change done, at least every few seconds after
// (readMeterEvery.lines) and at the end, so a CI log shows the job alive.
type progress struct {
	// confirmed, when set, says how many repositories were read back of
	// those queued so far.
	confirmed func() (read, queued int64)
	ios       *iostreams.IOStreams
	now       func() time.Time
	start     time.Time
	tty       bool
	last      time.Time // of the last line (not on a terminal)
	drawn     bool
}

func newProgress(ios *iostreams.IOStreams, now func() time.Time, confirmed func() (read, queued int64)) *progress {
	return &progress{confirmed: confirmed, ios: ios, now: now, start: now(), tty: ios.ProgressEnabled()}
}

func (p *progress) update(pr apply.Progress) {
	// Changes that never started (an interrupted run) are not progress.
	finished := pr.Done + pr.Failed + pr.Skipped
	if pr.Total == 0 {
		return
	}
	now := p.now()
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(finished) / elapsed
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(pr.Total-finished-pr.NotStarted)/rate) * time.Second).Round(time.Second).String()
	}
	stopped := ""
	if pr.NotStarted > 0 {
		stopped, eta = fmt.Sprintf(", %d not started", pr.NotStarted), "-"
	}
	if p.confirmed != nil {
		if read, queued := p.confirmed(); queued > 0 {
			stopped += fmt.Sprintf(", %d/%d repositories read back", read, queued)
		}
	}
	if p.tty {
		const width = 30
		filled := width * finished / pr.Total
		fmt.Fprintf(p.ios.ErrOut, "\r[%s%s] %d/%d changes, %.1f/s, ETA %s, %d failed%s ",
			strings.Repeat("=", filled), strings.Repeat(" ", width-filled), finished, pr.Total, rate, eta, pr.Failed, stopped)
		p.drawn = true
		return
	}
	if p.last.IsZero() || now.Sub(p.last) >= readMeterEvery.lines || finished == pr.Total || pr.NotStarted > 0 {
		p.last = now
		fmt.Fprintf(p.ios.ErrOut, "progress: %d/%d changes (%d%%), %d failed%s, %.1f changes/s\n", finished, pr.Total, 100*finished/pr.Total, pr.Failed, stopped, rate)
	}
}

func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.ios.ErrOut)
	}
}

// readMeterEvery is how often a read meter speaks: the redraw interval on
// a terminal, and the interval between lines without one.
var readMeterEvery = struct{ tty, lines, quiet time.Duration }{
	tty:   250 * time.Millisecond,
	lines: 5 * time.Second,
	// quiet is how long a read may take before a terminal shows anything.
	quiet: time.Second,
}

// meterTicks is the read meter's clock: a tick every d (tests replace it).
var meterTicks = func(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// readMeter shows on standard error the progress of reading the live state:
// reads done of those expected (the walk adds to them as it finds groups)
// and the time left, redrawn in place on a terminal, else a line every few
// seconds so that a CI log shows the job is alive.
type readMeter struct {
	ios *iostreams.IOStreams
	// counts are the reads so far (remote.Progress.Counts).
	counts func() remote.ReadCounts
	// mu is held while writing, shared with the session's wait notices.
	mu *sync.Mutex
	// rate is the budget of each API operation in calls per minute.
	rate  int
	now   func() time.Time
	start time.Time
	tty   bool
	shown bool

	stop, stopped chan struct{}
}

// startReadMeter counts the reads of s in a meter shown on ios until the
// returned function is called (once).
func startReadMeter(ios *iostreams.IOStreams, s *session) (stop func()) {
	p := remote.NewProgress()
	s.remote.SetProgress(p)
	m := &readMeter{ios: ios, counts: p.Counts, mu: s.notices, rate: s.conn.RateLimit, now: time.Now, start: time.Now(), tty: ios.ProgressEnabled(),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	every := readMeterEvery.lines
	if m.tty {
		every = readMeterEvery.tty
	}
	ticks, stopTicks := meterTicks(every)
	go func() {
		m.run(ticks)
		stopTicks()
	}()
	return func() {
		close(m.stop)
		<-m.stopped
		s.remote.SetProgress(nil)
	}
}

// run shows the meter at each tick until stopped.
func (m *readMeter) run(ticks <-chan time.Time) {
	defer close(m.stopped)
	for {
		select {
		case <-m.stop:
			m.finish(m.now())
			return
		case now := <-ticks:
			if m.tty && now.Sub(m.start) < readMeterEvery.quiet {
				continue
			}
			m.show(now)
		}
	}
}

func (m *readMeter) show(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shown = true
	line := m.line(m.counts(), now.Sub(m.start))
	if m.tty {
		// \r and erase to the end of the line: the new line may be shorter.
		fmt.Fprintf(m.ios.ErrOut, "\r\x1b[K%s", line)
	} else {
		fmt.Fprintln(m.ios.ErrOut, line)
	}
}

func (m *readMeter) finish(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.shown && m.tty:
		fmt.Fprint(m.ios.ErrOut, "\r\x1b[K")
	case m.shown:
		c := m.counts()
		fmt.Fprintf(m.ios.ErrOut, "reading the live state: %d of %d reads in %s\n", c.Done, c.Expected, roundDuration(now.Sub(m.start)))
	}
}

// line is one report: reads done of expected and, once anything is done,
// the time left.
func (m *readMeter) line(c remote.ReadCounts, elapsed time.Duration) string {
	s := fmt.Sprintf("reading the live state: %d of %d reads", c.Done, c.Expected)
	if c.Expected > 0 {
		s += fmt.Sprintf(" (%d%%)", 100*c.Done/c.Expected)
	}
	if left, ok := m.timeLeft(c, elapsed); ok && left < time.Second {
		s += ", less than a second left"
	} else if ok {
		s += ", about " + roundDuration(left) + " left"
	}
	return s
}

// timeLeft estimates the rest of the read: the slowest operation's
// remaining reads at its budget, or — when latency or concurrency bound
// the run more than the budget does — the pace seen so far, whichever is
// longer. The walk finds groups as it goes, so early estimates are low.
func (m *readMeter) timeLeft(c remote.ReadCounts, elapsed time.Duration) (time.Duration, bool) {
	if c.Done == 0 || c.Expected == 0 {
		return 0, false
	}
	var budget time.Duration
	if m.rate > 0 {
		for _, n := range c.Remaining {
			budget = max(budget, time.Duration(n)*time.Minute/time.Duration(m.rate))
		}
	}
	pace := time.Duration(float64(elapsed) * float64(c.Expected-c.Done) / float64(c.Done))
	return max(budget, pace), true
}

// roundDuration renders d to the second ("under a second" below one).
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return "under a second"
	}
	return d.Round(time.Second).String()
}
