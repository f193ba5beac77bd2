package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// check runs the semantic checks that need the whole merged spec.
// badPatterns names the policies with a pattern reported as bad already.
func check(opts Options, d *state.Desired, badPatterns map[string]bool) Diagnostics {
	var ds Diagnostics
	at := func(sev Severity, s state.Source, p yamlPath, msg string) { ds = append(ds, diagAt(sev, s, p, msg)) }

	if n := len(d.Repositories); n > opts.MaxRepositories {
		ds = append(ds, Diagnostic{Severity: SeverityError, File: firstFile(d),
			Message: fmt.Sprintf("%d repositories listed; the limit is %d", n, opts.MaxRepositories)})
	}

	// Paths: a path is either a group or a repository, and nothing lives
	// inside a repository.
	listed := sortedKeys(d.Repositories)
	for _, p := range listed {
		r := d.Repositories[p]
		if g, ok := d.Groups[p]; ok {
			at(SeverityError, r.Source, yamlPath{"repositories", p},
				fmt.Sprintf("`%s` is listed both as a group (%s) and as a repository", p, g.Source))
		}
		for anc := parentPath(p); anc != ""; anc = parentPath(anc) {
			if other, ok := d.Repositories[anc]; ok {
				at(SeverityError, r.Source, yamlPath{"repositories", p},
					fmt.Sprintf("`%s` would live inside repository `%s` (%s); repositories live in groups", p, anc, other.Source))
				break
			}
		}
	}
	for _, p := range sortedKeys(d.Groups) {
		g := d.Groups[p]
		for anc := parentPath(p); anc != ""; anc = parentPath(anc) {
			if other, ok := d.Repositories[anc]; ok {
				at(SeverityError, g.Source, yamlPath{"groups", p},
					fmt.Sprintf("group `%s` would live inside repository `%s` (%s)", p, anc, other.Source))
				break
			}
		}
	}
	ds = append(ds, listedOutOfScope(d)...)
	ds = append(ds, caseClashes("group", "groups", d.Groups, sortedKeys(d.Groups), func(g *state.Group) state.Source { return g.Source })...)
	ds = append(ds, caseClashes("repository", "repositories", d.Repositories, listed, func(r *state.Repository) state.Source { return r.Source })...)

	// Pins: one id belongs to one name.
	type idOwner struct {
		name string
		src  state.Source
	}
	pinClash := func(section, kind, field string, id string, name string, s state.Source, owners map[string]idOwner) {
		if id == "" || id == "0" {
			return
		}
		if o, ok := owners[id]; ok {
			at(SeverityError, s, yamlPath{section, name, field},
				fmt.Sprintf("%s `%s` has the same %s %s as `%s` (%s); one id belongs to one %s", kind, name, field, id, o.name, o.src, kind))
			return
		}
		owners[id] = idOwner{name, s}
	}
	ids, iams := map[string]idOwner{}, map[string]idOwner{}
	for _, n := range sortedKeys(d.Users) {
		u := d.Users[n]
		pinClash("users", "user", "id", fmt.Sprint(u.ID), n, u.Source, ids)
		pinClash("users", "user", "iam_id", u.IAMID, n, u.Source, iams)
	}
	mgIDs, teams := map[string]idOwner{}, map[string]idOwner{}
	for _, n := range sortedKeys(d.MemberGroups) {
		m := d.MemberGroups[n]
		pinClash("member_groups", "member group", "id", m.ID, n, m.Source, mgIDs)
		pinClash("member_groups", "member group", "team_id", fmt.Sprint(m.TeamID), n, m.Source, teams)
	}
	roleIDs := map[string]idOwner{}
	for _, n := range sortedKeys(d.Roles) {
		r := d.Roles[n]
		pinClash("roles", "role", "id", r.ID, n, r.Source, roleIDs)
	}

	// References: unpinned names are resolved at plan time, but one that is a
	// near miss of a pinned name is most likely a typo. (Without pins there
	// is nothing to be near.)
	if len(d.Users)+len(d.MemberGroups)+len(d.Roles) > 0 {
		pinned := map[string][]string{"user": sortedKeys(d.Users), "member group": sortedKeys(d.MemberGroups), "role": sortedKeys(d.Roles)}
		near := map[string]string{} // kind and name → suggestion, as names repeat
		for _, ref := range references(d) {
			switch ref.kind {
			case "user":
				if _, ok := d.Users[ref.Name]; ok {
					continue
				}
			case "member group":
				if _, ok := d.MemberGroups[ref.Name]; ok {
					continue
				}
			case "role":
				if _, ok := d.Roles[ref.Name]; ok {
					continue
				}
			}
			id := ref.kind + "\x00" + ref.Name
			s, seen := near[id]
			if !seen {
				s = state.Suggest(ref.Name, pinned[ref.kind])
				near[id] = s
			}
			if s != "" {
				at(SeverityWarning, ref.Source, nil,
					fmt.Sprintf("%s `%s` is not pinned and will be looked up at plan time — did you mean the pinned `%s`?", ref.kind, ref.Name, s))
			}
		}
	}

	// Policies: at least one positive pattern, and offline a policy that
	// selects none of the listed repositories is suspicious (it may still
	// select live repositories, so it is only a warning).
	for _, name := range sortedKeys(d.Policies) {
		pol := d.Policies[name]
		if badPatterns[name] {
			continue // judged by what is left of its patterns, it would draw a misleading error
		}
		positive := 0
		for _, p := range pol.Patterns {
			if !p.Negate {
				positive++
			}
		}
		if positive == 0 && len(pol.Patterns) > 0 {
			at(SeverityError, pol.Source, yamlPath{"policies", name, "repositories"},
				"only `!` patterns: a policy needs at least one pattern that selects repositories")
			continue
		}
		if pol.Members == nil && pol.MemberGroups == nil && pol.PushRules == nil {
			at(SeverityWarning, pol.Source, yamlPath{"policies", name}, "policy sets no members, member_groups or push_rules; it has no effect")
		}
		hit := slices.ContainsFunc(listed, func(r string) bool { return state.Selects(pol.Patterns, r) })
		if !hit && len(pol.Patterns) > 0 && len(listed) > 0 {
			at(SeverityWarning, pol.Source, yamlPath{"policies", name},
				fmt.Sprintf("policy selects none of the %d listed repositories (patterns %s); at plan time it applies to matching live repositories only", len(listed), patternList(pol.Patterns)))
		}
	}
	ds = append(ds, conflictsOf(d, nil)...)

	if d.Project == "" && len(d.Files) > 0 {
		ds = append(ds, Diagnostic{Severity: SeverityWarning, File: firstFile(d),
			Message: "no file sets `project`; plan and apply will need --project or REPOSYNC_PROJECT"})
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

func patternList(ps []state.Pattern) string {
	var s []string
	for _, p := range ps {
		s = append(s, "`"+p.Text+"`")
	}
	return strings.Join(s, ", ")
}

// caseClashes warns about paths (keys, the sorted keys of m) that differ only
// in letter case: CodeArts paths are matched exactly, but such
// near-duplicates are almost always typos.
func caseClashes[V any](kind, section string, m map[string]V, keys []string, source func(V) state.Source) Diagnostics {
	var ds Diagnostics
	byLower := make(map[string]string, len(keys))
	for _, p := range keys {
		l := strings.ToLower(p)
		if other, ok := byLower[l]; ok {
			s := source(m[p])
			ds = append(ds, diagAt(SeverityWarning, s, yamlPath{section, p},
				fmt.Sprintf("%s `%s` differs only in letter case from `%s` (%s)", kind, p, other, source(m[other]))))
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
	addRule := func(r state.PushRule) {
		for _, u := range r.Users {
			out = append(out, reference{u, "user"})
		}
		for _, m := range r.MemberGroups {
			out = append(out, reference{m, "member group"})
		}
		for _, ro := range r.Roles {
			out = append(out, reference{ro, "role"})
		}
	}
	addMembers := func(ms map[string]state.Member) {
		for _, m := range ms {
			out = append(out, reference{state.Ref{Name: m.User, Source: m.Source}, "user"})
		}
	}
	addGroups := func(rs []state.Ref) {
		for _, r := range rs {
			out = append(out, reference{r, "member group"})
		}
	}
	for _, g := range d.Groups {
		addGroups(g.MemberGroups)
	}
	for _, r := range d.Repositories {
		addMembers(r.Members)
		addGroups(r.MemberGroups)
		for _, pr := range r.PushRules {
			addRule(pr)
		}
	}
	for _, p := range d.Policies {
		addMembers(p.Members)
		addGroups(p.MemberGroups)
		for _, pr := range p.PushRules {
			addRule(pr)
		}
	}
	return out
}

// listedOutOfScope reports the listed repositories and groups that
// settings.unmanaged declares out of scope: the spec may not have both.
func listedOutOfScope(d *state.Desired) Diagnostics {
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
	for _, p := range sortedKeys(d.Repositories) {
		if d.OutOfScope(p) {
			report("repository", "repositories", p, d.Repositories[p].Source, false)
		}
	}
	for _, p := range sortedKeys(d.Groups) {
		if d.GroupOutOfScope(p) {
			report("group", "groups", p, d.Groups[p].Source, true)
		}
	}
	return ds
}
