package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// listAll fetches every page of a v4 offset/limit list whose body is a
// top-level JSON array (docs/api-reference.md §3.2); paginate decides where
// it ends.
func listAll[T any](ctx context.Context, c *Client, cl *call) ([]T, error) {
	var all []T
	err := c.paginate(ctx, cl, func(page *call) (int, *response, error) {
		var items []T
		resp, err := c.getJSON(ctx, page, &items)
		if err != nil {
			return 0, nil, err
		}
		all = append(all, items...)
		return len(items), resp, nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// paginate asks for pages at offset 0, limit pageSize, then at the next
// offsets, calling fetch for each (it returns the number of items), until
// the list ends:
//
//   - An empty page ends it.
//   - A full page (as many items as asked) never does, whatever X-Total
//     says: a stale total must not cut a list short.
//   - A short page ends it when X-Total proves the end (offset+k == total).
//   - Without X-Total (or with one smaller than what already arrived, which
//     is stale), a short page of k items ends it when k is smaller than the
//     largest page this operation ever returned, or smaller than
//     minPageCap: a server silently capping pages below the limit asked
//     (100) returns at least that many whenever more remain, so this page
//     was not cut by the cap.
//   - Otherwise (including a short page that X-Total says is not the last)
//     the next page is asked for: empty, the list has ended; not empty, the
//     server caps pages at k (learned as the operation's cap) and paging
//     goes on.
//
// What the rule learns (the largest page per operation) is shared by every
// goroutine of the client. Its cost: one extra call for a list of at least
// minPageCap items whose last page is at least as large as every page the
// operation returned before; none once a full page was seen; none for
// lists with X-Total. A list that ends on a full page always costs the
// empty page after it.
//
// A server that ignores offset and returns the same page again is caught at
// the second page and reported (the alternative, paging until maxPages,
// would return duplicates or nothing after 10 000 calls).
func (c *Client) paginate(ctx context.Context, cl *call, fetch func(page *call) (int, *response, error)) error {
	limit := c.pageSize
	var prev []byte // the previous page's body
	var size int64  // the bytes of every page so far
	confirming := 0 // the size of the short page whose successor is asked for
	for offset, n := 0, 0; ; n++ {
		if n == maxPages {
			return errPagination(c, cl)
		}
		page := *cl
		page.query = url.Values{}
		maps.Copy(page.query, cl.query)
		page.query.Set("offset", strconv.Itoa(offset))
		page.query.Set("limit", strconv.Itoa(limit))
		k, resp, err := fetch(&page)
		if err != nil {
			return err
		}
		if err := c.listSize(cl, &size, len(resp.body)); err != nil {
			return err
		}
		total, hasTotal := xTotal(resp.header)
		largest := c.observePage(cl.op, k, hasTotal)
		if k > 0 {
			if n > 0 && bytes.Equal(resp.body, prev) {
				return errRepeatedPage(c, &page, offset)
			}
			prev = resp.body
		}
		if confirming > 0 && k > 0 {
			c.learnPageCap(cl.op, confirming)
		}
		confirming = 0
		if k == 0 {
			return nil
		}
		offset += k
		switch {
		case k >= limit:
			continue
		case hasTotal && offset == total:
			return nil
		case hasTotal && offset < total:
			// More remain by the total: confirmed below.
		case k < largest || k < minPageCap:
			// No total, or one smaller than what already arrived (stale).
			return nil
		}
		// A short page that may not be the last: a page cap, or (with
		// X-Total) a total that is stale. The next page tells, and only a
		// page with items teaches the cap.
		confirming = k
	}
}

// xTotal reads the X-Total header (a decimal string), when present.
func xTotal(h http.Header) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Total")))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// observePage records a page of k items of op and returns the largest page
// op has returned so far, this one included.
func (c *Client) observePage(op string, k int, hasTotal bool) int {
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	f := c.lists[op]
	f.Pages++
	if hasTotal {
		f.PagesWithTotal++
	}
	f.LargestPage = max(f.LargestPage, k)
	c.lists[op] = f
	return f.LargestPage
}

// learnPageCap records that op returned a short page of k items although
// more followed: the server caps its pages at k (at least).
func (c *Client) learnPageCap(op string, k int) {
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	f := c.lists[op]
	f.PageCap = max(f.PageCap, k)
	c.lists[op] = f
}

// pageCap returns the page cap learned for op, 0 when none was seen.
func (c *Client) pageCap(op string) int {
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	return c.lists[op].PageCap
}

// minPageCap is the smallest silent page cap the client allows for
// (docs/api-assumptions.md A16): the service documents limit 1–100 with a
// default of 20, so a server that ignored limit would answer 20; a cap
// below 10 is not modelled. Without this floor every list of a few items
// (a repository's one or two push rules) that ties the largest page seen
// would cost a second call, doubling the reads of a project whose
// repositories look alike.
const minPageCap = 10

// maxPages stops a listing whose server never returns a short page.
const maxPages = 10000

// defaultMaxList bounds the bytes of all pages of one listing: each answer
// is bounded on its own (maxBody), but a server handing out distinct full
// pages would otherwise be read until maxPages of them.
const defaultMaxList = 256 << 20

// listSize adds a page's bytes to a listing's total and fails once the
// total passes the client's bound.
func (c *Client) listSize(cl *call, total *int64, page int) error {
	*total += int64(page)
	if *total <= c.maxList {
		return nil
	}
	return c.answerError(cl, KindDecode, fmt.Errorf("the list is larger than %d MiB in all; stopped rather than read on (is the server repeating itself?)", c.maxList>>20))
}

func errPagination(c *Client, cl *call) error {
	return c.answerError(cl, KindDecode, fmt.Errorf("pagination did not end after %d pages", maxPages))
}

func errRepeatedPage(c *Client, cl *call, offset int) error {
	return c.answerError(cl, KindDecode, fmt.Errorf("the page at offset %d repeats the page before it: the server seems to ignore offset; stopped rather than return duplicates", offset))
}

// legacyEnvelope is the {status, result, error} wrapper of the v1/v2 APIs.
type legacyEnvelope struct {
	Status string          `json:"status"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// legacy runs a v1 call and unwraps its envelope: a {"status": "failed"}
// body is an error even on HTTP 200. out receives "result".
func (c *Client) legacy(ctx context.Context, cl *call, out any) (*response, error) {
	var env legacyEnvelope
	resp, err := c.getJSON(ctx, cl, &env)
	if err != nil {
		return nil, err
	}
	if env.Status != "" && env.Status != "success" {
		e := c.answerError(cl, KindHTTP, nil)
		e.Status = resp.status
		e.RequestID = resp.header.Get("X-Request-Id")
		if env.Error != nil {
			e.Code, e.Message = c.redact(env.Error.Code), c.redact(env.Error.Message)
		}
		e.Message = cmp.Or(e.Message, fmt.Sprintf("status %q", env.Status))
		return nil, e
	}
	if out != nil && len(env.Result) > 0 && string(env.Result) != "null" {
		if err := json.Unmarshal(env.Result, out); err != nil {
			return nil, c.answerError(cl, KindDecode, fmt.Errorf("decode result: %w", err))
		}
	}
	return resp, nil
}

func get(op string, svc service, path string, q url.Values) *call {
	return &call{op: op, method: http.MethodGet, svc: svc, path: path, query: q}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
