package spec

import (
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/reposync/reposync/internal/state"
)

// File is a spec file held in memory: its slash-separated name and its
// bytes.
type File struct {
	Name string
	Data []byte
}

// LoadFiles is LoadWith over files held in memory: the spec at another Git
// revision, read from `git archive` without writing it to disk (which, for
// hundreds of files, can cost more than the load). roots play the part of
// LoadWith's paths in the files' name space: a root naming a file loads it
// if it is a YAML file; any other loads every *.yaml and *.yml file below
// it outside hidden directories, as the walk does. Within opts' limits, the
// result (state, digest, diagnostics) is LoadWith's for the files on disk.
func LoadFiles(opts Options, files []File, roots ...string) (*state.Desired, Diagnostics) {
	if len(roots) == 0 {
		roots = []string{"."}
	}
	byName := make(map[string][]byte, len(files))
	for _, f := range files {
		byName[path.Clean(f.Name)] = f.Data
	}
	names := slices.Sorted(maps.Keys(byName))
	fd := &finder{max: opts.MaxFiles, seen: map[string]string{}}
roots:
	for _, root := range roots {
		root = path.Clean(root)
		if _, isFile := byName[root]; isFile {
			if !fd.addPath(root, root) {
				break
			}
			continue
		}
		prefix := root + "/"
		if root == "." {
			prefix = ""
		}
		i := sort.SearchStrings(names, prefix)
		if i == len(names) || !strings.HasPrefix(names[i], prefix) {
			fd.diags = append(fd.diags, Diagnostic{Severity: SeverityError, File: root, Message: "no such file or directory"})
			continue
		}
		for ; i < len(names) && strings.HasPrefix(names[i], prefix); i++ {
			rel := names[i][len(prefix):]
			if hiddenPath(rel) || !isYAMLName(rel) {
				continue
			}
			if !fd.add(names[i], names[i], rel) {
				break roots
			}
		}
	}
	sort.Slice(fd.files, func(i, j int) bool { return fd.files[i].name < fd.files[j].name })
	return loadFound(opts, roots, fd.files, fd.diags, func(name string) ([]byte, *Diagnostic) {
		data := byName[name]
		if int64(len(data)) > opts.MaxFileSize {
			return nil, &Diagnostic{Severity: SeverityError, File: name, Message: tooBig(int64(len(data)), opts.MaxFileSize)}
		}
		return data, nil
	})
}

// hiddenPath reports whether a slash-separated path below a root is hidden
// or lies in a hidden directory (a segment starting with a dot).
func hiddenPath(rel string) bool {
	return strings.HasPrefix(rel, ".") || strings.Contains(rel, "/.")
}
