package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/probe"
	"github.com/jkbalancer/jkbalancer/server"
)

func newCheckCommand() *cobra.Command {
	var f sourceFlags
	var o checkOptions
	c := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and warn about risky settings",
		Long: "check loads the same files serve would, reports every problem at once with\n" +
			"file:line, worker and property, and warns about setups that hurt in production.\n" +
			"With --probe it also sends one GET to every member of every lb and compares the\n" +
			"session cookie and route each one hands out with the configuration (the\n" +
			"session-route doctor, before go-live). With --replication it then creates a session\n" +
			"on each member and presents it to every other member of the lb, to see whether\n" +
			"sessions survive a failover (kept, lost or unknown per pair).\n" +
			"Exit status: 1 when there are errors (or, with --probe, a member is unreachable\n" +
			"or would break sticky sessions; with --replication, a session is lost), 2 when\n" +
			"--replication could not check an lb (no member created a session), 0 otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCheck(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f.sources(), o)
		},
	}
	f.register(c)
	c.Flags().BoolVar(&o.json, "json", false, "print the compiled configuration (every default and inheritance applied) as JSON; with --probe, the probe results")
	c.Flags().BoolVar(&o.probe, "probe", false, "send one request to each lb member and check its session cookie and route (jvmRoute) against the configuration")
	c.Flags().StringVar(&o.probePath, "probe-path", "/", "path (and query) the probe requests; use a page that creates a session")
	c.Flags().DurationVar(&o.probeTimeout, "probe-timeout", 10*time.Second, "how long each member may take to answer the probe")
	c.Flags().BoolVar(&o.replication, "replication", false, "with --probe: create a session on each lb member and present it to every other member, to check that session replication works")
	c.Flags().DurationVar(&o.replicationWait, "replication-wait", probe.DefaultReplicationWait, "with --replication: how long to wait between creating the sessions and presenting them (Tomcat replicates asynchronously)")
	return c
}

// checkOptions are check's flags.
type checkOptions struct {
	json, probe, replication      bool
	probePath                     string
	probeTimeout, replicationWait time.Duration
}

func runCheck(ctx context.Context, stdout, stderr io.Writer, src config.Sources, o checkOptions) error {
	cfg, problems := loadForCheck(src)
	report := stdout
	if o.json {
		report = stderr
	}
	for _, p := range problems {
		fmt.Fprintln(report, p.String())
	}
	if len(problems.Errors()) > 0 || cfg == nil {
		fmt.Fprintf(report, "%d error(s), %d warning(s)\n", len(problems.Errors()), len(problems.Warnings()))
		return exitError{code: 1}
	}
	if o.replication && !o.probe {
		return fmt.Errorf("--replication needs --probe")
	}
	if o.probe {
		return runProbe(ctx, stdout, report, cfg, o)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(cfg)
	}
	rules := 0
	if cfg.Mounts != nil {
		rules = len(cfg.Mounts.Rules)
	}
	fmt.Fprintf(report, "configuration OK: %d worker(s) listed, %d mount rule(s), %d warning(s)\n",
		len(cfg.List), rules, len(problems.Warnings()))
	return nil
}

// loadForCheck loads src and adds the risk warnings, also when there are
// errors: check lists every problem at once, in file order (errors and
// warnings mixed, by file and line), so that fixing the errors brings no
// surprise. cfg is nil when there are errors.
func loadForCheck(src config.Sources) (*config.Config, config.Problems) {
	cfg, problems := config.LoadPartial(src)
	if cfg == nil {
		return nil, problems
	}
	seen := make(map[config.Problem]bool, len(problems))
	for _, p := range problems {
		seen[p] = true
	}
	for _, p := range server.RiskWarnings(cfg) {
		if !seen[p] { // the mount checks run in Load and in the risks
			seen[p] = true
			problems = append(problems, p)
		}
	}
	config.SortProblems(problems)
	if len(problems.Errors()) > 0 {
		return nil, problems
	}
	return cfg, problems
}

// runProbe is check --probe: the table (or JSON) of what every lb member
// answered; exit status 1 when one is unreachable or mismatched.
func runProbe(ctx context.Context, stdout, report io.Writer, cfg *config.Config, o checkOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	po := probe.Options{Path: o.probePath, Timeout: o.probeTimeout}
	rs := server.Probe(ctx, cfg, po)
	if len(rs) == 0 {
		fmt.Fprintln(report, "no lb member to probe")
	}
	var failed int
	if !o.json {
		fmt.Fprintf(stdout, "probing %d member(s) with GET %s\n\n", len(rs), o.probePath)
		failed = probe.WriteTable(stdout, rs)
	}
	var repl []probe.LBReplication
	var sum probe.ReplicationSummary
	if o.replication {
		fmt.Fprintf(report, "\nreplication: a session per pair of members, created with GET %s and presented after %s\n", o.probePath, o.replicationWait)
		repl = server.ProbeReplication(ctx, cfg, po, o.replicationWait)
		if repl == nil {
			repl = []probe.LBReplication{}
		}
		if !o.json {
			sum = probe.WriteMatrix(stdout, repl, o.probePath)
		}
	}
	if o.json {
		n, err := probe.WriteJSON(stdout, rs, repl)
		if err != nil {
			return err
		}
		failed, sum = n, probe.Summarize(repl)
	}
	for _, lb := range sum.Unchecked {
		fmt.Fprintf(report, "replication of lb %s could not be checked: no member set a session at %s\n", lb, o.probePath)
	}
	switch {
	case failed > 0 || sum.Lost > 0:
		return exitError{code: 1}
	case len(sum.Unchecked) > 0:
		return exitError{code: 2}
	}
	return nil
}
