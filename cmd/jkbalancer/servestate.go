package main

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

// serveFlags are serve's own flags, on top of sourceFlags.
type serveFlags struct {
	stateFile    string
	configReload time.Duration
}

func (f *serveFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.stateFile, "state-file", "",
		"keep status worker edits in this file across restarts (replaces the config file's state_file; default $STATE_DIRECTORY/status.json)")
	fl.DurationVar(&f.configReload, "config-reload", 0,
		"reload when the configuration files' content changes, checked this often, e.g. 10s (replaces the config file's config_reload; 0 = off)")
}

// apply puts the flags given, and $STATE_DIRECTORY, into src. Precedence
// of the state file: --state-file, state_file:, $STATE_DIRECTORY
// (docs/status-worker.md#edits-that-survive-a-restart).
func (f *serveFlags) apply(c *cobra.Command, src *config.Sources) {
	src.StateFile = f.stateFile
	src.DefaultStateFile = stateDirectoryFile(os.Getenv("STATE_DIRECTORY"))
	if c.Flags().Changed("config-reload") {
		d := f.configReload
		src.ConfigReload = &d
	}
}

// stateDirectoryFile is status.json in systemd's StateDirectory= (the
// first one when it names several, colon-separated); "" when unset.
func stateDirectoryFile(dirs string) string {
	dir, _, _ := strings.Cut(dirs, ":")
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "status.json")
}

// warnEphemeralEdits says once, at start, that nothing keeps the status
// worker's edits.
func warnEphemeralEdits(srv *server.Server, cfg *config.Config) {
	if cfg.Server.StateFile != "" {
		return
	}
	srv.ErrorLog().Warn("status worker edits (a drain, an lbfactor) will not survive a restart: " +
		"no --state-file, state_file or $STATE_DIRECTORY")
}
