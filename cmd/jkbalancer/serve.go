package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

func newServeCommand() *cobra.Command {
	var f sourceFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the balancer",
		Long: "serve loads the configuration and balances requests to the workers.\n" +
			"With no files at all it runs mod_jk's defaults: worker ajp13 at localhost:8009, mounted at /*.\n" +
			"SIGTERM or SIGINT drains: stop accepting, finish in-flight requests, exit.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, f.sources())
		},
	}
	f.register(c)
	return c
}

func runServe(cmd *cobra.Command, src config.Sources) error {
	cfg, problems := config.Load(src)
	for _, p := range problems {
		fmt.Fprintln(cmd.ErrOrStderr(), p.String())
	}
	if cfg == nil {
		return exitError{code: 1}
	}
	srv, err := server.New(cfg, server.Options{})
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx)
}
