package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Persistence (Options.StatePath = FILE) is a state file plus an append-only
// journal:
//
//   - FILE is the whole state in fixture format; its journal_seq is the
//     sequence number of the last write it contains.
//   - FILE.journal holds one record per acknowledged write after that: the
//     request that made it (operation, path, query, body, user, time), which
//     load replays through the same handler. A record is one line,
//     "<crc32c hex> <json>\n"; a write is answered only once its record is
//     fsync'd, and concurrent writes share one fsync (group commit).
//   - Once the journal is as large as the state file (and holds at least
//     1 000 records; Options.CompactEvery sets a fixed count instead), so
//     that rewriting the state costs each write O(1) on average, the journal
//     is compacted in the background:
//     under the state lock the simulator copies the state and starts a new
//     journal, FILE.journal.next, for the writes that follow; it then writes
//     the copy to FILE (temporary file, fsync, rename, fsync of the
//     directory) and renames FILE.journal.next over FILE.journal.
//   - Load (LoadState) reads FILE, then replays FILE.journal and
//     FILE.journal.next, skipping records FILE already contains; a torn last
//     record (a crash in the middle of an append) fails its checksum or lacks
//     its newline and is ignored with everything after it. Start (New) and a
//     clean stop (Close) write the whole state to FILE and start an empty
//     journal.
//
// At every instant the files on disk describe every acknowledged write,
// whichever step a crash interrupts. The price: another client may read a
// write a few hundred microseconds before it is durable (the state lock is
// not held across the fsync, which is what lets writes share one).

// minCompactEvery is the fewest records that start a compaction by default.
const minCompactEvery = 1000

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// journalRecord is one write, replayable through its handler.
type journalRecord struct {
	Seq    int64     `json:"seq"`
	Op     string    `json:"op"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	User   string    `json:"user,omitempty"`
	At     time.Time `json:"at"`
	Body   []byte    `json:"body,omitempty"`
}

func encodeRecord(rec journalRecord) ([]byte, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	line := make([]byte, 0, len(data)+10)
	line = fmt.Appendf(line, "%08x ", crc32.Checksum(data, crcTable))
	line = append(line, data...)
	return append(line, '\n'), nil
}

// readJournal returns the intact records of one journal file, in order; it
// stops at the first torn or corrupt line. A missing file has none.
func readJournal(path string) ([]journalRecord, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []journalRecord
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadBytes('\n')
		if err == io.EOF {
			return out, nil // a last line without its newline is torn
		}
		if err != nil {
			return nil, err
		}
		rec, ok := decodeRecord(line[:len(line)-1])
		if !ok {
			return out, nil
		}
		out = append(out, rec)
	}
}

func decodeRecord(line []byte) (journalRecord, bool) {
	sum, data, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(sum) != 8 {
		return journalRecord{}, false
	}
	want, err := strconv.ParseUint(string(sum), 16, 32)
	if err != nil || uint32(want) != crc32.Checksum(data, crcTable) {
		return journalRecord{}, false
	}
	var rec journalRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return journalRecord{}, false
	}
	return rec, true
}

// journal appends records to a file with group commit: append buffers a
// record (called under the state lock, so records are in write order); wait
// blocks until a record is on disk. The first waiter that finds no flush in
// progress writes everything buffered and fsyncs it for all.
type journal struct {
	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File
	pending  []byte
	upTo     int64 // highest sequence number in pending
	durable  int64 // highest sequence number fsync'd
	flushing bool
	err      error // sticky: once a write failed nothing more is acknowledged
	records  int   // records appended since the last switch
	bytes    int64 // their size
}

func openJournal(path string, durable int64) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	j := &journal{f: f, durable: durable, upTo: durable}
	j.cond = sync.NewCond(&j.mu)
	return j, nil
}

// size is the number and size of the records appended since the last switch.
func (j *journal) size() (int, int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.records, j.bytes
}

func (j *journal) append(seq int64, line []byte) {
	j.mu.Lock()
	j.pending = append(j.pending, line...)
	j.upTo = seq
	j.records++
	j.bytes += int64(len(line))
	j.mu.Unlock()
}

// wait returns once record seq is durable, or the error that keeps it from
// ever being.
func (j *journal) wait(seq int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.durable < seq {
		if j.err != nil {
			return j.err
		}
		if j.flushing {
			j.cond.Wait()
			continue
		}
		j.flushLocked()
	}
	return nil
}

// flushLocked writes and fsyncs what is buffered, releasing j.mu meanwhile
// so more records can be buffered for the next flush.
func (j *journal) flushLocked() {
	buf, upTo, f := j.pending, j.upTo, j.f
	j.pending = nil
	j.flushing = true
	j.mu.Unlock()
	_, err := f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	j.mu.Lock()
	j.flushing = false
	if err != nil && j.err == nil {
		j.err = fmt.Errorf("append to the journal: %w", err)
	} else if err == nil {
		j.durable = upTo
	}
	j.cond.Broadcast()
}

// switchTo makes everything buffered durable in the current file, then
// directs later records to path. Called under the state lock, so no record
// is appended meanwhile.
func (j *journal) switchTo(path string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.flushing {
		j.cond.Wait()
	}
	if j.err != nil {
		return j.err
	}
	if len(j.pending) > 0 {
		j.flushLocked()
		if j.err != nil {
			return j.err
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		j.err = fmt.Errorf("start a journal: %w", err)
		return j.err
	}
	_ = j.f.Close()
	j.f = f
	j.records, j.bytes = 0, 0
	return nil
}

// close flushes what is buffered and closes the file; later waits fail.
func (j *journal) close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for j.flushing {
		j.cond.Wait()
	}
	if len(j.pending) > 0 && j.err == nil {
		j.flushLocked()
	}
	err := j.err
	if cerr := j.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if j.err == nil {
		j.err = errors.New("the simulator is closed")
	}
	j.cond.Broadcast()
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// journalPaths are FILE.journal and FILE.journal.next, in replay order.
func journalPaths(state string) (cur, next string) {
	return state + ".journal", state + ".journal.next"
}
