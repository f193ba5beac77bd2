package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPersistedWrite measures one write with --state: handling, YAML
// marshal, write, fsync and rename.
func BenchmarkPersistedWrite(b *testing.B) {
	fx, err := LoadFixture("../../examples/demo/fixture.yaml")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(fx, Options{StatePath: filepath.Join(b.TempDir(), "state.yaml")})
	if err != nil {
		b.Fatal(err)
	}
	repo := s.idx.repoByPath["payments/api/gateway"]
	bob := s.idx.userByName["bob"]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := fmt.Sprintf(`{"role":%d}`, 20+10*(i%2))
		req := httptest.NewRequest("PUT", "/v1/repositories/"+repo.UUID+"/members/"+bob.IAMID, strings.NewReader(body))
		req.Header.Set("X-Auth-Token", "sim-token")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func TestRequestLimits(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
	}{
		{"unknown endpoint", "GET", "/v4/nothing", "", 404, "CH.000404"},
		{"wrong method", "PATCH", "/v4/repositories/12345", "", 404, "CH.000404"},
		{"body over 12 MB", "POST", "/v4/repositories/12345/file-push-permissions", `{"path":"/` + strings.Repeat("a", 12<<20) + `"}`, 413, "APIG.0201"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, hs, _ := newTestServer(t, Options{})
			r := call(t, hs, "token", tt.method, tt.path, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d", r.status, tt.wantStatus)
			}
			if diff := pick(r.json(t), "error_code"); diff.(map[string]any)["error_code"] != tt.wantCode {
				t.Errorf("error_code %v, want %s", diff, tt.wantCode)
			}
			if s.Stats().Writes != 0 {
				t.Errorf("a rejected request wrote")
			}
		})
	}
}
