package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/reposync/reposync/internal/spec"
	"github.com/reposync/reposync/internal/state"
)

// canonRef is the canonical JSON form that same replaced, kept as the
// reference same must agree with: every exported field except
// state.Source, nil apart from empty, slices in order.
func canonRef(v any) string {
	b, err := json.Marshal(canonRefValue(reflect.ValueOf(v)))
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

func canonRefValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return canonRefValue(v.Elem())
	case reflect.Struct:
		out := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Type == sourceType {
				continue
			}
			out[f.Name] = canonRefValue(v.Field(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = canonRefValue(it.Value())
		}
		return out
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = canonRefValue(v.Index(i))
		}
		return out
	default:
		return v.Interface()
	}
}

func TestSame(t *testing.T) {
	src := func(line int) state.Source { return state.Source{File: "a.yaml", Line: line} }
	yes, no := true, false
	for _, tc := range []struct {
		name string
		a, b any
		want bool
	}{
		{"only where it was written differs", &state.Repository{Path: "a/b", Members: map[string]state.Member{"alice": {User: "alice", Role: "admin", Source: src(3)}}},
			&state.Repository{Path: "a/b", Members: map[string]state.Member{"alice": {User: "alice", Role: "admin", Source: src(9)}}}, true},
		{"a role differs", &state.Repository{Members: map[string]state.Member{"alice": {User: "alice", Role: "admin"}}},
			&state.Repository{Members: map[string]state.Member{"alice": {User: "alice", Role: "viewer"}}}, false},
		{"not managed is not managed and empty", &state.Repository{Path: "a/b"}, &state.Repository{Path: "a/b", MemberGroups: []state.Ref{}}, false},
		{"order counts", &state.Repository{MemberGroups: []state.Ref{{Name: "a"}, {Name: "b"}}}, &state.Repository{MemberGroups: []state.Ref{{Name: "b"}, {Name: "a"}}}, false},
		{"an embedded field counts", state.Ref{Name: "a", Grant: state.Grant{Expires: "2027-01-01"}}, state.Ref{Name: "a", Grant: state.Grant{Expires: "2027-01-02"}}, false},
		{"a pointer's value, not its address", state.Settings{Prune: &yes}, state.Settings{Prune: new(bool)}, false},
		{"equal pointees", state.Settings{Prune: &no, Source: src(1)}, state.Settings{Prune: new(bool), Source: src(2)}, true},
		{"nil pointer and zero value", state.Settings{}, state.Settings{Prune: new(bool)}, false},
		{"absent and present", (*state.Repository)(nil), &state.Repository{}, false},
		{"both absent", (*state.Policy)(nil), (*state.Policy)(nil), true},
		{"maps by key", map[string]state.UserPin{"a": {ID: 1}, "b": {ID: 2}}, map[string]state.UserPin{"b": {ID: 2}, "a": {ID: 1}}, true},
		{"a key more", map[string]state.UserPin{"a": {ID: 1}}, map[string]state.UserPin{"a": {ID: 1}, "b": {}}, false},
		{"nil map and empty map", map[string]state.UserPin(nil), map[string]state.UserPin{}, false},
	} {
		if got := same(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: same = %v, want %v", tc.name, got, tc.want)
		}
		if ref := canonRef(tc.a) == canonRef(tc.b); ref != tc.want {
			t.Errorf("%s: the reference says %v, want %v", tc.name, ref, tc.want)
		}
	}
}

// TestSameAgreesWithTheCanonicalForm: over the examples and the valid test
// specs, loaded once as written and once with every line moved down, same
// says what the canonical JSON form says for every pair of repositories,
// groups and policies and for the sections compared whole.
func TestSameAgreesWithTheCanonicalForm(t *testing.T) {
	var dirs []string
	for _, glob := range []string{"../../examples/*", "../../testdata/valid/*"} {
		m, _ := filepath.Glob(glob)
		for _, d := range m {
			if info, err := os.Stat(d); err == nil && info.IsDir() {
				dirs = append(dirs, d)
			}
		}
	}
	pairs, equal := 0, 0
	for _, dir := range dirs {
		a, _ := spec.Load(dir)
		if a == nil {
			continue
		}
		// The same spec with every line one further down.
		var files []spec.File
		for _, name := range a.Files {
			data, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, spec.File{Name: filepath.ToSlash(name), Data: append([]byte("# moved\n"), data...)})
		}
		b, diags := spec.LoadFiles(spec.DefaultOptions(), files, filepath.ToSlash(dir))
		if b == nil {
			t.Fatalf("%s moved down: %v", dir, diags)
		}
		check := func(what string, x, y any) {
			t.Helper()
			pairs++
			want := canonRef(x) == canonRef(y)
			if want {
				equal++
			}
			if got := same(x, y); got != want {
				t.Errorf("%s, %s: same = %v, the canonical form says %v", dir, what, got, want)
			}
		}
		check("settings", a.Settings, b.Settings)
		check("users", a.Users, b.Users)
		check("member groups", a.MemberGroups, b.MemberGroups)
		check("roles", a.Roles, b.Roles)
		check("git auths", a.GitAuths, b.GitAuths)
		for p1, r1 := range a.Repositories {
			for p2, r2 := range b.Repositories {
				check("repositories "+p1+" and "+p2, r1, r2)
			}
		}
		for p1, g1 := range a.Groups {
			for p2, g2 := range b.Groups {
				check("groups "+p1+" and "+p2, g1, g2)
			}
		}
		for p1, g1 := range a.Policies {
			for p2, g2 := range b.Policies {
				check("policies "+p1+" and "+p2, g1, g2)
			}
		}
	}
	if pairs < 100 || equal < 20 || equal == pairs {
		t.Errorf("%d pairs, %d equal: the corpus does not exercise both answers", pairs, equal)
	}
}
