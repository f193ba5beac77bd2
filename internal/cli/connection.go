package cli

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// ConnOptions are the connection and pacing flags shared by plan, apply and
// export (DESIGN.md, "Commands").
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
// mistake is reported before any request is made.
func (o *ConnOptions) resolve(getenv func(string) string, specProject string) error {
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
		return fmt.Errorf("no CodeArts project: set `project:` in the spec, --project or REPOSYNC_PROJECT")
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

// Credentials as found in the environment, in DESIGN.md's order of precedence.
type envCredentials struct {
	Kind          string // "aksk", "token", "password"
	AccessKey     string
	SecretKey     string
	SecurityToken string
	Token         string
	UserName      string
	Password      string
	Domain        string
	IAMProjectID  string
}

func credentialsFromEnv(getenv func(string) string) (envCredentials, error) {
	c := envCredentials{IAMProjectID: getenv("HW_PROJECT_ID")}
	ak, sk := getenv("HW_ACCESS_KEY"), getenv("HW_SECRET_KEY")
	switch {
	case ak != "" || sk != "":
		if ak == "" || sk == "" {
			return c, fmt.Errorf("HW_ACCESS_KEY and HW_SECRET_KEY must be set together")
		}
		c.Kind, c.AccessKey, c.SecretKey, c.SecurityToken = "aksk", ak, sk, getenv("HW_SECURITY_TOKEN")
	case getenv("HW_AUTH_TOKEN") != "":
		c.Kind, c.Token = "token", getenv("HW_AUTH_TOKEN")
	case getenv("HW_USER_NAME") != "" || getenv("HW_USER_PASSWORD") != "":
		c.UserName, c.Password, c.Domain = getenv("HW_USER_NAME"), getenv("HW_USER_PASSWORD"), getenv("HW_DOMAIN_NAME")
		if c.UserName == "" || c.Password == "" || c.Domain == "" {
			return c, fmt.Errorf("IAM password login needs HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME")
		}
		c.Kind = "password"
	default:
		return c, fmt.Errorf("no credentials: set HW_ACCESS_KEY and HW_SECRET_KEY, or HW_AUTH_TOKEN, or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME")
	}
	if c.IAMProjectID != "" && !hexID.MatchString(c.IAMProjectID) {
		return c, fmt.Errorf("HW_PROJECT_ID %q is not an IAM project id (32 lowercase hex characters)", c.IAMProjectID)
	}
	return c, nil
}
