package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
)

func newDemoCommand() *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run a self-contained demo: three in-process AJP members behind the balancer",
		Long: "demo needs nothing installed. It starts three in-process AJP members that hand out\n" +
			"JSESSIONID=<id>.<jvmRoute>: node1 (lbfactor 1), node2 (lbfactor 5) and a hot standby\n" +
			"(activation=D, the redirect target of both), puts jkbalancer in front on 127.0.0.1:8080\n" +
			"(--listen) with its admin listener on --admin, and prints curl commands that show the\n" +
			"1:5 split and sticky sessions, in that order. It ends on SIGINT or SIGTERM, and when its\n" +
			"parent process ends (`go run` killed).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			go watchParent(ctx, cancel, os.Getppid, 200*time.Millisecond)
			return runDemo(ctx, o)
		},
	}
	c.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:8080", "address the demo balancer listens on")
	c.Flags().StringVar(&o.Admin, "admin", config.DefaultAdminListen, "address of the demo's admin listener (/metrics, /readyz); \"off\": none")
	c.Flags().BoolVar(&o.Once, "once", false, "run the built-in walkthrough and exit instead of serving")
	return c
}

// watchParent ends the demo when its parent process ends: `go run` killed
// with SIGTERM (or dying) does not pass the signal on, and the demo would
// keep its ports. An orphan is adopted by another process, so its parent
// id changes; getppid is polled every interval until ctx ends.
func watchParent(ctx context.Context, cancel func(), getppid func() int, interval time.Duration) {
	parent := getppid()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if getppid() != parent {
				cancel()
				return
			}
		}
	}
}
