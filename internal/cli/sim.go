package cli

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/reposync/reposync/internal/sim"
)

// SimOptions are the inputs of `reposync sim`: the fixture, the address to
// listen on and the simulator's own options.
type SimOptions struct {
	Fixture string
	Addr    string
	sim.Options
}

// NewCmdSim runs the API simulator.
func NewCmdSim(f *Factory) *cobra.Command {
	opts := &SimOptions{}
	cmd := &cobra.Command{
		Use:   "sim --fixture FILE",
		Short: "Run the CodeArts Repo API simulator",
		Long: `Serve every endpoint reposync calls (CodeArts Repo, ServiceStage git
authorizations, IAM tokens) from a YAML fixture, with AK/SK signature and token
checks, per-operation rate limits and injected faults.

The first line on stdout is "listening on http://HOST:PORT"; logs go to stderr.
With --state, the whole state is written to FILE after every change, before it
is answered, and an existing state file is loaded instead of the fixture. SIGINT/SIGTERM
shut the server down after in-flight requests finish.

GET /_sim/stats and GET /_sim/state (no authentication) report calls per
operation and the live state.`,
		Example: `  reposync sim --fixture examples/demo/fixture.yaml
  reposync sim --fixture f.yaml --state /tmp/sim.yaml --rate-limit 0 --fail-rate 0.05`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSim(cmd, f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Fixture, "fixture", "", "fixture YAML file (required)")
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:0", "address to listen on")
	fl.StringVar(&opts.StatePath, "state", "", "persist every change to this file and reload it on start")
	fl.DurationVar(&opts.Latency, "latency", 0, "delay added to every request")
	fl.IntVar(&opts.RateLimit, "rate-limit", 600, "calls per minute per API operation (0 disables the limit)")
	fl.Float64Var(&opts.FailRate, "fail-rate", 0, "fraction of requests answered 500/503 without acting")
	fl.Float64Var(&opts.DropRate, "drop-rate", 0, "fraction of writes performed and then left unanswered")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of the fault injection")
	_ = cmd.MarkFlagRequired("fixture")
	return cmd
}

func runSim(cmd *cobra.Command, f *Factory, opts *SimOptions) error {
	if opts.FailRate < 0 || opts.FailRate > 1 {
		return fmt.Errorf("--fail-rate %v must be between 0 and 1", opts.FailRate)
	}
	if opts.DropRate < 0 || opts.DropRate > 1 {
		return fmt.Errorf("--drop-rate %v must be between 0 and 1", opts.DropRate)
	}
	if opts.RateLimit < 0 {
		return fmt.Errorf("--rate-limit %d must not be negative", opts.RateLimit)
	}
	if opts.Latency < 0 {
		return fmt.Errorf("--latency %v must not be negative", opts.Latency)
	}
	from := opts.Fixture
	if opts.StatePath != "" {
		if _, err := os.Stat(opts.StatePath); err == nil {
			from = opts.StatePath // the state file is in fixture format
			fmt.Fprintf(f.IO.ErrOut, "sim: loading saved state from %s instead of the fixture\n", opts.StatePath)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sim: state file: %w", err)
		}
	}
	fx, err := sim.LoadFixture(from)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	srv, err := sim.New(fx, opts.Options)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("sim: listen on %s: %w", opts.Addr, err)
	}
	hs := sim.NewHTTPServer(ln.Addr().String(), srv, opts.Options)
	fmt.Fprintf(f.IO.Out, "listening on http://%s\n", ln.Addr())
	err = sim.Serve(cmd.Context(), hs, func() error { return hs.Serve(ln) })
	fmt.Fprintln(f.IO.ErrOut, "sim: stopped")
	return err
}
