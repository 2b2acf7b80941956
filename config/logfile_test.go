package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config/diag"
)

// A log file serve could not open is a configuration error that check
// reports with file:line and property, together with the other problems,
// instead of serve dying at startup; nothing is created by checking.
func TestLogFileThatCannotBeOpened(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "listen: [\"127.0.0.1:0\"]\nmounts: [\"/*=w\"]\nlog:\n" +
		"  level: loud\n" +
		"  file: missing/jk.log\n" +
		"  request_file: adir\n"
	cf := filepath.Join(dir, "jkbalancer.yaml")
	wf := filepath.Join(dir, "workers.properties")
	for p, text := range map[string]string{cf: yaml, wf: "worker.list=w\nworker.w.host=127.0.0.1\n"} {
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, ps := Load(Sources{ConfigFile: cf, WorkersFile: wf})
	if cfg != nil {
		t.Fatal("a configuration with an unusable log file loaded")
	}
	got := ps.Errors()
	text := ""
	for _, p := range got {
		text += p.String() + "\n"
	}
	for _, want := range []string{
		"jkbalancer.yaml:4: error: log.level",
		"jkbalancer.yaml:5: error: log.file: cannot create the log file " + filepath.Join(dir, "missing/jk.log") + ": its directory",
		"jkbalancer.yaml:6: error: log.request_file: " + filepath.Join(dir, "adir") + " is a directory",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	if len(got) != 3 {
		t.Errorf("%d errors, want 3:\n%s", len(got), text)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing")); err == nil {
		t.Error("checking created the log directory")
	}
}

// Usable log files pass, and checking leaves no file behind.
func TestLogFileUsable(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.log")
	if err := os.WriteFile(existing, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var c diag.Collector
	checkLogFile(existing, Pos{}, "log.file", &c)
	checkLogFile(filepath.Join(dir, "new.log"), Pos{}, "log.request_file", &c)
	if len(c.Problems) != 0 {
		t.Fatalf("problems: %v", c.Problems)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("checking left files behind: %v", entries)
	}
	if b, _ := os.ReadFile(existing); string(b) != "x\n" {
		t.Errorf("checking changed the existing log: %q", b)
	}
}
