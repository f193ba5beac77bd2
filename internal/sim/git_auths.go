package sim

import (
	"net/http"
	"slices"
)

// authDTO is a ServiceStage authorization. ServiceStage errors are of the
// SVCSTG.REPO family (docs/api-reference.md §11.3); the numbers are the
// simulator's own.
type authDTO struct {
	Name       string  `json:"name"`
	RepoType   string  `json:"repo_type"`
	RepoHost   string  `json:"repo_host"`
	RepoHome   string  `json:"repo_home"`
	RepoUser   string  `json:"repo_user"`
	Avartar    string  `json:"avartar"`
	TokenType  string  `json:"token_type"`
	CreateTime int64   `json:"create_time"`
	UpdateTime int64   `json:"update_time"`
	Status     int     `json:"status"`
	Tag        *string `json:"tag,omitempty"`
}

// repoHosts are the repo_type values and the host of each.
var repoHosts = map[string]string{"github": "https://api.github.com", "bitbucket": "https://api.bitbucket.org", "devcloud": "https://codehub.devcloud.example"}

func authOf(a GitAuth) authDTO {
	return authDTO{Name: a.Name, RepoType: a.RepoType, RepoHost: repoHosts[a.RepoType], RepoHome: repoHosts[a.RepoType] + "/" + a.User,
		RepoUser: a.User, TokenType: "password", CreateTime: a.CreateTime, UpdateTime: a.CreateTime}
}

func hListAuths(s *Server, q *request) reply {
	items := []authDTO{}
	for _, a := range s.fx.GitAuths {
		items = append(items, authOf(a))
	}
	return jsonReply(http.StatusOK, map[string]any{"authorizations": items, "count": len(items)})
}

func hCreatePasswordAuth(s *Server, q *request) reply {
	rt := q.params["repo_type"]
	if repoHosts[rt] == "" {
		return errReply(http.StatusBadRequest, "SVCSTG.REPO.0400", "repo_type must be github, devcloud or bitbucket")
	}
	var b struct {
		Name     *string `json:"name"`
		User     *string `json:"user"`
		Password *string `json:"password"`
	}
	if err := strictJSON(q.body, &b); err != nil {
		return errReply(http.StatusBadRequest, "SVCSTG.REPO.0400", "invalid request body")
	}
	if b.Name == nil || *b.Name == "" || b.User == nil || *b.User == "" || b.Password == nil || *b.Password == "" {
		return errReply(http.StatusBadRequest, "SVCSTG.REPO.0400", "name, user and password are required")
	}
	if slices.ContainsFunc(s.fx.GitAuths, func(a GitAuth) bool { return a.Name == *b.Name }) {
		return errReply(http.StatusBadRequest, "SVCSTG.REPO.0409", "authorization "+*b.Name+" already exists")
	}
	a := GitAuth{Name: *b.Name, RepoType: rt, User: *b.User, Password: *b.Password, CreateTime: q.at.UnixMilli()}
	s.fx.GitAuths = append(s.fx.GitAuths, a)
	return reply{status: http.StatusOK, body: map[string]any{"authorization": authOf(a)}, changed: true}
}

func hDeleteAuth(s *Server, q *request) reply {
	name := q.params["name"]
	i := slices.IndexFunc(s.fx.GitAuths, func(a GitAuth) bool { return a.Name == name })
	if i < 0 {
		return errReply(http.StatusNotFound, "SVCSTG.REPO.0404", "authorization "+name+" not found")
	}
	s.fx.GitAuths = slices.Delete(s.fx.GitAuths, i, i+1)
	return reply{status: http.StatusNoContent, changed: true}
}
