package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/doctor"
	"github.com/reposync/reposync/internal/sim"
)

// agreementFixture is a project where alice created and administers both
// repositories, vera views and dev develops them, pm manages the project
// and bob is a member of the project only. CALLER and LOGIN are replaced by
// each case's caller: the AK/SK and static token's, the IAM login's.
const agreementFixture = `project_id: 0b234373cf3f4b04ab2d8a245155e12b
iam_project_id: 5109940fad834a4eb3e408182d3b5786
credentials:
  access_key: DOCTORAK0000000000000
  secret_key: DOCTORSKsecret00000000000000000000000
  token: doctor-static-token
  iam_users: [{domain: acme, name: ci-bot, password: doctor-password, LOGIN}]
CALLER
users: [{name: alice}, {name: bob}, {name: vera}, {name: dev}, {name: pm}, {name: newbie}]
project_members: [{user: pm, role: Project manager}]
groups: [{path: pay}]
repositories:
  - {path: pay/gw, creator: alice, members: {alice: admin, vera: viewer, dev: developer}}
  - {path: pay/ledger, creator: alice, members: {alice: admin, vera: viewer, dev: developer}}
`

// agreementSpec adds a member to both repositories and a push rule to one:
// repository writes of two families.
const agreementSpec = `version: 1
project: 0b234373cf3f4b04ab2d8a245155e12b
repositories:
  pay/gw:
    members: {alice: admin, vera: viewer, dev: developer, newbie: developer}
    push_rules:
      /config/*: {users: [alice]}
  pay/ledger:
    members: {alice: admin, vera: viewer, dev: developer, newbie: viewer}
`

// TestDoctorAgreesWithApply runs doctor and then apply as each kind of
// caller against the simulator's role checks (docs/api-assumptions.md A42):
// doctor says ready (exit 0) exactly where apply makes every write, and
// "likely denied, not tried" (exit 5) exactly where apply is denied them.
func TestDoctorAgreesWithApply(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "specs")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(spec, "reposync.yaml"), []byte(agreementSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	allowed := verdict{ExitOK, ExitOK, map[string]string{"repository_members": doctor.LikelyAllowed, "push_rules": doctor.LikelyAllowed}}
	denied := verdict{ExitWarnings, ExitApplyFailed, map[string]string{"repository_members": doctor.DeniedByRole, "push_rules": doctor.DeniedByRole}}
	// A tenant administrator may make every write, and nothing doctor
	// reads says it is one: the tree's is_project_admin is documented as
	// "the caller created the project" (docs/api-assumptions.md A42). Doctor
	// warns, naming that exception (agree checks), and apply succeeds.
	tenantAdmin := verdict{ExitWarnings, ExitOK, denied.Writes}
	cases := []struct {
		name, user, tenantAdmin string // "" leaves the key out
		want                    verdict
	}{
		{"a member who administers the repositories", "alice", "", allowed},
		{"a project manager", "pm", "", allowed},
		{"a viewer", "vera", "", denied},
		{"a developer", "dev", "", denied},
		{"a project member on no repository", "bob", "", denied},
		{"no project member", "", "false", denied},
		{"a tenant administrator, no project member", "", "true", tenantAdmin},
		{"a tenant administrator who is a project member", "bob", "true", tenantAdmin},
	}
	for _, tc := range cases {
		var caller, login []string
		if tc.user != "" {
			caller, login = append(caller, "  user: "+tc.user), append(login, "user: "+tc.user)
		}
		if tc.tenantAdmin != "" {
			caller, login = append(caller, "  tenant_admin: "+tc.tenantAdmin), append(login, "tenant_admin: "+tc.tenantAdmin)
		}
		fixture := strings.NewReplacer("CALLER", strings.Join(caller, "\n"), ", LOGIN", strings.Join(append([]string{""}, login...), ", ")).Replace(agreementFixture)
		for _, auth := range []string{"aksk", "token", "password"} {
			t.Run(tc.name+"/"+auth, func(t *testing.T) {
				agree(t, doctorWorldFrom(t, auth, fixture, sim.Options{}, nil), spec, tc.want)
			})
		}
	}
}

// verdict is what doctor and apply said, and doctor's repository write
// statuses.
type verdict struct {
	Doctor, Apply int
	Writes        map[string]string
}

// agree runs doctor and then apply with spec and compares with want.
func agree(t *testing.T, w *world, spec string, want verdict) {
	t.Helper()
	var got verdict
	var rep *doctor.Report
	got.Doctor, rep, _ = w.doctor(spec)
	got.Writes = map[string]string{}
	for _, wr := range rep.Writes {
		if wr.Family == "repository_members" || wr.Family == "push_rules" {
			got.Writes[wr.Family] = wr.Status
		}
	}
	if got.Doctor == ExitWarnings && (len(rep.Outcome.Warnings) == 0 || len(rep.Outcome.Problems) != 0) {
		t.Errorf("exit 5 without warnings only: problems %v, warnings %v", rep.Outcome.Problems, rep.Outcome.Warnings)
	}
	if got.Doctor == ExitWarnings {
		_, text, _ := w.run("doctor", spec)
		if !strings.Contains(text, "warnings, inferred from the caller's roles, not observed") || !strings.Contains(text, "likely denied, not tried") ||
			!strings.Contains(text, "tenant administrator") {
			t.Errorf("the text report does not say the denial is inferred, and what doctor cannot see:\n%s", text)
		}
	}
	code, out, errOut := w.run("apply", "--yes", spec)
	got.Apply = code
	if got.Apply == ExitOK && w.writes() == 0 {
		t.Errorf("apply made no write")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("doctor and apply (-want +got):\n%s\ndoctor: %v %v\napply:\n%s%s", diff, rep.Outcome.Problems, rep.Outcome.Warnings, out, errOut)
	}
	if got.Apply == ExitApplyFailed && !strings.Contains(out+errOut, "CH.004403") {
		t.Errorf("apply failed without the denial's code:\n%s%s", out, errOut)
	}
}
