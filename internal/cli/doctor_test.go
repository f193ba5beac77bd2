package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/reposync/reposync/internal/doctor"
	"github.com/reposync/reposync/internal/iostreams"
	"github.com/reposync/reposync/internal/sim"
)

const (
	doctorFixture = "testdata/doctor/fixture.yaml"
	doctorSpec    = "testdata/doctor/spec"
	doctorProject = "0b234373cf3f4b04ab2d8a245155e12b"
	// doctorMembers are the CodeArts project's members: alice (whom every
	// credential acts as) and pm manage the project, nina commits.
	doctorMembers = "project_members:\n  - {user: alice, role: Project manager}\n  - {user: pm, role: Project manager}\n  - {user: nina, role: Committer}\n"
)

// doctorMembers35 has nina synced at level 35, a level reposync does not
// know (docs/api-assumptions.md A5).
var doctorMembers35 = strings.Replace(doctorMembers, "role: Committer}", "role: Committer, level: 35}", 1)

// doctorCredentials are the fixture's credentials of each kind.
var doctorCredentials = map[string]map[string]string{
	"aksk":     {"HW_ACCESS_KEY": "DOCTORAK0000000000000", "HW_SECRET_KEY": "DOCTORSKsecret00000000000000000000000"},
	"token":    {"HW_AUTH_TOKEN": "doctor-static-token"},
	"password": {"HW_USER_NAME": "ci-bot", "HW_USER_PASSWORD": "doctor-password", "HW_DOMAIN_NAME": "acme"},
}

// doctorSecrets are every secret the doctor tests hand reposync.
var doctorSecrets = []string{"DOCTORSKsecret00000000000000000000000", "doctor-static-token", "doctor-password"}

// writeOps are the operations that change something.
var writeOps = []string{"CreateGroup", "DeleteGroup", "AssociateGroupUserGroup", "AssociateRepositoryUserGroup",
	"AddRepoMembers", "SetRepoRole", "DeleteRepoMember", "CreateFilePushPermission",
	"BatchUpdateRepositoryFilePushPermissions", "BatchDeleteRepositoryFilePushPermissions",
	"CreatePasswordAuth", "DeleteAuthorize"}

// doctorWorld serves the doctor fixture with extra appended (project
// members, a behaviour section), optionally behind wrap.
func doctorWorld(t *testing.T, auth, extra string, opts sim.Options, wrap func(http.Handler) http.Handler) *world {
	t.Helper()
	base, err := os.ReadFile(doctorFixture)
	if err != nil {
		t.Fatal(err)
	}
	return doctorWorldFrom(t, auth, string(base)+extra, opts, wrap)
}

// doctorWorldFrom serves the fixture text.
func doctorWorldFrom(t *testing.T, auth, fixture string, opts sim.Options, wrap func(http.Handler) http.Handler) *world {
	t.Helper()
	fx, err := sim.ParseFixture([]byte(fixture), "fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(fx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = s
	if wrap != nil {
		h = wrap(s)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env := map[string]string{"REPOSYNC_ENDPOINT": srv.URL, "HW_PROJECT_ID": "5109940fad834a4eb3e408182d3b5786", "REPOSYNC_PROJECT": doctorProject}
	for k, v := range doctorCredentials[auth] {
		env[k] = v
	}
	return &world{t: t, sim: s, env: env}
}

// doctor runs `reposync doctor --format json` with args and decodes the
// report.
func (w *world) doctor(args ...string) (int, *doctor.Report, string) {
	w.t.Helper()
	code, out, errOut := w.run(append([]string{"doctor", "--format", "json", "--rate-limit", "600000"}, args...)...)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		w.t.Fatalf("exit %d; stdout is not a report: %v\n%s\n%s", code, err, out, errOut)
	}
	return code, &rep, errOut
}

func findCheck(t *testing.T, rep *doctor.Report, id, name string) doctor.Check {
	t.Helper()
	for _, c := range rep.Behaviour {
		if c.ID == id && c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %s %s in %+v", id, name, rep.Behaviour)
	return doctor.Check{}
}

func findPermission(t *testing.T, rep *doctor.Report, family string) doctor.Permission {
	t.Helper()
	for _, p := range rep.Permissions {
		if p.Family == family {
			return p
		}
	}
	t.Fatalf("no permission %s in %+v", family, rep.Permissions)
	return doctor.Permission{}
}

// assertNoWrites checks that the simulator saw no write at all.
func assertNoWrites(t *testing.T, s *sim.Server) {
	t.Helper()
	st := s.Stats()
	if st.Writes != 0 {
		t.Errorf("%d writes", st.Writes)
	}
	for _, op := range writeOps {
		if n := st.Calls[op]; n != 0 {
			t.Errorf("%d calls of %s", n, op)
		}
	}
}

// TestDoctorBehaviours runs doctor under each behaviour of the simulator
// that it checks and asserts on the JSON that it tells the difference.
func TestDoctorBehaviours(t *testing.T) {
	type want struct {
		id, name, status string
		observed         map[string]any // a subset of Observed
	}
	type doctorCase struct {
		name      string
		extra     string
		args      []string
		wants     []want
		wantCode  int
		wantWrite bool
	}
	cases := []doctorCase{
		{
			name: "defaults", extra: doctorMembers,
			wants: []want{
				{"A1", "full_path", doctor.AsAssumed, map[string]any{"form": "namespace"}},
				{"A3", "member_sync", doctor.AsAssumed, nil},
				{"A4", "sync_markers", doctor.AsAssumed, nil},
				{"A5", "synced_levels", doctor.AsAssumed, nil},
				{"A6", "creator", doctor.AsAssumed, nil},
				{"A11", "role_names", doctor.AsAssumed, nil},
				{"A13", "batch_update", doctor.NotObserved, nil},
				{"A14", "push_rule_role_ids", doctor.AsAssumed, nil},
				{"A16", "page_size", doctor.AsAssumed, map[string]any{"caps": map[string]any{}}},
				{"A16", "x_total", doctor.AsAssumed, nil},
				{"A21", "tree_order", doctor.AsAssumed, map[string]any{"order": "ascending id"}},
				{"A25", "attach_conflict", doctor.NotObserved, nil},
				{"A40", "member_ids", doctor.AsAssumed, map[string]any{"case": "iam"}},
			},
		},
		{
			name: "full_path_namespace false", extra: doctorMembers + "behaviour: {full_path_namespace: false}\n",
			wants: []want{{"A1", "full_path", doctor.DiffersHandled, map[string]any{"form": "plain", "namespaces": []any{}}}},
		},
		{
			name: "member_sync false", extra: doctorMembers35 + "behaviour: {member_sync: false}\n",
			wants: []want{
				{"A3", "member_sync", doctor.DiffersHandled, map[string]any{"synced_rows": 0.0, "creator_rows": 0.0}},
				{"A4", "sync_markers", doctor.NotObserved, nil},
				{"A5", "synced_levels", doctor.NotObserved, nil},
				{"A6", "creator", doctor.NotObserved, nil},
				{"A11", "role_names", doctor.AsAssumed, nil},
			},
		},
		{
			name: "member_sync true with an unknown synced level", extra: doctorMembers35,
			wants: []want{
				{"A3", "member_sync", doctor.AsAssumed, nil},
				// alice, an administrator of each repository, is a Project
				// manager too: CodeArts syncs her, whose direct row shows.
				{"A5", "synced_levels", doctor.DiffersHandled, map[string]any{"roles": []any{
					map[string]any{"role": "Administrator", "level": 40.0, "rows": 2.0},
					map[string]any{"role": "Committer", "level": 35.0, "rows": 2.0},
					map[string]any{"role": "Project manager", "level": 40.0, "rows": 2.0},
				}}},
			},
		},
		{
			name: "sync_marker none", extra: doctorMembers + "behaviour: {sync_marker: none}\n",
			wants: []want{
				{"A3", "member_sync", doctor.AsAssumed, nil},
				{"A4", "sync_markers", doctor.DiffersHandled, map[string]any{"member_source_id_is_project": 0.0}},
			},
		},
		{
			name: "legacy_member_id own", extra: doctorMembers + "behaviour: {legacy_member_id: own}\n",
			wants: []want{
				{"A40", "member_ids", doctor.DiffersHandled, map[string]any{"case": "own", "same_id": 0.0, "unpaired": []any{}}},
				{"A5", "synced_levels", doctor.AsAssumed, nil},
			},
		},
		{
			name: "role_ids distinct", extra: doctorMembers + "behaviour: {role_ids: distinct}\n",
			wants: []want{{"A14", "push_rule_role_ids", doctor.DiffersHandled, map[string]any{"same_id": 0.0, "other_id_same_name": 1.0}}},
		},
		{
			name: "page_cap 2", extra: doctorMembers + "behaviour: {page_cap: 2}\n",
			wants: []want{{"A16", "page_size", doctor.DiffersHandled, map[string]any{"largest_page": 2.0}}},
		},
		{
			name: "list_order updated", extra: doctorMembers + "behaviour: {list_order: updated}\n",
			wants: []want{{"A21", "tree_order", doctor.DiffersHandled, map[string]any{"order": "descending id"}}},
		},
		{
			name: "batch_update replace", extra: doctorMembers + "behaviour: {batch_update: replace}\n",
			args: []string{"--write-probe", "pay/api/gw", "--yes"}, wantWrite: true,
			wants: []want{
				{"A13", "batch_update", doctor.AsAssumed, map[string]any{"mode": "replace"}},
				{"A25", "attach_conflict", doctor.AsAssumed, map[string]any{"http_status": 409.0, "code": "CH_23_51308"}},
			},
		},
		{
			name: "batch_update merge", extra: doctorMembers + "behaviour: {batch_update: merge}\n",
			args: []string{"--write-probe", "pay/api/gw", "--yes"}, wantWrite: true,
			wants: []want{{"A13", "batch_update", doctor.DiffersHandled, map[string]any{"mode": "merge",
				"created_with": []any{"user alice (1001)", "user bob (1002)"}, "sent": []any{"user alice (1001)"},
				"read_back": []any{"user alice (1001)", "user bob (1002)"}}}},
		},
		{
			name:  "every one non-default",
			extra: doctorMembers35 + "behaviour: {full_path_namespace: false, member_sync: false, batch_update: merge, role_ids: distinct, page_cap: 2, list_order: updated}\n",
			args:  []string{"--write-probe", "pay/api/gw", "--yes"}, wantWrite: true,
			wants: []want{
				{"A1", "full_path", doctor.DiffersHandled, nil},
				{"A3", "member_sync", doctor.DiffersHandled, nil},
				{"A5", "synced_levels", doctor.NotObserved, nil},
				{"A13", "batch_update", doctor.DiffersHandled, nil},
				{"A14", "push_rule_role_ids", doctor.DiffersHandled, nil},
				{"A16", "page_size", doctor.DiffersHandled, nil},
				{"A21", "tree_order", doctor.DiffersHandled, nil},
				{"A25", "attach_conflict", doctor.AsAssumed, nil},
				{"A40", "member_ids", doctor.AsAssumed, nil},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := doctorWorld(t, "aksk", tc.extra, sim.Options{}, nil)
			code, rep, errOut := w.doctor(append([]string{doctorSpec}, tc.args...)...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; problems %v\n%s", code, tc.wantCode, rep.Outcome.Problems, errOut)
			}
			for _, wt := range tc.wants {
				c := findCheck(t, rep, wt.id, wt.name)
				if c.Status != wt.status {
					t.Errorf("%s %s: %s (%s), want %s", wt.id, wt.name, c.Status, c.Summary, wt.status)
				}
				for k, v := range wt.observed {
					if diff := cmp.Diff(v, c.Observed[k]); diff != "" {
						t.Errorf("%s %s observed[%s] (-want +got):\n%s", wt.id, wt.name, k, diff)
					}
				}
			}
			if !tc.wantWrite {
				assertNoWrites(t, w.sim)
			}
			for _, r := range w.sim.Snapshot().Repositories {
				for _, p := range r.PushRules {
					if strings.HasPrefix(p.Path, doctor.ProbePathPrefix) {
						t.Errorf("probe rule %s left in %s", p.Path, r.Path)
					}
				}
			}
		})
	}
}

// The full set of checks and their order are part of the report's contract.
func TestDoctorReportShape(t *testing.T) {
	w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, nil)
	code, out, errOut := w.run("doctor", "--format", "json", "--rate-limit", "600000", doctorSpec)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	keys := sortedKeys(raw)
	want := []string{"behaviour", "connection", "format_version", "identity", "outcome", "permissions", "project", "quota", "spec", "tool_version", "tree", "write_probe", "writes"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("top-level fields (-want +got):\n%s", diff)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var checks []string
	for _, c := range rep.Behaviour {
		checks = append(checks, c.ID+" "+c.Name)
	}
	wantChecks := []string{"A1 full_path", "A3 member_sync", "A4 sync_markers", "A5 synced_levels", "A6 creator",
		"A11 role_names", "A13 batch_update", "A14 push_rule_role_ids", "A16 page_size", "A16 x_total",
		"A21 tree_order", "A25 attach_conflict", "A40 member_ids"}
	if diff := cmp.Diff(wantChecks, checks); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	var families []string
	for _, p := range rep.Permissions {
		families = append(families, p.Family+" "+p.Status)
	}
	wantFamilies := []string{"tree allowed", "project_users allowed", "member_group_ids allowed", "roles allowed",
		"group_member_groups allowed", "repository_members allowed", "repository_member_levels allowed",
		"repository_member_groups allowed", "push_rules allowed", "git_auths not_needed"}
	if diff := cmp.Diff(wantFamilies, families); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	var writes []string
	for _, wr := range rep.Writes {
		writes = append(writes, wr.Family+" "+wr.Status)
	}
	wantWrites := []string{"groups likely_allowed", "group_member_groups likely_allowed", "repository_members likely_allowed",
		"repository_member_groups not_needed", "push_rules likely_allowed", "git_auths not_needed"}
	if diff := cmp.Diff(wantWrites, writes); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"pay/api/gw", "pay/api/ledger"}, rep.Tree.Sampled); diff != "" {
		t.Errorf("sampled (-want +got):\n%s", diff)
	}
	// The quota counts every call doctor made, as the simulator saw them.
	calls := 0
	for op, n := range w.sim.Stats().Calls {
		calls += n
		if got := rep.Quota.PerOperation[op].Calls; got != n {
			t.Errorf("%s: the report counts %d calls, the simulator saw %d", op, got, n)
		}
	}
	if rep.Quota.Calls != calls || rep.Quota.Throttled != 0 {
		t.Errorf("quota %d calls, %d throttled; the simulator saw %d calls", rep.Quota.Calls, rep.Quota.Throttled, calls)
	}
	e := rep.Quota.FullPlan
	if e.Repositories != 2 || e.Groups != 3 || len(e.ListOperations) != 5 {
		t.Errorf("full plan estimate %+v", e)
	}
}

func TestDoctorMakesNoWrite(t *testing.T) {
	for auth := range doctorCredentials {
		for _, args := range [][]string{{doctorSpec}, {}} {
			t.Run(auth+"/"+strings.Join(args, ""), func(t *testing.T) {
				w := doctorWorld(t, auth, doctorMembers, sim.Options{}, nil)
				code, rep, errOut := w.doctor(args...)
				if code != 0 {
					t.Fatalf("exit %d: %v\n%s", code, rep.Outcome.Problems, errOut)
				}
				assertNoWrites(t, w.sim)
				if rep.WriteProbe != nil {
					t.Errorf("a write probe ran: %+v", rep.WriteProbe)
				}
				// Without a spec every family is needed: the Git
				// authorizations are read too.
				if p := findPermission(t, rep, "git_auths"); (p.Status == doctor.Allowed) != (len(args) == 0) {
					t.Errorf("git_auths %s (%s)", p.Status, p.Reason)
				}
			})
		}
	}
}

// A spec with Git authorizations needs ListAuthorizations, which needs the
// IAM project: with a token and no HW_PROJECT_ID doctor cannot read them,
// and says a plan would stop there.
func TestDoctorGitAuthsNeedTheIAMProject(t *testing.T) {
	dir := t.TempDir()
	spec := "version: 1\nproject: " + doctorProject + "\ngit_auths:\n  ci: {repo_type: bitbucket, user: ci, password_env: CI_PW}\n"
	if err := os.WriteFile(dir+"/reposync.yaml", []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	w := doctorWorld(t, "token", doctorMembers, sim.Options{}, nil)
	w.env["CI_PW"] = "ci-password-doctor"
	code, rep, _ := w.doctor(dir)
	if p := findPermission(t, rep, "git_auths"); code != 0 || p.Status != doctor.Allowed {
		t.Errorf("with HW_PROJECT_ID: exit %d, git_auths %+v", code, p)
	}
	delete(w.env, "HW_PROJECT_ID")
	code, rep, _ = w.doctor(dir)
	p := findPermission(t, rep, "git_auths")
	if code != ExitError || p.Status != doctor.NotChecked || !strings.Contains(p.Reason, "HW_PROJECT_ID") ||
		!slices.ContainsFunc(rep.Outcome.Problems, func(s string) bool { return strings.Contains(s, "HW_PROJECT_ID") }) {
		t.Errorf("without HW_PROJECT_ID: exit %d, git_auths %+v, problems %v", code, p, rep.Outcome.Problems)
	}
	// Without a spec it is only a note.
	if code, rep, _ := w.doctor(); code != 0 || findPermission(t, rep, "git_auths").Status != doctor.NotChecked {
		t.Errorf("no spec: exit %d, %v", code, rep.Outcome.Problems)
	}
}

func TestDoctorIdentity(t *testing.T) {
	cases := []struct {
		auth, name, source, nameSource string
		temporary                      bool
	}{
		{auth: "aksk", source: "ShowPermanentAccessKey", nameSource: "ListProductPermissionResourcesGrantedUsers"},
		{auth: "token", source: "KeystoneValidateToken", nameSource: "KeystoneValidateToken"},
		// The IAM login names its IAM user (ci-bot), who is alice in CodeArts.
		{auth: "password", name: "ci-bot", source: "KeystoneCreateUserTokenByPassword", nameSource: "KeystoneCreateUserTokenByPassword"},
		{auth: "aksk", temporary: true},
	}
	for _, tc := range cases {
		name := tc.auth
		if tc.temporary {
			name += " temporary"
		}
		t.Run(name, func(t *testing.T) {
			w := doctorWorld(t, tc.auth, doctorMembers, sim.Options{}, nil)
			if tc.temporary {
				w.env["HW_SECURITY_TOKEN"] = "doctor-security-token"
			}
			code, rep, errOut := w.doctor(doctorSpec)
			id := rep.Identity
			if tc.temporary {
				if id.Status != doctor.IdentityUnknown || !strings.Contains(id.Note, "A39") || !rep.Connection.Temporary {
					t.Errorf("temporary AK/SK: identity %+v", id)
				}
				// Unknown identity: the writes are unknown, not denied.
				for _, wr := range rep.Writes {
					if wr.Status == doctor.DeniedByRole || wr.Status == doctor.LikelyAllowed {
						t.Errorf("write %s %s with an unknown identity", wr.Family, wr.Status)
					}
				}
				if code != 0 {
					t.Errorf("exit %d: %v\n%s", code, rep.Outcome.Problems, errOut)
				}
				return
			}
			if code != 0 {
				t.Fatalf("exit %d: %v\n%s", code, rep.Outcome.Problems, errOut)
			}
			alice := w.sim.Snapshot().Users[0]
			if alice.Name != "alice" {
				t.Fatalf("first fixture user is %s", alice.Name)
			}
			wantName := "alice"
			if tc.name != "" {
				wantName = tc.name
			}
			want := doctor.Identity{Status: doctor.IdentityKnown, UserID: alice.IAMID, UserName: wantName, NameSource: tc.nameSource, Source: tc.source,
				ProjectMember: ptrTo(true), ProjectAdmin: ptrTo(true),
				ProjectAdminSource: "is_Project_admin of the caller's ListMembers rows in 2 sampled repositories",
				Repositories: []doctor.RepositoryRole{
					{Repository: "pay/api/gw", Role: "Administrator", Level: 40, Admin: true, Member: true},
					{Repository: "pay/api/ledger", Role: "Administrator", Level: 40, Admin: true, Member: true},
				}}
			if diff := cmp.Diff(want, id); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
			if rep.Connection.Credentials != map[string]string{"aksk": "aksk", "token": "token", "password": "iam-password"}[tc.auth] {
				t.Errorf("credentials %q", rep.Connection.Credentials)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// Without project administration, the repository writes follow the role on
// each sampled repository: an administrator of one and a developer of the
// other is likely denied on the second.
func TestDoctorInfersWritesFromTheRole(t *testing.T) {
	// bob is a developer on pay/api/gw and an administrator on
	// pay/api/ledger; the AK/SK act as him, and no project member is synced.
	base, err := os.ReadFile(doctorFixture)
	if err != nil {
		t.Fatal(err)
	}
	fixture := strings.Replace(string(base), "\n  user: alice\n", "\n  user: bob\n", 1) + "behaviour: {member_sync: false}\n"
	w := doctorWorldFrom(t, "aksk", fixture, sim.Options{}, nil)
	code, rep, errOut := w.doctor(doctorSpec)
	if code != ExitWarnings || rep.Outcome.Status != doctor.OutcomeWarnings || len(rep.Outcome.Problems) != 0 {
		t.Errorf("exit %d, outcome %s %v, want 5, warnings and no problem\n%s", code, rep.Outcome.Status, rep.Outcome.Problems, errOut)
	}
	if rep.Identity.UserName != "bob" || rep.Identity.ProjectAdmin == nil || *rep.Identity.ProjectAdmin {
		t.Errorf("identity %+v", rep.Identity)
	}
	got := map[string]string{}
	for _, wr := range rep.Writes {
		got[wr.Family] = wr.Status
		if wr.Family == "push_rules" && !strings.Contains(wr.Reason, "pay/api/gw (Developer, level 30)") {
			t.Errorf("push_rules reason %q does not name the repository and role", wr.Reason)
		}
	}
	want := map[string]string{"groups": doctor.Unknown, "group_member_groups": doctor.Unknown, "repository_members": doctor.DeniedByRole,
		"repository_member_groups": doctor.NotNeeded, "push_rules": doctor.DeniedByRole, "git_auths": doctor.NotNeeded}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(rep.Outcome.Warnings, func(p string) bool { return strings.HasPrefix(p, "writing push_rules is likely denied, not tried") }) {
		t.Errorf("warnings %v", rep.Outcome.Warnings)
	}
}

// forbid answers 403 CH.004403 to the requests match selects.
func forbid(match func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`{"error_code":"CH.004403","error_msg":"No permission to perform this operation."}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestDoctorReportsADeniedList(t *testing.T) {
	w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, forbid(func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/file-push-permissions")
	}))
	code, rep, errOut := w.doctor(doctorSpec)
	if code != ExitError {
		t.Errorf("exit %d, want 1\n%s", code, errOut)
	}
	p := findPermission(t, rep, "push_rules")
	if p.Status != doctor.Denied || p.Error == nil || p.Error.Code != "CH.004403" || p.Error.HTTPStatus != 403 || p.Target != "repository pay/api/gw" {
		t.Errorf("push_rules %+v (error %+v)", p, p.Error)
	}
	if other := findPermission(t, rep, "repository_members"); other.Status != doctor.Allowed {
		t.Errorf("repository_members %s", other.Status)
	}
	if c := findCheck(t, rep, "A14", "push_rule_role_ids"); c.Status != doctor.NotObserved {
		t.Errorf("A14 %s without push rules", c.Status)
	}
	if len(rep.Outcome.Problems) != 1 || !strings.Contains(rep.Outcome.Problems[0], "CH.004403") {
		t.Errorf("problems %v", rep.Outcome.Problems)
	}
	// The text report says it too.
	_, out, _ := w.run("doctor", "--rate-limit", "600000", doctorSpec)
	if !strings.Contains(out, "denied      push_rules") || !strings.Contains(out, "403 CH.004403") {
		t.Errorf("text report:\n%s", out)
	}
}

// A tree that cannot be listed leaves nothing else to read: doctor says so
// and fails, but it is a permission finding (exit 1), not refused
// credentials (exit 4).
func TestDoctorReportsADeniedTree(t *testing.T) {
	w := doctorWorld(t, "token", doctorMembers, sim.Options{}, forbid(func(r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/subgroups-and-repositories")
	}))
	code, rep, errOut := w.doctor()
	if code != ExitError {
		t.Errorf("exit %d, want 1\n%s", code, errOut)
	}
	if len(rep.Permissions) != 1 || rep.Permissions[0].Family != "tree" || rep.Permissions[0].Status != doctor.Denied || rep.Permissions[0].Error.Code != "CH.004403" {
		t.Errorf("permissions %+v", rep.Permissions)
	}
	if rep.Identity.Status != doctor.IdentityKnown || rep.Outcome.Status != doctor.OutcomeProblems {
		t.Errorf("identity %s, outcome %+v", rep.Identity.Status, rep.Outcome)
	}
	// The write probe cannot find its repository without the tree: it says
	// so and writes nothing (it used to read the missing tree and crash).
	code, rep, errOut = w.doctor("--write-probe", "pay/api/gw", "--yes")
	if code != ExitError {
		t.Errorf("with --write-probe: exit %d, want 1\n%s", code, errOut)
	}
	if p := rep.WriteProbe; p == nil || p.Status != doctor.ProbeFailed || len(p.Steps) != 1 || !strings.Contains(p.Steps[0].Detail, "could not be listed") {
		t.Errorf("write probe %+v", rep.WriteProbe)
	}
	assertNoWrites(t, w.sim)
}

func TestDoctorRefusedCredentialsExit4(t *testing.T) {
	for auth, bad := range map[string]map[string]string{
		"aksk":     {"HW_SECRET_KEY": "DOCTORSKsecret00000000000000000000001"},
		"token":    {"HW_AUTH_TOKEN": "not-the-token"},
		"password": {"HW_USER_PASSWORD": "not-the-password"},
	} {
		t.Run(auth, func(t *testing.T) {
			w := doctorWorld(t, auth, doctorMembers, sim.Options{}, nil)
			for k, v := range bad {
				w.env[k] = v
			}
			code, rep, errOut := w.doctor(doctorSpec)
			if code != ExitAuth {
				t.Errorf("exit %d, want 4\n%s", code, errOut)
			}
			if rep.Outcome.Status != doctor.OutcomeRefused || rep.Identity.Status != doctor.IdentityRefused || rep.Identity.Error == nil || rep.Identity.Error.HTTPStatus != 401 {
				t.Errorf("outcome %+v, identity %+v", rep.Outcome, rep.Identity)
			}
			assertNoWrites(t, w.sim)
		})
	}
}

// A difference reposync does not support fails the run: here the legacy
// member list names bob by another IAM id than the v4 list.
func TestDoctorUnsupportedDifferenceExit1(t *testing.T) {
	w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/v1/repositories/") {
				next.ServeHTTP(rw, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var env struct {
				Status string         `json:"status"`
				Result map[string]any `json:"result"`
				Error  any            `json:"error"`
			}
			json.Unmarshal(rec.Body.Bytes(), &env)
			// bob's legacy row names someone no v4 row has: who it is
			// cannot be told.
			for _, u := range env.Result["users"].([]any) {
				if m := u.(map[string]any); m["name"] == "bob" {
					m["user_id"], m["name"] = "ffffffffffffffffffffffffffffffff", "robert"
				}
			}
			json.NewEncoder(rw).Encode(env)
		})
	})
	code, rep, _ := w.doctor(doctorSpec)
	c := findCheck(t, rep, "A40", "member_ids")
	if code != ExitError || c.Status != doctor.DiffersUnsupported || !strings.Contains(c.Summary, "robert") {
		t.Errorf("exit %d; A40 %s: %s", code, c.Status, c.Summary)
	}
	if !slices.ContainsFunc(rep.Outcome.Problems, func(p string) bool { return strings.Contains(p, "please report") }) {
		t.Errorf("problems %v", rep.Outcome.Problems)
	}
}

func TestDoctorClockSkew(t *testing.T) {
	for _, tc := range []struct {
		auth   string
		ahead  time.Duration
		status string
	}{
		{"aksk", 0, doctor.ClockOK},
		{"aksk", 10 * time.Minute, doctor.ClockWarning},
		{"token", 10 * time.Minute, doctor.ClockNotRelevant},
	} {
		t.Run(tc.auth+"/"+tc.ahead.String(), func(t *testing.T) {
			w := doctorWorld(t, tc.auth, doctorMembers, sim.Options{Clock: func() time.Time { return time.Now().Add(tc.ahead) }}, nil)
			code, rep, errOut := w.doctor(doctorSpec)
			if code != 0 {
				t.Fatalf("exit %d: %v\n%s", code, rep.Outcome.Problems, errOut)
			}
			if len(rep.Connection.Clock) == 0 {
				t.Fatal("no clock reported")
			}
			for _, c := range rep.Connection.Clock {
				if c.Status != tc.status || c.SkewSeconds < int64(tc.ahead.Seconds())-5 || c.SkewSeconds > int64(tc.ahead.Seconds())+5 {
					t.Errorf("clock %+v, want %s about %s ahead", c, tc.status, tc.ahead)
				}
			}
		})
	}
}

// An interrupted write probe leaves nothing behind: the context ends right
// after the probe rule was created, before it is updated or deleted.
func TestDoctorInterruptedWriteProbeLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(rw, r)
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/file-push-permissions") {
				cancel() // Ctrl-C between the create and the delete
			}
		})
	})
	ios, _, out, errOut := iostreams.Test()
	code := Main(ctx, []string{"doctor", "--format", "json", "--rate-limit", "600000", "--write-probe", "pay/api/gw", "--yes", doctorSpec},
		ios, func(k string) string { return w.env[k] })
	if code != ExitInterrupted {
		t.Errorf("exit %d, want 130\n%s", code, errOut)
	}
	st := w.sim.Stats()
	if st.Calls["CreateFilePushPermission"] != 1 || st.Calls["BatchUpdateRepositoryFilePushPermissions"] != 0 {
		t.Fatalf("the probe did not stop between create and update: %v", st.Calls)
	}
	for _, r := range w.sim.Snapshot().Repositories {
		for _, p := range r.PushRules {
			if strings.HasPrefix(p.Path, doctor.ProbePathPrefix) {
				t.Errorf("probe rule %s (id %d) left in %s", p.Path, p.ID, r.Path)
			}
		}
	}
	var rep doctor.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("stdout is not a report: %v\n%s", err, out)
	}
	p := rep.WriteProbe
	if p == nil || p.Status != doctor.ProbeInterrupted || !p.Cleanup.Ran || !p.Cleanup.Verified || len(p.Cleanup.Removed) != 1 || len(p.Cleanup.Failed) != 0 {
		t.Errorf("probe %+v", p)
	}
	if rep.Outcome.Status != doctor.OutcomeInterrupted {
		t.Errorf("outcome %+v", rep.Outcome)
	}
	if !strings.Contains(errOut.String(), "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", errOut)
	}
}

func TestDoctorWriteProbe(t *testing.T) {
	t.Run("needs confirmation", func(t *testing.T) {
		w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, nil)
		code, _, errOut := w.run("doctor", "--write-probe", "pay/api/gw", doctorSpec)
		if code != ExitError || !strings.Contains(errOut, "pass --yes") {
			t.Errorf("exit %d\n%s", code, errOut)
		}
		if n := len(w.sim.Stats().Calls); n != 0 {
			t.Errorf("%d operations called before confirmation", n)
		}
	})
	t.Run("confirmed on a terminal", func(t *testing.T) {
		w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, nil)
		ios, in, out, errOut := iostreams.Test()
		ios.SetTTY(true)
		in.WriteString("yes\n")
		code := Main(context.Background(), []string{"doctor", "--rate-limit", "600000", "--write-probe", "pay/api/gw", doctorSpec}, ios, func(k string) string { return w.env[k] })
		if code != 0 || !strings.Contains(errOut.String(), "Type 'yes' to continue") || !strings.Contains(out.String(), "passed in pay/api/gw") {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("no member group attached", func(t *testing.T) {
		w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, nil)
		code, rep, errOut := w.doctor("--write-probe", "pay/api/ledger", "--yes", doctorSpec)
		if code != 0 {
			t.Fatalf("exit %d: %v\n%s", code, rep.Outcome.Problems, errOut)
		}
		if c := findCheck(t, rep, "A25", "attach_conflict"); c.Status != doctor.NotObserved || !strings.Contains(c.Summary, "no member group is attached") {
			t.Errorf("A25 %s: %s", c.Status, c.Summary)
		}
		if c := findCheck(t, rep, "A13", "batch_update"); c.Status != doctor.AsAssumed {
			t.Errorf("A13 %s: %s", c.Status, c.Summary)
		}
		if w.sim.Stats().Calls["AssociateRepositoryUserGroup"] != 0 {
			t.Error("attached a member group to a repository that had none")
		}
	})
	t.Run("unknown repository", func(t *testing.T) {
		w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, nil)
		code, rep, _ := w.doctor("--write-probe", "pay/nope", "--yes", doctorSpec)
		if code != ExitError || rep.WriteProbe == nil || rep.WriteProbe.Status != doctor.ProbeFailed || rep.WriteProbe.Cleanup.Ran {
			t.Errorf("exit %d, probe %+v", code, rep.WriteProbe)
		}
		assertNoWrites(t, w.sim)
	})
	t.Run("create denied", func(t *testing.T) {
		w := doctorWorld(t, "aksk", doctorMembers, sim.Options{}, forbid(func(r *http.Request) bool {
			return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/file-push-permissions")
		}))
		code, rep, _ := w.doctor("--write-probe", "pay/api/gw", "--yes", doctorSpec)
		p := rep.WriteProbe
		if code != ExitError || p == nil || p.Status != doctor.ProbeFailed || p.Steps[0].Error == nil || p.Steps[0].Error.Code != "CH.004403" || !p.Cleanup.Verified {
			t.Errorf("exit %d, probe %+v", code, p)
		}
		assertNoWrites(t, w.sim)
	})
}

func TestDoctorNoSecretInAnyOutput(t *testing.T) {
	for auth := range doctorCredentials {
		t.Run(auth, func(t *testing.T) {
			w := doctorWorld(t, auth, doctorMembers, sim.Options{}, nil)
			var outputs []string
			run := func(args ...string) {
				_, out, errOut := w.run(append([]string{"doctor", "--rate-limit", "600000"}, args...)...)
				outputs = append(outputs, out, errOut)
			}
			for _, f := range []string{"text", "json"} {
				run("--format", f, doctorSpec)
				run("--format", f)
				run("--format", f, "--write-probe", "pay/api/gw", "--yes", doctorSpec)
			}
			for k, v := range doctorCredentials[auth] {
				if k == "HW_ACCESS_KEY" || k == "HW_USER_NAME" || k == "HW_DOMAIN_NAME" {
					continue
				}
				w.env[k] = v + "-wrong"
			}
			run("--format", "json", doctorSpec)
			run(doctorSpec)
			all := strings.Join(outputs, "\n")
			if !strings.Contains(all, "passed") || !strings.Contains(all, "refused") {
				t.Fatalf("the runs did not get far enough to prove anything:\n%s", all[:min(len(all), 2000)])
			}
			for _, s := range doctorSecrets {
				if i := strings.Index(all, s); i >= 0 {
					t.Errorf("secret %q leaked: …%s…", s, all[max(0, i-80):min(len(all), i+len(s)+20)])
				}
			}
		})
	}
}

// TestDoctorChecksEveryPasswordEnv: a Git authorization whose password_env
// names a variable that is not set is a problem naming the variable (apply
// could not create the authorization), never showing a value.
func TestDoctorChecksEveryPasswordEnv(t *testing.T) {
	dir := t.TempDir()
	spec := "version: 1\nproject: " + doctorProject + "\ngit_auths:\n  ci: {repo_type: bitbucket, user: ci, password_env: CI_PW}\n  mirror: {repo_type: github, user: m, password_env: MIRROR_PW}\n"
	if err := os.WriteFile(dir+"/reposync.yaml", []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	w := doctorWorld(t, "token", doctorMembers, sim.Options{}, nil)
	w.env["MIRROR_PW"] = "mirror-secret-doctor"
	code, rep, _ := w.doctor(dir)
	want := "git_auths.ci (CI_PW): password_env names a variable that is not set here; apply cannot create or re-create the authorization without it"
	if code != ExitError || !slices.Contains(rep.Outcome.Problems, want) || len(rep.Outcome.Problems) != 1 {
		t.Errorf("exit %d, problems %q, want 1 and %q", code, rep.Outcome.Problems, want)
	}
	_, text, _ := w.run("doctor", "--rate-limit", "600000", dir)
	if !strings.Contains(text, "CI_PW") || strings.Contains(text, "mirror-secret-doctor") {
		t.Errorf("the text report does not name CI_PW, or shows a value:\n%s", text)
	}
}
