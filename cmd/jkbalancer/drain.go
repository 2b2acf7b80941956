package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/statusclient"
)

// drainFlags are the flags drain and activate share (docs/drain.md).
type drainFlags struct {
	status     []string
	user       string
	oneAddress bool
	reqTimeout time.Duration
	idle       time.Duration
	timeout    time.Duration
	poll       time.Duration
}

func (f *drainFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringArrayVar(&f.status, "status", nil, "a status worker URL, e.g. http://lb1:8080/jk-status (repeatable; a name resolving to several addresses means each of them)")
	fl.StringVar(&f.user, "user", "", "basic-auth login USER[:PASSWORD] for URLs without one (no password: $"+statusclient.PasswordFromEnv+")")
	fl.BoolVar(&f.oneAddress, "one-address", false, "send to each URL as given instead of to every address its name resolves to")
	fl.DurationVar(&f.reqTimeout, "request-timeout", statusclient.DefaultTimeout, "bound on each request to a status worker")
}

func newDrainCommand() *cobra.Command {
	f := &drainFlags{}
	c := &cobra.Command{
		Use:   "drain --status URL [--status URL ...] LB/MEMBER",
		Short: "Disable a member on every balancer instance, and wait until it is idle",
		Long: "drain sets the member's activation to Disabled through each status worker (jkbalancer's or\n" +
			"httpd + mod_jk's jkstatus): sessions already on it stay, new ones go elsewhere. With --idle it\n" +
			"then waits until, on every instance, the member has had no request for that long.\n" +
			"Exit status: 0 when every instance was drained (and, with --idle, is idle); 1 when an instance\n" +
			"could not be drained or is still busy at --timeout; 2 for usage errors.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSetActivation(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args[0], statusclient.Disabled)
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.DurationVar(&f.idle, "idle", 0, "then wait until the member has had no request for this long on every instance (0: do not wait)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Minute, "with --idle, give up after this long and name the instances still busy")
	fl.DurationVar(&f.poll, "poll", time.Second, "with --idle, time between readings of the status workers")
	return c
}

func newActivateCommand() *cobra.Command {
	f := &drainFlags{}
	c := &cobra.Command{
		Use:   "activate --status URL [--status URL ...] LB/MEMBER",
		Short: "Set a member Active again on every balancer instance",
		Long: "activate sets the member's activation to Active through each status worker.\n" +
			"Exit status: 0 when every instance took it, 1 when one did not, 2 for usage errors.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSetActivation(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args[0], statusclient.Active)
		},
	}
	f.register(c)
	return c
}

// runSetActivation sets the activation on every instance, then, for a
// drain with --idle, waits for the member to go idle everywhere.
func runSetActivation(ctx context.Context, stdout, stderr io.Writer, f *drainFlags, arg string, a statusclient.Activation) error {
	lb, member, ok := strings.Cut(arg, "/")
	if !ok || lb == "" || member == "" || strings.Contains(member, "/") {
		return fmt.Errorf("want LB/MEMBER (e.g. lb/tc1), got %q", arg)
	}
	if len(f.status) == 0 {
		return fmt.Errorf("no --status URL: name the status worker of every balancer instance")
	}
	if f.idle < 0 || f.reqTimeout <= 0 || (f.idle > 0 && (f.timeout <= 0 || f.poll <= 0)) {
		return fmt.Errorf("--idle must not be negative, --timeout, --poll and --request-timeout must be positive")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	c := &statusclient.Client{Timeout: f.reqTimeout}
	if f.user != "" {
		c.User, c.Password = statusclient.SplitLogin(f.user)
	}
	targets, failed := expandAll(ctx, c, f, stderr)
	failed += setAll(ctx, c, targets, lb, member, a, stdout, stderr)
	if failed > 0 {
		fmt.Fprintf(stderr, "%d instance(s) not changed: %s/%s is NOT %s everywhere; fix them and run it again\n",
			failed, lb, member, a.Shown())
		return exitError{code: 1}
	}
	if a != statusclient.Disabled || f.idle == 0 {
		return nil
	}
	return waitIdle(ctx, c, targets, lb, member, f, stdout, stderr)
}

// expandAll turns the --status URLs into instances; a URL that does not
// resolve counts as one failed instance.
func expandAll(ctx context.Context, c *statusclient.Client, f *drainFlags, stderr io.Writer) ([]statusclient.Target, int) {
	var targets []statusclient.Target
	failed := 0
	for _, raw := range f.status {
		ts, err := c.Expand(ctx, raw, !f.oneAddress)
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			failed++
			continue
		}
		targets = append(targets, ts...)
	}
	return targets, failed
}

// setAll sends the change to every instance at once and reports each.
func setAll(ctx context.Context, c *statusclient.Client, targets []statusclient.Target, lb, member string,
	a statusclient.Activation, stdout, stderr io.Writer) int {
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.SetActivation(ctx, t, lb, member, a)
		}()
	}
	wg.Wait()
	failed := 0
	for i, err := range errs {
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s/%s %s on %s\n", lb, member, a.Shown(), targets[i])
	}
	return failed
}

func waitIdle(ctx context.Context, c *statusclient.Client, targets []statusclient.Target, lb, member string,
	f *drainFlags, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	fmt.Fprintf(stderr, "waiting until %s/%s has had no request for %s on %d instance(s) (at most %s)\n",
		lb, member, f.idle, len(targets), f.timeout)
	busy := c.WaitIdle(ctx, targets, lb, member, statusclient.IdleOptions{Idle: f.idle, Poll: f.poll, Progress: stderr})
	if len(busy) == 0 {
		fmt.Fprintf(stdout, "%s/%s idle for %s on all %d instance(s)\n", lb, member, f.idle, len(targets))
		return nil
	}
	fmt.Fprintf(stderr, "timeout: %s/%s is still busy (or unreadable) on %d of %d instance(s):\n", lb, member, len(busy), len(targets))
	for _, w := range busy {
		fmt.Fprintln(stderr, "  "+w.Describe())
	}
	return exitError{code: 1}
}
