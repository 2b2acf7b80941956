package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestServeWarningsInConfiguredLog: the configuration warnings found at
// start go to log.file as JSON lines (log.format: json), not to stderr,
// and the drain at the end logs its start and end there too.
func TestServeWarningsInConfiguredLog(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "error.log")
	yaml := "listen: [\"127.0.0.1:0\"]\nworkers_file: workers.properties\nmounts: [\"/s=jkstatus\"]\n" +
		"log: {file: " + logFile + ", format: json}\nadmin: {listen: \"\"}\n"
	for name, text := range map[string]string{
		"jkbalancer.yaml":    yaml,
		"workers.properties": "worker.list=jkstatus\nworker.maintain=often\nworker.jkstatus.type=status\nworker.jkstatus.read_only=true\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	cmd := newServeCommand()
	cmd.SetErr(&stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- serveUntil(ctx, cmd, config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")})
	}()
	logText := func() string { b, _ := os.ReadFile(logFile); return string(b) }
	waitFor(t, "the server to start", func() bool { return strings.Contains(logText(), "jkbalancer serving") })
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return")
	}
	if stderr.Len() != 0 {
		t.Errorf("serve wrote to stderr:\n%s", stderr.String())
	}
	msgs := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(logText()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		msgs[strings.SplitN(rec["msg"].(string), ":", 2)[0]] = rec
	}
	w := msgs["configuration warning"]
	if p, _ := w["problem"].(string); w["level"] != "WARN" || !strings.Contains(p, "workers.properties:2: warning") || !strings.Contains(p, "maintain") {
		t.Errorf("warning record %v\n%s", w, logText())
	}
	if msgs["drain started"] == nil || msgs["drain finished"] == nil {
		t.Errorf("drain start or end not logged:\n%s", logText())
	} else if msgs["drain started"]["shutdown_timeout"] != "30s" {
		t.Errorf("shutdown_timeout logged as %v, want \"30s\"", msgs["drain started"]["shutdown_timeout"])
	}
}
