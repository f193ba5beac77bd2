package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// simStats is the part of GET /_sim/stats the report reads.
type simStats struct {
	Calls     map[string]int `json:"calls"`
	Throttled map[string]int `json:"throttled"`
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// report prints one phase's table — calls per operation against the
// minimum, the empty pages among them, 429s — then wall time against the
// floor, CPU and memory, and checks the phase's targets. failed is true
// when one was missed.
func report(args []string) (failed bool, err error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var (
		expPath, phaseName, beforePath, afterPath, samplesPath string
		rate, latencyMS, wall, cpu, simCPU, rssKB              float64
	)
	fs.StringVar(&expPath, "expected", "", "expected.json")
	fs.StringVar(&phaseName, "phase", "", "plan, apply or scoped")
	fs.StringVar(&beforePath, "before", "", "/_sim/stats before the run")
	fs.StringVar(&afterPath, "after", "", "/_sim/stats after the run")
	fs.StringVar(&samplesPath, "samples", "", "optional: /_sim/stats sampled during the run, one `SECONDS JSON` a line")
	fs.Float64Var(&rate, "rate", 0, "calls per minute per operation")
	fs.Float64Var(&latencyMS, "latency-ms", 0, "the simulator's latency")
	fs.Float64Var(&wall, "wall", 0, "wall time of the run, seconds")
	fs.Float64Var(&cpu, "cpu", 0, "reposync's user+system CPU, seconds")
	fs.Float64Var(&simCPU, "sim-cpu", -1, "the simulator's user+system CPU during the run, seconds (-1: not measured)")
	fs.Float64Var(&rssKB, "rss-kb", 0, "reposync's peak resident memory, KB")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	var exp expected
	var before, after simStats
	for p, v := range map[string]any{expPath: &exp, beforePath: &before, afterPath: &after} {
		if err := readJSON(p, v); err != nil {
			return false, err
		}
	}
	ph := exp.Phases[phaseName]
	if ph == nil || rate <= 0 {
		return false, fmt.Errorf("no phase %q in %s, or no -rate", phaseName, expPath)
	}
	latency := latencyMS / 1000
	minimum := map[string]int{}
	for _, s := range ph.Stages {
		for op, n := range s.Calls {
			minimum[op] += n
		}
		for op, n := range s.Idle {
			minimum[op] += n
		}
	}
	ops := map[string]bool{}
	for op := range minimum {
		ops[op] = true
	}
	for op := range after.Calls {
		if after.Calls[op] > before.Calls[op] {
			ops[op] = true
		}
	}
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)

	fmt.Printf("\n### %s — scenario %s, %d repositories\n\n", phaseName, exp.Scenario, exp.N)
	fmt.Printf("| operation | calls | minimum | of which empty pages | 429s |\n|---|---:|---:|---:|---:|\n")
	total, totalMin, totalEmpty, throttled := 0, 0, 0, 0
	exact := true
	calls := map[string]int{}
	for _, op := range names {
		n := after.Calls[op] - before.Calls[op]
		th := after.Throttled[op] - before.Throttled[op]
		calls[op] = n
		total += n
		totalMin += minimum[op]
		totalEmpty += ph.Empty[op]
		throttled += th
		mark := ""
		if n != minimum[op] {
			mark, exact = " ≠", false
		}
		fmt.Printf("| %s | %d%s | %d | %d | %d |\n", op, n, mark, minimum[op], ph.Empty[op], th)
	}
	fmt.Printf("| **all** | %d | %d | %d | %d |\n\n", total, totalMin, totalEmpty, throttled)

	perSec := rate / 60
	floor := 0.0
	var parts []string
	for _, s := range ph.Stages {
		f := stageFloor(s, perSec, latency)
		floor += f
		idle := 0
		for _, n := range s.Idle {
			idle += n
		}
		if idle > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f s (%d calls in budgets it leaves idle, not counted)", s.Name, f, idle))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.2f s", s.Name, f))
		}
	}
	simPart := ""
	if simCPU >= 0 {
		simPart = fmt.Sprintf(", simulator CPU %.2f s", simCPU)
	}
	fmt.Printf("wall %.2f s, floor %.2f s (%.2f×); reposync CPU %.2f s%s; peak memory %.0f MB; budget %.0f calls/min per operation, latency %.0f ms\n",
		wall, floor, wall/floor, cpu, simPart, rssKB/1024, rate, latencyMS)
	fmt.Printf("floor = %s\n", strings.Join(parts, " + "))
	if samplesPath != "" {
		if err := timeline(samplesPath, before); err != nil {
			return false, err
		}
	}

	// Targets.
	fmt.Println()
	check := func(ok bool, format string, args ...any) {
		verdict := "ok"
		if !ok {
			verdict, failed = "MISSED", true
		}
		fmt.Printf("- %s: %s\n", fmt.Sprintf(format, args...), verdict)
	}
	t := ph.Targets
	if t.ExactCalls {
		check(exact, "calls equal the minimum (%d)", totalMin)
	}
	if t.CallsWithin > 0 {
		check(float64(total) <= (1+t.CallsWithin)*float64(totalMin), "calls within %.0f%% of the minimum (%d of %d: %+.1f%%)",
			t.CallsWithin*100, total, totalMin, 100*(float64(total)/float64(totalMin)-1))
	}
	if t.MaxCalls > 0 {
		check(total <= t.MaxCalls, "at most %d calls in all (%d)", t.MaxCalls, total)
	}
	for _, op := range t.Zero {
		check(calls[op] == 0, "no %s call (%d)", op, calls[op])
	}
	check(throttled == 0, "zero 429s (%d)", throttled)
	if t.FloorRatio > 0 {
		check(wall <= t.FloorRatio*floor, "wall at most %.2f× the floor (%.2f×)", t.FloorRatio, wall/floor)
	}
	if t.MaxWall > 0 {
		check(wall <= t.MaxWall, "wall at most %g s (%.2f s)", t.MaxWall, wall)
	}
	return failed, nil
}

// stageFloor is the least time a stage can take: its busiest operation's
// calls at the budget's even spacing plus one latency for the last answer,
// or its longest chain of calls that wait for one another, each at least a
// latency and the budget's spacing apart — whichever is longer. Idle calls
// do not count (issue 21's floor: the writes alone).
func stageFloor(s stage, perSec, latency float64) float64 {
	rateBound := 0.0
	for _, n := range s.Calls {
		if n > 0 {
			rateBound = math.Max(rateBound, float64(n-1)/perSec+latency)
		}
	}
	return math.Max(rateBound, float64(s.Chain)*math.Max(latency, 1/perSec))
}

// timeline prints, per operation, when its calls were made: from stats
// sampled during the run (SECONDS JSON per line), relative to the first
// sample.
func timeline(path string, before simStats) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	type span struct {
		first, last float64
		seen        bool
	}
	spans := map[string]*span{}
	prev := before.Calls
	t0 := math.NaN()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		at, body, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		sec, err := strconv.ParseFloat(at, 64)
		var st simStats
		if err != nil || json.Unmarshal([]byte(body), &st) != nil {
			continue // a sample cut short when the run ended
		}
		if math.IsNaN(t0) {
			t0 = sec
		}
		for op, n := range st.Calls {
			if n > prev[op] {
				sp := spans[op]
				if sp == nil {
					sp = &span{}
					spans[op] = sp
				}
				if !sp.seen {
					sp.first, sp.seen = sec-t0, true
				}
				sp.last = sec - t0
			}
		}
		prev = st.Calls
	}
	if err := sc.Err(); err != nil {
		return err
	}
	var ops []string
	for op := range spans {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		a, b := spans[ops[i]], spans[ops[j]]
		if a.first != b.first {
			return a.first < b.first
		}
		return ops[i] < ops[j]
	})
	fmt.Println("timeline (seconds from the start; /_sim/stats sampled every 0.5 s, so ±0.5 s):")
	for _, op := range ops {
		fmt.Printf("  %-44s %6.1f – %6.1f\n", op, spans[op].first, spans[op].last)
	}
	return nil
}
