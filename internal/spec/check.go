package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// check runs the semantic checks that need the whole merged spec.
// patternDiags holds the diagnostics of the policies with a bad pattern.
func check(opts Options, d *state.Desired, patternDiags map[string]Diagnostics) Diagnostics {
	var ds Diagnostics
	if n := len(d.Repositories); n > opts.MaxRepositories {
		ds = append(ds, Diagnostic{Severity: SeverityError, File: firstFile(d),
			Message: fmt.Sprintf("%d repositories listed; the limit is %d", n, opts.MaxRepositories)})
	}
	listed, groups := slices.Sorted(maps.Keys(d.Repositories)), slices.Sorted(maps.Keys(d.Groups))
	ds = append(ds, pathClashes(d, listed, groups)...)
	ds = append(ds, listedOutOfScope(d, listed, groups)...)
	ds = append(ds, caseClashes("group", "groups", groups, func(p string) state.Source { return d.Groups[p].Source })...)
	ds = append(ds, caseClashes("repository", "repositories", listed, func(p string) state.Source { return d.Repositories[p].Source })...)
	ds = append(ds, pinClashes(d)...)
	ds = append(ds, nearPins(d)...)
	ds = append(ds, policyProblems(d, listed, patternDiags)...)
	_, conflicts := expand(d, nil, false)
	ds = append(ds, conflicts...)
	if d.Project == "" && len(d.Files) > 0 {
		ds = append(ds, Diagnostic{Severity: SeverityWarning, File: firstFile(d),
			Message: "no file sets `project`; plan and apply will need --project or REPOSYNC_PROJECT"})
	}
	return ds
}

// pathClashes reports paths that are both a group and a repository, and
// anything inside a repository: repositories live in groups. listed and
// groups are the sorted paths of both.
func pathClashes(d *state.Desired, listed, groups []string) Diagnostics {
	var ds Diagnostics
	inRepository := func(p string) (string, *state.Repository) {
		for anc := parentPath(p); anc != ""; anc = parentPath(anc) {
			if r, ok := d.Repositories[anc]; ok {
				return anc, r
			}
		}
		return "", nil
	}
	for _, p := range listed {
		r := d.Repositories[p]
		if g, ok := d.Groups[p]; ok {
			ds = append(ds, diagAt(SeverityError, r.Source, yamlPath{"repositories", p},
				fmt.Sprintf("`%s` is listed both as a group (%s) and as a repository", p, g.Source)))
		}
		if anc, other := inRepository(p); other != nil {
			ds = append(ds, diagAt(SeverityError, r.Source, yamlPath{"repositories", p},
				fmt.Sprintf("`%s` would live inside repository `%s` (%s); repositories live in groups", p, anc, other.Source)))
		}
	}
	for _, p := range groups {
		if anc, other := inRepository(p); other != nil {
			ds = append(ds, diagAt(SeverityError, d.Groups[p].Source, yamlPath{"groups", p},
				fmt.Sprintf("group `%s` would live inside repository `%s` (%s)", p, anc, other.Source)))
		}
	}
	return ds
}

// pinClashes reports an id pinned for two names: one id belongs to one name.
func pinClashes(d *state.Desired) Diagnostics {
	var ds Diagnostics
	type owner struct {
		name string
		src  state.Source
	}
	owners := map[[3]string]owner{} // by section, field and id
	clash := func(section, kind, field, id, name string, s state.Source) {
		k := [3]string{section, field, id}
		if id == "" || id == "0" {
			return
		}
		if o, ok := owners[k]; ok {
			ds = append(ds, diagAt(SeverityError, s, yamlPath{section, name, field},
				fmt.Sprintf("%s `%s` has the same %s %s as `%s` (%s); one id belongs to one %s", kind, name, field, id, o.name, o.src, kind)))
			return
		}
		owners[k] = owner{name, s}
	}
	for _, n := range slices.Sorted(maps.Keys(d.Users)) {
		u := d.Users[n]
		clash("users", "user", "id", fmt.Sprint(u.ID), n, u.Source)
		clash("users", "user", "iam_id", u.IAMID, n, u.Source)
	}
	for _, n := range slices.Sorted(maps.Keys(d.MemberGroups)) {
		m := d.MemberGroups[n]
		clash("member_groups", "member group", "id", m.ID, n, m.Source)
		clash("member_groups", "member group", "team_id", fmt.Sprint(m.TeamID), n, m.Source)
	}
	for _, n := range slices.Sorted(maps.Keys(d.Roles)) {
		clash("roles", "role", "id", d.Roles[n].ID, n, d.Roles[n].Source)
	}
	return ds
}

// nearPins warns about a reference that is a near miss of a pinned name:
// unpinned names are resolved at plan time, but such a one is most likely a
// typo. (Without pins there is nothing to be near.)
func nearPins(d *state.Desired) Diagnostics {
	if len(d.Users)+len(d.MemberGroups)+len(d.Roles) == 0 {
		return nil
	}
	var ds Diagnostics
	pinned := map[string][]string{
		"user":         slices.Sorted(maps.Keys(d.Users)),
		"member group": slices.Sorted(maps.Keys(d.MemberGroups)),
		"role":         slices.Sorted(maps.Keys(d.Roles)),
	}
	near := map[string]string{} // kind and name → suggestion, as names repeat
	for _, ref := range references(d) {
		names := pinned[ref.kind]
		if _, ok := slices.BinarySearch(names, ref.Name); ok {
			continue
		}
		id := ref.kind + "\x00" + ref.Name
		s, seen := near[id]
		if !seen {
			s = state.Suggest(ref.Name, names)
			near[id] = s
		}
		if s != "" {
			ds = append(ds, diagAt(SeverityWarning, ref.Source, nil,
				fmt.Sprintf("%s `%s` is not pinned and will be looked up at plan time — did you mean the pinned `%s`?", ref.kind, ref.Name, s)))
		}
	}
	return ds
}

// policyProblems reports a policy with only `!` patterns or without
// effect, and, offline, one that selects none of the listed repositories:
// that is suspicious, but it may still select live repositories, so it is
// only a warning.
func policyProblems(d *state.Desired, listed []string, patternDiags map[string]Diagnostics) Diagnostics {
	var ds Diagnostics
	for _, name := range slices.Sorted(maps.Keys(d.Policies)) {
		pol := d.Policies[name]
		if len(patternDiags[name]) > 0 {
			continue // judged by what is left of its patterns, it would draw a misleading error
		}
		p := yamlPath{"policies", name}
		if onlyNegations(pol.Patterns) {
			ds = append(ds, diagAt(SeverityError, pol.Source, p.key("repositories"),
				"only `!` patterns: a policy needs at least one pattern that selects repositories"))
			continue
		}
		if pol.Members == nil && pol.MemberGroups == nil && pol.PushRules == nil {
			ds = append(ds, diagAt(SeverityWarning, pol.Source, p, "policy sets no members, member_groups or push_rules; it has no effect"))
		}
		hit := slices.ContainsFunc(listed, func(r string) bool { return state.Selects(pol.Patterns, r) })
		if !hit && len(pol.Patterns) > 0 && len(listed) > 0 {
			ds = append(ds, diagAt(SeverityWarning, pol.Source, p,
				fmt.Sprintf("policy selects none of the %d listed repositories (patterns %s); at plan time it applies to matching live repositories only", len(listed), patternList(pol.Patterns))))
		}
	}
	return ds
}

func firstFile(d *state.Desired) string {
	if len(d.Files) > 0 {
		return d.Files[0]
	}
	return ""
}

func parentPath(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return ""
}

// onlyNegations reports whether there are patterns and all of them are
// `!` patterns, which select nothing.
func onlyNegations(ps []state.Pattern) bool {
	return len(ps) > 0 && !slices.ContainsFunc(ps, func(p state.Pattern) bool { return !p.Negate })
}

func patternList(ps []state.Pattern) string {
	var s []string
	for _, p := range ps {
		s = append(s, "`"+p.Text+"`")
	}
	return strings.Join(s, ", ")
}

// caseClashes warns about paths (sorted, each written at source(path))
// that differ only in letter case: CodeArts paths are matched exactly, but
// such near-duplicates are almost always typos.
func caseClashes(kind, section string, paths []string, source func(path string) state.Source) Diagnostics {
	var ds Diagnostics
	byLower := make(map[string]string, len(paths))
	for _, p := range paths {
		l := strings.ToLower(p)
		if other, ok := byLower[l]; ok {
			ds = append(ds, diagAt(SeverityWarning, source(p), yamlPath{section, p},
				fmt.Sprintf("%s `%s` differs only in letter case from `%s` (%s)", kind, p, other, source(other))))
			continue
		}
		byLower[l] = p
	}
	return ds
}

type reference struct {
	state.Ref
	kind string
}

// references lists every user, member group and role named anywhere (in no
// particular order: diagnostics are sorted in the end).
func references(d *state.Desired) []reference {
	var out []reference
	refs := func(kind string, rs []state.Ref) {
		for _, r := range rs {
			out = append(out, reference{r, kind})
		}
	}
	lists := func(members map[string]state.Member, groups []state.Ref, rules map[string]state.PushRule) {
		for _, m := range members {
			out = append(out, reference{state.Ref{Name: m.User, Source: m.Source}, "user"})
		}
		refs("member group", groups)
		for _, r := range rules {
			refs("user", r.Users)
			refs("member group", r.MemberGroups)
			refs("role", r.Roles)
		}
	}
	for _, g := range d.Groups {
		refs("member group", g.MemberGroups)
	}
	for _, r := range d.Repositories {
		lists(r.Members, r.MemberGroups, r.PushRules)
	}
	for _, p := range d.Policies {
		lists(p.Members, p.MemberGroups, p.PushRules)
	}
	return out
}

// listedOutOfScope reports the listed repositories and groups that
// settings.unmanaged declares out of scope: the spec may not have both.
// listed and groups are their sorted paths.
func listedOutOfScope(d *state.Desired, listed, groups []string) Diagnostics {
	var ds Diagnostics
	by := func(group bool, p string) string {
		for _, pat := range d.Settings.Unmanaged {
			if !pat.Negate && (pat.Match(p) || group && pat.Covers(p)) {
				return fmt.Sprintf("`%s` (%s)", pat.Text, pat.Source)
			}
		}
		return "settings.unmanaged"
	}
	report := func(what, section, p string, src state.Source, group bool) {
		ds = append(ds, diagAt(SeverityError, src, yamlPath{section, p},
			fmt.Sprintf("%s `%s` is listed, but %s declares it out of scope; remove one", what, p, by(group, p))))
	}
	for _, p := range listed {
		if d.OutOfScope(p) {
			report("repository", "repositories", p, d.Repositories[p].Source, false)
		}
	}
	for _, p := range groups {
		if d.GroupOutOfScope(p) {
			report("group", "groups", p, d.Groups[p].Source, true)
		}
	}
	return ds
}
