package admin

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestAdminBind: a configured admin address that cannot be bound stops
// Listen (and so the server's Listen); the built-in default only warns,
// and the balancer runs without it; an empty address means no admin
// listener.
func TestAdminBind(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	busy := taken.Addr().String()
	cases := []struct {
		name, yaml string
		implicit   bool // the admin address is the built-in default
		wantErr    string
		wantLog    string
	}{
		{name: "configured", yaml: "admin: {listen: \"" + busy + "\"}", wantErr: "admin listen " + busy},
		{name: "default", implicit: true, wantLog: "admin listener not started"},
		{name: "off", yaml: "admin: {enabled: false}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := config.Sources{Listen: []string{"127.0.0.1:0"}, Mounts: []string{"/*=ajp13"}}
			if c.yaml != "" {
				src.ConfigFile = filepath.Join(dir, "jkbalancer.yaml")
				if err := os.WriteFile(src.ConfigFile, []byte(c.yaml+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg, ps := config.Load(src)
			if cfg == nil {
				t.Fatal(ps)
			}
			if c.implicit {
				if !cfg.Server.Admin.Implicit {
					t.Fatal("the default admin address is not marked implicit")
				}
				cfg.Server.Admin.Listen = busy // the default, as if something else held its port
			}
			logs := new(syncBuf)
			srv, err := New(cfg.Server.Admin, slog.New(slog.NewTextHandler(logs, nil)), &fakeSource{ready: true})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			err = srv.Listen()
			switch {
			case c.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Listen: %v, want %q", err, c.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("Listen: %v", err)
			}
			if a := srv.Addr(); a != "" {
				t.Errorf("admin listener on %s, want none", a)
			}
			if !strings.Contains(logs.String(), c.wantLog) {
				t.Errorf("log %q does not say %q", logs.String(), c.wantLog)
			}
		})
	}
}
