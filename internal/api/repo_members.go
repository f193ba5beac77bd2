package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// RepositoryMember is one v4 ListMembers entry (RepositoryMemberDto, §6.3).
// Note the wire names repository_role_Id and is_Project_admin.
type RepositoryMember struct {
	UserID             int64  `json:"user_id"`
	UserIAMID          string `json:"user_iam_id"`
	UserName           string `json:"user_name"`
	TenantID           string `json:"tenant_id"`
	RepositoryRoleID   string `json:"repository_role_Id"`
	RepositoryRoleName string `json:"repository_role_name"`
	ProjectRoleName    string `json:"project_role_name"`
	IsRepoCreator      int64  `json:"is_repo_creator"`
	IsProjectAdmin     int64  `json:"is_Project_admin"`
	MemberSource       string `json:"member_source"`
	MemberGroupSource  string `json:"member_group_source"`
	MemberSourceID     string `json:"member_source_id"`
}

// Direct reports whether the membership was granted on the repository itself
// rather than inherited from a group or a member group.
func (m RepositoryMember) Direct() bool { return m.MemberSource == "" && m.MemberGroupSource == "" }

// ListMembers lists every member of a repository (v4, paged by X-Total).
func (c *Client) ListMembers(ctx context.Context, repoID int64) ([]RepositoryMember, error) {
	return listAll[RepositoryMember](ctx, c, get("ListMembers", svcRepo,
		"/v4/repositories/"+itoa(repoID)+"/members", url.Values{}))
}

// LegacyMember is one legacy ListRepoMembers entry (docs/api-reference.md
// §6.2): UserID is documented as the IAM user id.
type LegacyMember struct {
	UserID   string `json:"user_id"`
	Name     string `json:"name"`
	DomainID string `json:"domain_id"`
	Role     int64  `json:"role"`
}

// MemberRow is one member of a repository as its two member lists show it:
// the v4 row, and the legacy row of the same member (nil when the legacy
// list does not show it: an inherited member, or one not listed there yet).
type MemberRow struct {
	RepositoryMember
	Legacy *LegacyMember
}

// JoinMembers pairs each legacy row with the v4 row of the same member,
// without assuming the legacy user_id is the IAM id (docs/api-assumptions.md
// A46): by the v4 user_iam_id it equals, else by user name (v4 user_name)
// in the same tenant (v4 tenant_id, where both say). A legacy row that pairs
// with no v4 row, or with one another legacy row pairs with too, is
// unpaired: who it is cannot be told, so nothing may be written to it.
func JoinMembers(v4 []RepositoryMember, legacy []LegacyMember) (rows []MemberRow, unpaired []LegacyMember) {
	rows = make([]MemberRow, len(v4))
	byIAM := make(map[string]int, len(v4))
	byName := make(map[string][]int, len(v4))
	for i, m := range v4 {
		rows[i].RepositoryMember = m
		byIAM[m.UserIAMID] = i
		byName[m.UserName] = append(byName[m.UserName], i)
	}
	claims := make([][]int, len(v4)) // the legacy rows pairing with each v4 row
	var lost []int
	for j, l := range legacy {
		i, ok := byIAM[l.UserID]
		if !ok || l.UserID == "" {
			n := 0
			for _, k := range byName[l.Name] {
				if t := v4[k].TenantID; l.DomainID == "" || t == "" || t == l.DomainID {
					i, n = k, n+1
				}
			}
			ok = l.Name != "" && n == 1
		}
		if !ok {
			lost = append(lost, j)
			continue
		}
		claims[i] = append(claims[i], j)
	}
	for i, c := range claims {
		if len(c) == 1 {
			rows[i].Legacy = &legacy[c[0]]
		} else {
			lost = append(lost, c...)
		}
	}
	slices.Sort(lost)
	for _, j := range lost {
		unpaired = append(unpaired, legacy[j])
	}
	return rows, unpaired
}

// Legacy access levels of AddRepoMembers and SetRepoRole.
const (
	RoleViewer    = 20
	RoleDeveloper = 30
	RoleAdmin     = 40
)

// ListRepoMembers lists a repository's members with the legacy v1 API
// (page_index from 1, total in result.total).
//
// A full page never ends the list, whatever result.total says (it may be
// stale). A short page does, unless it is the first and result.total does
// not match it (more remain, or the total is stale or missing): the server
// may silently cap page_size at what it returned. page_index cannot be
// trusted across sizes (the server may count pages in the size asked or in
// the size it returned), so page 2 is asked with page_size set to that
// size, which both readings agree on. If it holds items the cap is learned
// and remembered, so the next listing asks for that size from the start;
// if it is empty the list has ended.
func (c *Client) ListRepoMembers(ctx context.Context, repoUUID string) ([]LegacyMember, error) {
	const op = "ListRepoMembers"
	path := "/v1/repositories/" + seg(repoUUID) + "/members"
	size := c.pageSize
	if capAt := c.pageCap(op); capAt > 0 && capAt < size {
		size = capAt
	}
	var all, prev []LegacyMember
	var bytesRead int64
	probe := 0 // the size of a short first page whose page 2 is asked for
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, errPagination(c, get(op, svcRepo, path, nil))
		}
		var res struct {
			Total int64          `json:"total"`
			Users []LegacyMember `json:"users"`
		}
		q := url.Values{"page_index": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
		cl := get(op, svcRepo, path, q)
		resp, err := c.legacy(ctx, cl, &res)
		if err != nil {
			return nil, err
		}
		if err := c.listSize(cl, &bytesRead, len(resp.body)); err != nil {
			return nil, err
		}
		k := len(res.Users)
		c.observePage(op, k, res.Total > 0)
		if k > 0 {
			if page > 1 && slices.Equal(res.Users, prev) {
				return nil, errRepeatedPage(c, cl, len(all))
			}
			prev = res.Users
		}
		all = append(all, res.Users...)
		if probe > 0 && k > 0 {
			c.learnPageCap(op, probe)
		}
		probe = 0
		switch {
		case k >= size: // a full page: more may follow
		case k > 0 && page == 1 && int64(k) != res.Total:
			probe, size = k, k
		default:
			return all, nil
		}
	}
}

// NewRepoMember is one user of an AddRepoMembers body.
type NewRepoMember struct {
	// ID is the IAM user id.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Role is RoleViewer, RoleDeveloper or RoleAdmin.
	Role int64 `json:"role"`
}

// AddMemberResult is the server's per-user answer to AddRepoMembers.
type AddMemberResult struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// oneOrMany decodes a JSON array or a single object into a slice: legacy
// AddRepoMembers returns either (docs/api-reference.md §6.2).
type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.HasPrefix(b, []byte("[")) {
		var s []T
		err := json.Unmarshal(b, &s)
		*o = s
		return err
	}
	if bytes.Equal(b, []byte("null")) {
		*o = nil
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*o = []T{one}
	return nil
}

// AddRepoMembers adds users to a repository in one legacy v1 call. Per-user
// failures reported inside the 2xx answer come back as an *Error of kind
// KindPartial, together with every per-user result.
func (c *Client) AddRepoMembers(ctx context.Context, repoUUID string, users []NewRepoMember) ([]AddMemberResult, error) {
	cl := &call{op: "AddRepoMembers", method: http.MethodPost, svc: svcRepo,
		path: "/v1/repositories/" + seg(repoUUID) + "/members", body: map[string]any{"users": orEmpty(users)}}
	var res oneOrMany[AddMemberResult]
	if _, err := c.legacy(ctx, cl, &res); err != nil {
		return nil, err
	}
	var failures []Failure
	for _, r := range res {
		if r.Status != "" && r.Status != "success" {
			failures = append(failures, Failure{ID: c.redact(r.ID), Name: c.redact(r.Name), Message: c.redact(r.Message)})
		}
	}
	if len(failures) > 0 {
		e := c.answerError(cl, KindPartial, nil)
		e.Status = http.StatusOK
		e.Failures = failures
		e.Message = fmt.Sprintf("%d of %d users not added", len(failures), len(users))
		return res, e
	}
	return res, nil
}

// SetRepoRole changes a member's legacy access level (20, 30 or 40). The
// member is addressed by memberID, the user_id the legacy list gives it
// (MemberRow.Legacy): documented as the IAM user id, which it need not be.
func (c *Client) SetRepoRole(ctx context.Context, repoUUID, memberID string, role int64) error {
	_, err := c.legacy(ctx, &call{op: "SetRepoRole", method: http.MethodPut, svc: svcRepo,
		path: "/v1/repositories/" + seg(repoUUID) + "/members/" + seg(memberID),
		body: map[string]int64{"role": role}}, nil)
	return err
}

// DeleteRepoMember removes a direct member from a repository, addressed as
// SetRepoRole addresses it (the page calls the id the repository member
// id).
func (c *Client) DeleteRepoMember(ctx context.Context, repoUUID, memberID string) error {
	_, err := c.legacy(ctx, &call{op: "DeleteRepoMember", method: http.MethodDelete, svc: svcRepo,
		path: "/v1/repositories/" + seg(repoUUID) + "/members/" + seg(memberID)}, nil)
	return err
}
