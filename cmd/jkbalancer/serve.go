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
			"SIGTERM or SIGINT drains: stop accepting, finish in-flight requests, exit.\n" +
			"SIGHUP reloads the TLS certificates: new handshakes use the new files; a file that\n" +
			"does not load is logged and the current certificate keeps serving.",
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
	defer onHangup(srv.ReloadCertificates)()
	return srv.Serve(ctx)
}

// onHangup calls reload on every SIGHUP until the returned stop is
// called. Today SIGHUP reloads the listeners' certificates (the server
// logs the outcome); issue 5 extends it to the whole configuration.
func onHangup(reload func() error) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-hup:
				_ = reload() // logged by the server; the old certificates keep serving
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}
