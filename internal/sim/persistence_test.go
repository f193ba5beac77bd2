package sim

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// diskImage copies the state file and its journals into a new directory: the
// files as a crash at this instant would leave them (every acknowledged
// record is already fsync'd). It returns the copied state file's path.
func diskImage(t *testing.T, state string) string {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", ".journal", ".journal.next"} {
		data, err := os.ReadFile(state + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "state.yaml"+suffix), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "state.yaml")
}

func groupPaths(fx *Fixture) []string {
	var out []string
	for _, g := range fx.Groups {
		out = append(out, g.Path)
	}
	return out
}

// TestTornJournalRecord: a crash in the middle of an append leaves a torn
// last record; loading ignores it (that write was never acknowledged),
// keeps every record before it, and the simulator carries on from there.
func TestTornJournalRecord(t *testing.T) {
	tests := []struct {
		name string
		tear func(journal []byte) []byte
	}{
		{"cut in the middle", func(j []byte) []byte { return j[:len(j)-20] }},
		{"newline missing", func(j []byte) []byte { return j[:len(j)-1] }},
		{"checksum wrong", func(j []byte) []byte {
			last := bytes.LastIndexByte(j[:len(j)-1], '\n') + 1
			out := append([]byte(nil), j...)
			out[last] ^= 0x01
			return out
		}},
		{"garbage line", func(j []byte) []byte {
			last := bytes.LastIndexByte(j[:len(j)-1], '\n') + 1
			return append(append([]byte(nil), j[:last]...), "zzzz not a record\n"...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := filepath.Join(t.TempDir(), "state.yaml")
			_, hs, _ := newTestServer(t, Options{StatePath: state})
			for _, n := range []string{"a", "b", "c"} {
				if r := call(t, hs, "token", "POST", "/v4/"+testProject+"/groups", `{"name":"`+n+`"}`); r.status != 201 {
					t.Fatalf("create %s: %d %s", n, r.status, r.body)
				}
			}
			img := diskImage(t, state)
			j, err := os.ReadFile(img + ".journal")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(img+".journal", tt.tear(j), 0o600); err != nil {
				t.Fatal(err)
			}
			fx, err := LoadState(img)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if diff := cmp.Diff([]string{"payments", "payments/api", "empty", "a", "b"}, groupPaths(fx)); diff != "" {
				t.Errorf("groups after the torn record (-want +got):\n%s", diff)
			}
			// The simulator starts from there, and the next write follows on.
			s2, err := New(fx, Options{StatePath: img})
			if err != nil {
				t.Fatal(err)
			}
			rec := serve(s2, "POST", "/v4/"+testProject+"/groups", `{"name":"d"}`)
			if rec.Code != 201 {
				t.Fatalf("create d: %d %s", rec.Code, rec.Body)
			}
			again, err := LoadState(diskImage(t, img))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"payments", "payments/api", "empty", "a", "b", "d"}, groupPaths(again)); diff != "" {
				t.Errorf("groups after restart and a write (-want +got):\n%s", diff)
			}
			if err := s2.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// serve sends one token-authenticated request to s directly.
func serve(s *Server, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("X-Auth-Token", testToken)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestCompactionCrashPoints builds the files of every step of a compaction
// (journal switched, state file written, journal renamed) from the records of
// five writes; each must load to the same state.
func TestCompactionCrashPoints(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.yaml")
	s, hs, _ := newTestServer(t, Options{StatePath: state})
	writes := []struct{ method, path, body string }{
		{"POST", "/v4/" + testProject + "/groups", `{"name":"w1","parent_id":100}`},
		{"PUT", "/v1/repositories/" + gwUUID + "/members/" + hexID("user", "bob"), `{"role":20}`}, // alice is the creator
		{"POST", "/v4/repositories/12345/file-push-permissions", `{"path":"/w3"}`},
		{"DELETE", "/v4/" + testProject + "/groups/102", ""},
		{"POST", "/v1/" + testIAM + "/git/auths/github/password", `{"name":"w5","user":"u","password":"p"}`},
	}
	for _, w := range writes {
		if r := call(t, hs, "aksk", w.method, w.path, w.body); r.status >= 300 {
			t.Fatalf("%s %s: %d %s", w.method, w.path, r.status, r.body)
		}
	}
	want := s.Snapshot()
	initial, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	journal, err := os.ReadFile(state + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(journal), "\n")
	lines = lines[:len(lines)-1]
	if len(lines) != 5 {
		t.Fatalf("journal has %d records, want 5", len(lines))
	}
	first3, last2 := strings.Join(lines[:3], ""), strings.Join(lines[3:], "")
	// The state file of a compaction at record 3.
	dir := t.TempDir()
	at3 := filepath.Join(dir, "at3.yaml")
	if err := os.WriteFile(at3, initial, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(at3+".journal", []byte(first3), 0o600); err != nil {
		t.Fatal(err)
	}
	fx3, err := LoadState(at3)
	if err != nil {
		t.Fatal(err)
	}
	if fx3.JournalSeq != 3 {
		t.Fatalf("journal_seq %d, want 3", fx3.JournalSeq)
	}
	if _, err := writeState(at3, fx3); err != nil {
		t.Fatal(err)
	}
	compacted, err := os.ReadFile(at3)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name                 string
		file                 []byte
		journal, journalNext string
		wantErr              string
	}{
		{"nothing compacted", initial, first3 + last2, "", ""},
		{"journal switched", initial, first3, last2, ""},
		{"state file written", compacted, first3, last2, ""},
		{"journal renamed", compacted, last2, "", ""},
		{"a record missing", initial, lines[0] + lines[1] + lines[3], "", "record 4 follows record 2: records are missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "state.yaml")
			files := map[string]string{p: string(tt.file), p + ".journal": tt.journal, p + ".journal.next": tt.journalNext}
			for name, data := range files {
				if data == "" {
					continue
				}
				if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadState(p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("loaded state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompactionWhileWriting: with a compaction every 5 records, 8 clients
// write concurrently; compactions run meanwhile, the files always load to
// the acknowledged state, and Close leaves the state file alone complete.
func TestCompactionWhileWriting(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.yaml")
	s, hs, _ := newTestServer(t, Options{StatePath: state, CompactEvery: 5})
	const clients, each = 8, 15
	var wg sync.WaitGroup
	errs := make([]error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				path, body := "/v4/repositories/12345/file-push-permissions", fmt.Sprintf(`{"path":"/c%d/%d"}`, c, i)
				if i%3 == 0 {
					path, body = "/v4/"+testProject+"/groups", fmt.Sprintf(`{"name":"c%d-%d","parent_id":101}`, c, i)
				}
				req, _ := http.NewRequest("POST", hs.URL+path, strings.NewReader(body))
				req.Header.Set("X-Auth-Token", testToken)
				resp, err := hs.Client().Do(req)
				if err != nil {
					errs[c] = err
					return
				}
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					errs[c] = fmt.Errorf("%s %s: %d", path, body, resp.StatusCode)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.bg.Wait() // a compaction may still be writing
	s.mu.Lock()
	compactions := s.compactions
	s.mu.Unlock()
	if compactions == 0 {
		t.Errorf("no compaction ran during %d writes", clients*each)
	}
	want := s.Snapshot()
	if want.JournalSeq != clients*each {
		t.Errorf("journal_seq %d, want %d", want.JournalSeq, clients*each)
	}
	got, err := LoadState(diskImage(t, state))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state loaded from the files (-memory +files):\n%s", diff)
	}
	onlyFile, err := LoadFixture(state)
	if err != nil {
		t.Fatal(err)
	}
	if onlyFile.JournalSeq == 0 {
		t.Errorf("the state file holds no compacted record")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	closed, err := LoadFixture(state)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, closed); diff != "" {
		t.Errorf("state file after Close (-memory +file):\n%s", diff)
	}
	for _, j := range []string{state + ".journal", state + ".journal.next"} {
		if _, err := os.Stat(j); !os.IsNotExist(err) {
			t.Errorf("%s left after Close (%v)", filepath.Base(j), err)
		}
	}
	if r := call(t, hs, "token", "POST", "/v4/"+testProject+"/groups", `{"name":"late"}`); r.status != 500 {
		t.Errorf("a write after Close answered %d, want 500", r.status)
	}
}

func TestDeepCopySharesNothing(t *testing.T) {
	fx := loadTestFixture(t)
	cp := deepCopy(fx)
	if diff := cmp.Diff(fx, cp); diff != "" {
		t.Fatalf("copy differs (-orig +copy):\n%s", diff)
	}
	cp.Repositories[0].Members["alice"] = "viewer"
	cp.Repositories[0].PushRules[0].Users[0] = "bob"
	cp.Groups[0].MemberGroups[0] = "x"
	cp.MemberGroups[0].Members = append(cp.MemberGroups[0].Members, "y")
	if diff := cmp.Diff(loadTestFixture(t), fx); diff != "" {
		t.Errorf("changing the copy changed the original (-want +got):\n%s", diff)
	}
}
