package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Object is the kind of top-level object an address names.
type Object string

// The objects a plan can change.
const (
	ObjectGroup      Object = "group"
	ObjectRepository Object = "repository"
	ObjectGitAuth    Object = "git_auth"
)

// Entry is the kind of entry inside an object that an address names; the
// empty Entry names the object itself.
type Entry string

// The entries of groups and repositories.
const (
	EntryMember      Entry = "member"
	EntryMemberGroup Entry = "member_group"
	EntryPushRule    Entry = "push_rule"
)

// Address identifies an object or one entry of it, in names the spec uses:
// the path of a group or repository (or a Git authorization's name), and for
// an entry the member, member group or push-rule path. It is a value type
// compared with ==; it becomes text only for output and the JSON document
// (`repository[payments/api].push_rule[/config/*]`).
type Address struct {
	Object Object
	Name   string
	Entry  Entry
	Key    string
}

// GroupAddress is the address of a repository group.
func GroupAddress(path string) Address { return Address{Object: ObjectGroup, Name: path} }

// RepositoryAddress is the address of a repository.
func RepositoryAddress(path string) Address { return Address{Object: ObjectRepository, Name: path} }

// GitAuthAddress is the address of a Git authorization.
func GitAuthAddress(name string) Address { return Address{Object: ObjectGitAuth, Name: name} }

// MemberAddress is the address of a repository member.
func MemberAddress(repo, user string) Address {
	return Address{Object: ObjectRepository, Name: repo, Entry: EntryMember, Key: user}
}

// MemberGroupAddress is the address of a member group attached to a repository.
func MemberGroupAddress(repo, mg string) Address {
	return Address{Object: ObjectRepository, Name: repo, Entry: EntryMemberGroup, Key: mg}
}

// GroupMemberGroupAddress is the address of a member group attached to a group.
func GroupMemberGroupAddress(group, mg string) Address {
	return Address{Object: ObjectGroup, Name: group, Entry: EntryMemberGroup, Key: mg}
}

// PushRuleAddress is the address of a file push rule.
func PushRuleAddress(repo, path string) Address {
	return Address{Object: ObjectRepository, Name: repo, Entry: EntryPushRule, Key: path}
}

// Owner is the address of the object an entry belongs to (a itself for an
// object).
func (a Address) Owner() Address { return Address{Object: a.Object, Name: a.Name} }

// Leaf is the most specific name in a: the entry's key, or for an object
// its path or name.
func (a Address) Leaf() string {
	if a.Entry == "" {
		return a.Name
	}
	return a.Key
}

// String renders the address as `object[name]` or `object[name].entry[key]`.
func (a Address) String() string {
	if a.Object == "" {
		return ""
	}
	s := string(a.Object) + "[" + a.Name + "]"
	if a.Entry != "" {
		s += "." + string(a.Entry) + "[" + a.Key + "]"
	}
	return s
}

// Prose names in words what s, an address or an address followed by a
// note in parentheses (as refusals list them), stands for: "bob on
// payments/api/gateway", "push rule /config/* on payments/api/gateway",
// "member group leads on group payments", "Git authorization ci". name
// renders each name, text the words around them; what is no address
// (a repository path, say) is one name.
func Prose(s string, name, text func(string) string) string {
	head, note := s, ""
	if !strings.HasSuffix(s, "]") { // a note: after the address, whose key may hold " ("
		i := strings.LastIndex(s, "] (") + 1
		if i == 0 {
			i = strings.Index(s, " (")
		}
		if i > 0 {
			head, note = s[:i], text(s[i:])
		}
	}
	a, err := ParseAddress(head)
	if err != nil {
		return name(head) + note
	}
	var words string
	switch a.Entry {
	case EntryMember:
		words = name(a.Key) + text(" on ")
	case EntryMemberGroup:
		words = text("member group ") + name(a.Key) + text(" on ")
	case EntryPushRule:
		words = text("push rule ") + name(a.Key) + text(" on ")
	}
	switch {
	case a.Object == ObjectGitAuth:
		words += text("Git authorization ")
	case a.Object == ObjectGroup && (a.Entry != "" || words == ""):
		words += text("group ")
	}
	return words + name(a.Name) + note
}

// MarshalText renders the address for JSON documents.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses an address of a saved plan.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// Compare orders addresses so that an object comes right before what it
// contains and before the objects below its path: group[a] <
// group[a].member_group[x] < group[a/b]. Entries of one object are ordered
// by entry kind, then key.
func (a Address) Compare(b Address) int {
	return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Entry, b.Entry), cmp.Compare(a.Key, b.Key))
}

// Less reports whether a comes before b (Compare).
func (a Address) Less(b Address) bool { return a.Compare(b) < 0 }

// ParseAddress reads the text form of an address, as written in a saved
// plan. Object names (paths and authorization names) never contain
// brackets; entry keys (push-rule paths) may.
func ParseAddress(s string) (Address, error) {
	bad := func(why string) (Address, error) {
		return Address{}, fmt.Errorf("invalid address %q: %s", s, why)
	}
	obj, rest, ok := strings.Cut(s, "[")
	if !ok {
		return bad("expected object[name]")
	}
	a := Address{Object: Object(obj)}
	if !slices.Contains([]Object{ObjectGroup, ObjectRepository, ObjectGitAuth}, a.Object) {
		return bad("unknown object kind " + obj)
	}
	name, rest, ok := strings.Cut(rest, "]")
	if !ok || name == "" {
		return bad("the name is missing or unclosed")
	}
	a.Name = name
	if rest == "" {
		return a, nil
	}
	entry, ok := strings.CutPrefix(rest, ".")
	if !ok {
		return bad("unexpected text after the name")
	}
	kind, key, ok := strings.Cut(entry, "[")
	if !ok || !strings.HasSuffix(key, "]") || len(key) < 2 {
		return bad("expected .entry[key]")
	}
	a.Entry, a.Key = Entry(kind), key[:len(key)-1]
	if _, ok := kindOf(a); !ok || a.Entry == "" {
		return bad(fmt.Sprintf("%s has no %s entries", a.Object, kind))
	}
	return a, nil
}
