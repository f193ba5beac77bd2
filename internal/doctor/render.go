package doctor

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/reposync/reposync/internal/state"
)

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// statusText is how the text report words a status.
var statusText = map[string]string{
	Allowed: "allowed", Denied: "denied", Failed: "failed", NotNeeded: "not needed", NotChecked: "not checked",
	LikelyAllowed: "likely allowed", DeniedByRole: "likely denied, not tried", Unknown: "unknown",
	AsAssumed: "as assumed", DiffersHandled: "differs: reposync handles it",
	DiffersUnsupported: "differs: not supported — please report", NotObserved: "not observed",
	StepDone: "done", StepSkipped: "skipped", // StepFailed is Failed
}

func word(status string) string {
	if s, ok := statusText[status]; ok {
		return s
	}
	return status
}

// WriteText writes the report for a terminal.
func WriteText(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	what := "no spec: checking everything a spec could need"
	if s := r.Spec; s != nil {
		what = fmt.Sprintf("spec %s: %s, %s", strings.Join(s.Paths, " "), state.Count(s.ManagedRepositories, "managed repository"), state.Count(s.Groups, "group"))
		if s.GitAuths {
			what += ", Git authorizations"
		}
	}
	fmt.Fprintf(b, "reposync doctor: project %s (%s)\n", r.Project, what)

	c := r.Connection
	section(b, "Connection")
	t := table(b)
	cred := map[string]string{"aksk": "AK/SK", "token": "token (X-Auth-Token)", "iam-password": "IAM password login"}[c.Credentials]
	if cred == "" {
		cred = c.Credentials
	}
	if c.Temporary {
		cred += ", temporary (security token)"
	}
	fmt.Fprintf(t, "  credentials\t%s\n", cred)
	if c.Endpoint != "" {
		fmt.Fprintf(t, "  endpoint\t%s (every service)\n", c.Endpoint)
	} else {
		fmt.Fprintf(t, "  region\t%s\n", c.Region)
		for _, svc := range slices.Sorted(maps.Keys(c.Hosts)) {
			fmt.Fprintf(t, "  %s\t%s\n", svc, c.Hosts[svc])
		}
	}
	fmt.Fprintf(t, "  IAM project\t%s\n", cmp.Or(c.IAMProjectID, "unknown (set HW_PROJECT_ID)"))
	for _, cl := range c.Clock {
		fmt.Fprintf(t, "  clock of %s\t%+ds against this machine: %s\n", cl.Service, cl.SkewSeconds, clockText(cl.Status))
	}
	t.Flush()

	id := r.Identity
	section(b, "Identity")
	t = table(b)
	switch id.Status {
	case IdentityKnown:
		who := cmp.Or(id.UserName, "name unknown")
		fmt.Fprintf(t, "  user\t%s (IAM user %s, from %s)\n", who, id.UserID, id.Source)
	case IdentityUnknown:
		fmt.Fprintf(t, "  user\tunknown: %s\n", id.Note)
	case IdentityRefused:
		fmt.Fprintf(t, "  user\tthe credentials were refused%s\n", errText(id.Error))
	default:
		fmt.Fprintf(t, "  user\tthe lookup failed%s\n", errText(id.Error))
	}
	if id.ProjectMember != nil {
		fmt.Fprintf(t, "  project member\t%s\n", yesNo(*id.ProjectMember))
	}
	if id.ProjectAdminSource != "" {
		admin := "unknown"
		if id.ProjectAdmin != nil {
			admin = yesNo(*id.ProjectAdmin)
		}
		fmt.Fprintf(t, "  project administrator\t%s (%s)\n", admin, id.ProjectAdminSource)
	}
	for _, rr := range id.Repositories {
		role := "not a member"
		if rr.Member {
			role = cmp.Or(rr.Role, "no role name")
			if rr.Level != 0 {
				role += fmt.Sprintf(" (level %d)", rr.Level)
			}
			if rr.Admin {
				role += ", may change its settings"
			}
		}
		fmt.Fprintf(t, "  on %s\t%s\n", rr.Repository, role)
	}
	t.Flush()

	if r.Tree.Groups+r.Tree.Repositories > 0 || len(r.Tree.Sampled) > 0 {
		fmt.Fprintf(b, "\nThe project has %s and %s; sampled: %s.\n", state.Count(r.Tree.Groups, "group"),
			state.Count(r.Tree.Repositories, "repository"), cmp.Or(strings.Join(r.Tree.Sampled, ", "), "none"))
	}
	for _, wn := range r.Tree.Warnings {
		fmt.Fprintf(b, "warning: %s\n", wn)
	}

	if len(r.Permissions) > 0 {
		section(b, "Reads a plan makes")
		t = table(b)
		for _, p := range r.Permissions {
			detail := p.Target
			switch {
			case p.Error != nil:
				detail += errText(p.Error)
			case p.Reason != "":
				detail = p.Reason
			}
			fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", word(p.Status), p.Family, strings.Join(p.Operations, ", "), detail)
		}
		t.Flush()
	}
	if len(r.Writes) > 0 {
		section(b, "Writes apply may make (inferred from the caller's roles; only --write-probe tries one)")
		t = table(b)
		for _, wr := range r.Writes {
			fmt.Fprintf(t, "  %s\t%s\t%s\n", word(wr.Status), wr.Family, wr.Reason)
		}
		t.Flush()
	}

	q := r.Quota
	section(b, "Quota")
	fmt.Fprintf(b, "  doctor made %s (%d retries, %d throttled with 429)\n", state.Count(q.Calls, "call"), q.Retries, q.Throttled)
	if e := q.FullPlan; e.Groups+e.Repositories > 0 {
		fmt.Fprintf(b, "  a full plan walks %s and reads %s: about %s at %d calls a minute per operation\n",
			state.Count(e.Groups, "group"), state.Count(e.Repositories, "repository"), seconds(e.Seconds), q.RateLimit)
		fmt.Fprintf(b, "  (walk %s, reads %s: each list operation reads every repository once, all operations at once, each\n", seconds(e.WalkSeconds), seconds(e.ReadSeconds))
		fmt.Fprintln(b, "  within its own budget; latency and lists longer than one page add to it)")
	}

	if len(r.Behaviour) > 0 {
		section(b, "API behaviour against docs/api-assumptions.md")
		t = table(b)
		for _, ch := range r.Behaviour {
			fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", ch.ID, ch.Name, word(ch.Status), ch.Summary)
		}
		t.Flush()
	}

	section(b, "Write probe")
	if p := r.WriteProbe; p == nil && r.Outcome.Status == OutcomeRefused {
		fmt.Fprintln(b, "  not run")
	} else if p == nil {
		fmt.Fprintln(b, "  not run: --write-probe REPOSITORY tries a reversible write in a scratch repository (BatchUpdate, A13; attaching again, A25)")
	} else {
		fmt.Fprintf(b, "  %s in %s, rule %s: %s\n", p.Status, p.Repository, p.Path, p.Summary)
		t = table(b)
		for _, s := range p.Steps {
			detail := s.Detail
			if s.Error != nil {
				detail += errText(s.Error)
			}
			fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", word(s.Status), s.Step, s.Operation, detail)
		}
		t.Flush()
	}

	o := r.Outcome
	fmt.Fprintln(b)
	switch o.Status {
	case OutcomeOK:
		fmt.Fprintln(b, "Result: ok — everything reposync needs is allowed, and the API behaves as assumed or in ways reposync handles.")
	case OutcomeRefused:
		fmt.Fprintln(b, "Result: the credentials were refused; see docs/troubleshooting.md.")
	case OutcomeInterrupted:
		fmt.Fprintln(b, "Result: interrupted; the checks above are incomplete.")
	case OutcomeWarnings:
		fmt.Fprintf(b, "Result: %s, inferred from the caller's roles, not observed: apply may be denied these writes (exit 5; --write-probe REPOSITORY tries one):\n",
			state.Count(len(o.Warnings), "warning"))
	default:
		fmt.Fprintf(b, "Result: %s, observed:\n", state.Count(len(o.Problems), "problem"))
	}
	if o.Status != OutcomeRefused {
		for _, p := range o.Problems {
			fmt.Fprintf(b, "  - %s\n", p)
		}
		if len(o.Warnings) > 0 && o.Status != OutcomeWarnings {
			fmt.Fprintf(b, "and %s, inferred from the caller's roles, not observed:\n", state.Count(len(o.Warnings), "warning"))
		}
		for _, w := range o.Warnings {
			fmt.Fprintf(b, "  - %s\n", w)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func section(b *strings.Builder, title string) { fmt.Fprintf(b, "\n%s\n", title) }

func table(b *strings.Builder) *tabwriter.Writer { return tabwriter.NewWriter(b, 0, 0, 2, ' ', 0) }

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func seconds(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f min", s/60)
}

func clockText(status string) string {
	switch status {
	case ClockOK:
		return "ok"
	case ClockWarning:
		return "warning: AK/SK signatures are refused from 15 minutes off; synchronise the clock (NTP)"
	case ClockRefused:
		return "too far: the gateway refuses AK/SK signatures 15 minutes off; synchronise the clock (NTP)"
	}
	return "ok (only AK/SK signatures depend on it)"
}
