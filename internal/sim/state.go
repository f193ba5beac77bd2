package sim

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"
)

// LoadState reads the state file that a simulator run with Options.StatePath
// = path left behind, and replays the journal next to it: the world as of
// that run's last acknowledged write, whether it stopped cleanly or not.
func LoadState(path string) (*Fixture, error) {
	fx, err := LoadFixture(path)
	if err != nil {
		return nil, err
	}
	s, err := New(fx, Options{})
	if err != nil {
		return nil, fmt.Errorf("load state %s: %w", path, err)
	}
	s.replaying = true
	last := fx.JournalSeq
	cur, next := journalPaths(path)
	for _, jp := range []string{cur, next} {
		recs, err := readJournal(jp)
		if err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
		for _, rec := range recs {
			if rec.Seq <= last {
				continue // already in the state file
			}
			if rec.Seq != last+1 {
				return nil, fmt.Errorf("load state: %s: record %d follows record %d: records are missing", jp, rec.Seq, last)
			}
			if err := s.replay(rec); err != nil {
				return nil, fmt.Errorf("load state: %s: record %d (%s %s): %w", jp, rec.Seq, rec.Method, rec.Path, err)
			}
			last = rec.Seq
		}
	}
	s.fx.JournalSeq = last
	return s.fx, nil
}

// replay performs one journalled write again, through the handler that made
// it, with the time and user it had.
func (s *Server) replay(rec journalRecord) error {
	rt, params := match(rec.Method, rec.Path)
	if rt == nil || rt.op != rec.Op {
		return fmt.Errorf("no %s route for it", rec.Op)
	}
	q, err := url.ParseQuery(rec.Query)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := rt.h(s, &request{query: q, body: rec.Body, params: params, user: rec.User, at: rec.At})
	if !rep.changed {
		return fmt.Errorf("it changed nothing on replay (status %d)", rep.status)
	}
	s.reindex()
	return nil
}

// startPersistence writes the whole state to the state file and starts an
// empty journal (any journal left next to it is older than the state now
// written). Called by New.
func (s *Server) startPersistence() error {
	path := s.opts.StatePath
	n, err := writeState(path, s.fx)
	if err != nil {
		return err
	}
	s.stateSize = n
	cur, next := journalPaths(path)
	for _, p := range []string{next, cur} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("persist state: %w", err)
		}
	}
	jr, err := openJournal(cur, s.fx.JournalSeq)
	if err != nil {
		return fmt.Errorf("persist state: %w", err)
	}
	s.jr = jr
	return nil
}

// journalLocked records the write that q just made as the next journal
// record and returns its sequence number; the caller waits for it outside
// the lock. Called with s.mu held.
func (s *Server) journalLocked(rt *route, method, path, rawQuery string, q *request) (int64, error) {
	s.fx.JournalSeq++
	seq := s.fx.JournalSeq
	line, err := encodeRecord(journalRecord{Seq: seq, Op: rt.op, Method: method, Path: path, Query: rawQuery,
		User: q.user, At: q.at, Body: q.body})
	if err != nil {
		return 0, fmt.Errorf("journal: %w", err)
	}
	s.jr.append(seq, line)
	s.maybeCompactLocked()
	return seq, nil
}

// maybeCompactLocked starts a background compaction once the journal is due
// (Options.CompactEvery records, or by default as large as the state file
// and at least minCompactEvery records): later writes go to
// FILE.journal.next while a copy of the state is written to FILE. Called
// with s.mu held.
func (s *Server) maybeCompactLocked() {
	if s.compacting || s.closing {
		return
	}
	records, size := s.jr.size()
	if s.opts.CompactEvery > 0 {
		if records < s.opts.CompactEvery {
			return
		}
	} else if records < minCompactEvery || size < s.stateSize {
		return
	}
	_, next := journalPaths(s.opts.StatePath)
	if !s.rotated {
		// A failed compaction leaves the rotation in place: FILE.journal.next
		// then holds writes FILE lacks and must not be started afresh.
		if err := s.jr.switchTo(next); err != nil {
			return // sticky in the journal: every later write answers 500
		}
		s.rotated = true
	}
	s.compacting = true
	snap := deepCopy(s.fx)
	s.bg.Add(1)
	go s.compact(snap)
}

func (s *Server) compact(snap *Fixture) {
	defer s.bg.Done()
	path := s.opts.StatePath
	cur, next := journalPaths(path)
	n, err := writeState(path, snap)
	if err == nil {
		err = os.Rename(next, cur)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacting = false
	if err != nil {
		s.compactErr = fmt.Errorf("compact the journal: %w", err)
		return
	}
	s.rotated = false
	s.stateSize = n
	s.compactions++
}

// Close stops persistence cleanly: it waits for a compaction in progress,
// writes the whole state to the state file and removes the journal. Writes
// after Close answer 500. Without Options.StatePath it does nothing.
func (s *Server) Close() error {
	if s.jr == nil {
		return nil
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	s.mu.Unlock()
	s.bg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.jr.close(); err != nil {
		return fmt.Errorf("close simulator: %w", err) // the journal stays the truth
	}
	if _, err := writeState(s.opts.StatePath, s.fx); err != nil {
		return fmt.Errorf("close simulator: %w", err)
	}
	cur, next := journalPaths(s.opts.StatePath)
	for _, p := range []string{next, cur} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("close simulator: %w", err)
		}
	}
	return s.compactErr
}

// writeState writes fx to path atomically (temporary file in the same
// directory, fsync, rename, fsync of the directory) and returns its size.
func writeState(path string, fx *Fixture) (int64, error) {
	data, err := yaml.Marshal(fx)
	if err != nil {
		return 0, fmt.Errorf("persist state: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".sim-state-*")
	if err != nil {
		return 0, fmt.Errorf("persist state: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("persist state %s: %w", path, werr)
	}
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("persist state %s: %w", path, err)
	}
	return int64(len(data)), nil
}

// deepCopy copies a value of plain data (structs, slices, maps, pointers)
// without sharing anything mutable, so a compaction can write a copy of the
// state while handlers change the original. Reflection keeps it right as
// fields are added to the fixture.
func deepCopy[T any](v *T) *T {
	out := new(T)
	copyValue(reflect.ValueOf(out).Elem(), reflect.ValueOf(v).Elem())
	return out
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		n := reflect.New(src.Type().Elem())
		copyValue(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Struct:
		t := src.Type()
		for i := 0; i < src.NumField(); i++ {
			if !t.Field(i).IsExported() {
				dst.Set(src) // an opaque value type such as time.Time
				return
			}
		}
		for i := 0; i < src.NumField(); i++ {
			copyValue(dst.Field(i), src.Field(i))
		}
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyValue(n.Index(i), src.Index(i))
		}
		dst.Set(n)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		n := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			v := reflect.New(src.Type().Elem()).Elem()
			copyValue(v, it.Value())
			n.SetMapIndex(it.Key(), v)
		}
		dst.Set(n)
	default:
		dst.Set(src)
	}
}
