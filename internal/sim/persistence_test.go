package sim

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// diskImage copies the state file into a new directory: the file as a crash
// at this instant would leave it (every acknowledged write is already
// fsync'd). It returns the copy's path.
func diskImage(t *testing.T, state string) string {
	t.Helper()
	data, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "state.yaml")
	if err := os.WriteFile(img, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return img
}

func groupPaths(fx *Fixture) []string {
	var out []string
	for _, g := range fx.Groups {
		out = append(out, g.Path)
	}
	return out
}

// serve sends one token-authenticated request to s directly.
func serve(s *Server, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("X-Auth-Token", testToken)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestEveryAcknowledgedWriteIsOnDisk: after each answered write, the state
// file alone (as a crash would leave it) holds it, and a simulator started
// from it carries on with the next id.
func TestEveryAcknowledgedWriteIsOnDisk(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.yaml")
	s, err := New(loadTestFixture(t), Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"payments", "payments/api", "empty"}
	for _, n := range []string{"a", "b", "c"} {
		if rec := serve(s, "POST", "/v4/"+testProject+"/groups", `{"name":"`+n+`"}`); rec.Code != 201 {
			t.Fatalf("create %s: %d %s", n, rec.Code, rec.Body)
		}
		want = append(want, n)
		fx, err := LoadFixture(diskImage(t, state))
		if err != nil {
			t.Fatalf("load after %s: %v", n, err)
		}
		if diff := cmp.Diff(want, groupPaths(fx)); diff != "" {
			t.Errorf("groups on disk after creating %s (-want +got):\n%s", n, diff)
		}
	}
	fx, err := LoadFixture(state)
	if err != nil {
		t.Fatal(err)
	}
	cID := fx.Groups[len(fx.Groups)-1].ID
	s2, err := New(fx, Options{StatePath: state}) // owns fx from here
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(s2, "DELETE", "/v4/"+testProject+"/groups/"+fmt.Sprint(cID), ""); rec.Code != 202 {
		t.Fatalf("delete c: %d %s", rec.Code, rec.Body)
	}
	rec := serve(s2, "POST", "/v4/"+testProject+"/groups", `{"name":"d"}`)
	if rec.Code != 201 {
		t.Fatalf("create d: %d %s", rec.Code, rec.Body)
	}
	again, err := LoadFixture(diskImage(t, state))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(append(want[:len(want)-1:len(want)-1], "d"), groupPaths(again)); diff != "" {
		t.Errorf("groups after restart, a delete and a create (-want +got):\n%s", diff)
	}
	if d := again.Groups[len(again.Groups)-1]; d.ID <= cID {
		t.Errorf("d got id %d, not above the deleted group's %d: an id was handed out again", d.ID, cID)
	}
}
