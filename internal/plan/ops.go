package plan

// Op is one kind of API write, named after the API operation that performs
// it (REFERENCE.md §§4–11). The executor groups changes into ops and the
// remote writer performs them; both use this one typed set, so a misspelt
// operation is a compile error.
type Op string

// The writes a plan can need.
const (
	OpCreateGroup            Op = "CreateGroup"
	OpDeleteGroup            Op = "DeleteGroup"
	OpAttachGroupMemberGroup Op = "AssociateGroupUserGroup"
	OpAttachMemberGroup      Op = "AssociateRepositoryUserGroup"
	OpAddMembers             Op = "AddRepoMembers"
	OpSetRole                Op = "SetRepoRole"
	OpDeleteMember           Op = "DeleteRepoMember"
	OpCreatePushRule         Op = "CreateFilePushPermission"
	OpUpdatePushRules        Op = "BatchUpdateRepositoryFilePushPermissions"
	OpDeletePushRules        Op = "BatchDeleteRepositoryFilePushPermissions"
	OpCreateGitAuth          Op = "CreatePasswordAuth"
	OpDeleteGitAuth          Op = "DeleteAuthorize"
	OpReplaceGitAuth         Op = "ReplacePasswordAuth" // DeleteAuthorize then CreatePasswordAuth
)

// Batched reports whether one call of op covers all changes of one
// repository: all new members in one AddRepoMembers, all updated push rules
// in one batch update, all removed ones in one batch delete.
func (o Op) Batched() bool {
	return o == OpAddMembers || o == OpUpdatePushRules || o == OpDeletePushRules
}

// OpFor returns the write that performs c, or "" when nothing can (manual
// changes, or a kind and action the API has no write for).
func OpFor(c Change) Op {
	if c.Action == Manual {
		return ""
	}
	type ka struct {
		k Kind
		a Action
	}
	switch (ka{c.Kind, c.Action}) {
	case ka{KindGroup, Create}:
		return OpCreateGroup
	case ka{KindGroup, Delete}:
		return OpDeleteGroup
	case ka{KindGroupMemberGroup, Create}:
		return OpAttachGroupMemberGroup
	case ka{KindMemberGroup, Create}:
		return OpAttachMemberGroup
	case ka{KindMember, Create}:
		return OpAddMembers
	case ka{KindMember, Update}:
		return OpSetRole
	case ka{KindMember, Delete}:
		return OpDeleteMember
	case ka{KindPushRule, Create}:
		return OpCreatePushRule
	case ka{KindPushRule, Update}:
		return OpUpdatePushRules
	case ka{KindPushRule, Delete}:
		return OpDeletePushRules
	case ka{KindGitAuth, Create}:
		return OpCreateGitAuth
	case ka{KindGitAuth, Delete}:
		return OpDeleteGitAuth
	case ka{KindGitAuth, Replace}:
		return OpReplaceGitAuth
	}
	return ""
}
