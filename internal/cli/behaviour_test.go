package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/reposync/reposync/internal/sim"
)

// TestBehaviourMatrix runs validate → plan → apply → plan over HTTP against
// the simulator with each plausible behaviour of the real service that no
// document settles (docs/api-assumptions.md) switched away from its default,
// one at a time and all together. Under every one, apply must succeed and
// the next plan must show nothing left to do but manual steps that name
// their reason.
func TestBehaviourMatrix(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile("testdata/behaviours/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	allOther := "{full_path_namespace: false, member_sync: false, batch_update: merge, role_ids: distinct, page_cap: 10, delete_group: async, list_order: updated, servicestage_content_type: optional, archived_listing: all, role_checks: false}"
	cases := map[string]string{
		"defaults":                           "{}",
		"full_path_namespace false":          "{full_path_namespace: false}",
		"member_sync false":                  "{member_sync: false}",
		"batch_update merge":                 "{batch_update: merge}",
		"role_ids distinct":                  "{role_ids: distinct}",
		"page_cap 10":                        "{page_cap: 10}",
		"delete_group async":                 "{delete_group: async}",
		"list_order updated":                 "{list_order: updated}",
		"servicestage_content_type optional": "{servicestage_content_type: optional}",
		"archived_listing all":               "{archived_listing: all}",
		"role_checks false":                  "{role_checks: false}",
		"every one non-default":              allOther,
	}
	for name, behaviour := range cases {
		t.Run(name, func(t *testing.T) {
			fx, err := sim.ParseFixture(append(append([]byte{}, base...), []byte("behaviour: "+behaviour+"\n")...), "fixture.yaml")
			if err != nil {
				t.Fatal(err)
			}
			s, url := serveSim(t, fx, sim.Options{})
			w := &world{t: t, sim: s, env: map[string]string{
				"REPOSYNC_ENDPOINT": url, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786",
				"HW_ACCESS_KEY": "MATRIXAK0000000000000", "HW_SECRET_KEY": "MATRIXSKsecret00000000000000000000000",
				"MATRIX_PW": "matrix-password",
			}}
			const spec = "testdata/behaviours/spec"
			flags := []string{"--prune", "--allow-delete-groups", "--rate-limit", "600000"}
			if code, _, errOut := w.run("validate", spec); code != 0 {
				t.Fatalf("validate: exit %d\n%s", code, errOut)
			}
			if code, out, errOut := w.run(append([]string{"plan"}, append(flags, spec)...)...); code != 0 {
				t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
			}
			if code, out, errOut := w.run(append([]string{"apply", "--yes"}, append(flags, spec)...)...); code != 0 {
				t.Fatalf("apply: exit %d\n%s%s", code, out, errOut)
			}
			code, out, errOut := w.run(append([]string{"plan", "--detailed-exitcode", "--format", "json"}, append(flags, spec)...)...)
			if code != 0 && code != ExitChanges {
				t.Fatalf("plan after apply: exit %d\n%s%s", code, out, errOut)
			}
			var p struct {
				Summary  map[string]int
				Refusals []any
				Changes  []struct{ Address, Action, Reason string }
				Extras   []struct{ Address, Kind string }
			}
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatalf("plan JSON: %v\n%s", err, out)
			}
			for _, k := range []string{"create", "update", "delete", "replace"} {
				if p.Summary[k] != 0 {
					t.Errorf("after apply the plan still has %d %s: %+v", p.Summary[k], k, p.Changes)
				}
			}
			// Left unlisted: the territory, the repositories the policy
			// reaches and the spec does not list (apply never creates or
			// deletes one), read whole under every behaviour.
			var unlisted []string
			for _, e := range p.Extras {
				unlisted = append(unlisted, e.Kind+" "+e.Address)
			}
			territory := []string{"repository repository[pay/api/fraud]"}
			for i := 1; i <= 10; i++ {
				territory = append(territory, fmt.Sprintf("repository repository[pay/api/svc-%02d]", i))
			}
			if !slices.Equal(unlisted, territory) || p.Summary["unlisted"] != len(territory) {
				t.Errorf("after apply the plan has %d unlisted: %v, want the territory %v", p.Summary["unlisted"], unlisted, territory)
			}
			for _, c := range p.Changes {
				if c.Action != "manual" || c.Reason == "" {
					t.Errorf("left after apply: %+v", c)
				}
			}
			if len(p.Refusals) != 0 {
				t.Errorf("refusals: %v", p.Refusals)
			}

			// What was done, once each.
			snap := s.Snapshot()
			var groups []string
			for _, g := range snap.Groups {
				groups = append(groups, g.Path)
			}
			for _, gone := range []string{"old", "old/child"} {
				if slices.Contains(groups, gone) {
					t.Errorf("the empty group %s was not deleted: %v", gone, groups)
				}
			}
			for _, kept := range []string{"attic", "pay/new", "pay/new/deeper"} {
				if !slices.Contains(groups, kept) {
					t.Errorf("group %s is missing: %v", kept, groups)
				}
			}
			for _, r := range snap.Repositories {
				// The policy reached every repository, however the
				// lists were paged: none was lost to a page cap.
				if strings.HasPrefix(r.Path, "pay/") && (r.Members["erin"] == "" || r.Members["leo"] == "") {
					t.Errorf("%s: the audit policy's members are missing: %v", r.Path, r.Members)
				}
				seen := map[string]bool{}
				for _, pr := range r.PushRules {
					if seen[pr.Path] {
						t.Errorf("%s: push rule %s twice", r.Path, pr.Path)
					}
					seen[pr.Path] = true
					if r.Path == "pay/api/gw" && pr.Path == "/config/*" && !slices.Equal(pr.Users, []string{"alice"}) {
						t.Errorf("/config/* users = %v, want [alice] (grants must shrink)", pr.Users)
					}
				}
			}
			var auths []string
			for _, a := range snap.GitAuths {
				auths = append(auths, a.Name)
			}
			if !slices.Equal(auths, []string{"ci"}) {
				t.Errorf("git auths = %v, want [ci]", auths)
			}
			// Left for a person: the group holding an archived repository
			// and, where CodeArts syncs project members, nina, whom the spec
			// wants as a developer while CodeArts syncs her as a Committer.
			want := []string{"group[attic]", "repository[pay/api/ledger].member[nina]"}
			if strings.Contains(behaviour, "member_sync: false") {
				want = want[:1]
			}
			var left []string
			for _, c := range p.Changes {
				left = append(left, c.Address)
			}
			if !slices.Equal(want, left) {
				t.Errorf("manual steps left = %v, want %v", left, want)
			}
		})
	}
}
