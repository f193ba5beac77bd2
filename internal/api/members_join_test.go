package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJoinMembers(t *testing.T) {
	const tenant, other = "t1", "t2"
	v4 := func(name, iam string) RepositoryMember {
		return RepositoryMember{UserName: name, UserIAMID: iam, TenantID: tenant}
	}
	legacy := func(name, id string) LegacyMember { return LegacyMember{Name: name, UserID: id, DomainID: tenant} }
	type pair struct{ Name, LegacyID string } // LegacyID "" = no legacy row
	tests := []struct {
		name     string
		v4       []RepositoryMember
		legacy   []LegacyMember
		want     []pair
		unpaired []string
	}{
		{"the same id", []RepositoryMember{v4("ann", "i1"), v4("ben", "i2")}, []LegacyMember{legacy("ann", "i1")},
			[]pair{{"ann", "i1"}, {"ben", ""}}, nil},
		{"an id of its own: by user name and tenant", []RepositoryMember{v4("ann", "i1"), v4("ben", "i2")},
			[]LegacyMember{legacy("ben", "own-b"), legacy("ann", "own-a")},
			[]pair{{"ann", "own-a"}, {"ben", "own-b"}}, nil},
		{"the id wins over the name", []RepositoryMember{v4("ann", "i1"), v4("ben", "i2")}, []LegacyMember{legacy("ben", "i1")},
			[]pair{{"ann", "i1"}, {"ben", ""}}, nil},
		{"another tenant's user of that name", []RepositoryMember{v4("ann", "i1")},
			[]LegacyMember{{Name: "ann", UserID: "own-a", DomainID: other}}, []pair{{"ann", ""}}, []string{"ann"}},
		{"a tenant left out matches", []RepositoryMember{{UserName: "ann", UserIAMID: "i1"}}, []LegacyMember{legacy("ann", "own-a")},
			[]pair{{"ann", "own-a"}}, nil},
		{"two v4 rows of that name", []RepositoryMember{v4("ann", "i1"), v4("ann", "i2")}, []LegacyMember{legacy("ann", "own-a")},
			[]pair{{"ann", ""}, {"ann", ""}}, []string{"ann"}},
		{"two legacy rows for one member", []RepositoryMember{v4("ann", "i1")}, []LegacyMember{legacy("ann", "i1"), legacy("ann", "own-a")},
			[]pair{{"ann", ""}}, []string{"ann", "ann"}},
		{"a legacy row no v4 row has", []RepositoryMember{v4("ann", "i1")}, []LegacyMember{legacy("ann", "i1"), legacy("cat", "own-c")},
			[]pair{{"ann", "i1"}}, []string{"cat"}},
		{"no name, no id", []RepositoryMember{{UserIAMID: "i1"}}, []LegacyMember{{UserID: "own"}}, []pair{{"", ""}}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, unpaired := JoinMembers(tt.v4, tt.legacy)
			var got []pair
			for _, r := range rows {
				p := pair{Name: r.UserName}
				if r.Legacy != nil {
					if r.Legacy.Name != r.UserName && r.Legacy.UserID != r.UserIAMID {
						t.Errorf("%s paired with the legacy row of %s", r.UserName, r.Legacy.Name)
					}
					p.LegacyID = r.Legacy.UserID
				}
				got = append(got, p)
			}
			var lost []string
			for _, l := range unpaired {
				lost = append(lost, l.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.unpaired, lost); diff != "" {
				t.Errorf("unpaired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemberSettingSynced(t *testing.T) {
	const project = "p1"
	on := ProjectMemberSetting{SyncEnabled: true, RoleSync: []RoleSync{
		{RoleName: "Project manager", RoleSyncEnabled: true}, {RoleName: "Viewer", RoleSyncEnabled: false},
		{RoleName: "O&M manager", RoleChineseName: "运维经理", RoleSyncEnabled: true}}}
	row := func(role, sourceID, memberSource string) RepositoryMember {
		return RepositoryMember{ProjectRoleName: role, MemberSourceID: sourceID, MemberSource: memberSource}
	}
	tests := []struct {
		name    string
		setting ProjectMemberSetting
		m       RepositoryMember
		want    bool
	}{
		{"marked", ProjectMemberSetting{}, row("", project, ""), true},
		{"a synced role, unmarked", on, row("Project manager", "", ""), true},
		{"the role's name cased otherwise", on, row(" project MANAGER", "", ""), true},
		{"a role by its Chinese name", on, row("运维经理", "", ""), true},
		{"a role not synced", on, row("Viewer", "", ""), false},
		{"a role not listed", on, row("Committer", "", ""), false},
		{"no project role", on, row("", "", ""), false},
		{"the sync off", ProjectMemberSetting{RoleSync: on.RoleSync}, row("Project manager", "", ""), false},
		{"every role synced", ProjectMemberSetting{SyncEnabled: true, SyncAllRoleEnabled: true}, row("Committer", "", ""), true},
		{"inherited through a member group", on, row("Project manager", "mg", "leads"), false},
		{"another source id", ProjectMemberSetting{}, row("", "p2", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.setting.Synced(tt.m, project); got != tt.want {
				t.Errorf("Synced = %v, want %v", got, tt.want)
			}
		})
	}
}
