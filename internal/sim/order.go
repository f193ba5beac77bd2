package sim

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// The tree lists' order: order_by and sort (docs/api-reference.md §4.5),
// defaulting by behaviour list_order. updated_at is a project-wide change
// counter that every change of a group or repository advances
// (docs/simulator.md, "list_order"), so an edit during paging reorders an
// updated_at list; created_at orders by id, handed out in creation order.

// simEpochMillis is 2025-01-01T00:00:00Z, the simulator's creation time of
// everything in a fixture; updated_at_timestamp is that plus a second per
// change counted.
const simEpochMillis = 1735689600000

var simEpoch = time.UnixMilli(simEpochMillis).UTC()

var orderKeys = map[string]bool{"id": true, "name": true, "created_at": true, "updated_at": true}

// nextUpdate advances the change counter and returns it. Called with s.mu
// held.
func (s *Server) nextUpdate() int64 {
	s.updateSeq++
	return s.updateSeq
}

// treeOrder reads order_by and sort, with list_order's defaults.
func (s *Server) treeOrder(q *request) (by string, desc bool, bad *reply) {
	by, dir := "id", "asc"
	if s.fx.Behaviour.ListOrder == "updated" {
		by, dir = "updated_at", "desc"
	}
	if v := q.query.Get("order_by"); v != "" {
		if !orderKeys[v] {
			return "", false, new(badParam("order_by must be one of id, name, created_at, updated_at"))
		}
		by = v
	}
	if v := q.query.Get("sort"); v != "" {
		if v != "asc" && v != "desc" {
			return "", false, new(badParam("sort must be asc or desc"))
		}
		dir = v
	}
	return by, dir == "desc", nil
}

// ordered is what the tree order looks at.
type ordered struct {
	id      int64
	name    string
	updated int64
}

// sortTree sorts items (of which key gives the ordered fields) by the order.
func sortTree[T any](items []T, key func(T) ordered, by string, desc bool) {
	slices.SortStableFunc(items, func(x, y T) int {
		a, b := key(x), key(y)
		if desc {
			a, b = b, a
		}
		c := 0
		switch by {
		case "name":
			c = strings.Compare(a.name, b.name)
		case "updated_at":
			c = cmp.Compare(a.updated, b.updated)
		}
		return cmp.Or(c, cmp.Compare(a.id, b.id)) // id, created_at, and every tie
	})
}
