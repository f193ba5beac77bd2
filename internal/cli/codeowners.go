package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/plan/render"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// CodeownersOptions are the inputs of `reposync codeowners`.
type CodeownersOptions struct {
	*Factory
	Paths []string
	// DefaultOwners own everything no scope names: the catch-all line,
	// CODEOWNERS itself, the files that hold `scopes:`, and scoped files
	// whose scope names no owners.
	DefaultOwners []string
	// Check, when set, compares this CODEOWNERS file with the generated
	// one instead of printing it.
	Check string
}

// NewCmdCodeowners prints the CODEOWNERS file that the spec's scopes imply.
func NewCmdCodeowners(f *Factory) *cobra.Command {
	opts := &CodeownersOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "codeowners [PATH...]",
		Short: "Print the CODEOWNERS file that the spec's scopes imply, or check one",
		Long: `Print a CODEOWNERS file that makes each spec file reviewed by the owners of its
scope, in this order: a catch-all line "* OWNER..." for --default-owner (every
file no other line names, new files included); one line per scoped spec file
below each PATH (default: the current directory), by its path relative to the
root of the Git repository it is in (outside Git: to the working directory),
with the owners its entry under scopes: names (--default-owner when it names
none); and last, lines giving CODEOWNERS itself and every spec file that holds
scopes: to --default-owner, so a change to a scope, or to who reviews what,
always waits for the default owner. The output uses the syntax GitHub and
GitLab share, after a comment header; the last matching line wins.

--default-owner is required: the catch-all and the last lines need an owner.
A spec file whose path holds a control, format, separator or non-ASCII space
character is refused (it could read as another path).

With --check FILE, nothing is printed but differences: exit 0 when FILE says
exactly what would be generated, 1 with a diff when it does not (a hand edit,
or a scope changed without regenerating). Run it in pull-request CI next to
validate so CODEOWNERS never drifts from the spec, and require code-owner
review in branch protection.`,
		Example: `  reposync codeowners specs/ --default-owner @acme/platform > .github/CODEOWNERS
  reposync codeowners specs/ --default-owner @acme/platform --check .github/CODEOWNERS`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return runCodeowners(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.DefaultOwners, "default-owner", nil, "`OWNER` of everything no scope names, of CODEOWNERS and of the files holding scopes: (required; repeatable, or comma-separated)")
	cmd.Flags().StringVar(&opts.Check, "check", "", "compare with the CODEOWNERS `FILE`: exit 1 with a diff when it differs")
	return cmd
}

func runCodeowners(ctx context.Context, o *CodeownersOptions) error {
	paths := o.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	if len(o.DefaultOwners) == 0 {
		return errors.New("--default-owner is required: it owns the catch-all line (every file no scope names, new files included), CODEOWNERS itself and the files that hold `scopes:`")
	}
	for _, ow := range o.DefaultOwners {
		if !spec.ValidOwner(ow) {
			return fmt.Errorf("--default-owner %q: not an owner: write `@user`, `@org/team` or an e-mail address", ow)
		}
	}
	d, err := loadSpec(o.IO, paths, nil)
	if err != nil {
		return err
	}
	start := paths[0]
	if info, err := os.Stat(start); err == nil && !info.IsDir() {
		start = filepath.Dir(start)
	}
	tree := findGitTree(ctx, start)
	if tree == nil {
		fmt.Fprintln(o.IO.ErrOut, "note: the spec is not in a Git work tree; paths are relative to the working directory")
	}
	text, err := codeownersFile(d, tree, o.DefaultOwners)
	if err != nil {
		return err
	}
	if o.Check == "" {
		_, err := fmt.Fprint(o.IO.Out, text)
		return err
	}
	have, err := os.ReadFile(o.Check)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: no such file; write it with reposync codeowners (same arguments, without --check) > %s", o.Check, o.Check)
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", o.Check, err)
	}
	if string(have) == text {
		fmt.Fprintf(o.IO.ErrOut, "%s matches the spec's scopes\n", o.Check)
		return nil
	}
	for _, l := range render.LineDiff(o.Check, "generated from the spec", string(have), text) {
		fmt.Fprintln(o.IO.Out, l)
	}
	fmt.Fprintf(o.IO.ErrOut, "%s differs from the owners the spec's scopes name; regenerate it with reposync codeowners (same arguments, without --check) > %s\n", o.Check, o.Check)
	return silentExit(ExitError)
}

// codeownersHeader opens every generated file; it names no arguments, so
// the same spec gives the same file wherever it is generated.
const codeownersHeader = `# CODEOWNERS for the reposync spec, generated by ` + "`reposync codeowners`" + `: do not edit by hand.
# The default owner reviews every file no line below names, new files included;
# each scoped spec file is reviewed by the owners of its scope; CODEOWNERS and the
# files that declare scopes: come last, back to the default owner. The last
# matching line wins. Regenerate after changing a scope.
`

// codeownersFile renders the CODEOWNERS text: the catch-all, one line per
// scoped file, then CODEOWNERS (wherever it lives: the pattern has no `/`)
// and the files holding `scopes:`, each part sorted by path, relative to
// the top of tree (the working directory when tree is nil).
func codeownersFile(d *state.Desired, tree *gitTree, defaults []string) (string, error) {
	def := strings.Join(defaults, " ")
	scoped, holders := map[string]string{}, map[string]string{} // file -> owners
	for f, sc := range d.Scopes {
		scoped[f] = cmp.Or(strings.Join(sc.Owners, " "), def)
		holders[sc.Source.File] = def
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n* %s\n\n", codeownersHeader, def)
	for i, part := range []map[string]string{scoped, holders} {
		if i == 1 {
			fmt.Fprintf(&b, "CODEOWNERS %s\n", def)
		}
		for _, f := range slices.Sorted(maps.Keys(part)) {
			p, err := codeownersPath(tree, f)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "%s %s\n", p, part[f])
		}
		if i == 0 && len(part) > 0 {
			b.WriteString("\n")
		}
	}
	return b.String(), nil
}

// repoPath is a spec file's path relative to the top of tree, or to the
// working directory outside Git, with forward slashes.
func repoPath(tree *gitTree, file string) (string, error) {
	if tree != nil {
		if r, ok := tree.rel(file); ok {
			return r, nil
		}
		return "", fmt.Errorf("%s is outside the Git work tree %s; CODEOWNERS can only name files inside it", file, tree.top)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	r, err := filepath.Rel(wd, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the working directory; run reposync codeowners from the repository root", file)
	}
	return filepath.ToSlash(r), nil
}

// codeownersPath writes a spec file's path relative to the top of tree as a
// CODEOWNERS pattern that matches that file alone: anchored with a leading
// `/`, spaces escaped. It refuses, the path shown escaped, a character a
// reviewer cannot see for what it is (state.Invisible: a right-to-left
// override, a zero-width or no-break space), and pattern syntax of GitHub or
// GitLab rather than escape it one way the other reads differently.
func codeownersPath(tree *gitTree, file string) (string, error) {
	rel, err := repoPath(tree, file)
	if err != nil {
		return "", err
	}
	if i := strings.IndexFunc(rel, state.Invisible); i >= 0 {
		return "", fmt.Errorf("%s: a control, format, separator or non-ASCII space character (%U) in a spec file's path could make it read as another path; rename the file", state.Visible(rel), []rune(rel[i:])[0])
	}
	if i := strings.IndexAny(rel, "*?[]!#\\"); i >= 0 {
		return "", fmt.Errorf("%s: `%c` in a spec file's path cannot be written portably in CODEOWNERS; rename the file", rel, rel[i])
	}
	return "/" + strings.ReplaceAll(rel, " ", `\ `), nil
}
