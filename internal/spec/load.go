// Package spec loads reposync spec files: it finds every *.yaml/*.yml file
// below the given paths, decodes them strictly, validates them against the
// embedded JSON Schema, merges them, runs the semantic checks, and reports
// every problem at once with file:line:column. It also expands policies
// into effective repository access. It imports only state and schema.
package spec

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/reposync/reposync/internal/state"
)

// Options are the loader's limits against hostile or mistaken input.
type Options struct {
	MaxFileSize     int64 // bytes per file
	MaxTotalSize    int64 // bytes across all files
	MaxFiles        int   // spec files
	MaxWalkEntries  int   // files and directories visited while searching
	MaxDepth        int   // YAML nesting levels
	MaxRepositories int   // repositories listed
	// Cache, when set, keeps what each file builds for the next load that
	// uses it.
	Cache *Cache
}

// A Cache keeps what each file builds, by its name, its path below the
// spec root and its content: the spec at the base of --changed-since is
// mostly the spec now, so its load parses only the files the change
// touched. Loads sharing a Cache share those entries (the merge copies
// pointers and changes no loaded entry; a scope, which it completes, is
// copied first). Safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	files map[[sha256.Size]byte]built
}

// built is what one file builds: nil for a file without a document.
type built struct {
	frag  *builder
	diags Diagnostics
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{files: map[[sha256.Size]byte]built{}} }

// build parses, schema-checks and builds src, or returns what an earlier
// load that shared c built of the same file.
func (c *Cache) build(opts Options, src source) built {
	var key [sha256.Size]byte
	if c != nil {
		h := sha256.New()
		for _, part := range [][]byte{[]byte(src.name), []byte(src.rel), src.data} {
			binary.Write(h, binary.BigEndian, uint64(len(part)))
			h.Write(part)
		}
		h.Sum(key[:0])
		c.mu.Lock()
		b, ok := c.files[key]
		c.mu.Unlock()
		if ok {
			return b
		}
	}
	doc, ds := parseDocument(opts, src)
	var b built
	if doc != nil {
		ds = append(ds, validateSchema(doc)...)
		b.frag = fragment(doc)
	}
	b.diags = ds
	if c != nil {
		c.mu.Lock()
		c.files[key] = b
		c.mu.Unlock()
	}
	return b
}

// DefaultOptions are the loader's limits: 4 MiB per file and 100 000
// repositories, plus bounds that no real spec comes near.
func DefaultOptions() Options {
	return Options{
		MaxFileSize:     4 << 20,
		MaxTotalSize:    512 << 20,
		MaxFiles:        20_000,
		MaxWalkEntries:  200_000,
		MaxDepth:        64,
		MaxRepositories: 100_000,
	}
}

// Load reads the spec below paths with the default limits. It returns the
// merged desired state when there are no errors (nil otherwise) and every
// diagnostic, errors and warnings, sorted by file and position.
func Load(paths ...string) (*state.Desired, Diagnostics) {
	return LoadWith(DefaultOptions(), paths...)
}

// LoadWith is Load with explicit limits.
func LoadWith(opts Options, paths ...string) (*state.Desired, Diagnostics) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, diags := discover(opts, paths)
	return loadFound(opts, paths, files, diags, func(name string) ([]byte, *Diagnostic) { return readFile(opts, name) })
}

// loadFound reads the files found below roots with read, within the total
// size limit, and loads them: the end of LoadWith and LoadFiles. diags are
// the diagnostics of finding the files; an error among them stops the load.
func loadFound(opts Options, roots []string, files []found, diags Diagnostics, read func(name string) ([]byte, *Diagnostic)) (*state.Desired, Diagnostics) {
	if diags.HasErrors() {
		return nil, diags.Sort()
	}
	if len(files) == 0 {
		for _, r := range roots {
			diags = append(diags, Diagnostic{Severity: SeverityError, File: r, Message: "no spec files (*.yaml, *.yml) found"})
		}
		return nil, diags.Sort()
	}
	var srcs []source
	var total int64
	for _, fl := range files {
		data, d := read(fl.name)
		if d != nil {
			diags = append(diags, *d)
			continue
		}
		total += int64(len(data))
		if total > opts.MaxTotalSize {
			diags = append(diags, Diagnostic{Severity: SeverityError, File: fl.name,
				Message: fmt.Sprintf("the spec files add up to more than %s", humanBytes(opts.MaxTotalSize))})
			break
		}
		srcs = append(srcs, source{name: fl.name, rel: fl.rel, data: data})
	}
	d, more := loadSources(opts, srcs)
	diags = append(diags, more...)
	if diags.HasErrors() {
		return nil, diags.Sort()
	}
	return d, diags.Sort()
}

// loadSources does everything after reading: parse, schema, merge, checks.
// It is separate so the fuzz target can drive it without touching disk.
func loadSources(opts Options, srcs []source) (*state.Desired, Diagnostics) {
	// Parse, schema-check and build the files in parallel: each file is on
	// its own and this is most of a load's CPU time (a pull-request plan
	// loads the spec twice, the second time with the first's Cache). Results go into slots by index and are merged
	// in file order below, so the outcome does not depend on scheduling.
	frags := make([]*builder, len(srcs)) // nil for a file without a document
	fileDiags := make([]Diagnostics, len(srcs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range srcs {
		g.Go(func() error {
			b := opts.Cache.build(opts, srcs[i])
			frags[i], fileDiags[i] = b.frag, b.diags
			return nil
		})
	}
	_ = g.Wait() // the workers return no errors: problems are diagnostics

	var diags Diagnostics
	b := newBuilder()
	b.presize(frags)
	h := sha256.New()
	for i, s := range srcs {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s.rel)))
		h.Write(n[:])
		h.Write([]byte(s.rel))
		binary.BigEndian.PutUint64(n[:], uint64(len(s.data)))
		h.Write(n[:])
		h.Write(s.data)

		diags = append(diags, fileDiags[i]...)
		if frags[i] != nil {
			b.d.Files = append(b.d.Files, s.name)
			b.merge(frags[i])
		}
	}
	b.resolveScopes(srcs, frags)
	diags = append(diags, b.diags...)
	b.d.Digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	diags = append(diags, check(opts, b.d, b.patternDiags)...)
	if Empty(b.d) && len(srcs) > 0 && !diags.HasErrors() {
		// Valid, but almost certainly not what was meant (the wrong
		// directory, or files not saved yet): say so rather than "valid".
		d := Diagnostic{Severity: SeverityWarning, File: srcs[0].name,
			Message: "every spec file is empty: the spec manages nothing"}
		if len(b.d.Files) > 0 {
			d.File = b.d.Files[0]
			d.Message = "the spec manages nothing: no file lists groups, repositories, policies or git_auths"
		}
		diags = append(diags, d)
	}
	return b.d, diags
}

// Empty reports whether d manages nothing: no groups section, and no
// repository, policy or Git authorization listed. (A `groups: {}` or
// `git_auths: {}` section manages something: that there are none.)
func Empty(d *state.Desired) bool {
	return d.Groups == nil && len(d.Repositories) == 0 && len(d.Policies) == 0 && d.GitAuths == nil
}
