package sim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const minimalHead = `project_id: 0b234373cf3f4b04ab2d8a245155e12b
iam_project_id: 5109940fad834a4eb3e408182d3b5786
credentials: {access_key: AK, secret_key: SK}
`

func TestParseFixtureErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", minimalHead + "colour: blue\n", "f.yaml: yaml: unmarshal errors:\n  line 4: field colour not found"},
		{"bad project id", strings.Replace(minimalHead, "0b234373cf3f4b04ab2d8a245155e12b", "xyz", 1), `f.yaml:1: project_id "xyz" must be 32 lower-case hex characters`},
		{"no credentials", "project_id: 0b234373cf3f4b04ab2d8a245155e12b\niam_project_id: 5109940fad834a4eb3e408182d3b5786\n", "credentials: at least one of"},
		{"unknown member user", minimalHead + "groups: [{path: a}]\nrepositories:\n  - path: a/r\n    members: {zed: admin}\n", `f.yaml:7: repository "a/r": unknown user "zed"`},
		{"bad role", minimalHead + "users: [{name: u}]\ngroups: [{path: a}]\nrepositories:\n  - path: a/r\n    members: {u: owner}\n", `member "u" has role "owner"`},
		{"unknown member group", minimalHead + "groups: [{path: a, member_groups: [nope]}]\n", `f.yaml:4: group "a": unknown member group "nope"`},
		{"duplicate user", minimalHead + "users:\n  - {name: u}\n  - {name: u}\n", `f.yaml:6: users[1]: duplicate user "u"`},
		{"duplicate user id", minimalHead + "users:\n  - {name: u, id: 5}\n  - {name: v, id: 5}\n", `duplicate id 5`},
		{"parent not listed", minimalHead + "groups: [{path: a/b}]\n", `group "a/b": parent group "a" is not listed before it`},
		{"repository group not listed", minimalHead + "repositories: [{path: a/r}]\n", `repository "a/r": group "a" is not listed`},
		{"duplicate path", minimalHead + "groups: [{path: a}, {path: a}]\n", `duplicate group path "a"`},
		{"malformed uuid", minimalHead + "groups: [{path: a}]\nrepositories: [{path: a/r, uuid: XYZ}]\n", `uuid "XYZ" must be 32`},
		{"relative push path", minimalHead + "groups: [{path: a}]\nrepositories: [{path: a/r, push_rules: [{path: conf}]}]\n", `path "conf" must be absolute`},
		{"bad repo type", minimalHead + "git_auths: [{name: x, repo_type: svn, user: u}]\n", `repo_type "svn"`},
		{"mg member unknown", minimalHead + "member_groups: [{name: m, members: [ghost]}]\n", `member group "m": unknown user "ghost"`},
		{"credentials user unknown", strings.Replace(minimalHead, "SK}", "SK, user: ghost}", 1), `credentials.user: unknown user "ghost"`},
		{"empty", "", "f.yaml: empty fixture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFixture([]byte(tt.yaml), "f.yaml")
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseFixtureAssignsIDs(t *testing.T) {
	src := minimalHead + `users: [{name: a, id: 1001}, {name: b}]
member_groups: [{name: m}, {name: n, team_id: 200}]
roles: [{name: r}]
groups: [{path: g}, {path: g/h, id: 100}]
repositories: [{path: g/x}, {path: g/h/y, push_rules: [{path: /a}, {path: /b, id: 1}]}]
`
	want := struct {
		Users   []int64
		IAM     string
		Teams   []int64
		MG      string
		Role    string
		Groups  []int64
		Repos   []int64
		UUID    string
		RuleIDs []int64
	}{
		Users: []int64{1001, 1002}, IAM: hexID("user", "b"), Teams: []int64{201, 200}, MG: hexID("member_group", "m"),
		Role: hexID("role", "r"), Groups: []int64{101, 100}, Repos: []int64{2000, 2001}, UUID: hexID("repository", "g/x"), RuleIDs: []int64{2, 1},
	}
	for run := 0; run < 2; run++ {
		fx, err := ParseFixture([]byte(src), "f.yaml")
		if err != nil {
			t.Fatal(err)
		}
		got := want
		got.Users = []int64{fx.Users[0].ID, fx.Users[1].ID}
		got.IAM = fx.Users[1].IAMID
		got.Teams = []int64{fx.MemberGroups[0].TeamID, fx.MemberGroups[1].TeamID}
		got.MG = fx.MemberGroups[0].ID
		got.Role = fx.Roles[0].ID
		got.Groups = []int64{fx.Groups[0].ID, fx.Groups[1].ID}
		got.Repos = []int64{fx.Repositories[0].ID, fx.Repositories[1].ID}
		got.UUID = fx.Repositories[0].UUID
		got.RuleIDs = []int64{fx.Repositories[1].PushRules[0].ID, fx.Repositories[1].PushRules[1].ID}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("run %d ids (-want +got):\n%s", run, diff)
		}
	}
	if got := hexID("user", "b"); len(got) != 32 {
		t.Errorf("hexID length %d", len(got))
	}
}

func TestCredentialsStringHidesSecrets(t *testing.T) {
	fx := loadTestFixture(t)
	s := fx.Credentials.String()
	for _, secret := range []string{testSK, testToken, "ci-bot-pass"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() leaks %q: %s", secret, s)
		}
	}
}
