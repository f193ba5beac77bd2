package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
)

// strictJSON decodes one JSON value, rejecting wrong types and trailing data.
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON body")
	}
	return nil
}

// Wire structs of file push permissions (docs/api-reference.md §8.5).
type pushActionBody struct {
	Action         *string  `json:"action"`
	Enable         *bool    `json:"enable"`
	UserIDs        []int32  `json:"user_ids"`
	UserTeamIDs    []int32  `json:"user_team_ids"`
	RelatedRoleIDs []string `json:"related_role_ids"`
}

type pushUserDTO struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Username   string `json:"username"`
	State      string `json:"state"`
	NickName   string `json:"nick_name"`
	TenantName string `json:"tenant_name"`
}

type pushRoleDTO struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	RelatedRoleID string `json:"related_role_id"`
}

type pushActionDTO struct {
	Action    string        `json:"action"`
	Enable    bool          `json:"enable"`
	Users     []pushUserDTO `json:"users"`
	UserTeams []teamDTO     `json:"user_teams"`
	Roles     []pushRoleDTO `json:"roles"`
}

type pushRuleDTO struct {
	ID      int64           `json:"id"`
	Path    string          `json:"path"`
	Actions []pushActionDTO `json:"actions"`
}

func (s *Server) ruleDTO(p *PushRule) pushRuleDTO {
	a := pushActionDTO{Action: "push", Enable: !p.Disabled, Users: []pushUserDTO{}, UserTeams: []teamDTO{}, Roles: []pushRoleDTO{}}
	for _, n := range p.Users {
		u := s.idx.userByName[n]
		a.Users = append(a.Users, pushUserDTO{ID: u.ID, Name: u.Name, Username: u.IAMID, State: "active", NickName: u.Name, TenantName: simTenant})
	}
	for _, n := range p.MemberGroups {
		m := s.idx.mgByName[n]
		a.UserTeams = append(a.UserTeams, teamDTO{ID: m.TeamID, Name: m.Name})
	}
	for _, n := range p.Roles {
		for i, r := range s.fx.Roles {
			if r.Name == n {
				a.Roles = append(a.Roles, pushRoleDTO{ID: int64(i + 1), Name: r.Name, RelatedRoleID: s.relatedRoleID(&r)})
			}
		}
	}
	return pushRuleDTO{ID: p.ID, Path: p.Path, Actions: []pushActionDTO{a}}
}

// relatedRoleID is the related_role_id push rules show for a project role:
// the role id itself, or with role_ids: distinct an id of its own,
// hexID("related_role", name).
func (s *Server) relatedRoleID(r *Role) string {
	if s.fx.Behaviour.RoleIDs == "distinct" {
		return hexID("related_role", r.Name)
	}
	return r.ID
}

// roleByRelatedID resolves an id sent in related_role_ids: a project role id
// always, and with role_ids: distinct also the related id push rules show
// (so a client that sends back what it read works too).
func (s *Server) roleByRelatedID(id string) *Role {
	if ro := s.idx.roleByID[id]; ro != nil {
		return ro
	}
	for i := range s.fx.Roles {
		if s.relatedRoleID(&s.fx.Roles[i]) == id {
			return &s.fx.Roles[i]
		}
	}
	return nil
}

func hListPushRules(s *Server, q *request) reply {
	items := []pushRuleDTO{}
	for i := range q.repo.PushRules {
		items = append(items, s.ruleDTO(&q.repo.PushRules[i]))
	}
	return listReply(q, items, false)
}

// applyActions resolves the id lists of actions into names on rule: they
// replace the rule's grants, or with merge are added to them (behaviour
// batch_update: merge).
func (s *Server) applyActions(rule *PushRule, actions []pushActionBody, merge bool) *reply {
	for _, a := range actions {
		if a.Action != nil && *a.Action != "push" {
			return new(badParam(fmt.Sprintf("action %q is not supported, only push", *a.Action)))
		}
		users, teams, roles := []string{}, []string{}, []string{}
		for _, id := range a.UserIDs {
			u := s.idx.userByID[int64(id)]
			if u == nil {
				return new(badParam(fmt.Sprintf("user_ids: user %d not found", id)))
			}
			users = append(users, u.Name)
		}
		for _, id := range a.UserTeamIDs {
			m := s.idx.mgByTeam[int64(id)]
			if m == nil {
				return new(badParam(fmt.Sprintf("user_team_ids: member group %d not found", id)))
			}
			teams = append(teams, m.Name)
		}
		for _, id := range a.RelatedRoleIDs {
			ro := s.roleByRelatedID(id)
			if ro == nil {
				return new(badParam(fmt.Sprintf("related_role_ids: role %q not found", id)))
			}
			roles = append(roles, ro.Name)
		}
		if merge {
			users = append(users, rule.Users...)
			teams = append(teams, rule.MemberGroups...)
			roles = append(roles, rule.Roles...)
		}
		rule.Users, rule.MemberGroups, rule.Roles = sortedSet(users), sortedSet(teams), sortedSet(roles)
		rule.Disabled = a.Enable != nil && !*a.Enable
	}
	return nil
}

// sortedSet sorts names and drops repeats; empty is nil.
func sortedSet(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func hCreatePushRule(s *Server, q *request) reply {
	r := q.repo
	var b struct {
		Path    *string          `json:"path"`
		Actions []pushActionBody `json:"actions"`
	}
	if err := strictJSON(q.body, &b); err != nil {
		return badParam("invalid request body: " + err.Error())
	}
	if b.Path == nil {
		return badParam("path is required")
	}
	if err := checkPushPath(*b.Path); err != nil {
		return badParam(err.Error())
	}
	if slices.ContainsFunc(r.PushRules, func(p PushRule) bool { return p.Path == *b.Path }) {
		return badParam(fmt.Sprintf("a file push permission for path %q already exists", *b.Path))
	}
	s.fx.LastPushRuleID++ // New starts it at the fixture's highest, so an id is never handed out twice
	rule := PushRule{Path: *b.Path, ID: s.fx.LastPushRuleID}
	if bad := s.applyActions(&rule, b.Actions, false); bad != nil {
		return *bad
	}
	r.PushRules = append(r.PushRules, rule)
	r.Updated = s.nextUpdate()
	// The new rule's names resolve through the unchanged index.
	return reply{status: http.StatusOK, body: s.ruleDTO(&rule), changed: true}
}

func hUpdatePushRules(s *Server, q *request) reply {
	r := q.repo
	var b struct {
		Permissions []struct {
			ID      *int32           `json:"id"`
			Path    *string          `json:"path"`
			Actions []pushActionBody `json:"actions"`
		} `json:"permissions"`
	}
	if err := strictJSON(q.body, &b); err != nil {
		return badParam("invalid request body: " + err.Error())
	}
	if len(b.Permissions) == 0 {
		return badParam("permissions is empty")
	}
	// Work on a copy so a bad entry changes nothing.
	rules := slices.Clone(r.PushRules)
	var touched []int
	for _, p := range b.Permissions {
		if p.ID == nil {
			return badParam("permissions[].id is required")
		}
		at := slices.IndexFunc(rules, func(rule PushRule) bool { return rule.ID == int64(*p.ID) })
		if at < 0 {
			return notFound(fmt.Sprintf("file push permission %d not found in repository %d", *p.ID, r.ID))
		}
		if p.Path != nil {
			if err := checkPushPath(*p.Path); err != nil {
				return badParam(err.Error())
			}
			if i := slices.IndexFunc(rules, func(rule PushRule) bool { return rule.Path == *p.Path }); i >= 0 && i != at {
				return badParam(fmt.Sprintf("a file push permission for path %q already exists", *p.Path))
			}
			rules[at].Path = *p.Path
		}
		if bad := s.applyActions(&rules[at], p.Actions, s.fx.Behaviour.BatchUpdate == "merge"); bad != nil {
			return *bad
		}
		touched = append(touched, at)
	}
	r.PushRules = rules
	r.Updated = s.nextUpdate()
	out := []pushRuleDTO{}
	for _, i := range touched {
		out = append(out, s.ruleDTO(&r.PushRules[i]))
	}
	return reply{status: http.StatusOK, body: out, changed: true}
}

func hDeletePushRules(s *Server, q *request) reply {
	r := q.repo
	var b struct {
		IDs []int32 `json:"ids"`
	}
	if err := strictJSON(q.body, &b); err != nil {
		return badParam("invalid request body: " + err.Error())
	}
	if len(b.IDs) == 0 {
		return badParam("ids is empty")
	}
	del := map[int64]bool{}
	for _, id := range b.IDs {
		if !slices.ContainsFunc(r.PushRules, func(p PushRule) bool { return p.ID == int64(id) }) {
			return notFound(fmt.Sprintf("file push permission %d not found in repository %d", id, r.ID))
		}
		del[int64(id)] = true
	}
	r.PushRules = slices.DeleteFunc(r.PushRules, func(p PushRule) bool { return del[p.ID] })
	r.Updated = s.nextUpdate()
	return reply{status: http.StatusNoContent, changed: true}
}
