package remote

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// The writer under the plausible behaviours of the real service the
// simulator can take (docs/api-assumptions.md).

func deleteGroupChange(path string, id, parentID int64) plan.Change {
	return plan.Change{Address: plan.GroupAddress(path), Kind: plan.KindGroup, Action: plan.Delete,
		Before: &plan.GroupValue{}, Target: plan.Target{Group: path, GroupID: id, ParentGroup: state.ParentPath(path), ParentGroupID: parentID}}
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
	if err := h.apply(plan.OpDeleteGroup, deleteGroupChange("x/y", yID, xID)); err != nil {
		t.Fatalf("child: %v", err)
	}
	if n := h.calls("ShowGroup"); n == 0 {
		t.Error("the deletion was not waited for")
	}
	if err := h.apply(plan.OpDeleteGroup, deleteGroupChange("x", xID, 0)); err != nil {
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
			err := h.apply(plan.OpDeleteGroup, deleteGroupChange("pay/old", 101, 100))
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

// delete_group: cascade — DeleteGroup of a group that is not empty deletes
// what is inside. Right before deleting, the writer reads the group again
// and refuses one that holds anything now, by its listings or by
// ShowGroup's counts, whatever the plan saw.
func TestDeleteGroupRefusesContentUnderCascade(t *testing.T) {
	const cascade = "  - {path: pay/old/late}\nbehaviour: {delete_group: cascade}\n"
	for name, faults := range map[string][]*fault{
		"seen in the listing": nil,
		// The listings lag behind (answer empty): the counts still tell.
		"seen in the counts only": {on("GET", `/groups/101/subgroups-and-repositories`, 1, empty), on("GET", `/groups/101/subgroups-and-repositories`, 2, empty)},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarnessWith(t, cascade, faults...)
			err := h.apply(plan.OpDeleteGroup, deleteGroupChange("pay/old", 101, 100))
			if err == nil || !strings.Contains(err.Error(), "not deleted: group pay/old is not empty after all") ||
				!strings.Contains(err.Error(), "repository_count 1") {
				t.Fatalf("err = %v", err)
			}
			if faults == nil && !strings.Contains(err.Error(), "(late)") {
				t.Errorf("the repository is not named: %v", err)
			}
			if h.calls("DeleteGroup") != 0 || !slices.Contains(h.groups(), "pay/old") || h.repo("pay/old/late").Path == "" {
				t.Error("the group or what it holds was deleted")
			}
		})
	}
	// An empty group is deleted as before.
	h := newHarnessWith(t, "behaviour: {delete_group: cascade}\n")
	if err := h.apply(plan.OpDeleteGroup, deleteGroupChange("pay/old", 101, 100)); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(h.groups(), "pay/old") {
		t.Error("the empty group was not deleted")
	}
}

// legacy_member_id: own — the legacy list's user_id is an id of the
// membership, the only one SetRepoRole and DeleteRepoMember take. The read
// pairs the lists by name and keeps that id; the writer addresses members
// by it, refuses to guess one it does not have, and never takes the 404 an
// id it does not take answers for "already gone".
func TestMemberWritesUnderOwnLegacyIDs(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {legacy_member_id: own}\n")
	live, err := h.c.Walk(context.Background(), WalkRequest{Lists: func(p string) (RepoRead, bool) { return AllLists(p), true }})
	if err != nil {
		t.Fatal(err)
	}
	bob := live.Repositories["pay/gateway"].Members["bob"]
	if bob.Role != "developer" || bob.MemberID == "" || bob.MemberID == bob.User.IAMID || bob.User.IAMID != h.user("bob").IAMID {
		t.Fatalf("bob read as %+v", bob)
	}
	change := func(action plan.Action, role state.Role, id string) plan.Change {
		c := h.memberChange("bob", action, role)
		c.Target.MemberID = id
		return c
	}

	// The IAM id: DeleteRepoMember answers 404, the member is still there.
	err = h.apply(plan.OpDeleteMember, change(plan.Delete, "", bob.User.IAMID))
	if err == nil || !strings.Contains(err.Error(), "yet the legacy member list still shows bob") {
		t.Errorf("delete by the IAM id: err = %v", err)
	}
	// No id: nothing is sent.
	writes := h.sim.Stats().Writes
	for _, c := range []plan.Change{change(plan.Update, state.RoleViewer, ""), change(plan.Delete, "", "")} {
		op := plan.OpFor(c)
		if err := h.apply(op, c); err == nil || !strings.Contains(err.Error(), "its member id is unknown") {
			t.Errorf("%s without an id: err = %v", op, err)
		}
	}
	if h.sim.Stats().Writes != writes || h.repo("pay/gateway").Members["bob"] != "developer" {
		t.Fatalf("bob was changed: %v", h.repo("pay/gateway").Members)
	}

	// The id the list gave: both writes take effect.
	if err := h.apply(plan.OpSetRole, change(plan.Update, state.RoleViewer, bob.MemberID)); err != nil {
		t.Fatal(err)
	}
	if got := h.repo("pay/gateway").Members["bob"]; got != "viewer" {
		t.Errorf("bob = %q, want viewer", got)
	}
	if err := h.apply(plan.OpDeleteMember, change(plan.Delete, "", bob.MemberID)); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.repo("pay/gateway").Members["bob"]; ok {
		t.Error("bob is still a member")
	}
	// AddRepoMembers still takes the IAM id; after a lost answer the
	// re-read finds the new member by name.
	h = newHarnessWith(t, "behaviour: {legacy_member_id: own}\n", on("POST", `/members$`, 1, lose))
	if err := h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer)); err != nil {
		t.Fatal(err)
	}
	if n := h.calls("AddRepoMembers"); n != 1 || h.repo("pay/gateway").Members["carol"] != "viewer" {
		t.Errorf("AddRepoMembers called %d times, members %v", n, h.repo("pay/gateway").Members)
	}
}

// sync_marker: none — a synced project member's row carries no marker; it
// is known by its project role, which the member setting syncs.
func TestSyncedMembersWithoutMarker(t *testing.T) {
	for _, marker := range []string{"project", "none"} {
		t.Run(marker, func(t *testing.T) {
			h := newHarnessWith(t, "project_members: [{user: dave, role: Committer}, {user: bob, role: Tester}]\nbehaviour: {sync_marker: "+marker+"}\n")
			live, err := h.c.Walk(context.Background(), WalkRequest{Lists: func(p string) (RepoRead, bool) { return RepoRead{Path: p, Members: true}, true }})
			if err != nil {
				t.Fatal(err)
			}
			m := live.Repositories["pay/gateway"].Members
			if m["dave"].Managed != "synced from the project as Committer" {
				t.Errorf("dave = %+v, want managed", m["dave"])
			}
			// bob is a direct member who is also a project member: a
			// synced role, so CodeArts manages him too.
			if m["bob"].Managed != "synced from the project as Tester" {
				t.Errorf("bob = %+v, want managed", m["bob"])
			}
			if h.calls("ShowProjectMemberSetting") != 1 {
				t.Errorf("ShowProjectMemberSetting called %d times, want 1", h.calls("ShowProjectMemberSetting"))
			}
		})
	}
}

// refuse_items — users a batch write refuses inside its 2xx answer fail
// their change with the service's message; the rest of the batch is done.
func TestBatchRefusalsFailTheirChanges(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {refuse_items: [carol]}\n")
	err := h.apply(plan.OpAddMembers, h.memberChange("carol", plan.Create, state.RoleViewer), h.memberChange("dave", plan.Create, state.RoleViewer))
	var p Partial
	if !errors.As(err, &p) || len(p) != 1 || p[plan.MemberAddress("pay/gateway", "carol")] == nil ||
		!strings.Contains(p[plan.MemberAddress("pay/gateway", "carol")].Error(), "refuse_items") {
		t.Fatalf("err = %v, want carol failed with the service's message", err)
	}
	if m := h.repo("pay/gateway").Members; m["dave"] != "viewer" || m["carol"] != "" {
		t.Errorf("members = %v", m)
	}
	// leads holds carol: the group attach fails with the message.
	g := plan.Change{Address: plan.GroupMemberGroupAddress("pay/old", "leads"), Kind: plan.KindGroupMemberGroup, Action: plan.Create,
		After: &plan.MemberGroupValue{Name: "leads"}, Target: plan.Target{Group: "pay/old", GroupID: 101, MemberGroup: "leads", MemberGroupID: leadsID}}
	err = h.apply(plan.OpAttachGroupMemberGroup, g)
	if err == nil || !strings.Contains(err.Error(), "the user cannot be added (refused: behaviour.refuse_items)") {
		t.Errorf("attach: err = %v, want the refusal", err)
	}
}

// Ids of deleted groups might be handed out again (A20): a group whose id
// the tree no longer shows at its path is not deleted, whatever that id is
// now.
func TestDeleteGroupChecksTheIDIsStillTheGroup(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {delete_group: cascade}\n")
	// The plan saw pay/gone at 101; 101 is pay/old now.
	err := h.apply(plan.OpDeleteGroup, deleteGroupChange("pay/gone", 101, 100))
	if err == nil || !strings.Contains(err.Error(), "not deleted: group id 101 is no longer pay/gone in the tree") {
		t.Fatalf("err = %v", err)
	}
	// A change that does not name the group's parent cannot be checked.
	orphan := deleteGroupChange("pay/old", 101, 100)
	orphan.Target.ParentGroup, orphan.Target.ParentGroupID = "", 0
	if err := h.apply(plan.OpDeleteGroup, orphan); err == nil || !strings.Contains(err.Error(), "so its id cannot be checked") {
		t.Errorf("no parent: err = %v", err)
	}
	if h.calls("DeleteGroup") != 0 || !slices.Contains(h.groups(), "pay/old") {
		t.Error("a group was deleted")
	}
}

// Rules are deleted only where a read right before shows their planned path
// at their id (A20): an id that is another rule's now is kept, one already
// gone is done.
func TestPrunePushRulesChecksTheirIDs(t *testing.T) {
	h := newHarness(t)
	stale := ruleChange("/gone/*", plan.Delete, 6) // 6 is /deploy/*
	err := h.apply(plan.OpDeletePushRules, ruleChange("/docs/*", plan.Delete, 7), stale, ruleChange("/old/*", plan.Delete, 99))
	var p Partial
	if !errors.As(err, &p) || len(p) != 1 || p[stale.Address] == nil || !strings.Contains(p[stale.Address].Error(), "rule 6 is the rule of /deploy/* now") {
		t.Fatalf("err = %v", err)
	}
	var paths []string
	for _, r := range h.repo("pay/gateway").PushRules {
		paths = append(paths, r.Path)
	}
	if !slices.Equal(paths, []string{"/config/*", "/deploy/*"}) {
		t.Errorf("rules = %v, want /docs/* deleted and /deploy/* kept", paths)
	}
}

// batch_update: merge, and the service refuses the rule created again with
// the planned grants: it is created again as it was, so the path keeps a
// rule, and the change fails saying so.
func TestRecreatedPushRuleFallsBackToWhatItWas(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {batch_update: merge}\n", &fault{method: "POST", path: regexp.MustCompile(`/file-push-permissions$`), nth: 1, do: conflict, code: "CH.010001"})
	err := h.apply(plan.OpUpdatePushRules, ruleChange("/config/*", plan.Update, 5, 9125))
	if err == nil || !strings.Contains(err.Error(), "so it was created again as it was") {
		t.Fatalf("err = %v", err)
	}
	var users []string
	for _, r := range h.repo("pay/gateway").PushRules {
		if r.Path == "/config/*" {
			users = r.Users
		}
	}
	if !slices.Equal(users, []string{"alice", "bob"}) {
		t.Errorf("/config/* users = %v, want the merged [alice bob] restored", users)
	}
}

// A run interrupted while it waits for an accepted deletion reports the
// group's change as failed, saying so, never as not started (apply takes
// an error that is context.Canceled for one whose write was never sent).
func TestDeleteGroupInterruptedAfterItWasAccepted(t *testing.T) {
	h := newHarnessWith(t, "behaviour: {delete_group: async}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var accepted atomic.Bool
	h.hook = func(r *http.Request) {
		if r.Method == http.MethodDelete {
			accepted.Store(true)
		} else if accepted.Load() {
			cancel()
		}
	}
	if err := h.apply(plan.OpCreateGroup, groupChange("x", 0)); err != nil {
		t.Fatal(err)
	}
	var xID int64
	for _, g := range h.sim.Snapshot().Groups {
		if g.Path == "x" {
			xID = g.ID
		}
	}
	err := h.w.Apply(ctx, plan.OpDeleteGroup, []plan.Change{deleteGroupChange("x", xID, 0)})
	if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "was accepted") {
		t.Errorf("err = %v, want the accepted deletion's failure, not context.Canceled", err)
	}
}
