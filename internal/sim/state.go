package sim

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// persistLocked writes the whole state to Options.StatePath, if set, in
// fixture format with every id filled in. New calls it, and so does every
// write before it is answered (or dropped), under s.mu, so the file holds
// exactly the acknowledged writes whatever stops the process. A rewrite per
// write suits --state's small worlds; the benchmarks run without it.
//
// The file is replaced atomically (a temporary file in its directory renamed
// over it), so a process stopped at any instant leaves the old state or the
// new one. No fsync: a test server need not survive a crash of the machine,
// and two fsyncs cost more than the write itself in the demo's small worlds.
func (s *Server) persistLocked() error {
	path := s.opts.StatePath
	if path == "" {
		return nil
	}
	data, err := yaml.Marshal(s.fx)
	if err != nil {
		return fmt.Errorf("persist state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".sim-state-*")
	if err != nil {
		return fmt.Errorf("persist state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err = cmp.Or(err, f.Close()); err == nil { // the file is closed either way
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("persist state %s: %w", path, err)
	}
	return nil
}
