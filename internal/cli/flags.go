package cli

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/api"
	"github.com/reposync/reposync/internal/plan"
	"github.com/reposync/reposync/internal/state"
)

// ConnOptions are the connection and pacing flags shared by the commands
// that call the API (docs/auth.md, "Where to connect").
type ConnOptions struct {
	Endpoint          string
	Region            string
	Project           string
	Concurrency       int
	RateLimit         int
	Insecure          bool
	AllowInsecureHTTP bool
	// Timeout bounds the whole command; 0 means no bound.
	Timeout time.Duration
}

// defaultReadTimeout bounds plan and export unless --timeout says
// otherwise: a full read of 10 000 repositories at the gateway's budget takes
// about 17 minutes per operation family, so two hours is generous, yet a
// forgotten nightly job does not run forever.
const defaultReadTimeout = 2 * time.Hour

// addConnFlags adds the connection flags; timeout is the command's default
// --timeout (0: none).
func addConnFlags(cmd *cobra.Command, o *ConnOptions, timeout time.Duration) {
	// The help shows the default once: cobra writes a non-zero one.
	what := "0: no limit"
	if timeout == 0 {
		what = "default 0: no limit"
	}
	fl := cmd.Flags()
	fl.DurationVar(&o.Timeout, "timeout", timeout, "stop the whole command after this long, e.g. 30m ("+what+")")
	fl.BoolVar(&o.AllowInsecureHTTP, "allow-insecure-http", false, "allow a plain http:// endpoint that is not on this machine (credentials then cross the network in clear text)")
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
	o.Endpoint = cmp.Or(o.Endpoint, getenv("REPOSYNC_ENDPOINT"))
	o.Region = cmp.Or(o.Region, getenv("HW_REGION_NAME"))
	o.Project = cmp.Or(o.Project, getenv("REPOSYNC_PROJECT"))
	switch {
	case o.Project == "":
		o.Project = specProject
	case specProject != "" && specProject != o.Project:
		return fmt.Errorf("--project %s differs from the spec's project %s; remove one", o.Project, specProject)
	}
	if o.Project == "" {
		// HW_PROJECT_ID looks like the answer and is not: say so.
		return fmt.Errorf("no CodeArts project: %s (HW_PROJECT_ID is the IAM project of the region, a different id)", hint)
	}
	if !hexID.MatchString(o.Project) {
		return fmt.Errorf("project %q is not a CodeArts project UUID (32 lowercase hex characters; HW_PROJECT_ID is the IAM project, a different id)", o.Project)
	}
	if o.Endpoint != "" {
		u, err := url.Parse(o.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// Whatever its shape, no user info of the URL is repeated.
			return fmt.Errorf("--endpoint %q is not an http(s) URL", api.RedactURL(o.Endpoint))
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
	if o.Timeout < 0 {
		return fmt.Errorf("--timeout %s must not be negative", o.Timeout)
	}
	return nil
}

// withTimeout bounds ctx by --timeout; the cause names the flag, so the
// command can say why it stopped.
func (o ConnOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeoutCause(ctx, o.Timeout, timeoutError{o.Timeout})
}

// timeoutError is why a command stopped when --timeout ran out.
type timeoutError struct{ after time.Duration }

func (e timeoutError) Error() string {
	return fmt.Sprintf("stopped by --timeout after %s", e.after)
}

func (e timeoutError) Unwrap() error { return context.DeadlineExceeded }

// credentialsFromEnv reads the credentials in docs/auth.md's order of
// precedence: AK/SK, then a token, then an IAM password login. Exactly one
// kind is filled in, so the result's Kind says which.
func credentialsFromEnv(getenv func(string) string) (api.Credentials, error) {
	c := api.Credentials{ProjectID: getenv("HW_PROJECT_ID")}
	ak, sk := getenv("HW_ACCESS_KEY"), getenv("HW_SECRET_KEY")
	switch {
	case ak != "" || sk != "":
		if ak == "" || sk == "" {
			return c, authConfigError("HW_ACCESS_KEY and HW_SECRET_KEY must be set together")
		}
		c.AccessKey, c.SecretKey, c.SecurityToken = ak, sk, getenv("HW_SECURITY_TOKEN")
	case getenv("HW_AUTH_TOKEN") != "":
		c.Token = getenv("HW_AUTH_TOKEN")
	case getenv("HW_USER_NAME") != "" || getenv("HW_USER_PASSWORD") != "":
		c.IAMUser, c.IAMPassword, c.IAMDomain = getenv("HW_USER_NAME"), getenv("HW_USER_PASSWORD"), getenv("HW_DOMAIN_NAME")
		if c.IAMUser == "" || c.IAMPassword == "" || c.IAMDomain == "" {
			return c, authConfigError("IAM password login needs HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME")
		}
	default:
		return c, authConfigError("no credentials: set HW_ACCESS_KEY and HW_SECRET_KEY, or HW_AUTH_TOKEN, or HW_USER_NAME, HW_USER_PASSWORD and HW_DOMAIN_NAME")
	}
	if c.ProjectID != "" && !hexID.MatchString(c.ProjectID) {
		return c, authConfigError(fmt.Sprintf("HW_PROJECT_ID %q is not an IAM project id (32 lowercase hex characters)", c.ProjectID))
	}
	return c, nil
}

// ChangeOptions are the flags plan and apply share about what may change.
type ChangeOptions struct {
	Prune             bool
	AllowDeleteGroups bool
	RotateSecrets     bool
	MaxDeletes        optionalInt
	// Targets restrict the plan to matching repositories and groups.
	Targets []string
	// ChangedSince restricts the plan to what the spec's change since this
	// Git revision touches.
	ChangedSince string
	// PruneSet is true when --prune was given, so it overrides settings.prune.
	PruneSet bool
}

func addChangeFlags(cmd *cobra.Command, o *ChangeOptions) {
	fl := cmd.Flags()
	fl.BoolVar(&o.Prune, "prune", false, "delete live entries the spec does not list (default: the spec's settings.prune)")
	fl.BoolVar(&o.AllowDeleteGroups, "allow-delete-groups", false, "with --prune, also delete empty groups the spec does not list")
	fl.BoolVar(&o.RotateSecrets, "rotate-secrets", false, "re-create every listed Git authorization with the current password")
	fl.Var(&o.MaxDeletes, "max-deletes", "refuse plans with more deletions than `N` (default: settings.max_deletes, else 25)")
	fl.StringArrayVar(&o.Targets, "target", nil, "plan only repositories and groups matching `PATTERN` (the spec's glob syntax, e.g. payments/api/**); repeatable")
	fl.StringVar(&o.ChangedSince, "changed-since", "", "plan only what the spec's change since the Git revision `REF` touches (e.g. the merge base of a pull request)")
}

// resolved are the change flags and guardrail limits after the spec's
// settings were applied, and what the plan covers.
type resolved struct {
	// Options are what Diff is told: Scope is nil for a plan of everything;
	// Today comes from the command's clock; Withdrawn is what the change
	// since base removed from the spec (makePlan works it out once the live
	// repositories are known), or what a saved plan withdrew.
	plan.Options
	maxDeletes, minAdmins int
	// base is the spec at the revision baseRev of --changed-since (nil
	// without one).
	base    *state.Desired
	baseRev string
}

// defaultMaxDeletes and defaultMinAdmins apply when neither the spec's
// settings nor a flag set them (docs/spec.md, `settings`).
const (
	defaultMaxDeletes = 25
	defaultMinAdmins  = 1
)

// resolve applies the spec's settings unless a flag overrides them.
func (o ChangeOptions) resolve(d *state.Desired) (resolved, error) {
	r := resolved{Options: plan.Options{Prune: o.Prune, AllowDeleteGroups: o.AllowDeleteGroups, RotateSecrets: o.RotateSecrets, ToolVersion: Version},
		maxDeletes: defaultMaxDeletes, minAdmins: defaultMinAdmins}
	if !o.PruneSet && d.Settings.Prune != nil {
		r.Prune = *d.Settings.Prune
	}
	if o.AllowDeleteGroups && !r.Prune {
		return resolved{}, fmt.Errorf("--allow-delete-groups needs --prune")
	}
	if d.Settings.MaxDeletes != nil {
		r.maxDeletes = *d.Settings.MaxDeletes
	}
	if o.MaxDeletes.set {
		r.maxDeletes = o.MaxDeletes.n
	}
	if d.Settings.MinAdmins != nil {
		r.minAdmins = *d.Settings.MinAdmins
	}
	if len(o.Targets) > 0 {
		if o.ChangedSince != "" {
			return resolved{}, fmt.Errorf("--target and --changed-since each choose what to plan; use one")
		}
		r.Scope = &plan.Scope{Repositories: o.Targets, Groups: o.Targets}
		if err := r.Scope.Compile(); err != nil {
			return resolved{}, fmt.Errorf("--%w", err)
		}
	}
	return r, nil
}

// optionalInt is an int flag that knows whether it was given, so its help
// can say what the default depends on instead of printing a sentinel.
type optionalInt struct {
	n   int
	set bool
}

func (v *optionalInt) String() string {
	if !v.set {
		return ""
	}
	return strconv.Itoa(v.n)
}

func (v *optionalInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	if n < 0 {
		return fmt.Errorf("must be 0 or more, got %d", n)
	}
	v.n, v.set = n, true
	return nil
}

func (v *optionalInt) Type() string { return "int" }

// daysValue is a flag holding a number of days, written `14d` or `14`;
// -1 when not given.
type daysValue struct{ n int }

func (v *daysValue) String() string {
	if v.n < 0 {
		return ""
	}
	return strconv.Itoa(v.n) + "d"
}

func (v *daysValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(s), "d"))
	if err != nil || n < 0 || n > 36500 {
		return fmt.Errorf("%q is not a number of days (write it like 14d)", s)
	}
	v.n = n
	return nil
}

func (v *daysValue) Type() string { return "days" }
