package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLimitsDefaultsAndOverrides covers what the golden cases do not: the
// defaults without any yaml, the burst default, and that check --json
// leaves the section out until something differs from the defaults.
func TestLimitsDefaultsAndOverrides(t *testing.T) {
	load := func(yaml string) *Config {
		t.Helper()
		dir := t.TempDir()
		src := Sources{Mounts: []string{"/*=ajp13"}, LookupEnv: func(string) (string, bool) { return "", false }}
		if yaml != "" {
			src.ConfigFile = filepath.Join(dir, "jkbalancer.yaml")
			if err := os.WriteFile(src.ConfigFile, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cfg, ps := Load(src)
		if cfg == nil {
			t.Fatalf("Load: %s", lines(ps))
		}
		return cfg
	}
	cfg := load("")
	if l := cfg.Server.Limits; !l.Equal(DefaultLimits()) || l.ReadHeaderTimeout != 20*time.Second || !l.StrictHTTP ||
		l.MaxRequestLine != 8190 || l.RateLimit.RequestsPerSecond != 0 {
		t.Fatalf("defaults without yaml: %+v", l)
	}
	data, _ := json.Marshal(cfg)
	if strings.Contains(string(data), `"limits"`) {
		t.Error("check --json shows limits that are all defaults")
	}
	for _, c := range []struct {
		rps   string
		burst int
	}{{"0.2", 1}, {"1", 1}, {"2.5", 3}, {"100", 100}} {
		cfg = load("limits: {rate_limit: {requests_per_second: " + c.rps + "}}\n")
		if got := cfg.Server.Limits.RateLimit.Burst; got != c.burst {
			t.Errorf("rps %s: burst %d, want %d", c.rps, got, c.burst)
		}
	}
	cfg = load("limits: {max_connections: 5, rate_limit: {requests_per_second: 1, burst: 7}}\n")
	data, _ = json.Marshal(cfg)
	if !strings.Contains(string(data), `"max_connections":5`) || !strings.Contains(string(data), `"burst":7`) ||
		cfg.Server.Limits.IsZero() {
		t.Errorf("changed limits not shown: %s", data)
	}
}
