package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

func newServeCommand() *cobra.Command {
	var f sourceFlags
	var sf serveFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the balancer",
		Long: "serve loads the configuration and balances requests to the workers.\n" +
			"With no files at all it runs mod_jk's defaults: worker ajp13 at localhost:8009, mounted at /*.\n" +
			"SIGTERM or SIGINT drains: stop accepting, finish in-flight requests, exit.\n" +
			"SIGHUP reloads every file (jkbalancer.yaml, workers.properties, uriworkermap.properties,\n" +
			"certificates) without dropping requests or idle client connections: members whose\n" +
			"configuration did not change keep their connections and their state, kept listeners\n" +
			"keep their sockets, removed ones drain. A configuration with errors is refused: the\n" +
			"errors are logged (file:line) and the running configuration keeps serving.\n" +
			"The mount file is also re-read when it changes (mount_file_reload, JkMountFileReload);\n" +
			"with config_reload (--config-reload) every file is compared by content and a change\n" +
			"reloads as SIGHUP does. Under systemd socket activation (LISTEN_FDS,\n" +
			"deploy/systemd/jkbalancer.socket) a listener serves the inherited socket of its address,\n" +
			"so a restart refuses no connection.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			src := f.sources()
			sf.apply(cmd, &src)
			return runServe(cmd, src)
		},
	}
	f.register(c)
	sf.register(c)
	return c
}

func runServe(cmd *cobra.Command, src config.Sources) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, cmd, src)
}

// serveUntil serves until ctx ends (SIGTERM or SIGINT in runServe), and
// reloads on SIGHUP.
func serveUntil(ctx context.Context, cmd *cobra.Command, src config.Sources) error {
	cfg, problems := config.Load(src)
	if cfg == nil { // no configured log to write to: stderr, as check prints them
		printProblems(cmd.ErrOrStderr(), problems)
		return exitError{code: 1}
	}
	inherited, err := inheritedListeners()
	if err != nil {
		printProblems(cmd.ErrOrStderr(), problems)
		return err
	}
	srv, err := server.New(cfg, server.Options{Inherited: inherited})
	if err != nil {
		for _, ln := range inherited {
			ln.Close()
		}
		printProblems(cmd.ErrOrStderr(), problems)
		return err
	}
	srv.LogProblems(problems) // the warnings, through log.file and log.format (docs/reload.md#sigterm)
	if err := srv.Listen(); err != nil {
		srv.Close()
		return err
	}
	warnEphemeralEdits(srv, cfg)
	defer startConfigWatch(srv, src, cfg)()
	defer onHangup(func() error { return reloadFrom(srv, src) })()
	return srv.Serve(ctx)
}

func printProblems(w io.Writer, problems config.Problems) {
	for _, p := range problems {
		fmt.Fprintln(w, p.String())
	}
}

// reloadFrom loads the sources serve started from again and hands the
// result to the server, which refuses a configuration with errors (and
// logs them) and keeps serving the running one.
func reloadFrom(srv *server.Server, src config.Sources) error {
	return srv.ReloadFrom(func() (*config.Config, config.Problems) { return config.Load(src) })
}

// onHangup calls reload on every SIGHUP until the returned stop is
// called. The server logs the outcome of each reload.
func onHangup(reload func() error) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-hup:
				_ = reload() // logged by the server; a refused reload keeps the running configuration
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
