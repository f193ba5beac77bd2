package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// benchFixture is a world of n repositories (two members and a push rule
// each) in n/20 groups, over 200 users; "owner", the caller, created every
// repository (member_sync), so the members the benchmark changes are never
// the creator.
func benchFixture(b *testing.B, n int) *Fixture {
	b.Helper()
	var fx strings.Builder
	fmt.Fprintf(&fx, "project_id: %s\niam_project_id: %s\ncredentials: {token: %s, user: owner}\nusers:\n  - {name: owner}\n", testProject, testIAM, testToken)
	for u := 0; u < 200; u++ {
		fmt.Fprintf(&fx, "  - {name: user%03d}\n", u)
	}
	groups := max(1, n/20)
	fx.WriteString("groups:\n  - {path: org}\n")
	for g := 0; g < groups; g++ {
		fmt.Fprintf(&fx, "  - {path: org/team%03d}\n", g)
	}
	fx.WriteString("repositories:\n")
	for r := 0; r < n; r++ {
		fmt.Fprintf(&fx, "  - {path: org/team%03d/repo%05d, members: {user%03d: admin, user%03d: developer}, push_rules: [{path: /config/*, users: [user%03d]}]}\n",
			r%groups, r, r%200, (r+1)%200, r%200)
	}
	f, err := ParseFixture([]byte(fx.String()), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// BenchmarkPersistedWrite measures acknowledged writes with --state (one
// SetRepoRole each: handling, writing the whole state, answer) in worlds of
// 100 and 1 300 repositories, from one client and from 16 concurrent clients:
// the price of the one-file persistence (state.go). writes/s is the figure to
// compare.
func BenchmarkPersistedWrite(b *testing.B) {
	for _, n := range []int{100, 1300} {
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("objects=%d/clients=%d", n, clients), func(b *testing.B) {
				fx := benchFixture(b, n)
				paths := make([]string, n)
				for i, r := range fx.Repositories {
					paths[i] = "/v1/repositories/" + r.UUID + "/members/" + fx.Users[1+i%200].IAMID
				}
				s, err := New(fx, Options{StatePath: filepath.Join(b.TempDir(), "state.yaml")})
				if err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				write := func() {
					i := int(next.Add(1))
					body := fmt.Sprintf(`{"role":%d}`, 20+10*(i/n%2)) // every write changes a role
					req := httptest.NewRequest("PUT", paths[i%n], strings.NewReader(body))
					req.Header.Set("X-Auth-Token", testToken)
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("status %d: %s", rec.Code, rec.Body)
					}
				}
				b.ResetTimer()
				if clients == 1 {
					for i := 0; i < b.N; i++ {
						write()
					}
				} else {
					b.SetParallelism(clients)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							write()
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			})
		}
	}
}
