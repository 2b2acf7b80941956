package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCheckJSONShowsSafeDefaults: check --json shows the effective value
// of each safe default and names the keys at a jkbalancer default
// (docs/config.md#safe-defaults); a member that writes mod_jk's values out
// has none.
func TestCheckJSONShowsSafeDefaults(t *testing.T) {
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\n" +
		"worker.a.host=127.0.0.1\nworker.b.host=127.0.0.1\nworker.b.port=8010\n" +
		"worker.b.socket_connect_timeout=0\nworker.b.prepost_timeout=0\nworker.b.socket_keepalive=false\n" +
		"worker.b.stall_min=0\n" +
		"worker.b.path_check_interval=0\n"
	wf := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c := newRootCommand()
	c.SetOut(&out)
	c.SetErr(&bytes.Buffer{})
	c.SetArgs([]string{"check", "--workers", wf, "--json"})
	if err := c.Execute(); err != nil {
		t.Fatalf("check: %v\n%s", err, out.String())
	}
	type member struct {
		ConnectTimeout int      `json:"socket_connect_timeout"`
		Keepalive      bool     `json:"socket_keepalive"`
		KeepaliveIdle  int      `json:"keepalive_idle"`
		IdlePingAfter  int      `json:"idle_ping_after"`
		IdlePingTO     int      `json:"idle_ping_timeout"`
		StallMin       int      `json:"stall_min"`
		StallFactor    int      `json:"stall_factor"`
		PathCheck      int      `json:"path_check_interval"`
		Defaults       []string `json:"jkbalancer_defaults"`
	}
	var doc struct{ Workers map[string]member }
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	a, b := doc.Workers["a"], doc.Workers["b"]
	if a.ConnectTimeout != 3000 || !a.Keepalive || a.KeepaliveIdle != 30 || a.IdlePingAfter != 5 || a.IdlePingTO != 1000 ||
		a.StallMin != 2000 || a.StallFactor != 10 || a.PathCheck != 500 ||
		!slices.Equal(a.Defaults, []string{"socket_connect_timeout", "prepost_timeout", "socket_keepalive", "stall_min", "path_check_interval"}) {
		t.Errorf("untuned member: %+v", a)
	}
	if b.ConnectTimeout != 0 || b.Keepalive || b.KeepaliveIdle != 0 || b.IdlePingAfter != 0 || b.StallMin != 0 ||
		b.StallFactor != 10 || b.PathCheck != 0 || len(b.Defaults) != 0 {
		t.Errorf("member with mod_jk's values: %+v", b)
	}
}
