package sim

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
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
		{"unknown behaviour key", minimalHead + "behaviour:\n  page_size: 3\n", "line 5: field page_size not found in type sim.Behaviour"},
		{"behaviour value", minimalHead + "behaviour:\n  batch_update: append\n", `f.yaml:5: behaviour.batch_update: "append" must be replace or merge`},
		{"behaviour role ids", minimalHead + "behaviour: {role_ids: separate}\n", `f.yaml:4: behaviour.role_ids: "separate" must be shared or distinct`},
		{"behaviour delete group", minimalHead + "behaviour: {delete_group: later}\n", `behaviour.delete_group: "later" must be sync, async or cascade`},
		{"behaviour sync marker", minimalHead + "behaviour: {sync_marker: source}\n", `f.yaml:4: behaviour.sync_marker: "source" must be project or none`},
		{"behaviour legacy member id", minimalHead + "behaviour: {legacy_member_id: numeric}\n", `behaviour.legacy_member_id: "numeric" must be iam or own`},
		{"behaviour refuse unknown user", minimalHead + "users: [{name: u}]\nbehaviour:\n  refuse_items: [u, ghost]\n", `f.yaml:6: behaviour.refuse_items[1]: unknown user "ghost"`},
		{"behaviour refuse twice", minimalHead + "users: [{name: u}]\nbehaviour: {refuse_items: [u, u]}\n", `behaviour.refuse_items[1]: "u" is listed twice`},
		{"behaviour refuse not a list", minimalHead + "behaviour: {refuse_items: u}\n", "cannot unmarshal !!str `u` into []string"},
		{"unsynced unknown user", minimalHead + "groups: [{path: a}]\nrepositories:\n  - {path: a/r, unsynced: [ghost]}\n", `f.yaml:6: repository "a/r": unsynced: unknown user "ghost"`},
		{"behaviour list order", minimalHead + "behaviour: {list_order: name}\n", `behaviour.list_order: "name" must be id or updated`},
		{"behaviour content type", minimalHead + "behaviour: {servicestage_content_type: maybe}\n", `behaviour.servicestage_content_type: "maybe" must be required or optional`},
		{"behaviour archived listing", minimalHead + "behaviour: {archived_listing: some}\n", `behaviour.archived_listing: "some" must be only or all`},
		{"behaviour page cap negative", minimalHead + "behaviour: {page_cap: -1}\n", `f.yaml:4: behaviour.page_cap: -1 must not be negative`},
		{"behaviour wrong type", minimalHead + "behaviour: {member_sync: sometimes}\n", "cannot unmarshal !!str `sometimes` into bool"},
		{"bad namespace", minimalHead + "namespace: ns\n", `f.yaml:4: namespace "ns" must be 32 lower-case hex characters`},
		{"project member unknown", minimalHead + "project_members: [{user: ghost, role: Committer}]\n", `f.yaml:4: project_members[0]: unknown user "ghost"`},
		{"project member twice", minimalHead + "users: [{name: u}]\nproject_members:\n  - {user: u, role: Committer}\n  - {user: u, role: Viewer}\n", `f.yaml:7: project_members[1]: duplicate project member "u"`},
		{"project member without role", minimalHead + "users: [{name: u}]\nproject_members: [{user: u}]\n", `project_members[0]: role is required`},
		{"unknown creator", minimalHead + "groups: [{path: a}]\nrepositories:\n  - {path: a/r, creator: ghost}\n", `f.yaml:6: repository "a/r": unknown creator "ghost"`},
		{"negative updated", minimalHead + "groups: [{path: a, updated: -2}]\n", `group "a": updated -2 must not be negative`},
		{"token ttl negative", strings.Replace(minimalHead, "SK}", "SK, token_ttl: -1h}", 1), `credentials.token_ttl: -1h0m0s must be positive`},
		{"token ttl not a duration", strings.Replace(minimalHead, "SK}", "SK, token_ttl: soon}", 1), "line 3: cannot unmarshal !!str `soon` into time.Duration"},
		{"bad domain id", strings.Replace(minimalHead, "SK}", "SK, domain_id: acme}", 1), `credentials.domain_id "acme" must be 32`},
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

func TestBehaviourDefaults(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name, yaml string
		want       Behaviour
	}{
		{"absent", "", Behaviour{FullPathNamespace: &yes, MemberSync: &yes, BatchUpdate: "replace", RoleIDs: "shared",
			DeleteGroup: "sync", ListOrder: "id", ServiceStageContentType: "required", ArchivedListing: "only", RoleChecks: &yes,
			SyncMarker: "project", LegacyMemberID: "iam"}},
		{"every key", "users: [{name: u}]\nbehaviour:\n  full_path_namespace: true\n  member_sync: true\n  batch_update: merge\n  role_ids: distinct\n" +
			"  page_cap: 7\n  delete_group: cascade\n  list_order: updated\n  servicestage_content_type: required\n  archived_listing: all\n  role_checks: false\n" +
			"  sync_marker: none\n  legacy_member_id: own\n  refuse_items: [u]\n",
			Behaviour{FullPathNamespace: &yes, MemberSync: &yes, BatchUpdate: "merge", RoleIDs: "distinct", PageCap: 7,
				DeleteGroup: "cascade", ListOrder: "updated", ServiceStageContentType: "required", ArchivedListing: "all", RoleChecks: &no,
				SyncMarker: "none", LegacyMemberID: "own", RefuseItems: []string{"u"}}},
		{"some keys", "behaviour: {member_sync: false, list_order: updated}\n", Behaviour{FullPathNamespace: &yes, MemberSync: &no,
			BatchUpdate: "replace", RoleIDs: "shared", DeleteGroup: "sync", ListOrder: "updated", ServiceStageContentType: "required",
			ArchivedListing: "only", RoleChecks: &yes, SyncMarker: "project", LegacyMemberID: "iam"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx, err := ParseFixture([]byte(minimalHead+tt.yaml), "f.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, fx.Behaviour); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// A state file written from it reads back the same.
			data, err := yaml.Marshal(fx)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseFixture(data, "state.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fx, again); diff != "" {
				t.Errorf("state round trip (-first +again):\n%s", diff)
			}
		})
	}
}

func TestProjectMembersAndCreators(t *testing.T) {
	src := minimalHead + `users: [{name: ann}, {name: ben}]
project_members:
  - {user: ann, role: Project manager}
  - {user: ben, role: Committer}
groups: [{path: g}]
repositories: [{path: g/a}, {path: g/b, creator: ben}]
`
	type got struct {
		Levels   []int
		Creators []string
		NS       string
	}
	tests := []struct {
		name, extra, credUser string
		want                  got
	}{
		{"member_sync off: only explicit creators", "behaviour: {member_sync: false}\n", "",
			got{[]int{40, 30}, []string{"", "ben"}, hexID("namespace", testProject)}},
		{"member_sync on: the first user created the rest", "behaviour: {member_sync: true}\n", "",
			got{[]int{40, 30}, []string{"ann", "ben"}, hexID("namespace", testProject)}},
		{"member_sync on: the credentials' user created the rest", "behaviour: {member_sync: true}\nnamespace: " + strings.Repeat("ab", 16) + "\n", "ben",
			got{[]int{40, 30}, []string{"ben", "ben"}, strings.Repeat("ab", 16)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := src
			if tt.credUser != "" {
				head = strings.Replace(head, "SK}", "SK, user: "+tt.credUser+"}", 1)
			}
			fx, err := ParseFixture([]byte(head+tt.extra), "f.yaml")
			if err != nil {
				t.Fatal(err)
			}
			g := got{NS: fx.Namespace}
			for _, pm := range fx.ProjectMembers {
				g.Levels = append(g.Levels, pm.Level)
			}
			for _, r := range fx.Repositories {
				g.Creators = append(g.Creators, r.Creator)
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("default levels", func(t *testing.T) {
		for role, want := range map[string]int{"Project manager": 40, "O&M manager": 40, "Committer": 30, "Developer": 30, "Viewer": 20, "Tester": 20} {
			if got := defaultSyncLevel(role); got != want {
				t.Errorf("%s: level %d, want %d", role, got, want)
			}
		}
	})
}
