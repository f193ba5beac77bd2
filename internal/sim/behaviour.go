package sim

import (
	"slices"
	"strings"
)

// Behaviour selects, for each question the documents leave open
// (docs/api-reference.md §18.4), which plausible behaviour of the real
// service the simulator imitates. ParseFixture fills in the defaults, so a
// state file records the behaviour it was made with. docs/simulator.md gives
// the exact effects and docs/api-assumptions.md what each rests on.
type Behaviour struct {
	// FullPathNamespace: full paths start with the project's namespace.
	FullPathNamespace *bool `yaml:"full_path_namespace,omitempty" json:"full_path_namespace"`
	// MemberSync: project members are members of every repository and
	// group, and every repository has a creator who is one.
	MemberSync *bool `yaml:"member_sync,omitempty" json:"member_sync"`
	// BatchUpdate: the sent id lists "replace" a push rule's grants or
	// "merge" into them.
	BatchUpdate string `yaml:"batch_update,omitempty" json:"batch_update"`
	// RoleIDs: a push rule's related_role_id is the project role id
	// ("shared") or one of its own, both accepted as input ("distinct").
	RoleIDs string `yaml:"role_ids,omitempty" json:"role_ids"`
	// PageCap: N > 0 returns at most N items a page whatever limit asks.
	PageCap int `yaml:"page_cap,omitempty" json:"page_cap"`
	// DeleteGroup: "sync", "async" (reads show the group twice more) or
	// "cascade" (a group that is not empty goes with its contents).
	DeleteGroup string `yaml:"delete_group,omitempty" json:"delete_group"`
	// ListOrder: the tree lists' default order, "id" or "updated".
	ListOrder string `yaml:"list_order,omitempty" json:"list_order"`
	// ServiceStageContentType: "required" (400 without application/json)
	// or "optional".
	ServiceStageContentType string `yaml:"servicestage_content_type,omitempty" json:"servicestage_content_type"`
	// ArchivedListing: archived=true lists the archived repositories
	// "only", or "all" children.
	ArchivedListing string `yaml:"archived_listing,omitempty" json:"archived_listing"`
	// RoleChecks: writes are allowed by the caller's roles (permissions.go).
	RoleChecks *bool `yaml:"role_checks,omitempty" json:"role_checks"`
	// SyncMarker: "project" (a synced member's v4 row carries the project
	// id, and SetRepoRole/DeleteRepoMember refuse it) or "none" (neither).
	SyncMarker string `yaml:"sync_marker,omitempty" json:"sync_marker"`
	// LegacyMemberID: the legacy list's user_id, which SetRepoRole and
	// DeleteRepoMember take, is the IAM user id ("iam") or the membership's
	// own ("own").
	LegacyMemberID string `yaml:"legacy_member_id,omitempty" json:"legacy_member_id"`
	// RefuseItems are users the batch writes refuse inside a 2xx answer.
	RefuseItems []string `yaml:"refuse_items,omitempty" json:"refuse_items,omitempty"`
}

// checkBehaviour validates the behaviour section and fills in its defaults:
// every switch is on, and every choice takes the first of its values.
func (c *checker) checkBehaviour(fx *Fixture) {
	b := &fx.Behaviour
	for _, on := range []**bool{&b.FullPathNamespace, &b.MemberSync, &b.RoleChecks} {
		if *on == nil {
			*on = new(true)
		}
	}
	for _, e := range []struct {
		key    string
		v      *string
		values []string
	}{
		{"batch_update", &b.BatchUpdate, []string{"replace", "merge"}},
		{"role_ids", &b.RoleIDs, []string{"shared", "distinct"}},
		{"delete_group", &b.DeleteGroup, []string{"sync", "async", "cascade"}},
		{"list_order", &b.ListOrder, []string{"id", "updated"}},
		{"servicestage_content_type", &b.ServiceStageContentType, []string{"required", "optional"}},
		{"archived_listing", &b.ArchivedListing, []string{"only", "all"}},
		{"sync_marker", &b.SyncMarker, []string{"project", "none"}},
		{"legacy_member_id", &b.LegacyMemberID, []string{"iam", "own"}},
	} {
		if *e.v == "" {
			*e.v = e.values[0]
			continue
		}
		if !slices.Contains(e.values, *e.v) {
			c.errf([]any{"behaviour", e.key}, "behaviour.%s: %q must be %s or %s", e.key, *e.v,
				strings.Join(e.values[:len(e.values)-1], ", "), e.values[len(e.values)-1])
		}
	}
	if b.PageCap < 0 {
		c.errf([]any{"behaviour", "page_cap"}, "behaviour.page_cap: %d must not be negative (0 = no cap)", b.PageCap)
	}
}

// checkRefuseItems: behaviour.refuse_items names fixture users, once each.
func (c *checker) checkRefuseItems(fx *Fixture) {
	seen := map[string]bool{}
	for i, n := range fx.Behaviour.RefuseItems {
		p := []any{"behaviour", "refuse_items", i}
		if !c.users[n] {
			c.errf(p, "behaviour.refuse_items[%d]: unknown user %q", i, n)
		}
		c.unique(p, seen, n, "behaviour.refuse_items[%d]: %q is listed twice", i, n)
	}
}

// refused reports whether the batch writes refuse user name
// (behaviour.refuse_items), which they answer with refusal.
func (s *Server) refused(name string) bool { return slices.Contains(s.fx.Behaviour.RefuseItems, name) }

const refusal = "the user cannot be added (refused: behaviour.refuse_items)"

// defaultSyncLevel is the legacy access level the project sync gives a role
// when the fixture names none.
func defaultSyncLevel(role string) int {
	switch role {
	case "Project manager", "O&M manager":
		return 40
	case "Committer", "Developer":
		return 30
	}
	return 20
}

// checkProjectMembers: known unique users, a role name, the level default.
func (c *checker) checkProjectMembers(fx *Fixture) {
	seen := map[string]bool{}
	for i := range fx.ProjectMembers {
		pm := &fx.ProjectMembers[i]
		p := []any{"project_members", i}
		if !c.users[pm.User] {
			c.errf(p, "project_members[%d]: unknown user %q", i, pm.User)
		}
		c.unique(p, seen, pm.User, "project_members[%d]: duplicate project member %q", i, pm.User)
		if pm.Role == "" {
			c.errf(p, "project_members[%d]: role is required (a project role name such as \"Project manager\")", i)
		}
		if pm.Level == 0 {
			pm.Level = defaultSyncLevel(pm.Role)
		}
	}
}

// flag reads a filled-in boolean behaviour.
func flag(b *bool) bool { return b != nil && *b }
