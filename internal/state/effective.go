package state

// EffectiveRepository is one repository's desired access after the policies
// that select it have been applied on top of what the repository itself lists.
//
// Each field's Authoritative flag is true only when the repository itself
// lists that field under `repositories:`; only those lists are complete and
// may be pruned. Policies only add entries (docs/spec.md, `policies`).
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
