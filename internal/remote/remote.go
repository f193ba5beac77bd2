// Package remote is the bridge between reposync's domain and the cloud API
// for plan, apply, export and access: it reads the live state with bounded
// concurrency (read.go) and performs plan changes (write*.go), every write
// whose outcome can be unknown through verify, the one place that decides
// by re-reading whether it took effect. doctor asks the API what remote
// never asks and calls api directly. remote imports api, state and plan.
package remote

import (
	"sync/atomic"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// Client reads and changes one CodeArts project through an api.Client.
type Client struct {
	api         *api.Client
	project     string // CodeArts project UUID
	iamProject  string // IAM project id, for ServiceStage
	concurrency int
	progress    atomic.Pointer[Progress] // counts the reads of Walk and Read; nil: none
	// setting is the project's member setting the walk read last (the roles
	// it syncs, their ids), for the writes and the reads that follow it (a
	// Reader reads no lookup).
	setting atomic.Pointer[api.ProjectMemberSetting]
}

// memberSetting is the member setting the walk read last; zero before one.
func (c *Client) memberSetting() api.ProjectMemberSetting {
	if s := c.setting.Load(); s != nil {
		return *s
	}
	return api.ProjectMemberSetting{}
}

// projectRoles are the project roles a member setting lists, by name.
func projectRoles(s api.ProjectMemberSetting) map[string]state.LiveRole {
	roles := map[string]state.LiveRole{}
	for _, r := range s.RoleSync {
		roles[r.RoleName] = state.LiveRole{Name: r.RoleName, ID: r.RoleID}
	}
	return roles
}

// New returns a Client for the CodeArts project; iamProjectID is needed only
// for Git authorizations. concurrency bounds the requests in flight.
func New(a *api.Client, project, iamProjectID string, concurrency int) *Client {
	if concurrency < 1 {
		concurrency = 1
	}
	return &Client{api: a, project: project, iamProject: iamProjectID, concurrency: concurrency}
}
