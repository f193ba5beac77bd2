package plan

// Op is one kind of API write, named after the API operation that performs
// it (docs/api-reference.md §§4–11). The executor groups changes into ops
// and the remote writer performs them; both use this one typed set, so a
// misspelt operation is a compile error.
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
func OpFor(c Change) Op { return opFor[c.Kind][c.Action] }

// opFor is the write of each kind and action the API can do.
var opFor = map[Kind]map[Action]Op{
	KindGroup:            {Create: OpCreateGroup, Delete: OpDeleteGroup},
	KindGroupMemberGroup: {Create: OpAttachGroupMemberGroup},
	KindMemberGroup:      {Create: OpAttachMemberGroup},
	KindMember:           {Create: OpAddMembers, Update: OpSetRole, Delete: OpDeleteMember},
	KindPushRule:         {Create: OpCreatePushRule, Update: OpUpdatePushRules, Delete: OpDeletePushRules},
	KindGitAuth:          {Create: OpCreateGitAuth, Delete: OpDeleteGitAuth, Replace: OpReplaceGitAuth},
}
