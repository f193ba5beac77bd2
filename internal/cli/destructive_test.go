package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/reposync/reposync/internal/sim"
)

// fillingWorld is the behaviour matrix's world under delete_group: cascade
// (a group that is not empty goes with its contents), served through a
// switch: fill() replaces the simulator by a copy of its state in which
// someone created the repository old/child/late, in the group the plan
// deletes. From then on every request goes to the copy.
type fillingWorld struct {
	*world
	mu      sync.Mutex
	current *sim.Server
	filled  bool
	// fillOnShowGroup makes the first ShowGroup call fill() first.
	fillOnShowGroup bool
}

var showGroup = regexp.MustCompile(`^/v4/[0-9a-f]{32}/groups/[0-9]+$`)

// matrixFixture is the behaviour matrix's world with a behaviour section.
func matrixFixture(t *testing.T, behaviour string) *sim.Fixture {
	t.Helper()
	base, err := os.ReadFile("testdata/behaviours/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fx, err := sim.ParseFixture(append(base, "behaviour: "+behaviour+"\n"...), "fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return fx
}

func newFillingWorld(t *testing.T) *fillingWorld {
	fx := matrixFixture(t, "{delete_group: cascade}")
	fw := &fillingWorld{}
	srv := httptest.NewServer(fw)
	t.Cleanup(srv.Close)
	fw.world = matrixWorld(t, fx)
	fw.world.env["REPOSYNC_ENDPOINT"] = srv.URL
	fw.current = fw.world.sim
	return fw
}

func (fw *fillingWorld) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fw.mu.Lock()
	fill := fw.fillOnShowGroup && r.Method == http.MethodGet && showGroup.MatchString(r.URL.Path)
	fw.mu.Unlock()
	if fill {
		fw.fill(fw.t)
	}
	fw.server().ServeHTTP(w, r)
}

// fill creates old/child/late: the state so far, and the repository.
func (fw *fillingWorld) fill(t *testing.T) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if fw.filled {
		return
	}
	fx := fw.current.Snapshot()
	fx.Repositories = append(fx.Repositories, sim.Repository{Path: "old/child/late", ID: 4242, UUID: strings.Repeat("4a", 16)})
	s, err := sim.New(fx, sim.Options{})
	if err != nil {
		t.Error(err)
		return
	}
	fw.current, fw.filled = s, true
}

// server is the simulator requests go to now.
func (fw *fillingWorld) server() *sim.Server {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	return fw.current
}

// paths lists the groups and repositories the simulator has now.
func (fw *fillingWorld) paths() []string {
	snap := fw.server().Snapshot()
	var out []string
	for _, g := range snap.Groups {
		out = append(out, g.Path)
	}
	for _, r := range snap.Repositories {
		out = append(out, r.Path)
	}
	return out
}

// TestSavedPlanNeverDeletesAGroupThatFilledUp: a plan deletes the empty
// groups old/child and old, and the service deletes a group with whatever
// it holds (delete_group: cascade). Someone creates a repository in
// old/child after the plan: applying the saved plan is refused as stale,
// nothing changed; if the repository appears while apply runs, the group
// is read again right before its deletion and kept, and so is its parent.
func TestSavedPlanNeverDeletesAGroupThatFilledUp(t *testing.T) {
	t.Parallel()
	for _, when := range []string{"before apply", "while apply runs"} {
		t.Run(when, func(t *testing.T) {
			fw := newFillingWorld(t)
			saved := filepath.Join(t.TempDir(), "plan.json")
			code, out, errOut := fw.run(append([]string{"plan", "--out", saved}, matrixFlags...)...)
			if doc, _ := os.ReadFile(saved); code != 0 || !strings.Contains(string(doc), `"address": "group[old/child]",
      "kind": "group",
      "action": "delete"`) {
				t.Fatalf("plan: exit %d, or old/child not deleted\n%s%s", code, out, errOut)
			}
			if when == "before apply" {
				fw.fill(t)
			} else {
				// Planning calls no ShowGroup: the first is the writer's
				// check before deleting old/child, and the repository
				// appears just before it.
				fw.mu.Lock()
				fw.fillOnShowGroup = true
				fw.mu.Unlock()
			}
			code, out, errOut = fw.run("apply", "--plan", saved, "--yes", "testdata/behaviours/spec")
			if fw.server() == fw.world.sim {
				t.Fatal("the repository was never created: the check before DeleteGroup did not happen")
			}
			paths := fw.paths()
			for _, kept := range []string{"old", "old/child", "old/child/late"} {
				if !slices.Contains(paths, kept) {
					t.Errorf("%s was deleted: %v\n%s%s", kept, paths, out, errOut)
				}
			}
			switch when {
			case "before apply":
				if writes := fw.server().Stats().Writes; code != ExitError || !strings.Contains(errOut, "is stale") || writes != 0 {
					t.Errorf("exit %d, %d writes; want the stale plan refused, nothing written\n%s%s", code, writes, out, errOut)
				}
			default:
				if code != ExitApplyFailed || !strings.Contains(out, "failed: group[old/child]") ||
					!strings.Contains(out, "not deleted: group old/child is not empty after all (late)") {
					t.Errorf("exit %d; want old/child's deletion refused, naming late\n%s%s", code, out, errOut)
				}
			}
		})
	}
}

// TestSyncedMembersWithoutMarkerStayManaged: under sync_marker: none a
// synced project member's row looks direct; it is still CodeArts's in
// export (left out, named in a comment, so the export plans to nothing even
// with --prune) and in access (managed).
func TestSyncedMembersWithoutMarkerStayManaged(t *testing.T) {
	t.Parallel()
	w := matrixWorld(t, matrixFixture(t, "{sync_marker: none}"))
	w.env["REPOSYNC_PROJECT"] = demoProject
	out := roundTrip(t, w)
	spec, _ := os.ReadFile(filepath.Join(out, "reposync.yaml"))
	if !strings.Contains(string(spec), "gina (synced from the project as Committer)") {
		t.Errorf("the export does not leave gina out as synced:\n%s", spec)
	}
	code, js, errOut := w.run("access", "--format", "json", "--repo", "pay/api/gw")
	if code != 0 {
		t.Fatalf("access: exit %d\n%s", code, errOut)
	}
	if rows := accessRows(t, js); !slices.Contains(rows, "pay/api/gw gina developer (managed)") {
		t.Errorf("access does not show gina as managed: %v", rows)
	}
}
