package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/schema"
)

// writeFileAtomic writes data to path through a temporary file in the same
// directory, fsynced and renamed into place, so a reader never sees a
// half-written file. A new file gets mode 0666 minus the umask, as a shell
// redirection would; a replaced file keeps its mode.
func writeFileAtomic(path string, data []byte) error {
	fail := func(err error) error { return fmt.Errorf("write %s: %w", path, err) }
	mode := fs.FileMode(0o666)
	keep := false
	if st, err := os.Stat(path); err == nil {
		if !st.Mode().IsRegular() {
			return fail(errors.New("not a regular file"))
		}
		mode, keep = st.Mode().Perm(), true
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+rand.Text())
	// O_EXCL: never follow or reuse something another process put there.
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp)
	_, err = fh.Write(data)
	if err == nil && keep {
		err = fh.Chmod(mode) // the umask may have narrowed it
	}
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// readPlanFile reads a plan saved by `plan --out`.
func readPlanFile(path string) (*plan.Plan, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	defer fh.Close()
	p, err := plan.Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	return p, nil
}

// schemaFileName is the JSON Schema written next to an exported spec.
const schemaFileName = "reposync.schema.json"

// writeExport writes the files into dir (names may hold one subdirectory,
// groups/x.yaml). A new directory is filled under a temporary name and
// renamed into place, so it appears complete or not at all; into an
// existing one (--force) each file is replaced atomically.
func writeExport(dir string, files []spec.File) error {
	fail := func(err error) error { return fmt.Errorf("write %s: %w", dir, err) }
	all := append(files, spec.File{Name: schemaFileName, Data: schema.JSON})
	fill := func(root string) error {
		for _, fl := range all {
			if err := os.MkdirAll(filepath.Join(root, filepath.Dir(fl.Name)), 0o777); err != nil {
				return fail(err)
			}
			if err := writeFileAtomic(filepath.Join(root, fl.Name), fl.Data); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		return fill(dir)
	}
	// Made by mkdir (not os.MkdirTemp, which makes it 0700), so it gets
	// the mode a new directory gets under the umask.
	tmp := filepath.Join(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".tmp-"+rand.Text())
	if err := os.Mkdir(tmp, 0o777); err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fail(err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting, for the
// commands reposync suggests.
func shellQuote(s string) string {
	unsafe := func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+,", r))
	}
	if s != "" && !strings.ContainsFunc(s, unsafe) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
