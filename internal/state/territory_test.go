package state

import "testing"

func TestTerritory(t *testing.T) {
	d := &Desired{
		Groups:       map[string]*Group{"pay": {}},
		Repositories: map[string]*Repository{"pay/api/gw": {}},
		Scopes:       map[string]*FileScope{"teams/data.yaml": {Patterns: mustPatterns(t, "data/**", "!data/scratch/*")}},
		Settings:     Settings{Unmanaged: mustPatterns(t, "pay/legacy/**", "pay/old", "!pay/legacy/keep")},
	}
	for _, tc := range []struct {
		repo    string
		reached bool // a policy selects it
		want    bool
	}{
		{"pay/api/gw", false, false},       // listed
		{"pay/api/console", false, true},   // below the listed group pay
		{"pay/console", false, true},       // directly in it
		{"pay", false, false},              // the group's own path is not below it
		{"data/etl", false, true},          // inside a scope
		{"data/scratch/tmp", false, false}, // excluded by the scope
		{"ops/tools", false, false},        // nowhere the spec looks
		{"ops/tools", true, true},          // ... unless a policy reaches it
		{"pay/legacy/a/b", false, false},   // out of scope
		{"pay/legacy/keep", false, true},   // excluded from the out-of-scope patterns
		{"pay/old", true, false},           // out of scope, even reached
	} {
		if got := d.UnlistedRepository(tc.repo, tc.reached); got != tc.want {
			t.Errorf("UnlistedRepository(%q, %v) = %v, want %v", tc.repo, tc.reached, got, tc.want)
		}
	}
	for _, tc := range []struct {
		group string
		want  bool
	}{
		{"pay/legacy", false},    // `!pay/legacy/keep` takes a repository it holds back
		{"pay/legacy/sub", true}, // `pay/legacy/**` holds everything it can hold
		{"pay/old", true},        // a pattern selects its own path
		{"pay", false},           // holds more than the patterns
		{"pay/oldies", false},
	} {
		if got := d.GroupOutOfScope(tc.group); got != tc.want {
			t.Errorf("GroupOutOfScope(%q) = %v, want %v", tc.group, got, tc.want)
		}
	}
	if (&Desired{}).OutOfScope("x") || (&Desired{}).GroupOutOfScope("x") {
		t.Error("without settings.unmanaged nothing is out of scope")
	}
}
