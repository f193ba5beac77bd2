package main

import "testing"

// TestPager: the end-of-list rule as docs/api-assumptions.md A16 states it.
func TestPager(t *testing.T) {
	p := newPager()
	for _, tc := range []struct {
		name  string
		op    string
		n     int
		total bool
		want  int
	}{
		{"a short page under 10 ends", "a", 1, false, 1},
		{"the first list of 10 or more confirms its end", "b", 50, false, 2},
		{"a shorter one then does not", "b", 20, false, 1},
		{"nor does a tie below 10", "a", 1, false, 1},
		{"a tie of 10 or more confirms", "b", 50, false, 2},
		{"full pages, then an empty one", "c", 500, false, 6},
		{"after full pages a short one ends", "c", 202, false, 3},
		{"X-Total proves the end", "d", 50, true, 1},
		{"a full last page costs the empty page after it, X-Total or not", "e", 100, true, 2},
	} {
		if got := p.list(tc.op, tc.n, tc.total); got != tc.want {
			t.Errorf("%s: %d items of %s: %d calls, want %d", tc.name, tc.n, tc.op, got, tc.want)
		}
	}
	if want := map[string]int{"b": 2, "c": 1, "e": 1}; len(p.empty) != len(want) || p.empty["b"] != 2 || p.empty["c"] != 1 || p.empty["e"] != 1 {
		t.Errorf("empty pages %v, want %v", p.empty, want)
	}
}

// TestStageFloor: the busiest operation at the budget, or the longest chain
// of pages at the latency.
func TestStageFloor(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    stage
		want float64
	}{
		{"rate bound", stage{Calls: map[string]int{"a": 101, "b": 3}, Chain: 1}, 10 + 0.1},
		{"chain bound", stage{Calls: map[string]int{"a": 6}, Chain: 6}, 0.6},
		{"empty", stage{Calls: map[string]int{}}, 0},
	} {
		if got := stageFloor(tc.s, 10, 0.1); got < tc.want-1e-9 || got > tc.want+1e-9 {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
