package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
)

// simStats is the part of GET /_sim/stats the report reads.
type simStats struct {
	Calls     map[string]int `json:"calls"`
	Throttled map[string]int `json:"throttled"`
	Writes    int            `json:"writes"`
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// report prints one phase's table: calls per operation against the minimum,
// wall time against the floor (the slowest operation's minimum calls divided
// by its budget, plus one latency per dependent step), 429s, CPU and memory.
func report(args []string) error {
	if len(args) != 9 {
		return fmt.Errorf("usage: gen report PHASE EXPECTED BEFORE AFTER RATE_PER_MIN LATENCY_MS WALL_S CPU_S MAXRSS_KB")
	}
	phase := args[0]
	var exp map[string]map[string]int
	var before, after simStats
	if err := readJSON(args[1], &exp); err != nil {
		return err
	}
	if err := readJSON(args[2], &before); err != nil {
		return err
	}
	if err := readJSON(args[3], &after); err != nil {
		return err
	}
	num := func(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }
	rate, latency, wall, cpu, rss := num(args[4]), num(args[5])/1000, num(args[6]), num(args[7]), num(args[8])
	minimum := map[string]int{}
	for op, n := range exp["reads"] {
		minimum[op] = n
	}
	if phase == "apply" {
		for op, n := range exp["writes"] {
			minimum[op] = n
		}
	}
	ops := map[string]bool{}
	for op := range minimum {
		ops[op] = true
	}
	for op := range after.Calls {
		ops[op] = true
	}
	var names []string
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	fmt.Printf("\n%s\n\n| operation | calls | minimum | 429s |\n|---|---:|---:|---:|\n", phase)
	total, totalMin, throttled := 0, 0, 0
	readFloor, writeFloor := 0.0, 0.0
	perSec := rate / 60
	for _, op := range names {
		calls := after.Calls[op] - before.Calls[op]
		th := after.Throttled[op] - before.Throttled[op]
		total += calls
		totalMin += minimum[op]
		throttled += th
		mark := ""
		if calls != minimum[op] {
			mark = " ≠"
		}
		fmt.Printf("| %s | %d%s | %d | %d |\n", op, calls, mark, minimum[op], th)
		f := float64(minimum[op]) / perSec
		if _, isWrite := exp["writes"][op]; isWrite {
			writeFloor = max(writeFloor, f)
		} else {
			readFloor = max(readFloor, f)
		}
	}
	// The walk goes level by level (project, org, teams): three round trips
	// before the reads; apply then waits for its writes.
	floor := readFloor + 3*latency
	if phase == "apply" {
		floor += writeFloor + latency
	}
	fmt.Printf("| **all** | %d | %d | %d |\n\n", total, totalMin, throttled)
	fmt.Printf("wall %.2f s, floor %.2f s (%.2f×); reposync CPU %.2f s; peak memory %.0f MB; budget %.0f calls/min per operation, latency %.0f ms\n",
		wall, floor, wall/floor, cpu, rss/1024, rate, latency*1000)
	return nil
}
