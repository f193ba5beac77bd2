package state

// The territory: what a full plan looks at besides what the spec lists.
// A live repository the spec does not list is *unlisted* — shown with its
// grants and counted as drift — when it is in the territory: selected by
// a policy, below a group the spec lists, or inside a scope; unless
// settings.unmanaged declares it out of scope. (Unlisted groups are the
// groups the spec manages and does not list: ManagesGroup.)

// OutOfScope reports whether settings.unmanaged declares the repository at
// path out of scope: its patterns select it.
func (d *Desired) OutOfScope(repo string) bool {
	return len(d.Settings.Unmanaged) > 0 && Selects(d.Settings.Unmanaged, repo)
}

// GroupOutOfScope reports whether settings.unmanaged declares the group at
// path out of scope: its patterns select the group's own path, or every
// repository it can ever hold (`legacy/**` holds the group `legacy`).
func (d *Desired) GroupOutOfScope(group string) bool {
	u := d.Settings.Unmanaged
	return len(u) > 0 && (Selects(u, group) || holdsGroup(u, group))
}

// UnlistedRepository reports whether the live repository at path, if the
// spec does not list it, is unlisted: reached (a policy selects it), or
// below a listed group or inside a scope, and not out of scope.
func (d *Desired) UnlistedRepository(path string, reached bool) bool {
	if _, listed := d.Repositories[path]; listed || d.OutOfScope(path) {
		return false
	}
	if reached {
		return true
	}
	for g := ParentPath(path); g != ""; g = ParentPath(g) {
		if _, ok := d.Groups[g]; ok {
			return true
		}
	}
	for _, sc := range d.Scopes {
		if sc.Selects(path) {
			return true
		}
	}
	return false
}
