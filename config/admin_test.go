package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminListen covers what the golden cases do not: the default
// without any file, allow_remote, turning the listener off, and --admin.
func TestAdminListen(t *testing.T) {
	cases := []struct {
		name, yaml, flag string
		want             string // Listen, or "error: substring"
		implicit         bool
	}{
		{name: "no yaml", want: DefaultAdminListen, implicit: true},
		{name: "section without listen", yaml: "admin: {metrics_path: /m}", want: DefaultAdminListen, implicit: true},
		{name: "localhost", yaml: "admin: {listen: \"localhost:9000\"}", want: "localhost:9000"},
		{name: "loopback range", yaml: "admin: {listen: \"127.0.0.2:9000\"}", want: "127.0.0.2:9000"},
		{name: "all interfaces", yaml: "admin: {listen: \":9000\"}", want: "error: is not loopback"},
		{name: "a name", yaml: "admin: {listen: \"admin.example.com:9000\"}", want: "error: is not loopback"},
		{name: "allow_remote", yaml: "admin: {listen: \":9000\", allow_remote: true}", want: ":9000"},
		{name: "empty", yaml: "admin: {listen: \"\"}", want: ""},
		{name: "disabled", yaml: "admin: {listen: \"127.0.0.1:9000\", enabled: false}", want: ""},
		{name: "no port", yaml: "admin: {listen: \"127.0.0.1\"}", want: "error: is not host:port"},
		{name: "bad port", yaml: "admin: {listen: \"127.0.0.1:http\"}", want: "error: is not a number"},
		{name: "path chars", yaml: "admin: {metrics_path: \"/m{x}\"}", want: "error: use only letters"},
		{name: "path clash", yaml: "admin: {metrics_path: /readyz}", want: "error: is taken by the health endpoint"},
		{name: "flag", yaml: "admin: {listen: \"127.0.0.1:9000\"}", flag: "127.0.0.1:9001", want: "127.0.0.1:9001"},
		{name: "flag off", flag: "off", want: ""},
		{name: "flag remote", flag: "0.0.0.0:9001", want: "error: is not loopback"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := Sources{Admin: c.flag, Mounts: []string{"/*=ajp13"}, LookupEnv: func(string) (string, bool) { return "", false }}
			if c.yaml != "" {
				src.ConfigFile = filepath.Join(dir, "jkbalancer.yaml")
				if err := os.WriteFile(src.ConfigFile, []byte(c.yaml+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg, ps := Load(src)
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if cfg != nil || !strings.Contains(lines(ps), want) {
					t.Fatalf("want an error containing %q, got:\n%s", want, lines(ps))
				}
				return
			}
			if cfg == nil {
				t.Fatalf("Load: %s", lines(ps))
			}
			a := cfg.Server.Admin
			if a.Listen != c.want || a.Implicit != c.implicit {
				t.Errorf("listen %q implicit %v, want %q %v", a.Listen, a.Implicit, c.want, c.implicit)
			}
			if a.MetricsPath == "" {
				t.Error("no metrics path")
			}
		})
	}
}
