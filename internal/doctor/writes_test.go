package doctor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWriteVerdicts: how the caller's roles, a denied read and the write
// probe decide a repository write family's status, and the outcome: an
// inferred denial is a warning, an observed one a problem.
func TestWriteVerdicts(t *testing.T) {
	yes, no := new(true), new(false)
	known := func(member, admin *bool, repos ...RepositoryRole) Identity {
		return Identity{Status: IdentityKnown, UserID: "u", ProjectMember: member, ProjectAdmin: admin, ProjectAdminSource: "src", Repositories: repos}
	}
	adminOn := RepositoryRole{Repository: "a/r", Member: true, Admin: true, Role: "Administrator", Level: 40}
	viewerOn := RepositoryRole{Repository: "a/r", Member: true, Role: "Viewer", Level: 20}
	denied := Permission{Family: "push_rules", Status: Denied, Target: "repository a/r", Error: &APIError{HTTPStatus: 403, Code: "CH.004403"}}
	probe := func(status string, err *APIError) *Probe {
		return &Probe{Repository: "a/r", Steps: []ProbeStep{{Step: "create", Operation: "CreateFilePushPermission", Status: status, Error: err}}}
	}
	cases := []struct {
		name    string
		id      Identity
		reads   []Permission
		probe   *Probe
		want    string
		outcome string
	}{
		{name: "project administrator", id: known(yes, yes), want: LikelyAllowed, outcome: OutcomeOK},
		{name: "tenant administrator, no project member", id: known(no, yes), want: LikelyAllowed, outcome: OutcomeOK},
		{name: "no project member", id: known(no, no), want: DeniedByRole, outcome: OutcomeWarnings},
		{name: "repository administrator", id: known(yes, no, adminOn), want: LikelyAllowed, outcome: OutcomeOK},
		{name: "viewer", id: known(yes, no, viewerOn), want: DeniedByRole, outcome: OutcomeWarnings},
		{name: "viewer, read denied", id: known(yes, no, viewerOn), reads: []Permission{denied}, want: Denied, outcome: OutcomeProblems},
		{name: "unknown identity", id: Identity{Status: IdentityUnknown}, want: Unknown, outcome: OutcomeOK},
		{name: "unknown, probe allowed", id: Identity{Status: IdentityUnknown}, probe: probe(StepDone, nil), want: Allowed, outcome: OutcomeOK},
		{name: "viewer, probe denied", id: known(yes, no, viewerOn), probe: probe(StepFailed, &APIError{HTTPStatus: 403, Code: "CH.004403"}), want: Denied, outcome: OutcomeProblems},
		{name: "viewer, probe allowed elsewhere", id: known(yes, no, viewerOn), probe: probe(StepDone, nil), want: DeniedByRole, outcome: OutcomeWarnings},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &run{rep: &Report{Identity: tc.id, Permissions: append([]Permission{}, tc.reads...), WriteProbe: tc.probe}}
			r.o.Spec = &Scope{}
			r.managed = Managed{Repositories: []string{"a/r"}, PushRules: true}
			r.writes()
			r.probeWrites()
			got := map[string]string{}
			for _, w := range r.rep.Writes {
				got[w.Family] = w.Status
			}
			if diff := cmp.Diff(tc.want, got["push_rules"]); diff != "" {
				t.Errorf("push_rules (-want +got):\n%s\n%+v", diff, r.rep.Writes)
			}
			if tc.probe != nil && tc.probe.Steps[0].Status == StepFailed {
				tc.probe.Status = ProbeFailed
			}
			r.outcome()
			if diff := cmp.Diff(tc.outcome, r.rep.Outcome.Status); diff != "" {
				t.Errorf("outcome (-want +got):\n%s\nproblems %v\nwarnings %v", diff, r.rep.Outcome.Problems, r.rep.Outcome.Warnings)
			}
		})
	}
}
