package state

import "testing"

func TestPaths(t *testing.T) {
	tests := []struct{ path, parent, base string }{
		{"a/b/c", "a/b", "c"},
		{"a/b", "a", "b"},
		{"a", "", "a"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := ParentPath(tt.path); got != tt.parent {
			t.Errorf("ParentPath(%q) = %q, want %q", tt.path, got, tt.parent)
		}
		if got := BaseName(tt.path); got != tt.base {
			t.Errorf("BaseName(%q) = %q, want %q", tt.path, got, tt.base)
		}
	}
}
