package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func newDemoCommand() *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run a self-contained demo: three in-process AJP members behind the balancer",
		Long: "demo needs nothing installed. It starts three in-process AJP members that hand out\n" +
			"JSESSIONID=<id>.<jvmRoute>: node1 (lbfactor 1), node2 (lbfactor 5) and a hot standby\n" +
			"(activation=D, the redirect target of both), puts jkbalancer in front on 127.0.0.1:8080,\n" +
			"and prints curl commands that show the 1:5 split and sticky sessions.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, o)
		},
	}
	c.Flags().StringVar(&o.Listen, "listen", "127.0.0.1:8080", "address the demo balancer listens on")
	c.Flags().BoolVar(&o.Once, "once", false, "run the built-in walkthrough and exit instead of serving")
	return c
}
