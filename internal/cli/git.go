package cli

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gitTree is the Git work tree a spec lives in.
type gitTree struct {
	// top is the absolute path of the work tree's top directory.
	top string
	// commit is HEAD's full hash; "" in a repository without commits.
	commit string
}

// gitTimeout bounds every git command: they are local and quick, and a
// hung one (a lock, a network filesystem) must not hang reposync.
const gitTimeout = 30 * time.Second

// runGit runs git in dir and returns its standard output, trimmed.
func runGit(ctx context.Context, dir string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"--literal-pathspecs"}, args...)...) // a spec path is a name, never a glob
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		msg := cmp.Or(strings.TrimSpace(errOut.String()), err.Error())
		return "", &gitError{msg: fmt.Sprintf("git %s: %s", strings.Join(args, " "), msg), err: err}
	}
	return strings.TrimSpace(out.String()), nil
}

// gitError is a failed git command, told with git's own message; it
// unwraps to the *exec.ExitError, for callers that read the exit status.
type gitError struct {
	msg string
	err error
}

func (e *gitError) Error() string { return e.msg }
func (e *gitError) Unwrap() error { return e.err }

// findGitTree returns the work tree that holds dir, or nil when dir is
// not in one (or git is not installed: specs need not live in Git).
func findGitTree(ctx context.Context, dir string) *gitTree {
	top, err := runGit(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil || top == "" {
		return nil
	}
	t := &gitTree{top: top}
	t.commit, _ = runGit(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD")
	return t
}

// specOrigin is where a run's spec lives, found once per run and used by
// --changed-since and by recordOrigin: the Git work tree, the spec paths
// relative to its top and whether they have uncommitted changes.
type specOrigin struct {
	// paths are the spec paths as given ("." when none were).
	paths []string
	// tree is nil outside a Git work tree.
	tree *gitTree
	// rels are paths relative to tree's top; nil when tree is nil or when
	// outside, one of paths, lies outside the tree.
	rels    []string
	outside string
	// dirty: the files below rels have uncommitted changes (git status
	// failed when dirtyErr is set).
	dirty    bool
	dirtyErr error
}

// originOf places the spec paths in t, the work tree found for the run
// (nil outside Git).
func originOf(ctx context.Context, t *gitTree, paths []string) *specOrigin {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	o := &specOrigin{paths: paths, tree: t}
	if t == nil {
		return o
	}
	for _, p := range paths {
		r, ok := t.rel(p)
		if !ok {
			o.rels, o.outside = nil, p
			return o
		}
		o.rels = append(o.rels, r)
	}
	status, err := runGit(ctx, t.top, append([]string{"status", "--porcelain", "--untracked-files=all", "--"}, o.rels...)...)
	o.dirty, o.dirtyErr = status != "", err
	return o
}

// rel returns path relative to the work tree's top, with forward slashes;
// ok is false when path is outside the tree.
func (t *gitTree) rel(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	top := t.top
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	r, err := filepath.Rel(top, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// relSource rewrites a spec source "file:line" so that file is relative to
// the work tree's top; sources outside the tree are kept as they are.
func (t *gitTree) relSource(src string) string {
	i := strings.LastIndexByte(src, ':')
	if i <= 0 {
		return src
	}
	if _, err := strconv.Atoi(src[i+1:]); err != nil {
		return src
	}
	if r, ok := t.rel(src[:i]); ok {
		return r + src[i:]
	}
	return src
}

// relFile names a spec file relative to the top of the work tree, as
// plans name sources; outside Git, or outside the tree, as given.
func (o *specOrigin) relFile(file string) string {
	if o.tree == nil || file == "" {
		return file
	}
	if r, ok := o.tree.rel(file); ok {
		return r
	}
	return file
}
