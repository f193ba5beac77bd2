package sim

// With behaviour delete_group: async, DeleteGroup drops the group from the
// state at once (a restart finds it gone), but reads keep showing it
// (docs/simulator.md, "delete_group") until a ShowGroup of it or a listing
// of its parent has shown it asyncDeleteReads more times. Reads count, not a
// timer, so a test sees the same sequence every run.
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
