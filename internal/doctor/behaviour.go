package doctor

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// The checks compare what the service answered with the rows of
// docs/api-assumptions.md. Each is a pure function of the evidence, so it can
// be tested without a server; behaviour() feeds them what the run read.

// behaviour runs every check whose evidence the run has. The write probe's
// checks (A13, A25) are added by the probe, or here as not observed.
func (r *run) behaviour() {
	facts := r.c.Facts()
	ev := evidence{project: r.o.Project, setting: r.roles, samples: r.samples}
	r.rep.Behaviour = append(r.rep.Behaviour,
		checkFullPath(r.serverOrder, r.orderErr, r.rep.Tree.Warnings),
		checkMemberSync(ev),
		checkSyncMarkers(ev),
		checkSyncedLevels(ev),
		checkCreator(ev),
		checkRoleNames(ev),
		checkRoleIDs(r.roles, r.rolesErr, r.samples),
		checkXTotal(facts.Lists),
		checkPageSize(facts.Lists),
		checkTreeOrder(r.serverOrder, r.orderErr),
		checkMemberIDs(ev),
	)
	if r.o.WriteProbe == "" {
		const how = "only the write probe can tell: reposync doctor --write-probe REPOSITORY"
		r.rep.Behaviour = append(r.rep.Behaviour,
			check("A13", "batch_update", NotObserved, how, nil), check("A25", "attach_conflict", NotObserved, how, nil))
	}
}

// sortChecks orders checks by assumption row, then name.
func sortChecks(cs []Check) {
	num := func(id string) int { n, _ := strconv.Atoi(strings.TrimPrefix(id, "A")); return n }
	slices.SortStableFunc(cs, func(a, b Check) int {
		return cmp.Or(cmp.Compare(num(a.ID), num(b.ID)), strings.Compare(a.Name, b.Name))
	})
}

func check(id, name, status, summary string, observed map[string]any) Check {
	if observed == nil {
		observed = map[string]any{}
	}
	return Check{ID: id, Name: name, Status: status, Summary: summary, Observed: observed}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// checkFullPath (A1) compares the full_path of the items listed with the
// path the walk gives them: the assumption is one 32-hex namespace segment
// in front. Paths come from the walk whatever the form, so any single-segment
// prefix or none is handled; a full_path that does not end with the walked
// path is not understood.
func checkFullPath(listings []listing, listErr error, walkWarnings []string) Check {
	const id, name = "A1", "full_path"
	if listErr != nil && len(listings) == 0 {
		return check(id, name, NotObserved, "the tree could not be listed"+errText(apiError(listErr)), nil)
	}
	namespaces := map[string]int{}
	var plain, empty int
	var mismatches []string
	items := 0
	for _, l := range listings {
		for _, it := range l.items {
			items++
			walked := it.Path
			if l.parent != "" {
				walked = l.parent + "/" + it.Path
			}
			switch {
			case it.Path == "" || strings.Contains(it.Path, "/"):
				mismatches = append(mismatches, fmt.Sprintf("item %d has path %q", it.ID, it.Path))
			case it.FullPath == "":
				empty++
			case it.FullPath == walked:
				plain++
			case strings.HasSuffix(it.FullPath, "/"+walked) && !strings.Contains(strings.TrimSuffix(it.FullPath, "/"+walked), "/"):
				namespaces[strings.TrimSuffix(it.FullPath, "/"+walked)]++
			default:
				mismatches = append(mismatches, fmt.Sprintf("%s has full_path %s", walked, it.FullPath))
			}
		}
	}
	ns := nonNil(slices.Sorted(maps.Keys(namespaces)))
	obs := map[string]any{"items": items, "namespaces": ns, "without_namespace": plain, "without_full_path": empty,
		"mismatches": nonNil(mismatches), "walk_warnings": nonNil(walkWarnings)}
	switch {
	case items == 0:
		obs["form"] = "none"
		return check(id, name, NotObserved, "the project root lists nothing", obs)
	case len(mismatches) > 0:
		obs["form"] = "other"
		return check(id, name, DiffersUnsupported, fmt.Sprintf("%s: the full_path does not end with the path the tree walk finds", mismatches[0]), obs)
	case len(ns) == 1 && plain == 0 && empty == 0 && hex32.MatchString(ns[0]):
		obs["form"] = "namespace"
		return check(id, name, AsAssumed, fmt.Sprintf("full_path carries the 32-hex namespace %s/ in front of the walked path (%d of %d items)", ns[0], namespaces[ns[0]], items), obs)
	case len(ns) == 0 && empty == 0:
		obs["form"] = "plain"
		return check(id, name, DiffersHandled, fmt.Sprintf("full_path is the walked path itself, without a namespace (%d items); reposync builds paths from the walk", items), obs)
	}
	obs["form"] = "mixed"
	return check(id, name, DiffersHandled, fmt.Sprintf("full_path forms vary: %d with a namespace (%s), %d without, %d missing; reposync builds paths from the walk", items-plain-empty, strings.Join(ns, ", "), plain, empty), obs)
}

// evidence is what the member checks look at: the sampled repositories'
// member lists and the project's member setting (which roles it syncs).
type evidence struct {
	project string
	setting api.ProjectMemberSetting
	samples []*sample
}

// row is one v4 member row paired with the same user's legacy row, and
// whether CodeArts syncs it from the project (as reposync reads it).
type row struct {
	api.MemberRow
	repo   string
	level  int64 // the legacy level; 0 when the legacy list did not have the member
	synced bool
}

// memberRows are the rows of every sampled repository whose members were read.
func (ev evidence) memberRows() (rows []row, repos int) {
	for _, s := range ev.samples {
		if !s.hasMember {
			continue
		}
		repos++
		paired, _ := s.join()
		for _, p := range paired {
			r := row{MemberRow: p, repo: s.path, synced: ev.setting.Synced(p.RepositoryMember, ev.project)}
			if p.Legacy != nil {
				r.level = p.Legacy.Role
			}
			rows = append(rows, r)
		}
	}
	return rows, repos
}

// checkMemberSync (A3): every sampled repository shows members CodeArts
// manages itself (synced project members or a creator).
func checkMemberSync(ev evidence) Check {
	const id, name = "A3", "member_sync"
	rows, repos := ev.memberRows()
	if repos == 0 {
		return check(id, name, NotObserved, "no repository member list was read", nil)
	}
	var syncedRows, creators, admins int
	with := map[string]bool{}
	for _, r := range rows {
		if r.synced {
			syncedRows++
			with[r.repo] = true
		}
		if r.IsRepoCreator == 1 {
			creators++
			with[r.repo] = true
		}
		if r.IsProjectAdmin == 1 {
			admins++
		}
	}
	obs := map[string]any{"repositories": repos, "repositories_with_managed_members": len(with),
		"synced_rows": syncedRows, "creator_rows": creators, "project_admin_rows": admins}
	switch len(with) {
	case repos:
		return check(id, name, AsAssumed, fmt.Sprintf("every sampled repository has members CodeArts manages: %d synced from the project, %d creators", syncedRows, creators), obs)
	case 0:
		return check(id, name, DiffersHandled, fmt.Sprintf("none of %s shows a member synced from the project or a creator; reposync needs none", state.Count(repos, "sampled repository")), obs)
	}
	return check(id, name, DiffersHandled, fmt.Sprintf("%d of %d sampled repositories show members synced from the project or a creator; reposync handles either", len(with), repos), obs)
}

// checkSyncMarkers (A4, A44): the markers that tell a member CodeArts
// manages from a direct one: member_source_id = the project, or a project
// role the member setting syncs (which reposync reads whether or not rows
// are marked). A row with none of them whose role reposync does not know
// (by name or level) is most likely a synced member no marker shows:
// reposync would take it for a direct member.
func checkSyncMarkers(ev evidence) Check {
	const id, name = "A4", "sync_markers"
	rows, repos := ev.memberRows()
	if repos == 0 {
		return check(id, name, NotObserved, "no repository member list was read", nil)
	}
	var bySourceID, byRole, byAdmin, byCreator int
	var unmarked, roleOnly []string
	for _, r := range rows {
		switch {
		case !r.Direct():
			continue
		case r.MemberSourceID == ev.project && ev.project != "":
			bySourceID++
		case r.synced:
			byRole++
			roleOnly = append(roleOnly, fmt.Sprintf("%s in %s (project role %s)", r.UserName, r.repo, r.ProjectRoleName))
		case r.IsProjectAdmin == 1:
			byAdmin++
		case r.IsRepoCreator == 1:
			byCreator++
		default:
			_, known := state.RoleForName(r.RepositoryRoleName)
			level := "no legacy level"
			if r.Legacy != nil {
				_, err := state.RoleForLevel(int(r.level))
				known, level = err == nil, fmt.Sprintf("level %d", r.level)
			}
			if !known {
				unmarked = append(unmarked, fmt.Sprintf("%s in %s: role %s, %s, member_source_id %q", r.UserName, r.repo, quoteOr(r.RepositoryRoleName, "none"), level, r.MemberSourceID))
			}
		}
	}
	obs := map[string]any{"member_source_id_is_project": bySourceID, "synced_project_role_only": byRole, "is_project_admin": byAdmin,
		"is_repo_creator": byCreator, "unmarked_unknown_roles": nonNil(unmarked), "sync_enabled": ev.setting.SyncEnabled}
	switch {
	case len(unmarked) > 0:
		return check(id, name, DiffersUnsupported, fmt.Sprintf("%s carries none of the markers of a member CodeArts manages, with a role reposync does not know; it would be taken for a direct member", unmarked[0]), obs)
	case bySourceID > 0:
		// Rows of a synced role without the marker are then members who
		// are direct members too: the direct row is the one listed.
		return check(id, name, AsAssumed, fmt.Sprintf("synced members carry member_source_id = the project id (%d rows)", bySourceID), obs)
	case byRole > 0:
		return check(id, name, DiffersHandled, fmt.Sprintf("no row carries member_source_id = the project id, %d carry a project role the member setting syncs (first: %s); reposync knows synced members by that role and never changes them", byRole, roleOnly[0]), obs)
	}
	return check(id, name, NotObserved, "no member synced from the project to look at", obs)
}

// RoleLevel is a role name with the legacy access level it came with.
type RoleLevel struct {
	Role  string `json:"role"`
	Level int64  `json:"level"` // 0: the legacy list did not have the member
	Rows  int    `json:"rows"`
}

func roleLevels(rows []row, keep func(row) bool) []RoleLevel {
	count := map[RoleLevel]int{}
	for _, r := range rows {
		if keep(r) {
			count[RoleLevel{Role: r.RepositoryRoleName, Level: r.level}]++
		}
	}
	out := make([]RoleLevel, 0, len(count))
	for k, n := range count {
		k.Rows = n
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b RoleLevel) int {
		return cmp.Or(strings.Compare(a.Role, b.Role), cmp.Compare(a.Level, b.Level))
	})
	return out
}

// checkSyncedLevels (A5): the legacy level of each synced role is 20, 30 or
// 40. Another level (35, say) is a role reposync does not know: it leaves
// such a member alone, and a spec naming it gets a manual change.
func checkSyncedLevels(ev evidence) Check {
	const id, name = "A5", "synced_levels"
	rows, repos := ev.memberRows()
	if repos == 0 {
		return check(id, name, NotObserved, "no repository member list was read", nil)
	}
	levels := roleLevels(rows, func(r row) bool { return r.synced })
	obs := map[string]any{"roles": levels}
	if len(levels) == 0 {
		return check(id, name, NotObserved, "no member synced from the project to look at", obs)
	}
	var odd []string
	for _, rl := range levels {
		if _, err := state.RoleForLevel(int(rl.Level)); err != nil {
			odd = append(odd, fmt.Sprintf("%s at %s", quoteOr(rl.Role, "no role name"), levelName(rl.Level)))
		}
	}
	if len(odd) > 0 {
		return check(id, name, DiffersHandled, "synced roles with a level other than 20, 30 or 40: "+strings.Join(odd, ", ")+"; reposync never changes such members and reports a spec that disagrees as a manual change", obs)
	}
	return check(id, name, AsAssumed, fmt.Sprintf("every synced role has level 20, 30 or 40 (%s)", roleLevelText(levels)), obs)
}

// checkCreator (A6): the creator is an administrator (40).
func checkCreator(ev evidence) Check {
	const id, name = "A6", "creator"
	rows, repos := ev.memberRows()
	if repos == 0 {
		return check(id, name, NotObserved, "no repository member list was read", nil)
	}
	levels := roleLevels(rows, func(r row) bool { return r.IsRepoCreator == 1 })
	obs := map[string]any{"roles": levels}
	if len(levels) == 0 {
		return check(id, name, NotObserved, "no member is flagged is_repo_creator in the sampled repositories", obs)
	}
	for _, rl := range levels {
		if rl.Level != api.RoleAdmin {
			return check(id, name, DiffersHandled, fmt.Sprintf("a creator has %s at %s, not administrator (40); reposync never changes the creator", quoteOr(rl.Role, "no role name"), levelName(rl.Level)), obs)
		}
	}
	return check(id, name, AsAssumed, "every creator is an administrator (40)", obs)
}

// checkRoleNames (A11): direct members' role names are Viewer, Developer and
// Administrator, matching their levels 20, 30, 40.
func checkRoleNames(ev evidence) Check {
	const id, name = "A11", "role_names"
	rows, repos := ev.memberRows()
	if repos == 0 {
		return check(id, name, NotObserved, "no repository member list was read", nil)
	}
	levels := roleLevels(rows, func(r row) bool {
		return r.Direct() && !r.synced && r.IsRepoCreator != 1
	})
	obs := map[string]any{"roles": levels}
	if len(levels) == 0 {
		return check(id, name, NotObserved, "no direct member to look at", obs)
	}
	var odd []string
	for _, rl := range levels {
		role, known := state.RoleForName(rl.Role)
		switch {
		case !known:
			odd = append(odd, fmt.Sprintf("%s (%s)", quoteOr(rl.Role, "no role name"), levelName(rl.Level)))
		case rl.Level != 0 && int64(role.Level()) != rl.Level:
			odd = append(odd, fmt.Sprintf("%s at %s", rl.Role, levelName(rl.Level)))
		}
	}
	if len(odd) > 0 {
		return check(id, name, DiffersHandled, "role names reposync does not map, or that disagree with their level: "+strings.Join(odd, ", ")+"; reposync goes by the legacy level and leaves unknown roles alone", obs)
	}
	return check(id, name, AsAssumed, "direct members' role names match their levels ("+roleLevelText(levels)+")", obs)
}

// checkRoleIDs (A14): a push rule's roles[].related_role_id is the project
// role's role_id. reposync also matches by name, so other ids with known
// names are handled; a role known by neither is not.
func checkRoleIDs(roles api.ProjectMemberSetting, rolesErr error, samples []*sample) Check {
	const id, name = "A14", "push_rule_role_ids"
	if rolesErr != nil {
		return check(id, name, NotObserved, "the project roles could not be read"+errText(apiError(rolesErr)), nil)
	}
	byID, byName := map[string]bool{}, map[string]string{}
	for _, ro := range roles.RoleSync {
		byID[ro.RoleID] = true
		byName[ro.RoleName] = ro.RoleID
	}
	var same, other, read int
	var unknown, pairs []string
	seen := map[string]bool{}
	for _, s := range samples {
		if s.hasRules {
			read++
		}
		for _, rule := range s.rules {
			for _, a := range rule.Actions {
				for _, ro := range a.Roles {
					switch {
					case byID[ro.RelatedRoleID]:
						same++
					case byName[ro.Name] != "":
						other++
						if k := ro.Name + ro.RelatedRoleID; !seen[k] {
							seen[k] = true
							pairs = append(pairs, fmt.Sprintf("%s: related_role_id %s, role_id %s", ro.Name, ro.RelatedRoleID, byName[ro.Name]))
						}
					default:
						unknown = append(unknown, fmt.Sprintf("%s (related_role_id %s) in %s %s", ro.Name, ro.RelatedRoleID, s.path, rule.Path))
					}
				}
			}
		}
	}
	obs := map[string]any{"same_id": same, "other_id_same_name": other, "pairs": nonNil(pairs), "unknown": nonNil(unknown)}
	switch {
	case len(unknown) > 0:
		return check(id, name, DiffersUnsupported, "a push rule names a role that matches no project role by id or by name: "+unknown[0], obs)
	case other > 0:
		return check(id, name, DiffersHandled, "push rules name roles by ids other than the project role ids ("+pairs[0]+"); reposync matches them by name", obs)
	case same > 0:
		return check(id, name, AsAssumed, fmt.Sprintf("every role a sampled push rule names has the project role's id (%d)", same), obs)
	case read == 0:
		return check(id, name, NotObserved, "no repository's push rules were read", obs)
	}
	return check(id, name, NotObserved, "no sampled push rule names a role", obs)
}

// documentedTotal are the list operations docs/api-reference.md §3.2
// documents with an X-Total header.
var documentedTotal = map[string]bool{
	"ListMembers": true, "ListManagementUsers": true, "ListRepositoryUserGroups": true,
	"ListRepositoryProtectedRefsUserGroups": true, "ListProjectProtectedRefsUserGroups": true,
	"ListGroupProtectedRefsUserGroups": true, "ListTenantRepositories": true,
}

// checkXTotal (A16): lists send X-Total exactly where docs/api-reference.md
// §3.2 says. reposync trusts a total only to go on paging, never to stop at
// a full page, so either way is handled. The legacy ListRepoMembers carries
// its total in the body and is not counted.
func checkXTotal(lists map[string]api.ListFacts) Check {
	const id, name = "A16", "x_total"
	var with, without, missing, extra []string
	for _, op := range slices.Sorted(maps.Keys(lists)) {
		f := lists[op]
		if op == "ListRepoMembers" || f.Pages == 0 {
			continue
		}
		all := f.PagesWithTotal == f.Pages
		if all {
			with = append(with, op)
		} else {
			without = append(without, op)
		}
		switch {
		case documentedTotal[op] && !all:
			missing = append(missing, fmt.Sprintf("%s (%d of %d pages)", op, f.PagesWithTotal, f.Pages))
		case !documentedTotal[op] && f.PagesWithTotal > 0:
			extra = append(extra, fmt.Sprintf("%s (%d of %d pages)", op, f.PagesWithTotal, f.Pages))
		}
	}
	obs := map[string]any{"with_total": nonNil(with), "without_total": nonNil(without), "missing": nonNil(missing), "unexpected": nonNil(extra)}
	switch {
	case len(with)+len(without) == 0:
		return check(id, name, NotObserved, "no list was read", obs)
	case len(missing)+len(extra) > 0:
		return check(id, name, DiffersHandled, "X-Total is not where docs/api-reference.md §3.2 puts it: "+strings.Join(append(missing, extra...), ", ")+"; reposync never relies on it to stop paging", obs)
	}
	return check(id, name, AsAssumed, fmt.Sprintf("X-Total arrives exactly on the documented lists (%s)", strings.Join(with, ", ")), obs)
}

// checkPageSize (A16): a page holds what limit asks (reposync asks 100).
// A list that returned a short page and then more items taught the client a
// cap, which it then pages by.
func checkPageSize(lists map[string]api.ListFacts) Check {
	const id, name = "A16", "page_size"
	caps := map[string]int{}
	var capped []string
	largest, largestOp := 0, ""
	for _, op := range slices.Sorted(maps.Keys(lists)) {
		f := lists[op]
		if f.PageCap > 0 {
			caps[op] = f.PageCap
			capped = append(capped, fmt.Sprintf("%s at %d", op, f.PageCap))
		}
		if f.LargestPage > largest {
			largest, largestOp = f.LargestPage, op
		}
	}
	obs := map[string]any{"limit": 100, "largest_page": largest, "largest_page_operation": largestOp, "caps": caps}
	switch {
	case largestOp == "":
		return check(id, name, NotObserved, "no list returned an item", obs)
	case len(capped) > 0:
		return check(id, name, DiffersHandled, "pages are cut below the limit of 100: "+strings.Join(capped, ", ")+"; reposync learned the cap and paged by it", obs)
	case largest >= 100:
		return check(id, name, AsAssumed, fmt.Sprintf("full pages of %d items (%s)", largest, largestOp), obs)
	}
	if largest < 10 {
		return check(id, name, AsAssumed, fmt.Sprintf("no page was cut short; the longest list held %d items (%s), so a cap above that would not show (reposync assumes no cap below 10)", largest, largestOp), obs)
	}
	return check(id, name, AsAssumed, fmt.Sprintf("no page was cut short; the longest list held %d items (%s), so a cap above that would not show", largest, largestOp), obs)
}

// checkTreeOrder (A21): without order_by/sort the tree lists come in
// ascending id order. reposync always asks for id order, so any other
// default is handled.
func checkTreeOrder(listings []listing, listErr error) Check {
	const id, name = "A21", "tree_order"
	if listErr != nil && len(listings) == 0 {
		return check(id, name, NotObserved, "the tree could not be listed in the server's order"+errText(apiError(listErr)), nil)
	}
	var seqs []string
	order := ""
	for _, l := range listings {
		ids := map[string][]int64{}
		for _, it := range l.items {
			ids[it.DescendantType] = append(ids[it.DescendantType], it.ID)
		}
		for _, kind := range slices.Sorted(maps.Keys(ids)) {
			s := ids[kind]
			if len(s) < 2 {
				continue
			}
			where := "the project root"
			if l.parent != "" {
				where = "group " + l.parent
			}
			seqs = append(seqs, fmt.Sprintf("%s, %s ids %s", where, kind, idList(s)))
			o := "ascending id"
			switch {
			case slices.IsSorted(s):
			case slices.IsSortedFunc(s, func(a, b int64) int { return cmp.Compare(b, a) }):
				o = "descending id"
			default:
				o = "neither ascending nor descending id"
			}
			if order == "" || order == "ascending id" {
				order = o
			}
		}
	}
	obs := map[string]any{"order": order, "listings": nonNil(seqs)}
	switch order {
	case "":
		return check(id, name, NotObserved, "no listing has two items of one kind", obs)
	case "ascending id":
		return check(id, name, AsAssumed, "the default order is ascending id ("+seqs[0]+")", obs)
	}
	return check(id, name, DiffersHandled, "the default order is "+order+" ("+strings.Join(seqs, "; ")+"); reposync always asks for order_by=id&sort=asc", obs)
}

// checkMemberIDs (A40, A46): whether the legacy list's user_id of a member
// is its v4 user_iam_id ("iam") or an id of its own ("own"), which the
// legacy writes then take. reposync pairs the rows by IAM id, else by user
// name and tenant (api.JoinMembers), and addresses each member by the legacy
// id: either case is handled. A legacy row it cannot pair is a member it
// cannot tell who it is, and never changes.
func checkMemberIDs(ev evidence) Check {
	const id, name = "A40", "member_ids"
	var sameID, ownID, repos int
	var own, unpaired []string
	for _, s := range ev.samples {
		if !s.hasMember || !s.hasLegacy {
			continue
		}
		repos++
		rows, lost := s.join()
		for _, r := range rows {
			switch {
			case r.Legacy == nil:
			case r.Legacy.UserID == r.UserIAMID:
				sameID++
			default:
				ownID++
				own = append(own, fmt.Sprintf("%s in %s: legacy user_id %s, v4 user_iam_id %s", r.UserName, s.path, r.Legacy.UserID, r.UserIAMID))
			}
		}
		for _, l := range lost {
			unpaired = append(unpaired, fmt.Sprintf("%s in %s (legacy user_id %s)", l.Name, s.path, l.UserID))
		}
	}
	form := ""
	switch {
	case sameID > 0 && ownID > 0:
		form = "mixed"
	case ownID > 0:
		form = "own"
	case sameID > 0:
		form = "iam"
	}
	obs := map[string]any{"repositories": repos, "case": form, "same_id": sameID, "own_id": ownID,
		"own_examples": nonNil(own), "unpaired": nonNil(unpaired)}
	switch {
	case repos == 0:
		return check(id, name, NotObserved, "the two member lists of one repository were not both read", obs)
	case len(unpaired) > 0:
		return check(id, name, DiffersUnsupported, fmt.Sprintf("%s: a legacy member row that no v4 row matches by IAM id or by user name; reposync leaves such members alone", unpaired[0]), obs)
	case ownID > 0:
		return check(id, name, DiffersHandled, fmt.Sprintf("the legacy list gives members an id of its own (%s); reposync pairs the lists by user name and tenant and addresses each member by the legacy id", own[0]), obs)
	case sameID == 0:
		return check(id, name, NotObserved, "no member is in both lists", obs)
	}
	return check(id, name, AsAssumed, fmt.Sprintf("the legacy user_id of all %d members is their v4 user_iam_id", sameID), obs)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func quoteOr(s, empty string) string {
	if s == "" {
		return empty
	}
	return strconv.Quote(s)
}

func levelName(l int64) string {
	if l == 0 {
		return "no level"
	}
	return fmt.Sprintf("level %d", l)
}

func roleLevelText(ls []RoleLevel) string {
	var parts []string
	for _, rl := range ls {
		parts = append(parts, fmt.Sprintf("%s %s", quoteOr(rl.Role, "no role name"), levelName(rl.Level)))
	}
	return strings.Join(parts, ", ")
}

func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, n := range ids {
		parts[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(parts, ", ")
}
