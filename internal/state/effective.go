package state

// EffectiveRepository is one repository's desired access: what it lists
// itself, with the policies that select it applied on top. A field's
// Authoritative flag is true only when the repository itself lists the field
// under `repositories:`: only such a list is complete and may be pruned, as
// policies only add entries (docs/spec.md, `policies`).
type EffectiveRepository struct {
	Path string
	// Listed is true when the repository appears under `repositories:`.
	Listed bool
	Source Source

	// Members is nil when neither the repository nor a policy manages members.
	Members              map[string]Member
	MembersAuthoritative bool

	MemberGroups              []Ref
	MemberGroupsAuthoritative bool

	PushRules              map[string]PushRule
	PushRulesAuthoritative bool

	// Policies names the policies that select this repository, sorted.
	Policies []string
}
