package cli

import (
	"context"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/reposync/reposync/internal/apply"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/state"
)

// confirmer checks that apply's writes took effect: it re-reads what each
// done change touched and plans it again; a done change the new plan still
// wants did not take effect, whatever the API answered, and fails saying so
// — a behaviour of the service nobody foresaw shows up as a clear failure
// (exit 3), not as the same change planned again every night.
//
// A repository is read back as soon as its last write has ended
// (apply.Options.OnSettled), while the others are written: the read
// operations are idle meanwhile, so this costs little wall time. Only the
// lists its done changes touched are read, and no lookup (the plan's still
// hold). What may still change waits for the end: a repository under a
// group the plan writes to, the groups' member groups, the Git
// authorizations, and the tree when groups were created or deleted.
type confirmer struct {
	// run made the plan; its res is the state read before the writes.
	run *planRun
	// live is the state read back: the tree and lookups the plan read,
	// and for each repository read back its lists before, the touched ones
	// replaced.
	live   *state.Live
	reader *remote.Reader
	// groups are the groups the plan writes to.
	groups map[string]bool

	// What settled, by owner, and what waits for the end.
	checked      map[plan.Address]bool  // the owners read back (now or at the end)
	later        []func(*remote.Reader) // the reads that wait for the end
	auths, tree  bool
	queued, read atomic.Int64 // repositories read back while writing
}

// startConfirm starts the reader that confirms p's writes as they settle.
func startConfirm(ctx context.Context, run *planRun, p *plan.Plan) *confirmer {
	c := &confirmer{run: run, live: cloneTree(run.res.live), groups: map[string]bool{}, checked: map[plan.Address]bool{}}
	for _, ch := range p.Changes {
		if o := ch.Address.Owner(); o.Object == plan.ObjectGroup {
			c.groups[o.Name] = true
		}
	}
	c.reader = run.s.remote.NewReader(ctx, c.live, func(string) { c.read.Add(1) })
	return c
}

// settled is apply's OnSettled: it reads back a repository at once, or
// notes what waits for the end.
func (c *confirmer) settled(owner plan.Address, rs []apply.Result) {
	want := remote.RepoRead{Path: owner.Name}
	done := false
	for _, res := range rs {
		if res.Status != apply.StatusDone {
			continue
		}
		done = true
		switch res.Kind {
		case plan.KindMember:
			want.Members = true
		case plan.KindMemberGroup:
			want.MemberGroups = true
		case plan.KindPushRule:
			want.PushRules = true
		case plan.KindGroup:
			c.tree = true
		}
	}
	if !done {
		return
	}
	switch owner.Object {
	case plan.ObjectGitAuth:
		c.auths = true
	case plan.ObjectGroup:
		c.later = append(c.later, func(rd *remote.Reader) { rd.Group(owner.Name) })
	case plan.ObjectRepository:
		repo := c.live.Repositories[owner.Name]
		if repo == nil {
			return
		}
		*repo = *c.run.res.live.Repositories[owner.Name] // the lists not read back stay as the plan read them
		if c.underWrittenGroup(owner.Name) {
			c.later = append(c.later, func(rd *remote.Reader) { rd.Repository(want) })
		} else {
			c.queued.Add(1)
			c.reader.Repository(want)
		}
	}
	c.checked[owner] = true
}

func (c *confirmer) underWrittenGroup(repo string) bool {
	for g := state.ParentPath(repo); g != ""; g = state.ParentPath(g) {
		if c.groups[g] {
			return true
		}
	}
	return false
}

// progress says how many repositories were read back of those queued so
// far, for the progress line.
func (c *confirmer) progress() (read, queued int64) { return c.read.Load(), c.queued.Load() }

// finish waits for the reads, reads what waited for the end, plans the
// read-back objects again and fails each done change the new plan still
// wants; the others are marked confirmed.
func (c *confirmer) finish(ctx context.Context, rep *apply.Report) error {
	if err := c.reader.Wait(); err != nil {
		return err
	}
	live := c.live
	if c.tree {
		walked, err := c.run.s.remote.Walk(ctx, remote.WalkRequest{Reach: c.run.r.Scope.Reaches})
		if err != nil {
			return err
		}
		live.Groups = walked.Groups
	}
	if len(c.later) > 0 || c.auths {
		rd := c.run.s.remote.NewReader(ctx, live, nil)
		for _, read := range c.later {
			read(rd)
		}
		if c.auths {
			rd.GitAuths()
		}
		if err := rd.Wait(); err != nil {
			return err
		}
	}
	if !c.auths {
		live.GitAuths = c.run.res.live.GitAuths
	}
	eff := map[string]*state.EffectiveRepository{}
	for o := range c.checked {
		if e := c.run.res.eff[o.Name]; o.Object == plan.ObjectRepository && e != nil { // nil: the repository had only withdrawn grants
			eff[o.Name] = e
		}
	}
	// Untouched groups keep what was read before (cloneTree), so the new
	// plan repeats their old changes; only the done addresses of what was
	// read back are looked at.
	opts := c.run.r.Options
	opts.RotateSecrets = false // a rotation is done once; a new plan must not ask for it again
	fresh, _ := plan.Diff(c.run.d, eff, live, opts)
	still := map[plan.Address]plan.Change{}
	for _, ch := range fresh.Changes {
		still[ch.Address] = ch
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		if res.Status != apply.StatusDone || !c.checked[res.Address.Owner()] {
			continue
		}
		ch, wanted := still[res.Address]
		if !wanted || ch.Action == plan.Manual && res.Action == plan.Manual {
			res.Confirmed = true
			continue
		}
		res.Status = apply.StatusFailed
		res.Message = fmt.Sprintf("did not take effect: the API accepted the write, but a new read still shows the need to %s it", ch.Action)
		if ch.Action == plan.Manual {
			res.Message = "did not take effect: " + ch.Reason
		}
		rep.Summary.Done--
		rep.Summary.Failed++
	}
	return nil
}

// cloneTree copies the tree of live (groups and repositories, without
// their details) and its lookups, so a second read does not change the
// first.
func cloneTree(live *state.Live) *state.Live {
	out := &state.Live{Project: live.Project, Groups: map[string]*state.LiveGroup{}, Repositories: map[string]*state.LiveRepository{},
		Users: maps.Clone(live.Users), MemberGroups: maps.Clone(live.MemberGroups), Roles: maps.Clone(live.Roles),
		Fingerprints: map[string]string{}}
	for p, g := range live.Groups {
		cp := *g
		out.Groups[p] = &cp
	}
	for p, r := range live.Repositories {
		out.Repositories[p] = &state.LiveRepository{ID: r.ID, UUID: r.UUID, Path: r.Path, GroupID: r.GroupID}
	}
	return out
}
