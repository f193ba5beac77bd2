package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/reposync/reposync/internal/state"
)

// Validate checks that a plan read from a file is one reposync could have
// made: every change's address, kind and action agree, the values an
// action needs are there, a write has the ids it needs, and the summary
// counts the changes. A plan edited by hand is an error here, never a
// panic later.
func (p *Plan) Validate() error {
	var errs []error
	bad := func(c Change, format string, args ...any) {
		errs = append(errs, fmt.Errorf("change %s: %s", c.Address, fmt.Sprintf(format, args...)))
	}
	var count Summary
	seen := map[Address]bool{}
	for _, c := range p.Changes {
		if seen[c.Address] {
			bad(c, "listed twice")
		}
		seen[c.Address] = true
		if want, ok := kindOf(c.Address); !ok || want != c.Kind {
			bad(c, "kind %q does not fit the address (want %q)", c.Kind, want)
			continue
		}
		if c.Scope != "" && c.Scope != sourceFile(c.Source) {
			bad(c, "scope %q is not the file of its source %q", c.Scope, c.Source)
		}
		if c.ScopeMaxRole != "" && (c.Scope == "" || !c.ScopeMaxRole.Valid() || c.ScopeMaxRole == state.RoleAdmin) {
			bad(c, "scope_max_role %q without a scope that bounds it", c.ScopeMaxRole)
		}
		if !count.add(c.Action) {
			bad(c, "unknown action %q", c.Action)
			continue
		}
		switch c.Action {
		case Create:
			if c.After == nil {
				bad(c, "a create needs an after value")
			}
		case Update:
			if c.Before == nil || c.After == nil {
				bad(c, "an update needs before and after values")
			}
		case Delete:
			if c.Before == nil || c.After != nil {
				bad(c, "a delete needs a before value and no after value")
			}
		case Replace:
			if c.Before == nil || c.After == nil {
				bad(c, "a replace needs before and after values")
			}
		case Manual:
			continue
		}
		op := OpFor(c)
		if op == "" {
			bad(c, "no API write can %s a %s", c.Action, c.Kind)
			continue
		}
		if missing := missingTarget(op, c.Target); missing != "" {
			bad(c, "the target lacks %s, which %s needs", missing, op)
		}
	}
	count.Unlisted = len(p.Extras)
	count.Unmanaged = p.Summary.Unmanaged // not in the document's lists
	if len(errs) == 0 && p.ChangesDigest != "" && p.ChangesDigest != ChangesDigest(p) {
		errs = append(errs, fmt.Errorf("its changes do not match its changes_digest %s", p.ChangesDigest))
	}
	if len(errs) == 0 && count != p.Summary {
		errs = append(errs, fmt.Errorf("the summary %+v does not count the changes (%+v)", p.Summary, count))
	}
	if len(errs) > 0 {
		return fmt.Errorf("the plan was not made by reposync as it is (edited by hand?): %w", errors.Join(errs...))
	}
	return nil
}

// kindOf is the kind of change an address can have.
func kindOf(a Address) (Kind, bool) {
	k, ok := changeKinds[Address{Object: a.Object, Entry: a.Entry}]
	return k, ok
}

// changeKinds is the kind of change of each object and entry.
var changeKinds = map[Address]Kind{
	{Object: ObjectGroup}:                               KindGroup,
	{Object: ObjectGroup, Entry: EntryMemberGroup}:      KindGroupMemberGroup,
	{Object: ObjectRepository, Entry: EntryMember}:      KindMember,
	{Object: ObjectRepository, Entry: EntryMemberGroup}: KindMemberGroup,
	{Object: ObjectRepository, Entry: EntryPushRule}:    KindPushRule,
	{Object: ObjectGitAuth}:                             KindGitAuth,
}

// missingTarget names the first id an operation needs that t lacks.
func missingTarget(op Op, t Target) string {
	need := map[Op][]struct {
		name string
		ok   bool
	}{
		OpCreateGroup:            {{"group", t.Group != ""}},
		OpDeleteGroup:            {{"group_id", t.GroupID != 0}},
		OpAttachGroupMemberGroup: {{"group", t.Group != ""}, {"member_group_id", t.MemberGroupID != ""}},
		OpAttachMemberGroup:      {{"repository_id", t.RepositoryID != 0}, {"member_group_id", t.MemberGroupID != ""}},
		OpAddMembers:             {{"repository_uuid", t.RepositoryUUID != ""}, {"user_iam_id", t.UserIAMID != ""}},
		OpSetRole:                {{"repository_uuid", t.RepositoryUUID != ""}, {"user_iam_id", t.UserIAMID != ""}},
		OpDeleteMember:           {{"repository_uuid", t.RepositoryUUID != ""}, {"user_iam_id", t.UserIAMID != ""}},
		OpCreatePushRule:         {{"repository_id", t.RepositoryID != 0}},
		OpUpdatePushRules:        {{"repository_id", t.RepositoryID != 0}, {"push_rule_id", t.PushRuleID != 0}},
		OpDeletePushRules:        {{"repository_id", t.RepositoryID != 0}, {"push_rule_id", t.PushRuleID != 0}},
		OpCreateGitAuth:          {{"git_auth", t.GitAuth != ""}},
		OpDeleteGitAuth:          {{"git_auth", t.GitAuth != ""}},
		OpReplaceGitAuth:         {{"git_auth", t.GitAuth != ""}},
	}
	for _, f := range need[op] {
		if !f.ok {
			return f.name
		}
	}
	return ""
}

// ChangesDigest is "sha256:<hex>" over what the plan would do: every
// change (warnings, which are notes, left out) in order. Two plans with the
// same digest make the same writes; a reviewer's digest lets a later job
// refuse a plan that differs from the one reviewed.
func ChangesDigest(p *Plan) string {
	h := sha256.New()
	for _, c := range p.Changes {
		h.Write(changeJSON(c))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// changeJSON is what a change does, as ChangesDigest and ChangesDiffer
// compare it: the change as JSON, its warnings (notes) left out.
func changeJSON(c Change) []byte {
	c.Warnings = nil
	b, err := json.Marshal(c)
	if err != nil {
		return []byte("error: " + err.Error())
	}
	return b
}

// ChangesDiffer compares the changes of a saved plan with a fresh plan of
// the same spec: every difference, one line each, sorted; none means the
// fresh plan would do exactly what was reviewed.
func ChangesDiffer(saved, fresh *Plan) []string {
	was := map[Address]string{} // the saved changes the fresh plan has not planned (yet)
	for _, c := range saved.Changes {
		was[c.Address] = string(changeJSON(c))
	}
	var out []string
	for _, c := range fresh.Changes {
		old, ok := was[c.Address]
		delete(was, c.Address)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: the reviewed plan did not %s it", c.Address, c.Action))
		case old != string(changeJSON(c)):
			out = append(out, fmt.Sprintf("%s: planned differently now (%s)", c.Address, c.Action))
		}
	}
	for _, c := range saved.Changes {
		if _, left := was[c.Address]; left {
			out = append(out, fmt.Sprintf("%s: no longer planned (the reviewed plan would %s it)", c.Address, c.Action))
		}
	}
	sort.Strings(out)
	return out
}
