package remote

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/plan"
)

// The writer under the plausible behaviours of the real service the
// simulator can take (docs/api-assumptions.md).

func deleteGroupChange(path string, id int64) plan.Change {
	return plan.Change{Address: plan.GroupAddress(path), Kind: plan.KindGroup, Action: plan.Delete,
		Before: &plan.GroupValue{}, Target: plan.Target{Group: path, GroupID: id}}
}

// delete_group: async — DeleteGroup answers 202 and the group lingers; the
// step waits until it is gone, so the parent's deletion finds it empty.
func TestDeleteGroupWaitsForAsyncDeletion(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {delete_group: async}\n")
	// pay/old is empty; its parent pay holds pay/gateway, so delete a fresh
	// tree instead: create x and x/y, then delete child and parent.
	if err := h.apply(plan.OpCreateGroup, groupChange("x", 0)); err != nil {
		t.Fatal(err)
	}
	if err := h.apply(plan.OpCreateGroup, groupChange("x/y", 0)); err != nil {
		t.Fatal(err)
	}
	xID, yID := int64(0), int64(0)
	for _, g := range h.sim.Snapshot().Groups {
		switch g.Path {
		case "x":
			xID = g.ID
		case "x/y":
			yID = g.ID
		}
	}
	if err := h.apply(plan.OpDeleteGroup, deleteGroupChange("x/y", yID)); err != nil {
		t.Fatalf("child: %v", err)
	}
	if n := h.calls("ShowGroup"); n == 0 {
		t.Error("the deletion was not waited for")
	}
	if err := h.apply(plan.OpDeleteGroup, deleteGroupChange("x", xID)); err != nil {
		t.Fatalf("parent after its child: %v", err)
	}
	if got := h.groups(); slices.Contains(got, "x") || slices.Contains(got, "x/y") {
		t.Errorf("groups = %v", got)
	}
}

// A group holding only archived repositories looks empty in the default
// listing; it is never deleted, whether archived=true lists the archived
// repositories only or every child (archived_listing: all).
func TestDeleteGroupRefusesArchivedContent(t *testing.T) {
	for name, behaviour := range map[string]string{"only": "", "all": "behaviour: {archived_listing: all}\n"} {
		t.Run(name, func(t *testing.T) {
			h := newHarnessWith(t, "  - {path: pay/old/attic, archived: true}\n"+behaviour)
			err := h.apply(plan.OpDeleteGroup, deleteGroupChange("pay/old", 101))
			if err == nil || !strings.Contains(err.Error(), "not deleted: group pay/old is not empty after all (attic (archived))") {
				t.Fatalf("err = %v", err)
			}
			if !slices.Contains(h.groups(), "pay/old") || h.calls("DeleteGroup") != 0 {
				t.Error("the group was deleted")
			}
		})
	}
}

// batch_update: merge — an update that removes grants is answered with
// the old grants kept; the writer re-creates the rule with exactly the
// planned grants.
func TestUpdatePushRulesUnderMerge(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {batch_update: merge}\n")
	// /config/* grants alice (9124); the plan wants bob (9125) only.
	if err := h.apply(plan.OpUpdatePushRules, ruleChange("/config/*", plan.Update, 5, 9125)); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.repo("pay/gateway").PushRules {
		if r.Path == "/config/*" && !slices.Equal(r.Users, []string{"bob"}) {
			t.Errorf("/config/* users = %v, want [bob]", r.Users)
		}
	}
	if h.calls("BatchDeleteRepositoryFilePushPermissions") != 1 || h.calls("CreateFilePushPermission") != 1 {
		t.Errorf("calls %v", h.sim.Stats().Calls)
	}
	// A merge that only adds is the planned result: no re-creation.
	before := h.calls("CreateFilePushPermission")
	if err := h.apply(plan.OpUpdatePushRules, ruleChange("/docs/*", plan.Update, 7, 9125, 9126)); err != nil {
		t.Fatal(err)
	}
	if h.calls("CreateFilePushPermission") != before {
		t.Error("an additive update was re-created")
	}
}

// role_ids: distinct — rules name roles by an id that is not the project
// role id; the writer matches them by name and the update converges.
func TestUpdatePushRulesWithDistinctRoleIDs(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {role_ids: distinct}\n")
	gateway := WalkRequest{Lists: func(p string) (RepoRead, bool) { return AllLists(p), p == "pay/gateway" }}
	if _, err := h.c.Walk(context.Background(), gateway); err != nil {
		t.Fatal(err)
	}
	c := ruleChange("/config/*", plan.Update, 5)
	c.Target.PushRoleIDs = []string{"6115a3ddd9044e288c558d1ae827a732"}
	if err := h.apply(plan.OpUpdatePushRules, c); err != nil {
		t.Fatal(err)
	}
	if h.calls("CreateFilePushPermission") != 0 {
		t.Error("the rule was re-created: its role was not recognised")
	}
	live, err := h.c.Walk(context.Background(), gateway)
	if err != nil {
		t.Fatal(err)
	}
	roles := live.Repositories["pay/gateway"].PushRules["/config/*"].Roles
	if len(roles) != 1 || roles[0].ID != "6115a3ddd9044e288c558d1ae827a732" {
		t.Errorf("the rule's role reads as %+v, want the project role id", roles)
	}
}
