package remote

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
)

// Writer performs plan changes, one API write per call of Apply. It makes
// the fewest writes (batches where the API has them), treats "already there"
// answers as done, and never repeats a write whose outcome is unknown
// without first re-reading (verify). It satisfies apply.Mutator.
type Writer struct {
	c *Client
	// secret returns the value of a password environment variable.
	secret  func(name string) (string, bool)
	created sync.Map // group path -> id (int64) of the groups this run created
}

// NewWriter returns a Writer; secret looks up Git authorization passwords
// by the environment variable name the spec gives (password_env).
func (c *Client) NewWriter(secret func(name string) (string, bool)) *Writer {
	return &Writer{c: c, secret: secret}
}

// Partial reports per-change failures of one batch write; the changes of
// the batch it does not name took effect.
type Partial map[plan.Address]error

func (p Partial) Error() string {
	addrs := slices.SortedFunc(maps.Keys(p), plan.Address.Compare)
	if len(addrs) == 1 {
		return fmt.Sprintf("%s: %v", addrs[0], p[addrs[0]])
	}
	return fmt.Sprintf("%d of the batch failed; first %s: %v", len(p), addrs[0], p[addrs[0]])
}

// FailedChanges maps the failed changes' addresses to their errors.
func (p Partial) FailedChanges() map[plan.Address]error { return p }

// Apply performs one write covering changes (see apply.Mutator). Every
// change must be of the kind op writes; a plan that says otherwise (a saved
// plan edited by hand) is an error, never a panic.
func (w *Writer) Apply(ctx context.Context, op plan.Op, changes []plan.Change) error {
	if len(changes) == 0 {
		return nil
	}
	for _, c := range changes {
		if got := plan.OpFor(c); got != op {
			return fmt.Errorf("internal error: %s (%s %s) is not a %s change", c.Address, c.Action, c.Kind, op)
		}
	}
	if !op.Batched() && len(changes) > 1 {
		return fmt.Errorf("internal error: %s writes one change at a time, got %d", op, len(changes))
	}
	c := changes[0]
	switch op {
	case plan.OpCreateGroup:
		return w.createGroup(ctx, c)
	case plan.OpDeleteGroup:
		return w.deleteGroup(ctx, c)
	case plan.OpAttachGroupMemberGroup:
		return w.attachToGroup(ctx, c)
	case plan.OpAttachMemberGroup:
		return w.attachToRepository(ctx, c)
	case plan.OpAddMembers:
		return w.addMembers(ctx, changes)
	case plan.OpSetRole:
		return w.setRole(ctx, c)
	case plan.OpDeleteMember:
		return w.deleteMember(ctx, c)
	case plan.OpCreatePushRule:
		return w.createPushRule(ctx, c)
	case plan.OpUpdatePushRules:
		return w.updatePushRules(ctx, changes)
	case plan.OpDeletePushRules:
		return w.prunePushRules(ctx, changes)
	case plan.OpCreateGitAuth:
		return w.createGitAuth(ctx, c)
	case plan.OpDeleteGitAuth:
		return w.deleteGitAuth(ctx, c)
	case plan.OpReplaceGitAuth:
		return w.replaceGitAuth(ctx, c)
	}
	return fmt.Errorf("internal error: unknown operation %s", op)
}

// maxWriteAttempts bounds how often a write of unknown outcome is re-read and sent again.
const maxWriteAttempts = 4

// errStillUnknown marks items whose write outcome stayed unknown after
// every attempt: they were neither confirmed nor refused.
var errStillUnknown = errors.New("the outcome stayed unknown after several attempts")

// verify performs a write of items whose outcome may be unknown
// (unknownOutcome) and never repeats it blindly: after such an outcome it
// asks pending which items have not taken effect yet, and writes only those
// again. It returns nil when every item took effect, the write's own error
// when it failed for certain (all items failed), or errStillUnknown with
// the items still unknown after maxWriteAttempts. The writes whose effect
// one re-read shows (creations, attachments, deletions of rules and
// authorizations) go through it; the others (a role, a member's removal, a
// rule update, a group deletion) are idempotent, retried by the client as
// such, and fail on an outcome still unknown: the next plan shows it.
func verify[T any](ctx context.Context, items []T, write func([]T) error, pending func([]T) ([]T, error)) ([]T, error) {
	for attempt := 1; len(items) > 0; attempt++ {
		err := write(items)
		if err == nil || !unknownOutcome(err) {
			return nil, err
		}
		left, rerr := pending(items)
		if rerr != nil {
			return items, fmt.Errorf("%w (and re-reading to check failed: %v)", err, rerr)
		}
		items = left
		if len(items) == 0 {
			return nil, nil
		}
		if attempt == maxWriteAttempts {
			return items, fmt.Errorf("%w: %v", errStillUnknown, err)
		}
		if ctx.Err() != nil {
			return items, ctx.Err()
		}
	}
	return nil, nil
}

// verifyBatch is verify for a batch of changes: when some of them took
// effect and the others stayed unknown, the error fails only the others.
func verifyBatch(ctx context.Context, changes []plan.Change, write func([]plan.Change) error, pending func([]plan.Change) ([]plan.Change, error)) error {
	left, err := verify(ctx, changes, write, pending)
	if err != nil && len(left) > 0 && len(left) < len(changes) {
		return failEach(left, err)
	}
	return err
}

// failEach fails every one of changes with err.
func failEach(changes []plan.Change, err error) Partial {
	p := Partial{}
	for _, c := range changes {
		p[c.Address] = err
	}
	return p
}

// verifyOne is verify for a write of one object; done reports whether the
// object is now as the write wanted it (created, attached, or gone).
func verifyOne(ctx context.Context, what string, write func() error, done func() (bool, error)) error {
	_, err := verify(ctx, []struct{}{{}},
		func([]struct{}) error { return write() },
		func(items []struct{}) ([]struct{}, error) {
			ok, err := done()
			if ok || err != nil {
				return nil, err
			}
			return items, nil
		})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// unknownOutcome reports whether a failed write may nevertheless have taken
// effect: the answer was lost after sending, or the service failed with a
// 500/502/504 while processing it (the api client retries only writes that
// provably did nothing). Such a write is re-read, never blindly repeated.
func unknownOutcome(err error) bool {
	if api.IsAmbiguous(err) {
		return true
	}
	ae, ok := errors.AsType[*api.Error](err)
	return ok && ae.Kind == api.KindHTTP && (ae.Status == 500 || ae.Status == 502 || ae.Status == 504)
}

// tookEffect is the error of what follows a write that took effect: its
// message, no longer unwrapping to context.Canceled, which apply reports
// as a change not started (nothing sent).
func tookEffect(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New(err.Error())
	}
	return err
}

// after returns c's after value as the type its kind must have; a plan that
// says otherwise (edited by hand) is an error, never a panic.
func after[P interface {
	*E
	plan.Value
}, E any](c plan.Change) (P, error) {
	p, ok := c.After.(P)
	if !ok || p == nil {
		return nil, fmt.Errorf("%s: the plan has no valid \"after\" value for this %s change (got %T)", c.Address, c.Kind, c.After)
	}
	return p, nil
}
