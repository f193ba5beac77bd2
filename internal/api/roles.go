package api

import (
	"context"
	"slices"
	"strings"
)

// RoleSync is one role of a project's member setting.
type RoleSync struct {
	RoleID          string `json:"role_id"`
	RoleSyncEnabled bool   `json:"role_sync_enabled"`
	RoleName        string `json:"role_name"`
	RoleChineseName string `json:"role_chinese_name"`
}

// ProjectMemberSetting is ShowProjectMemberSetting's answer; RoleSync maps
// role names to role ids.
type ProjectMemberSetting struct {
	SyncEnabled        bool       `json:"sync_enabled"`
	SyncAllRoleEnabled bool       `json:"sync_all_role_enabled"`
	RoleSync           []RoleSync `json:"role_sync"`
}

// SyncsRole reports whether CodeArts syncs the members of a project role
// into every repository: the sync is on, for every role or for this one,
// named by its name or its Chinese name (as the service may case them).
func (s ProjectMemberSetting) SyncsRole(role string) bool {
	role = strings.TrimSpace(role)
	if !s.SyncEnabled || role == "" {
		return false
	}
	return s.SyncAllRoleEnabled || slices.ContainsFunc(s.RoleSync, func(r RoleSync) bool {
		return r.RoleSyncEnabled && (strings.EqualFold(strings.TrimSpace(r.RoleName), role) || strings.TrimSpace(r.RoleChineseName) == role)
	})
}

// Synced reports whether a repository's member row, not inherited, is a
// project member CodeArts syncs into it: the row names the project as its
// source (member_source_id, docs/api-assumptions.md A4), or it carries a
// project role the setting syncs, which holds whether or not rows are
// marked (A44).
func (s ProjectMemberSetting) Synced(m RepositoryMember, project string) bool {
	return m.Direct() && (project != "" && m.MemberSourceID == project || s.SyncsRole(m.ProjectRoleName))
}

// ShowProjectMemberSetting reads a project's member setting, gathering
// role_sync across pages (offset/limit apply to that list; no total), with
// the same end-of-list rule as every v4 list (paginate).
func (c *Client) ShowProjectMemberSetting(ctx context.Context, projectID string) (ProjectMemberSetting, error) {
	var all ProjectMemberSetting
	first := true
	err := c.paginate(ctx, get("ShowProjectMemberSetting", svcRepo, "/v4/projects/"+seg(projectID)+"/member-setting", nil),
		func(page *call) (int, *response, error) {
			var p ProjectMemberSetting
			resp, err := c.getJSON(ctx, page, &p)
			if err != nil {
				return 0, nil, err
			}
			roles := append(all.RoleSync, p.RoleSync...)
			if first {
				all, first = p, false
			}
			all.RoleSync = roles
			return len(p.RoleSync), resp, nil
		})
	if err != nil {
		return ProjectMemberSetting{}, err
	}
	return all, nil
}
