package cli

import (
	"context"
	"fmt"

	"github.com/reposync/reposync/internal/apply"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/remote"
	"github.com/reposync/reposync/internal/state"
)

// confirmApplied checks that apply's writes took effect: it re-reads every
// object with a change reported done and plans it again; a done change that
// the new plan still wants did not take effect, whatever the API answered,
// and is turned into a failure saying so. A behaviour of the service nobody
// foresaw then shows up as a clear failure (exit 3), not as the same change
// planned again every night.
//
// It reads only what changed: the touched repositories' lists, the touched
// groups' member groups, the Git authorizations when one changed, and the
// tree only when groups were created or deleted.
func confirmApplied(ctx context.Context, s *session, d *state.Desired, r resolved, before *liveState, rep *apply.Report) error {
	done := map[plan.Address]*apply.Result{}
	repos, groups := map[string]bool{}, map[string]bool{}
	auths, tree := false, false
	for i := range rep.Results {
		res := &rep.Results[i]
		if res.Status != apply.StatusDone {
			continue
		}
		done[res.Address] = res
		owner := res.Address.Owner()
		switch {
		case owner.Object == plan.ObjectRepository:
			repos[owner.Name] = true
		case owner.Object == plan.ObjectGitAuth:
			auths = true
		case res.Kind == plan.KindGroup:
			tree = true
			groups[owner.Name] = true
		default:
			groups[owner.Name] = true
		}
	}
	if len(done) == 0 {
		return nil
	}
	var live *state.Live
	if tree {
		var err error
		var reach func(string) bool
		if r.scope != nil {
			reach = r.scope.Reaches
		}
		if live, err = s.remote.Walk(ctx, remote.WalkRequest{Reach: reach}); err != nil {
			return err
		}
	} else {
		live = cloneTree(before.live)
	}
	req := remote.ReadRequest{GitAuths: auths}
	for p := range repos {
		if e := before.eff[p]; e != nil && live.Repositories[p] != nil {
			req.Repositories = append(req.Repositories, remote.RepoRead{Path: p, Members: e.Members != nil, MemberGroups: e.MemberGroups != nil, PushRules: e.PushRules != nil})
		}
	}
	for p := range groups {
		req.Groups = append(req.Groups, p)
	}
	if err := s.remote.Read(ctx, live, req); err != nil {
		return err
	}
	if !auths {
		live.GitAuths = before.live.GitAuths
	}
	eff := map[string]*state.EffectiveRepository{}
	for p := range repos {
		if e := before.eff[p]; e != nil {
			eff[p] = e
		}
	}
	// Untouched groups keep what was read before (cloneTree), so the new
	// plan repeats their old changes; only the done addresses are looked at.
	opts := r.planOptions()
	opts.RotateSecrets = false // a rotation is done once; a new plan must not ask for it again
	fresh, _ := plan.Diff(d, eff, live, opts)
	for _, c := range fresh.Changes {
		res := done[c.Address]
		if res == nil || c.Action == plan.Manual && res.Action == plan.Manual {
			continue
		}
		res.Status = apply.StatusFailed
		res.Message = fmt.Sprintf("did not take effect: the API accepted the write, but a new read still shows the need to %s it", c.Action)
		if c.Action == plan.Manual {
			res.Message = "did not take effect: " + c.Reason
		}
		rep.Summary.Done--
		rep.Summary.Failed++
	}
	return nil
}

// cloneTree copies the tree of live (groups and repositories, without
// their details) so a second read does not change the first.
func cloneTree(live *state.Live) *state.Live {
	out := &state.Live{Project: live.Project, Groups: map[string]*state.LiveGroup{}, Repositories: map[string]*state.LiveRepository{},
		Users: map[string]state.LiveUser{}, MemberGroups: map[string]state.LiveMemberGroup{}, Roles: map[string]state.LiveRole{},
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
