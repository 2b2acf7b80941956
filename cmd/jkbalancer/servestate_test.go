package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/server"
)

// TestStateFilePrecedence: --state-file, then state_file:, then
// $STATE_DIRECTORY (its first entry), then none.
func TestStateFilePrecedence(t *testing.T) {
	dir := t.TempDir()
	withKey := filepath.Join(dir, "with.yaml")
	writeFile(t, withKey, "listen: [\":8080\"]\nstate_file: /yaml/status.json\n")
	without := filepath.Join(dir, "without.yaml")
	writeFile(t, without, "listen: [\":8080\"]\n")
	for _, c := range []struct {
		name, yaml, env string
		args            []string
		want            string
	}{
		{"flag over all", withKey, "/sd", []string{"--state-file", "/flag.json"}, "/flag.json"},
		{"yaml over env", withKey, "/sd", nil, "/yaml/status.json"},
		{"env", without, "/var/lib/jkbalancer", nil, "/var/lib/jkbalancer/status.json"},
		{"env, first of several", without, "/one:/two", nil, "/one/status.json"},
		{"none", without, "", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("STATE_DIRECTORY", c.env)
			var sf serveFlags
			cmd := &cobra.Command{}
			sf.register(cmd)
			if err := cmd.Flags().Parse(c.args); err != nil {
				t.Fatal(err)
			}
			src := config.Sources{ConfigFile: c.yaml}
			sf.apply(cmd, &src)
			cfg, problems := config.Load(src)
			if cfg == nil {
				t.Fatal(problems)
			}
			if cfg.Server.StateFile != c.want {
				t.Errorf("state file %q, want %q", cfg.Server.StateFile, c.want)
			}
		})
	}
}

// TestConfigReloadFlag: --config-reload replaces config_reload, even with
// 0; without the flag the yaml's seconds count; negative is an error.
func TestConfigReloadFlag(t *testing.T) {
	dir := t.TempDir()
	y := filepath.Join(dir, "j.yaml")
	writeFile(t, y, "listen: [\":8080\"]\nconfig_reload: 7\n")
	for _, c := range []struct {
		args []string
		want time.Duration
	}{{nil, 7 * time.Second}, {[]string{"--config-reload", "500ms"}, 500 * time.Millisecond}, {[]string{"--config-reload", "0"}, 0}} {
		var sf serveFlags
		cmd := &cobra.Command{}
		sf.register(cmd)
		if err := cmd.Flags().Parse(c.args); err != nil {
			t.Fatal(err)
		}
		src := config.Sources{ConfigFile: y}
		sf.apply(cmd, &src)
		cfg, problems := config.Load(src)
		if cfg == nil {
			t.Fatal(problems)
		}
		if cfg.Server.ConfigReload != c.want {
			t.Errorf("%v: config_reload %v, want %v", c.args, cfg.Server.ConfigReload, c.want)
		}
	}
	writeFile(t, y, "listen: [\":8080\"]\nconfig_reload: -1\n")
	if cfg, problems := config.Load(config.Sources{ConfigFile: y}); cfg != nil || !strings.Contains(fmt.Sprint(problems), "config_reload") {
		t.Errorf("negative config_reload accepted: %v", problems)
	}
}

// TestWarnEphemeralEdits: one warning through the configured log when
// nothing keeps the edits, none when a state file does.
func TestWarnEphemeralEdits(t *testing.T) {
	for _, stateFile := range []string{"", filepath.Join(t.TempDir(), "status.json")} {
		logFile := filepath.Join(t.TempDir(), "error.log")
		cfg, problems := config.Load(config.Sources{Listen: []string{"127.0.0.1:0"}, Admin: "off"})
		if cfg == nil {
			t.Fatal(problems)
		}
		cfg.Server.Log.File, cfg.Server.Log.Format, cfg.Server.StateFile = logFile, "json", stateFile
		srv, err := server.New(cfg, server.Options{})
		if err != nil {
			t.Fatal(err)
		}
		warnEphemeralEdits(srv, cfg)
		srv.Close()
		b, _ := os.ReadFile(logFile)
		n := strings.Count(string(b), `"level":"WARN","msg":"status worker edits`)
		if want := map[bool]int{true: 1, false: 0}[stateFile == ""]; n != want {
			t.Errorf("state file %q: %d warnings, want %d:\n%s", stateFile, n, want, b)
		}
	}
}
