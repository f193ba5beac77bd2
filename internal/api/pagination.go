package api

import (
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
// top-level JSON array. It stops at X-Total when the header is present,
// otherwise at the first short page (REFERENCE §3.2).
func listAll[T any](ctx context.Context, c *Client, cl *call) ([]T, error) {
	var all []T
	for offset, n := 0, 0; ; n++ {
		if n == maxPages {
			return nil, errPagination(c, cl)
		}
		page := *cl
		page.query = url.Values{}
		maps.Copy(page.query, cl.query)
		page.query.Set("offset", strconv.Itoa(offset))
		page.query.Set("limit", strconv.Itoa(c.pageSize))
		var items []T
		resp, err := c.getJSON(ctx, &page, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		offset += len(items)
		if len(items) == 0 {
			return all, nil
		}
		if h := strings.TrimSpace(resp.header.Get("X-Total")); h != "" {
			if total, err := strconv.Atoi(h); err == nil {
				if offset >= total {
					return all, nil
				}
				continue
			}
		}
		if len(items) < c.pageSize {
			return all, nil
		}
	}
}

// maxPages stops a listing whose server never returns a short page.
const maxPages = 10000

func errPagination(c *Client, cl *call) error {
	u, _ := c.url(cl)
	return c.newError(cl, u, nil, KindDecode, fmt.Errorf("pagination did not end after %d pages", maxPages))
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
func (c *Client) legacy(ctx context.Context, cl *call, out any) error {
	var env legacyEnvelope
	resp, err := c.getJSON(ctx, cl, &env)
	if err != nil {
		return err
	}
	if env.Status != "" && env.Status != "success" {
		u, _ := c.url(cl)
		e := c.newError(cl, u, nil, KindHTTP, nil)
		e.Status = resp.status
		e.RequestID = resp.header.Get("X-Request-Id")
		if env.Error != nil {
			e.Code, e.Message = c.redact(env.Error.Code), c.redact(env.Error.Message)
		}
		if e.Message == "" {
			e.Message = fmt.Sprintf("status %q", env.Status)
		}
		return e
	}
	if out != nil && len(env.Result) > 0 && string(env.Result) != "null" {
		if err := json.Unmarshal(env.Result, out); err != nil {
			u, _ := c.url(cl)
			return c.newError(cl, u, nil, KindDecode, fmt.Errorf("decode result: %w", err))
		}
	}
	return nil
}

// FlexString is a string that also decodes from a JSON number or null: some
// ids are documented as strings yet printed as bare numbers (REFERENCE §4.8).
type FlexString string

// UnmarshalJSON accepts a string, a number or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	t := strings.TrimSpace(string(b))
	switch {
	case t == "null":
		*s = ""
	case strings.HasPrefix(t, `"`):
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or number, got %s", t)
		}
		*s = FlexString(n.String())
	}
	return nil
}

// FlexInt is an integer that also decodes from a decimal string: counts such
// as user_count arrive as strings (REFERENCE §18.2).
type FlexInt int64

// UnmarshalJSON accepts a number, a decimal string, "" or null.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	t := strings.TrimSpace(string(b))
	if t == "null" || t == `""` {
		*n = 0
		return nil
	}
	t = strings.Trim(t, `"`)
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer, got %s", string(b))
	}
	*n = FlexInt(v)
	return nil
}

// MarshalJSON writes the number unquoted.
func (n FlexInt) MarshalJSON() ([]byte, error) { return []byte(strconv.FormatInt(int64(n), 10)), nil }

func get(op string, svc service, path string, q url.Values) *call {
	return &call{op: op, method: http.MethodGet, svc: svc, path: path, query: q}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
