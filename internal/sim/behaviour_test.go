package sim

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// step is one request of a behaviour test and the part of its answer checked.
type step struct {
	name, method, path, body string
	keys                     []string // nil: the whole body
	wantStatus               int
	want                     any
}

// runSteps sends the steps in order with the static token.
func runSteps(t *testing.T, hs *httptest.Server, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			method := st.method
			if method == "" {
				method = "GET"
			}
			r := call(t, hs, "token", method, st.path, st.body)
			want := st.wantStatus
			if want == 0 {
				want = 200
			}
			if r.status != want {
				t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
			}
			if st.want == nil {
				return
			}
			got := r.json(t)
			if st.keys != nil {
				got = pick(got, st.keys...)
			}
			if diff := cmp.Diff(st.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFullPathNamespace(t *testing.T) {
	ns := hexID("namespace", testProject)
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("full_path_namespace=%v", on), func(t *testing.T) {
			fx := basicWith(t, fmt.Sprintf("behaviour: {full_path_namespace: %v}\n", on),
				"  - path: payments/ledger\n", "  - path: top\n  - path: payments/ledger\n")
			_, hs, _ := newServerWith(t, fx, Options{})
			fp := func(path string) string {
				if on {
					return ns + "/" + path
				}
				return path
			}
			fn := func(path string) string { return strings.ReplaceAll(fp(path), "/", " / ") }
			item := func(name, path string) obj {
				return obj{"name": name, "path": name, "full_path": fp(path), "full_name": fn(path)}
			}
			topNS := obj{"id": 0.0, "name": "", "path": "", "full_path": "", "full_name": "", "kind": "", "parent_id": 0.0}
			if on {
				topNS = obj{"id": 0.0, "name": ns, "path": ns, "full_path": ns, "full_name": ns, "kind": "group", "parent_id": 0.0}
			}
			runSteps(t, hs, []step{
				{name: "project children", path: "/v4/projects/" + testProject + "/subgroups-and-repositories",
					keys: []string{"name", "path", "full_path", "full_name"},
					want: arr{item("payments", "payments"), item("empty", "empty"), item("top", "top")}},
				{name: "group children", path: "/v4/groups/100/subgroups-and-repositories",
					keys: []string{"name", "path", "full_path", "full_name"},
					want: arr{item("api", "payments/api"), item("ledger", "payments/ledger")}},
				{name: "show group", path: "/v4/" + testProject + "/groups/101",
					keys: []string{"name", "full_path", "full_name", "ancestor_names"},
					want: obj{"name": "api", "full_path": fp("payments/api"), "full_name": fn("payments/api"), "ancestor_names": arr{"payments"}}},
				{name: "show repository", path: "/v4/repositories/12345",
					keys: []string{"name", "path", "path_with_namespace", "name_with_namespace", "namespace"},
					want: obj{"name": "gateway", "path": "gateway", "path_with_namespace": fp("payments/api/gateway"),
						"name_with_namespace": fn("payments/api/gateway"), "namespace": obj{"id": 101.0, "name": "api", "path": "api",
							"full_path": fp("payments/api"), "full_name": fn("payments/api"), "kind": "group", "parent_id": 100.0}}},
				{name: "show repository at the root", path: "/v4/repositories/2000",
					keys: []string{"path", "path_with_namespace", "namespace"},
					want: obj{"path": "top", "path_with_namespace": fp("top"), "namespace": topNS}},
				{name: "member inherited from a group", path: "/v4/repositories/12345/members?search=carol",
					keys: []string{"user_name", "member_group_source"}, want: arr{obj{"user_name": "carol", "member_group_source": fp("payments")}}},
				{name: "group members", path: "/v4/groups/101/members/list?project_id=" + testProject,
					keys: []string{"user_name", "path", "group_name"}, want: arr{obj{"user_name": "carol", "path": fp("payments"), "group_name": "payments"}}},
				{name: "create group", method: "POST", path: "/v4/" + testProject + "/groups", body: `{"name":"x","parent_id":101}`, wantStatus: 201,
					keys: []string{"name", "full_path", "full_name"}, want: obj{"name": "x", "full_path": fp("payments/api/x"), "full_name": fn("payments/api/x")}},
			})
		})
	}
	t.Run("namespace set in the fixture", func(t *testing.T) {
		own := strings.Repeat("5e", 16)
		_, hs, _ := newServerWith(t, basicWith(t, "behaviour: {full_path_namespace: true}\nnamespace: "+own+"\n"), Options{})
		runSteps(t, hs, []step{{name: "show group", path: "/v4/" + testProject + "/groups/100", keys: []string{"full_path", "full_name"},
			want: obj{"full_path": own + "/payments", "full_name": own + " / payments"}}})
	})
}
