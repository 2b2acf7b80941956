package server

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestLogsOnAFullDisk: with the error log and the request log on a disk
// that refuses every write (/dev/full: ENOSPC), every error log line
// reaches stderr instead, stderr says once per file that it cannot be
// written, and request lines are dropped, not copied to stderr.
func TestLogsOnAFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	for _, reqFile := range []string{"/dev/full", ""} { // its own file; the error log's
		var stderr syncBuf
		lf, err := openLogs(&config.Log{File: "/dev/full", RequestFile: reqFile}, nil, &stderr)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			lf.errorLog.Warn("member failed", "n", i)
			lf.requestLog.Write([]byte("GET /a-request-line 200\n"))
		}
		lf.Close()
		out := stderr.String()
		if n := strings.Count(out, "member failed"); n != 20 {
			t.Errorf("request_file %q: %d of 20 error log lines on stderr:\n%s", reqFile, n, out)
		}
		if strings.Contains(out, "a-request-line") {
			t.Errorf("request_file %q: request lines went to stderr:\n%s", reqFile, out)
		}
		if n := strings.Count(out, "the error log file cannot be written"); n != 1 {
			t.Errorf("request_file %q: %d notices about the error log file, want 1:\n%s", reqFile, n, out)
		}
		if lost := strings.Contains(out, "request lines it also holds are lost"); lost != (reqFile == "") {
			t.Errorf("request_file %q: the notice says request lines are lost: %v:\n%s", reqFile, lost, out)
		}
		want := 0
		if reqFile != "" {
			want = 1
		}
		if n := strings.Count(out, "the request log file cannot be written"); n != want {
			t.Errorf("request_file %q: %d notices about the request log file, want %d:\n%s", reqFile, n, want, out)
		}
		if !strings.Contains(out, "file=/dev/full") || !strings.Contains(out, "no space left on device") {
			t.Errorf("request_file %q: the notice names neither the file nor the error:\n%s", reqFile, out)
		}
	}
}

// TestLogFileMetrics: /metrics shows a log file whose writes fail
// (/dev/full) and counts the lines, for an alert beyond the one line.
func TestLogFileMetrics(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	files := map[string]string{"workers.properties": "worker.list=s\nworker.s.type=status\n",
		"jkbalancer.yaml": "listen: [\"127.0.0.1:0\"]\nworkers_file: " + dir + "/workers.properties\nmounts: [\"/*=s\"]\n" +
			"log: {file: /dev/full, request_format: combined, request_file: " + dir + "/req.log}\n" + adminYAML}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, problems := config.Load(config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")})
	if cfg == nil {
		t.Fatal(problems)
	}
	srv, _ := runServer(t, cfg, Options{Stderr: io.Discard})
	for range 3 {
		srv.ErrorLog().Warn("a line the full disk refuses")
	}
	m := scrapeMetrics(t, srv.AdminAddr())
	for _, c := range []struct {
		name, file string
		want       float64
	}{
		{"jkbalancer_file_write_failing", "error_log", 1}, {"jkbalancer_log_write_failures_total", "error_log", 3},
		{"jkbalancer_file_write_failing", "request_log", 0}, {"jkbalancer_log_write_failures_total", "request_log", 0},
	} {
		if got := m.get(c.name, "file", c.file); got < c.want || (c.want == 0 && got != 0) {
			t.Errorf("%s{file=%q} = %v, want %v", c.name, c.file, got, c.want)
		}
	}
}
