package api

import (
	"maps"
	"net/http"
	"time"
)

// Facts is what the client observed of the servers, for a diagnostics
// command to report without scraping errors or logs. Facts returns a copy.
type Facts struct {
	// ServerTime holds, per service ("codearts-repo", "iam", …), the Date
	// header of the most recent successful answer that carried one.
	ServerTime map[string]ServerTime
	// Lists holds, per list operation (e.g. "ListMembers"), what its pages
	// looked like.
	Lists map[string]ListFacts
}

// ServerTime is a server's clock as one answer showed it.
type ServerTime struct {
	// Date is the answer's Date header (one-second resolution).
	Date time.Time
	// Received is the client's clock (WithClock) when the answer arrived.
	Received time.Time
}

// Skew is the server's clock minus the client's, to about a second. The
// gateway refuses AK/SK requests whose X-Sdk-Date is more than 15 minutes off
// its clock (docs/api-reference.md §13.2, APIG.0301 "signature expired").
func (s ServerTime) Skew() time.Duration { return s.Date.Sub(s.Received) }

// ListFacts describes the pages one list operation returned.
type ListFacts struct {
	// Pages is the number of pages received (confirmation pages included).
	Pages int
	// PagesWithTotal is how many of them carried a valid X-Total header (for
	// the legacy ListRepoMembers: a result.total above 0). Equal to Pages:
	// the operation sends a total; 0: it does not; in between: sometimes.
	PagesWithTotal int
	// LargestPage is the most items one page held. Below the limit asked
	// (100) with PageCap 0, no list was long enough to tell whether the
	// server caps pages.
	LargestPage int
	// PageCap is the page size the server was seen to cap pages at: a short
	// page was followed by a page with items. 0 when none was seen.
	PageCap int
}

// Facts returns a copy of what the client observed so far.
func (c *Client) Facts() Facts {
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	return Facts{ServerTime: maps.Clone(c.serverTime), Lists: maps.Clone(c.lists)}
}

// noteDate records the Date header of a successful answer from svc.
func (c *Client) noteDate(svc service, h http.Header) {
	d, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	now := c.clock.Now()
	c.factsMu.Lock()
	defer c.factsMu.Unlock()
	c.serverTime[svc.key()] = ServerTime{Date: d, Received: now}
}

// Endpoints returns the base URL each service is called at, keyed like
// Facts.ServerTime ("codearts-repo", "iam", …): all the same with
// WithEndpoint, the regional hosts with WithRegion. A service the region
// does not offer is left out. The URLs carry no credentials (WithEndpoint
// refuses user info).
func (c *Client) Endpoints() map[string]string {
	out := make(map[string]string, len(c.endpoints))
	for svc, u := range c.endpoints {
		out[svc.key()] = u.String()
	}
	return out
}
