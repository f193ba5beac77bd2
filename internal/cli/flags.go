package cli

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/state"
)

// ConnOptions are the connection and pacing flags shared by the commands
// that call the API (DESIGN.md, "Commands").
type ConnOptions struct {
	Endpoint    string
	Region      string
	Project     string
	Concurrency int
	RateLimit   int
	Insecure    bool
}

func addConnFlags(cmd *cobra.Command, o *ConnOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.Endpoint, "endpoint", "", "one base URL for every service, e.g. the simulator (env REPOSYNC_ENDPOINT)")
	fl.StringVar(&o.Region, "region", "", "region of the official endpoints, e.g. cn-north-4 (env HW_REGION_NAME)")
	fl.StringVar(&o.Project, "project", "", "CodeArts project UUID, when the spec does not set it (env REPOSYNC_PROJECT)")
	fl.IntVar(&o.Concurrency, "concurrency", 8, "maximum API calls in flight")
	fl.IntVar(&o.RateLimit, "rate-limit", 600, "calls per minute per API operation (the gateway allows 600)")
	fl.BoolVar(&o.Insecure, "insecure-skip-tls-verify", false, "do not verify TLS certificates (never against the real cloud)")
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// resolve fills defaults from the environment and checks every value, so a
// mistake is reported before any request is made. specProject is the
// spec's `project`, "" when there is no spec; hint says where else the
// project can come from, for the error when there is none.
func (o *ConnOptions) resolve(getenv func(string) string, specProject, hint string) error {
	if o.Endpoint == "" {
		o.Endpoint = getenv("REPOSYNC_ENDPOINT")
	}
	if o.Region == "" {
		o.Region = getenv("HW_REGION_NAME")
	}
	if o.Project == "" {
		o.Project = getenv("REPOSYNC_PROJECT")
	}
	switch {
	case o.Project == "":
		o.Project = specProject
	case specProject != "" && specProject != o.Project:
		return fmt.Errorf("--project %s differs from the spec's project %s; remove one", o.Project, specProject)
	}
	if o.Project == "" {
		return fmt.Errorf("no CodeArts project: %s", hint)
	}
	if !hexID.MatchString(o.Project) {
		return fmt.Errorf("project %q is not a CodeArts project UUID (32 lowercase hex characters)", o.Project)
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--endpoint %q is not an http(s) URL", o.Endpoint)
		}
		o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	} else if o.Region == "" {
		return fmt.Errorf("no endpoint: pass --region (or HW_REGION_NAME) for the official endpoints, or --endpoint (or REPOSYNC_ENDPOINT)")
	}
	if o.Concurrency < 1 || o.Concurrency > 256 {
		return fmt.Errorf("--concurrency %d is out of range (1 to 256)", o.Concurrency)
	}
	if o.RateLimit < 1 || o.RateLimit > 1_000_000 {
		return fmt.Errorf("--rate-limit %d is out of range (1 to 1000000 calls per minute)", o.RateLimit)
	}
	return nil
}

// credentialKind names which credentials the environment gave, for
// messages ("aksk", "token" or "password").
type credentialKind string

// credentialsFromEnv reads the credentials in DESIGN.md's order of
// precedence: AK/SK, then a token, then an IAM password login.
func credentialsFromEnv(getenv func(string) string) (api.Credentials, credentialKind, error) {
	c := api.Credentials{ProjectID: getenv("HW_PROJECT_ID")}
	var kind credentialKind
	ak, sk := getenv("HW_ACCESS_KEY"), getenv("HW_SECRET_KEY")
	switch {
	case ak != "" || sk != "":
		if ak == "" || sk == "" {
			return c, "", authConfigError("HW_ACCESS_KEY and HW_SECRET_KEY must be set together")
		}
		kind, c.AccessKey, c.SecretKey, c.SecurityToken = "aksk", ak, sk, getenv("HW_SECURITY_TOKEN")
	case getenv("HW_AUTH_TOKEN") != "":
		kind, c.Token = "token", getenv("HW_AUTH_TOKEN")
	case getenv("HW_USER_NAME") != "" || getenv("HW_USER_PASSWORD") != "":
		c.IAMUser, c.IAMPassword, c.IAMDomain = getenv("HW_USER_NAME"), getenv("HW_USER_PASSWORD"), getenv("HW_DOMAIN_NAME")
		if c.IAMUser == "" || c.IAMPassword == "" || c.IAMDomain == "" {
			return c, "", authConfigError("IAM password login needs HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME")
		}
		kind = "password"
	default:
		return c, "", authConfigError("no credentials: set HW_ACCESS_KEY and HW_SECRET_KEY, or HW_AUTH_TOKEN, or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME")
	}
	if c.ProjectID != "" && !hexID.MatchString(c.ProjectID) {
		return c, "", authConfigError(fmt.Sprintf("HW_PROJECT_ID %q is not an IAM project id (32 lowercase hex characters)", c.ProjectID))
	}
	return c, kind, nil
}

// ChangeOptions are the flags plan and apply share about what may change.
type ChangeOptions struct {
	Prune             bool
	AllowDeleteGroups bool
	RotateSecrets     bool
	// PruneSet is true when --prune was given, so it overrides settings.prune.
	PruneSet bool
}

func addChangeFlags(cmd *cobra.Command, o *ChangeOptions) {
	fl := cmd.Flags()
	fl.BoolVar(&o.Prune, "prune", false, "delete live entries the spec does not list (default: the spec's settings.prune)")
	fl.BoolVar(&o.AllowDeleteGroups, "allow-delete-groups", false, "with --prune, also delete empty groups the spec does not list")
	fl.BoolVar(&o.RotateSecrets, "rotate-secrets", false, "re-create every listed Git authorization with the current password")
}

// resolved are the change flags after the spec's settings were applied.
type resolved struct {
	prune, allowDeleteGroups, rotateSecrets bool
}

// resolve applies the spec's settings.prune unless --prune was given.
func (o ChangeOptions) resolve(d *state.Desired) (resolved, error) {
	prune := o.Prune
	if !o.PruneSet && d.Settings.Prune != nil {
		prune = *d.Settings.Prune
	}
	if o.AllowDeleteGroups && !prune {
		return resolved{}, fmt.Errorf("--allow-delete-groups needs --prune")
	}
	return resolved{prune: prune, allowDeleteGroups: o.AllowDeleteGroups, rotateSecrets: o.RotateSecrets}, nil
}
