package server

import (
	"os"
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
