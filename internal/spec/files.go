package spec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// source is one spec file's name (as the user will see it), its name relative
// to the path it was found under (for the digest, so it does not depend on
// where reposync runs from), and its bytes.
type source struct {
	name string
	rel  string
	data []byte
}

// found is a discovered spec file.
type found struct{ name, rel string }

func isYAMLName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// finder collects the spec files found, each once, up to the limit of
// files: discover's on disk, LoadFiles' in memory.
type finder struct {
	max   int
	files []found
	seen  map[string]string // a file's identity -> the name it was found as first
	diags Diagnostics
}

// add records the file name, found as rel below its root, and says
// whether the search goes on: not beyond the limit. id is what makes two
// names one file (on disk, the real path).
func (fd *finder) add(id, name, rel string) bool {
	if first, ok := fd.seen[id]; ok {
		if first != name {
			// A symlink to a spec file, or a file under two PATHs: it
			// is loaded once, under the name found first, and said so
			// (a scope names a file by that name).
			fd.diags = append(fd.diags, Diagnostic{Severity: SeverityWarning, File: name,
				Message: fmt.Sprintf("the same file as %s (a symlink, or under two PATHs): loaded once, as %s", first, first)})
		}
		return true
	}
	fd.seen[id] = name
	fd.files = append(fd.files, found{name: name, rel: filepath.ToSlash(rel)})
	if len(fd.files) > fd.max {
		fd.diags = append(fd.diags, Diagnostic{Severity: SeverityError, File: name,
			Message: fmt.Sprintf("more than %d spec files; split the spec into smaller directories or raise the limit", fd.max)})
		return false
	}
	return true
}

// addPath adds a file given as a PATH, which must be a YAML file.
func (fd *finder) addPath(id, name string) bool {
	if !isYAMLName(name) {
		fd.diags = append(fd.diags, Diagnostic{Severity: SeverityError, File: name, Message: "not a YAML file: spec files end in .yaml or .yml"})
		return true
	}
	return fd.add(id, name, filepath.Base(name))
}

// discover finds the spec files below each path: every *.yaml and *.yml file,
// skipping hidden directories (.git, .github) so CI files living next to the
// spec are not mistaken for it. Symlinked files are read; symlinked
// directories are not followed (which rules out symlink loops by design).
func discover(opts Options, paths []string) ([]found, Diagnostics) {
	fd := &finder{max: opts.MaxFiles, seen: map[string]string{}}
	realPath := func(name string) string {
		abs, err := filepath.Abs(name)
		if err != nil {
			return name
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			return real
		}
		return abs
	}
	entries := 0
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			fd.diags = append(fd.diags, fileError(root, err))
			continue
		}
		if !info.IsDir() {
			if !fd.addPath(realPath(root), root) {
				break
			}
			continue
		}
		stop := false
		walkErr := filepath.WalkDir(root, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				fd.diags = append(fd.diags, fileError(name, err))
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			entries++
			if entries > opts.MaxWalkEntries {
				fd.diags = append(fd.diags, Diagnostic{Severity: SeverityError, File: root,
					Message: fmt.Sprintf("more than %d files and directories below %s; point reposync at the spec directory itself", opts.MaxWalkEntries, root)})
				stop = true
				return fs.SkipAll
			}
			if d.IsDir() {
				if name != root && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") || !isYAMLName(name) {
				return nil
			}
			mode := d.Type()
			if mode&fs.ModeSymlink != 0 {
				target, err := os.Stat(name)
				if err != nil {
					fd.diags = append(fd.diags, fileError(name, err))
					return nil
				}
				if target.IsDir() {
					fd.diags = append(fd.diags, Diagnostic{Severity: SeverityWarning, File: name, Message: "symlinked directory not followed; pass it as an argument to include it"})
					return nil
				}
				mode = target.Mode().Type()
			}
			if !mode.IsRegular() {
				// Reading a FIFO or a device could block or never end, so it
				// is skipped — but never silently: its name says it is meant
				// to be a spec file. (Named on the command line, it is an
				// error: see readFile.)
				fd.diags = append(fd.diags, Diagnostic{Severity: SeverityWarning, File: name,
					Message: fmt.Sprintf("%s, not a regular file; skipped", fileKind(mode))})
				return nil
			}
			rel, err := filepath.Rel(root, name)
			if err != nil {
				rel = name
			}
			if !fd.add(realPath(name), name, rel) {
				stop = true
				return fs.SkipAll
			}
			return nil
		})
		if walkErr != nil {
			fd.diags = append(fd.diags, fileError(root, walkErr))
		}
		if stop {
			break
		}
	}
	sort.Slice(fd.files, func(i, j int) bool { return fd.files[i].name < fd.files[j].name })
	return fd.files, fd.diags
}

// fileKind names a kind of file that is not a regular file.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
}

// readFile reads one spec file within the size limit without ever allocating
// more than the limit.
func readFile(opts Options, name string) ([]byte, *Diagnostic) {
	// Stat before opening: opening a FIFO or device would block or never end.
	if info, err := os.Stat(name); err != nil {
		d := fileError(name, err)
		return nil, &d
	} else if !info.Mode().IsRegular() {
		return nil, &Diagnostic{Severity: SeverityError, File: name, Message: fileKind(info.Mode().Type()) + ", not a regular file"}
	}
	f, err := os.Open(name)
	if err != nil {
		d := fileError(name, err)
		return nil, &d
	}
	defer f.Close()
	size := int64(0)
	if info, err := f.Stat(); err == nil && !info.Mode().IsRegular() {
		return nil, &Diagnostic{Severity: SeverityError, File: name, Message: "not a regular file"}
	} else if err == nil && info.Size() > opts.MaxFileSize {
		return nil, &Diagnostic{Severity: SeverityError, File: name, Message: tooBig(info.Size(), opts.MaxFileSize)}
	} else if err == nil {
		size = info.Size()
	}
	// Read into a buffer of the size Stat gave, plus one byte to notice a
	// file that grew meanwhile, rather than one that grows by doubling.
	r := io.LimitReader(f, opts.MaxFileSize+1)
	data := make([]byte, size+1)
	n, err := io.ReadFull(r, data)
	data = data[:n]
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		err = nil
	case err == nil: // it grew: read the rest, still within the limit
		var rest []byte
		rest, err = io.ReadAll(r)
		data = append(data, rest...)
	}
	if err != nil {
		d := fileError(name, err)
		return nil, &d
	}
	if int64(len(data)) > opts.MaxFileSize {
		return nil, &Diagnostic{Severity: SeverityError, File: name, Message: tooBig(int64(len(data)), opts.MaxFileSize)}
	}
	return data, nil
}

func tooBig(size, limit int64) string {
	return fmt.Sprintf("file is larger than the limit of %s (at least %s); split it into several files", humanBytes(limit), humanBytes(size))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// fileError turns an I/O error into a diagnostic with a message a user can act
// on, without the Go error's repetition of the path.
func fileError(name string, err error) Diagnostic {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg = "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		msg = "permission denied"
	case strings.Contains(msg, "too many levels of symbolic links"):
		msg = "symbolic link loop"
	}
	return Diagnostic{Severity: SeverityError, File: name, Message: msg}
}
