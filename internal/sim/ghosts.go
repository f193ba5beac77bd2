package sim

// With behaviour delete_group: async, DeleteGroup answers 202 and removes the
// group from the state at once (a restart finds it gone), but reads keep
// showing it — in its parent's tree listing, in ShowGroup, in the other group
// reads, and as a child that makes its parent's DeleteGroup answer "not
// empty" — until it has been shown asyncDeleteReads more times (a ShowGroup
// of it or a listing of its parent each count). No timer is involved, so a
// test sees exactly the same sequence every run. While visible, its name
// cannot be taken again under the same parent, it cannot be a new group's
// parent and no member group can be attached to it (404); a second
// DeleteGroup answers 202 again and changes nothing.

// asyncDeleteReads is how many reads a group scheduled for deletion is still
// shown to.
const asyncDeleteReads = 2

// ghost is a group scheduled for deletion that reads still show.
type ghost struct {
	group Group
	reads int // reads left before it disappears
}

// sawGhost counts one read of group id if it is a ghost. Called with s.mu held.
func (s *Server) sawGhost(id int64) {
	gh := s.ghosts[id]
	if gh == nil {
		return
	}
	if gh.reads--; gh.reads <= 0 {
		delete(s.ghosts, id)
	}
}

// ghostAt reports whether a visible ghost has the path.
func (s *Server) ghostAt(path string) bool {
	for _, gh := range s.ghosts {
		if gh.group.Path == path {
			return true
		}
	}
	return false
}
