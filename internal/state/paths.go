package state

import "strings"

// ParentPath is the path of the group that holds path: "a/b" for "a/b/c",
// "" for a top-level path.
func ParentPath(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return ""
}

// BaseName is the last segment of a path: "c" for "a/b/c".
func BaseName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}
