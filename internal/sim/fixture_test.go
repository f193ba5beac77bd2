package sim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		{"user id out of range", minimalHead + "users: [{name: u, id: 2147483648}]\n", `f.yaml:4: user "u": id 2147483648 out of range 1-2147483647`},
		{"duplicate team id", minimalHead + "member_groups: [{name: m, team_id: 7}, {name: n, team_id: 7}]\n", `member group "n": duplicate team_id 7`},
		{"group id out of range", minimalHead + "groups: [{path: a, id: -1}]\n", `group "a": id -1 out of range`},
		{"duplicate repository id", minimalHead + "groups: [{path: a}]\nrepositories: [{path: a/r, id: 9}, {path: a/s, id: 9}]\n", `repository "a/s": duplicate id 9`},
		{"duplicate push rule id across repositories", minimalHead + "groups: [{path: a}]\nrepositories: [{path: a/r, push_rules: [{path: /x, id: 3}]}, {path: a/s, push_rules: [{path: /y, id: 3}]}]\n", `repository "a/s": duplicate push rule id 3`},
		{"push rule id out of range", minimalHead + "groups: [{path: a}]\nrepositories: [{path: a/r, push_rules: [{path: /x, id: -3}]}]\n", `repository "a/r": push rule "/x": id -3 out of range`},
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

func TestIDAllocator(t *testing.T) {
	tests := []struct {
		name     string
		start    int64
		explicit []int64 // 0 = left out
		want     []int64
		wantErrs []error
	}{
		{"all assigned from start", 100, []int64{0, 0, 0}, []int64{100, 101, 102}, []error{nil, nil, nil}},
		{"explicit ids are skipped, even later ones", 100, []int64{0, 101, 0, 100}, []int64{102, 101, 103, 100}, []error{nil, nil, nil, nil}},
		{"duplicate", 1, []int64{5, 5, 0}, []int64{5, 5, 1}, []error{nil, errIDDuplicate, nil}},
		{"out of range", 1, []int64{-1, 2147483648, 2147483647}, []int64{-1, 2147483648, 2147483647}, []error{errIDRange, errIDRange, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newIDAllocator(tt.start)
			var errs []error
			for _, id := range tt.explicit {
				errs = append(errs, a.reserve(id))
			}
			got := append([]int64(nil), tt.explicit...)
			for i := range got {
				a.assign(&got[i])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, errs, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
