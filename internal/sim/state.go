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
func (s *Server) persistLocked() error {
	if s.opts.StatePath == "" {
		return nil
	}
	return writeState(s.opts.StatePath, s.fx)
}

// writeState writes fx to path atomically: a temporary file in the same
// directory renamed over it, so a process that stops at any instant leaves
// the old state or the new one. It does not fsync: the simulator is a test
// server, a crash of the machine is not what it must survive, and the two
// fsyncs cost more than the write itself in the demo's small worlds.
func writeState(path string, fx *Fixture) error {
	data, err := yaml.Marshal(fx)
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
