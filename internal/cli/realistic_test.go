package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/reposync/reposync/internal/golden"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/sim"
)

// TestRealisticExamplePlansTheSameChanges plans examples/realistic against
// the demo's simulated project, with and without --prune, and compares
// what the plan would do — every change without where the spec wrote it
// (source, scope) — with testdata/realistic/changes.json. The golden file
// was written before the example was split into scoped team files, so the
// split provably plans the same changes.
func TestRealisticExamplePlansTheSameChanges(t *testing.T) {
	type change struct {
		Address, Kind, Action string
		Before, After         plan.Value
		Reason                string
		Target                plan.Target
	}
	got := map[string][]change{}
	for _, mode := range []string{"default", "prune"} {
		fx, err := sim.LoadFixture("../../examples/demo/fixture.yaml")
		if err != nil {
			t.Fatal(err)
		}
		_, url := serveSim(t, fx, sim.Options{})
		env := simEnv(url)
		env["BITBUCKET_PASSWORD"] = "demo"
		args := []string{"plan", "--rate-limit", "600000", "--format", "json"}
		if mode == "prune" {
			args = append(args, "--prune")
		}
		ios, _, out, errOut := iostreams.Test()
		if code := mainAt(context.Background(), testNow, append(args, "../../examples/realistic"), ios, func(k string) string { return env[k] }); code != 0 {
			t.Fatalf("%s: exit %d\n%s", mode, code, errOut)
		}
		p, err := plan.Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Changes {
			got[mode] = append(got[mode], change{c.Address.String(), string(c.Kind), string(c.Action), c.Before, c.After, c.Reason, c.Target})
		}
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "realistic", "changes.json"), append(b, '\n'))
}
