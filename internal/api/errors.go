package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind classifies an *Error beyond its HTTP status.
type Kind int

// The kinds of failure an *Error can carry.
const (
	// KindHTTP is an error answer from the server (status >= 400, or a legacy
	// {"status": "failed"} body on HTTP 200).
	KindHTTP Kind = iota
	// KindTransport is a connection failure after every permitted retry.
	KindTransport
	// KindAmbiguous means a write was sent and the connection failed before an
	// answer arrived: it may or may not have taken effect. Re-read, do not resend.
	KindAmbiguous
	// KindPartial means a 2xx answer reported failures for some of its items.
	KindPartial
	// KindDecode means the answer could not be decoded or exceeded a size limit.
	KindDecode
	// KindTimeout means one of the client's bounds ended the call: the
	// attempt timeout on the last permitted attempt, or the call timeout
	// across attempts and back-off. The message names the bound and its
	// value; errors.Is(err, context.DeadlineExceeded) holds.
	KindTimeout
	// KindRedirect means the server answered 3xx. The client follows no
	// redirect (a POST body would follow it to another host); Location names
	// the target. Nothing is retried: the endpoint is most likely wrong.
	KindRedirect
)

// Failure is one per-item failure reported inside a successful answer.
type Failure struct {
	// ID is the item's id as the server echoed it (an IAM user id for members).
	ID string
	// Name is the item's name when the server echoed one.
	Name string
	// Message is the server's explanation.
	Message string
}

// Error is every failure the client returns for a request. It never carries a
// credential or a request body: URL and messages pass through the client's
// redaction first.
type Error struct {
	// Op is the API operation (the SDK method name, e.g. "ListMembers").
	Op string
	// Method is the HTTP method.
	Method string
	// URL is the request URL with secret-looking query values redacted.
	URL string
	// Status is the HTTP status, 0 when no answer arrived.
	Status int
	// Code is the service's error_code (e.g. "CH_23_51308"), when present.
	Code string
	// Message is the service's error_msg or a description of the failure.
	Message string
	// RequestID is the X-Request-Id response header, for support tickets.
	RequestID string
	// Kind says what sort of failure this is.
	Kind Kind
	// Location is the sanitised target of a KindRedirect answer ("" when the
	// answer named none).
	Location string
	// Failures lists per-item failures for KindPartial.
	Failures []Failure
	// Err is the underlying transport or decode error, if any.
	Err error
}

// Error formats the failure as "OP METHOD URL: status N CODE: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s %s %s", e.Op, e.Method, e.URL) + e.detail()
}

// detail is Error without the operation and URL, starting with ": ".
func (e *Error) detail() string {
	var b strings.Builder
	set := func(format, s string) { // writes s when it is set
		if s != "" {
			fmt.Fprintf(&b, format, s)
		}
	}
	b.WriteString(kindText[e.Kind])
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	set(" %s", e.Code)
	set(": %s", e.Message)
	for _, f := range e.Failures {
		fmt.Fprintf(&b, "; %s", f.ID)
		set(" (%s)", f.Name)
		set(": %s", f.Message)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	set(" (request id %s)", e.RequestID)
	return b.String()
}

// kindText says what happened for the kinds whose status and message do not.
var kindText = map[Kind]string{
	KindAmbiguous: ": outcome unknown (the request was sent; no complete answer came back)",
	KindTransport: ": transport failure",
	KindDecode:    ": bad response",
	KindPartial:   ": partly failed",
}

// Unwrap returns the underlying transport or decode error.
func (e *Error) Unwrap() error { return e.Err }

// OutcomeUnknown reports whether the request was sent and no complete
// answer came back (KindAmbiguous), for callers that must tell "not
// started" from "maybe done" without importing this package.
func (e *Error) OutcomeUnknown() bool { return e.Kind == KindAmbiguous }

// ErrorCode returns the service's error code ("" when there is none), so
// reports can show it without importing this package.
func (e *Error) ErrorCode() string { return e.Code }

// IsNotFound reports whether err is a 404 answer.
func IsNotFound(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == KindHTTP && (e.Status == http.StatusNotFound || e.Code == "CH.000404")
}

// IsConflict reports whether err is a 409 answer, whatever its code. A 409
// is not a success: callers must not treat it as "already there" (a name
// taken by another object, a state that forbids the change and a concurrent
// edit all answer 409 too); IsAlreadyExists tells the one that is.
func IsConflict(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == KindHTTP && e.Status == http.StatusConflict
}

// alreadyThere lists the 409 codes that mean "the object you are creating
// already exists as asked": CH_23_51308, "The member group has been added."
// (docs/api-reference.md §7, §15.2, §18.4; documented for
// AssociateRepositoryUserGroup, answered by AssociateGroupUserGroup too).
var alreadyThere = map[string]bool{"CH_23_51308": true}

// IsAlreadyExists reports whether err is a 409 whose code says the object is
// already there (a member group already associated), so an idempotent apply
// may count it as done. Any other 409 is a conflict, not a success.
func IsAlreadyExists(err error) bool {
	e, _ := errors.AsType[*Error](err)
	return IsConflict(err) && alreadyThere[e.Code]
}

// IsThrottled reports whether err is the gateway's throttling answer
// (429 or APIG.0308), after the client's retries ran out.
func IsThrottled(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == KindHTTP && (e.Status == http.StatusTooManyRequests || e.Code == "APIG.0308")
}

// IsAuth reports whether err is an authentication or permission failure
// (401 or 403), including a failed IAM login.
func IsAuth(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == KindHTTP && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden)
}

// IsAmbiguous reports whether err is a write whose outcome is unknown: the
// caller should re-read the object instead of sending the write again.
func IsAmbiguous(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.Kind == KindAmbiguous
}

// IsTimeout reports whether err ended because a bound of the client ran out
// (the attempt or the call timeout). An ambiguous POST may be a timeout too:
// check IsAmbiguous first.
func IsTimeout(err error) bool {
	return is[*timeoutError](err)
}
