package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// changedScope applies --changed-since ref to r, saying on ios what it
// plans: it compares the spec at ref with the spec now — both loaded and
// validated in full, never a diff of text — and narrows r.Scope to what the
// change touches (compareSpecs): the repositories and groups whose entry
// changed, appeared or disappeared, every repository a changed policy or
// scope selected before or after, the Git authorizations when one changed;
// nil, a plan of everything, when its reach cannot be bounded (settings,
// pins, the project, a section appearing or disappearing). r.base is the
// spec at ref (nil when it did not exist or does not load) and r.baseRev its
// commit: what the change removed is planned as removals (plan.Withdrawals).
func changedScope(ctx context.Context, ios *iostreams.IOStreams, origin *specOrigin, now *state.Desired, ref string, cache *spec.Cache, r *resolved) error {
	t := origin.tree
	if t == nil {
		return errors.New("--changed-since compares two commits of the spec, but the current directory is not in a Git work tree: run reposync from the checkout that holds the spec")
	}
	if strings.HasPrefix(ref, "-") {
		// Never an option to the git commands below.
		return fmt.Errorf("--changed-since %s: no such revision in this repository", ref)
	}
	rev, err := runGit(ctx, t.top, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		if shallow, _ := runGit(ctx, t.top, "rev-parse", "--is-shallow-repository"); shallow == "true" {
			return fmt.Errorf("--changed-since %s: that revision is not in this shallow clone; fetch the history it needs (GitHub Actions: actions/checkout with fetch-depth: 0; GitLab CI: GIT_DEPTH: 0)", ref)
		}
		return fmt.Errorf("--changed-since %s: no such revision in this repository", ref)
	}
	if _, err := runGit(ctx, t.top, "merge-base", "--is-ancestor", rev, "HEAD"); err != nil {
		if ee, ok := errors.AsType[*exec.ExitError](err); ok && ee.ExitCode() == 1 {
			return fmt.Errorf("--changed-since %s: that revision is not an ancestor of HEAD; compare with the merge base instead, e.g. --changed-since $(git merge-base origin/main HEAD)", ref)
		}
		return fmt.Errorf("--changed-since %s: %w", ref, err)
	}
	switch {
	case origin.outside != "":
		return fmt.Errorf("--changed-since: the spec path %s is outside the Git work tree %s", origin.outside, t.top)
	case origin.dirtyErr != nil:
		return origin.dirtyErr
	case origin.dirty:
		return errors.New("--changed-since compares committed specs, and the spec has uncommitted changes (see git status): commit them, or plan without --changed-since")
	}
	old, existed, err := specAt(ctx, t, rev, origin.rels, cache)
	var note string
	switch {
	case err != nil:
		return err
	case !existed:
		note = fmt.Sprintf("the spec did not exist at %s, so the change cannot be bounded: planning everything", ref)
	case old == nil:
		note = fmt.Sprintf("the spec at %s does not load, so the change cannot be bounded: planning everything", ref)
	default:
		if r.Scope, note, err = compareSpecs(old, now, ref); err != nil {
			return err
		}
		r.base, r.baseRev = old, rev
	}
	fmt.Fprintln(ios.ErrOut, note)
	return nil
}

// specAt loads the spec as it was at ref: the files below rels (from the
// work tree's top) are read from `git archive` into memory — hundreds of
// files written to a temporary directory and read back cost more than the
// load — and only those cache does not hold are parsed. existed is false
// when none of rels existed at ref; d is nil without an error when the spec
// at ref does not load.
func specAt(ctx context.Context, t *gitTree, ref string, rels []string, cache *spec.Cache) (d *state.Desired, existed bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout) // as runGit's
	defer cancel()
	// Only the paths that existed then: git archive refuses a pathspec
	// that matches nothing.
	var existing []string
	for _, r := range rels {
		if out, err := runGit(ctx, t.top, "ls-tree", "--name-only", ref, "--", r); err == nil && out != "" {
			existing = append(existing, r)
		}
	}
	if len(existing) == 0 {
		return nil, false, nil
	}
	cmd := exec.CommandContext(ctx, "git", append([]string{"--literal-pathspecs", "-C", t.top, "archive", "--format=tar", ref, "--"}, existing...)...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, true, err
	}
	if err := cmd.Start(); err != nil {
		return nil, true, fmt.Errorf("git archive %s: %w", ref, err)
	}
	opts := spec.DefaultOptions()
	opts.Cache = cache
	files, readErr := readTar(out, opts)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return nil, true, fmt.Errorf("git archive %s: %s", ref, strings.TrimSpace(errOut.String()))
	}
	if readErr != nil {
		return nil, true, fmt.Errorf("read the spec at %s: %w", ref, readErr)
	}
	d, _ = spec.LoadFiles(opts, files, existing...)
	return d, true, nil
}

// readTar reads the regular files of a tar stream into memory, refusing
// any name that would leave the archive's root. A file over the loader's
// size limit is kept cut just past it, so the loader reports it; past the
// total limit reading stops, and the loader reports that.
func readTar(r io.Reader, opts spec.Options) ([]spec.File, error) {
	var files []spec.File
	var total int64
	tr := tar.NewReader(r)
	for total <= opts.MaxTotalSize {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		name := path.Clean(h.Name)
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("unsafe path %q in the archive", h.Name)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, opts.MaxFileSize+1))
		if err != nil {
			return nil, err
		}
		total += int64(len(data))
		files = append(files, spec.File{Name: name, Data: data})
	}
	return files, nil
}

// compareSpecs is the semantic comparison of changedScope.
func compareSpecs(old, now *state.Desired, ref string) (*plan.Scope, string, error) {
	everything := func(why string) (*plan.Scope, string, error) {
		return nil, fmt.Sprintf("the change since %s touches %s, whose reach cannot be bounded: planning everything", ref, why), nil
	}
	switch {
	case old.Project != now.Project:
		return everything("the project")
	case !same(old.Settings, now.Settings):
		return everything("settings")
	case !same(old.Users, now.Users) || !same(old.MemberGroups, now.MemberGroups) || !same(old.Roles, now.Roles):
		return everything("the pins of users, member groups or roles")
	case (old.Groups == nil) != (now.Groups == nil):
		return everything("whether groups are managed at all")
	case old.GroupsScopedOnly != now.GroupsScopedOnly || now.GroupsScopedOnly && groupScopes(old) != groupScopes(now):
		return everything("which unlisted groups are managed (the scopes of the files that list groups)")
	}
	scope := &plan.Scope{Repositories: changedKeys(old.Repositories, now.Repositories), Groups: changedKeys(old.Groups, now.Groups),
		GitAuths: !same(old.GitAuths, now.GitAuths), ChangedSince: ref}
	// A changed policy or scope adds every repository it selected, before
	// or after: its positive patterns (negations only narrow, so leaving
	// them out reads a little more, never less).
	selected := func(patterns []state.Pattern) {
		for _, pat := range patterns {
			if !pat.Negate {
				scope.Repositories = append(scope.Repositories, pat.Text)
			}
		}
	}
	for _, name := range unionKeys(old.Policies, now.Policies) {
		o, n := old.Policies[name], now.Policies[name]
		if same(o, n) && policyScope(old, o) == policyScope(now, n) {
			continue
		}
		for _, pol := range []*state.Policy{o, n} {
			if pol != nil {
				selected(pol.Patterns)
			}
		}
	}
	// What a scope's file may grant or take away changed (its patterns,
	// max_role, or whether it has a scope at all), even where no entry did.
	// Scopes pair up by key: the file names differ between a revision and
	// disk.
	pairs := map[string][2]*state.FileScope{}
	for i, d := range []*state.Desired{old, now} {
		for _, sc := range d.Scopes {
			p := pairs[sc.Key]
			p[i] = sc
			pairs[sc.Key] = p
		}
	}
	for _, p := range pairs {
		if scopeRule(p[0]) == scopeRule(p[1]) {
			continue
		}
		for _, sc := range p {
			if sc != nil {
				selected(sc.Patterns)
			}
		}
	}
	slices.Sort(scope.Repositories)
	scope.Repositories = slices.Compact(scope.Repositories)
	if err := scope.Compile(); err != nil {
		return nil, "", err
	}
	note := fmt.Sprintf("--changed-since %s: planning %s and %s", ref,
		state.Count(len(scope.Repositories), "repository pattern"), state.Count(len(scope.Groups), "group"))
	if scope.GitAuths {
		note += ", and the Git authorizations"
	}
	return scope, note, nil
}

// scopeRule is what a scope decides about a plan: its patterns and its
// max_role ("" without a scope); owners decide only who reviews.
func scopeRule(sc *state.FileScope) string {
	if sc == nil {
		return ""
	}
	return scopePatterns(sc) + "\x01" + string(sc.MaxRole)
}

// policyScope names the scope a policy is cut to (its file's scope's
// patterns), "" without one: a policy whose file's scope changed, or that
// moved to another file, selects other repositories with the same entry.
func policyScope(d *state.Desired, pol *state.Policy) string {
	if pol == nil {
		return ""
	}
	return scopePatterns(d.Scopes[pol.Source.File])
}

// groupScopes names the scopes of the files that list groups, sorted:
// with GroupsScopedOnly they decide which unlisted live groups are managed.
func groupScopes(d *state.Desired) string {
	var out []string
	for _, sc := range d.Scopes {
		if sc.ListsGroups {
			out = append(out, scopePatterns(sc))
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

func scopePatterns(sc *state.FileScope) string {
	if sc == nil {
		return ""
	}
	var texts []string
	for _, p := range sc.Patterns {
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\x00")
}

// same reports whether two spec values are equal in every exported field
// but where they were written (state.Source), so moving an entry, or
// editing the line above it, changes nothing, while a field added to the
// state later takes part without being listed here. nil and empty differ
// ("not managed" and "managed, and empty"); a reordered slice counts as
// changed, which reads a little more, never less. It walks both values at
// once and builds nothing: a canonical JSON form of two specs of 10 000
// repositories took 0.34 s and 216 MB.
func same(a, b any) bool { return sameValue(reflect.ValueOf(a), reflect.ValueOf(b)) }

var sourceType = reflect.TypeFor[state.Source]()

func sameValue(a, b reflect.Value) bool {
	if a.Kind() == reflect.Pointer && b.Kind() == reflect.Pointer && a.Type() == b.Type() && a.Pointer() == b.Pointer() {
		return true // one entry, shared by two loads through a spec.Cache
	}
	a, b = deref(a), deref(b)
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if f.IsExported() && f.Type != sourceType && !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !sameValue(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false // no such field in the spec's types; if one appears, it counts as changed
	default:
		return a.Equal(b) // booleans, numbers, strings
	}
}

// deref follows pointers and interfaces to the value they hold: the zero
// Value for nil.
func deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// changedKeys lists the keys whose entries differ between a and b (one
// missing counts), sorted; never nil, as a scope's lists encode as [].
func changedKeys[V any](a, b map[string]V) []string {
	out := []string{}
	for _, k := range unionKeys(a, b) {
		if !same(a[k], b[k]) {
			out = append(out, k)
		}
	}
	return out
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := append(slices.Collect(maps.Keys(a)), slices.Collect(maps.Keys(b))...)
	slices.Sort(keys)
	return slices.Compact(keys)
}
