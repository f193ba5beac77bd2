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

// clockText is how the text report words a clock's status.
var clockText = map[string]string{
	ClockOK: "ok", ClockNotRelevant: "ok (only AK/SK signatures depend on it)",
	ClockWarning: "warning: AK/SK signatures are refused from 15 minutes off; synchronise the clock (NTP)",
	ClockRefused: "too far: the gateway refuses AK/SK signatures 15 minutes off; synchronise the clock (NTP)",
}

func word(status string) string { return cmp.Or(statusText[status], status) }

// WriteText writes the report for a terminal, section by section.
func WriteText(w io.Writer, r *Report) error {
	b := &strings.Builder{}
	writeHeading(b, r.Project, r.Spec)
	writeConnection(b, r.Connection)
	writeIdentity(b, r.Identity)
	writeTree(b, r.Tree)
	writeRows(b, "Reads a plan makes", r.Permissions, readRow)
	writeRows(b, "Writes apply may make (inferred from the caller's roles; only --write-probe tries one)", r.Writes,
		func(wr Write) string { return word(wr.Status) + "\t" + wr.Family + "\t" + wr.Reason })
	writeQuota(b, r.Quota)
	writeRows(b, "API behaviour against docs/api-assumptions.md", r.Behaviour,
		func(ch Check) string { return ch.ID + "\t" + ch.Name + "\t" + word(ch.Status) + "\t" + ch.Summary })
	writeProbe(b, r.WriteProbe, r.Outcome.Status == OutcomeRefused)
	writeOutcome(b, r.Outcome)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeading(b *strings.Builder, project string, s *SpecSummary) {
	what := "no spec: checking everything a spec could need"
	if s != nil {
		what = fmt.Sprintf("spec %s: %s, %s", strings.Join(s.Paths, " "), state.Count(s.ManagedRepositories, "managed repository"), state.Count(s.Groups, "group"))
		if s.GitAuths {
			what += ", Git authorizations"
		}
	}
	fmt.Fprintf(b, "reposync doctor: project %s (%s)\n", project, what)
}

func writeConnection(b *strings.Builder, c Connection) {
	section(b, "Connection")
	t := table(b)
	cred := cmp.Or(map[string]string{"aksk": "AK/SK", "token": "token (X-Auth-Token)", "iam-password": "IAM password login"}[c.Credentials], c.Credentials)
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
		fmt.Fprintf(t, "  clock of %s\t%+ds against this machine: %s\n", cl.Service, cl.SkewSeconds, clockText[cl.Status])
	}
	t.Flush()
}

func writeIdentity(b *strings.Builder, id Identity) {
	section(b, "Identity")
	t := table(b)
	switch id.Status {
	case IdentityKnown:
		fmt.Fprintf(t, "  user\t%s (IAM user %s, from %s)\n", cmp.Or(id.UserName, "name unknown"), id.UserID, id.Source)
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
}

func writeTree(b *strings.Builder, tree Tree) {
	if tree.Groups+tree.Repositories > 0 || len(tree.Sampled) > 0 {
		fmt.Fprintf(b, "\nThe project has %s and %s; sampled: %s.\n", state.Count(tree.Groups, "group"),
			state.Count(tree.Repositories, "repository"), cmp.Or(strings.Join(tree.Sampled, ", "), "none"))
	}
	for _, wn := range tree.Warnings {
		fmt.Fprintf(b, "warning: %s\n", wn)
	}
}

// writeRows writes a section of one table row per item, none when there
// are no items; row gives a row's tab-separated cells.
func writeRows[T any](b *strings.Builder, title string, items []T, row func(T) string) {
	if len(items) == 0 {
		return
	}
	section(b, title)
	t := table(b)
	for _, it := range items {
		fmt.Fprintf(t, "  %s\n", row(it))
	}
	t.Flush()
}

func readRow(p Permission) string {
	detail := p.Target
	switch {
	case p.Error != nil:
		detail += errText(p.Error)
	case p.Reason != "":
		detail = p.Reason
	}
	return word(p.Status) + "\t" + p.Family + "\t" + strings.Join(p.Operations, ", ") + "\t" + detail
}

func writeQuota(b *strings.Builder, q Quota) {
	section(b, "Quota")
	fmt.Fprintf(b, "  doctor made %s (%d retries, %d throttled with 429)\n", state.Count(q.Calls, "call"), q.Retries, q.Throttled)
	if e := q.FullPlan; e.Groups+e.Repositories > 0 {
		fmt.Fprintf(b, "  a full plan walks %s and reads %s: about %s at %d calls a minute per operation\n",
			state.Count(e.Groups, "group"), state.Count(e.Repositories, "repository"), seconds(e.Seconds), q.RateLimit)
		fmt.Fprintf(b, "  (walk %s, reads %s: each list operation reads every repository once, all operations at once, each\n", seconds(e.WalkSeconds), seconds(e.ReadSeconds))
		fmt.Fprintln(b, "  within its own budget; latency and lists longer than one page add to it)")
	}
}

// writeProbe says why the probe did not run (refused credentials stop the
// run before it could), or what it did step by step.
func writeProbe(b *strings.Builder, p *Probe, refused bool) {
	section(b, "Write probe")
	switch {
	case p == nil && refused:
		fmt.Fprintln(b, "  not run")
	case p == nil:
		fmt.Fprintln(b, "  not run: --write-probe REPOSITORY tries a reversible write in a scratch repository (BatchUpdate, A13; attaching again, A25)")
	default:
		fmt.Fprintf(b, "  %s in %s, rule %s: %s\n", p.Status, p.Repository, p.Path, p.Summary)
		t := table(b)
		for _, s := range p.Steps {
			fmt.Fprintf(t, "  %s\t%s\t%s\t%s\n", word(s.Status), s.Step, s.Operation, s.Detail+errText(s.Error))
		}
		t.Flush()
	}
}

func writeOutcome(b *strings.Builder, o Outcome) {
	fmt.Fprintln(b)
	switch o.Status {
	case OutcomeOK:
		fmt.Fprintln(b, "Result: ok — everything reposync needs is allowed, and the API behaves as assumed or in ways reposync handles.")
	case OutcomeRefused:
		fmt.Fprintln(b, "Result: the credentials were refused; see docs/troubleshooting.md.")
		return
	case OutcomeInterrupted:
		fmt.Fprintln(b, "Result: interrupted; the checks above are incomplete.")
	case OutcomeWarnings:
		fmt.Fprintf(b, "Result: %s, inferred from the caller's roles, not observed: apply may be denied these writes (exit 5; --write-probe REPOSITORY tries one):\n",
			state.Count(len(o.Warnings), "warning"))
	default:
		fmt.Fprintf(b, "Result: %s, observed:\n", state.Count(len(o.Problems), "problem"))
	}
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
