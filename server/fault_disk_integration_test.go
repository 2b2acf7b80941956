//go:build integration

// A full disk under the logs and the state file (issue 17), for
// jkbalancer and httpd + mod_jk: a 1 MiB tmpfs holds them, a filler file
// takes every free byte, then requests and status worker edits go
// through; then the filler goes and the writes must resume.
// docs/hardening.md#a-full-disk says what jkbalancer promises.
//
// Run: go test -tags integration -count=1 -v -run TestFaultFullDisk ./server

package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// diskTmpfs mounts a tmpfs of size (e.g. "1m") under the harness's base
// directory, and unmounts it when the test ends (lazily when busy) or,
// should the test binary die, through the reaper's undo script. It skips
// unless root (fails in CI).
func diskTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if itInCI() {
			t.Fatal("the full-disk test needs root (mount -t tmpfs)")
		}
		t.Skip("the full-disk test needs root (mount -t tmpfs)")
	}
	dir, err := os.MkdirTemp(itBase, "disk-")
	if err != nil {
		t.Fatal(err)
	}
	undo := filepath.Join(itBase, "undo", filepath.Base(dir)+".sh")
	os.MkdirAll(filepath.Dir(undo), 0o755)
	if err := os.WriteFile(undo, []byte("umount -l "+dir+" 2>/dev/null\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0777", "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(undo)
		t.Fatalf("mount -t tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if exec.Command("umount", dir).Run() != nil {
			exec.Command("umount", "-l", dir).Run()
		}
		os.Remove(undo)
	})
	return dir
}

// diskFill writes a filler file in dir until the disk refuses (ENOSPC),
// at most 64 MiB, and returns its path.
func diskFill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for range 1024 {
		if _, err = f.Write(buf); err != nil {
			break
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling %s: %v, want ENOSPC", dir, err)
	}
	return path
}

// diskFront is one front under test and what the test needs of it.
type diskFront struct {
	name, addr string
	accessLog  string
}

// diskGet sends GET path and checks a 200 with the status page's body;
// it returns the node that answered.
func diskGet(c *http.Client, addr, path string) (string, error) {
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "status body 200") {
		return "", fmt.Errorf("GET %s: %d %q", path, resp.StatusCode, b)
	}
	return resp.Header.Get("X-Node"), nil
}

// diskRequests sends n requests tagged phase; every one must be 200 with
// the right body, from tc1 when onlyTC1.
func diskRequests(t *testing.T, c *http.Client, fr diskFront, phase string, n int, onlyTC1 bool, s *faultStats) {
	t.Helper()
	for i := range n {
		start := time.Now()
		node, err := diskGet(c, fr.addr, fmt.Sprintf("/status.jsp?code=200&body=1&phase=%s-%d", phase, i))
		s.maxLat = max(s.maxLat, time.Since(start))
		if err == nil && onlyTC1 && node != "tc1" {
			err = fmt.Errorf("answered by %s with tc2 disabled", node)
		}
		if err != nil {
			s.errs++
			if s.firstErr == "" {
				s.firstErr = err.Error()
			}
			t.Errorf("%s, %s request %d: %v", fr.name, phase, i, err)
			continue
		}
		s.ok++
	}
}

// diskEdits makes an operator's edits through the status worker's URL,
// as scripts do: 40 lbfactor changes of tc1 (enough error log lines to
// fill what the log file's last page had free), ending at 3, then tc2
// disabled. It checks the status page shows them.
func diskEdits(t *testing.T, c *http.Client, fr diskFront) {
	t.Helper()
	for i := range 40 {
		diskUpdate(t, c, fr, fmt.Sprintf("sw=tc1&vwf=%d", 4+i%5))
	}
	diskUpdate(t, c, fr, "sw=tc1&vwf=3")
	diskUpdate(t, c, fr, "sw=tc2&vwa=d")
	diskWantEdits(t, c, fr.name, fr.addr)
}

// diskUpdate sends one status worker update of lb q and fails unless OK.
func diskUpdate(t *testing.T, c *http.Client, fr diskFront, q string) {
	t.Helper()
	resp, err := c.Get("http://" + fr.addr + "/jk-status?cmd=update&mime=txt&w=lb&" + q)
	if err != nil {
		t.Fatalf("%s: status update %s: %v", fr.name, q, err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if !strings.Contains(string(b), "type=OK") {
		t.Fatalf("%s: status update %s: %d %s", fr.name, q, resp.StatusCode, b)
	}
}

// diskWantEdits checks the status page shows tc1 with lbfactor 3 and tc2
// disabled.
func diskWantEdits(t *testing.T, c *http.Client, name, addr string) {
	t.Helper()
	resp, err := c.Get("http://" + addr + "/jk-status?mime=prop")
	if err != nil {
		t.Fatalf("%s: status page: %v", name, err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	for _, want := range []string{"worker.tc1.lbfactor=3\n", "worker.tc2.activation=DIS\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s: the status page lacks %q:\n%s", name, want, b)
		}
	}
}

// diskPoll waits (at most d) for file to contain want.
func diskPoll(d time.Duration, file, want string) bool {
	return itWaitFor(d, func() bool {
		b, _ := os.ReadFile(file)
		return strings.Contains(string(b), want)
	})
}

// diskScenario runs the scenario on fr: requests, fill, edits and
// requests on the full disk, space back, requests. full and back run
// right after the disk is filled and freed; they return the notes for
// the results line.
func diskScenario(t *testing.T, fr diskFront, disk string, full, back func() string) {
	t.Helper()
	c := faultClient(15 * time.Second)
	defer c.CloseIdleConnections()
	var s faultStats
	diskRequests(t, c, fr, "before", 5, false, &s)
	diskUpdate(t, c, fr, "sw=tc1&vwf=2") // the state file has an edit before the disk fills
	filler := diskFill(t, disk)
	diskEdits(t, c, fr)
	diskRequests(t, c, fr, "full", 100, true, &s)
	notes := full()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	diskRequests(t, c, fr, "after", 10, true, &s)
	resumed := diskPoll(10*time.Second, fr.accessLog, "phase=after-9")
	logged, _ := os.ReadFile(fr.accessLog)
	kept := strings.Count(string(logged), "phase=full-")
	faultRow(t, "full-disk", fr.name, s, fmt.Sprintf("(115 sequential, 43 status edits; on the full disk: "+
		"%d of 100 request lines kept%s; space back: request log resumed %v, %s)  ", kept, notes, resumed, back()))
	if !resumed {
		t.Errorf("%s: the request log has no line of the requests after space returned", fr.name)
	}
}

// TestFaultFullDisk: jkbalancer with its request log, error log and
// state file on a full tmpfs serves every request, applies every edit,
// says once per file that it cannot write it (on stderr when the error
// log is the one that is full), and writes again when space returns: the
// request log at once, the state file within 10 s without another edit
// (a restart then applies the edits), each with one line that says so.
func TestFaultFullDisk(t *testing.T) {
	all := itTomcats(t)
	disk := diskTmpfs(t, "1m")
	errLog, reqLog, state := filepath.Join(disk, "error.log"), filepath.Join(disk, "access.log"), filepath.Join(disk, "state.json")
	spec := itSpec{workers: itPairWorkers([2]*itTomcat{all[0], all[1]}), jkMounts: itPairMounts}
	yaml := fmt.Sprintf("admin: {listen: 127.0.0.1:0}\nstate_file: %s\nlog:\n  file: %s\n  request_format: combined\n  request_file: %s\n",
		state, errLog, reqLog)
	cfg := diskConfig(t, spec, yaml)
	stderr := new(syncBuf)
	srv, stop := diskRunJKB(t, cfg, stderr)
	fr := diskFront{name: "jkbalancer", addr: srv.Addrs()[0], accessLog: reqLog}
	diskScenario(t, fr, disk, func() string {
		diskWantOldState(t, state)
		diskWantFailing(t, srv, 1)
		return diskJKBFull(t, stderr.String(), errLog)
	}, func() string {
		defer diskWantFailing(t, srv, 0)
		return diskJKBBack(t, stderr.String(), errLog, state)
	})
	stop()
	srv2, _ := diskRunJKB(t, cfg, stderr)
	diskWantEdits(t, http.DefaultClient, "jkbalancer after a restart", srv2.Addrs()[0])

	h := itStartHTTPD(t, itSpec{workers: spec.workers, jkMounts: spec.jkMounts, logDir: diskTmpfs(t, "1m")})
	hfr := diskFront{name: "mod_jk", addr: h.addr, accessLog: filepath.Join(h.logDir, "access.log")}
	diskScenario(t, hfr, h.logDir, func() string { return "" }, func() string {
		return diskModJKLogs(h.logDir)
	})
}

// diskModJKLogs says what httpd + mod_jk logged about the failed writes,
// once space returned: the lines saying "No space left" and the first.
func diskModJKLogs(dir string) string {
	var n int
	first := ""
	for _, name := range []string{"error.log", "mod_jk.log"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(strings.ToLower(l), "no space left") {
				n++
				if first == "" {
					first = name + ": ..." + l[max(0, len(l)-100):] // the end says why
				}
			}
		}
	}
	return fmt.Sprintf("%d lines about failed writes in its logs, the first: %q", n, first)
}

// diskWantOldState checks that the state file on the full disk is still
// the one written before it filled: whole, tc1's lbfactor 2, nothing of
// the edits since.
func diskWantOldState(t *testing.T, state string) {
	t.Helper()
	b, err := os.ReadFile(state)
	var v map[string]any
	if err != nil || json.Unmarshal(b, &v) != nil || !strings.Contains(string(b), `"value": "2"`) ||
		strings.Contains(string(b), `"DIS"`) {
		t.Errorf("the state file on the full disk is not the one before it filled (%v):\n%s", err, b)
	}
}

// diskWantFailing checks /metrics: jkbalancer_file_write_failing is want
// for each of the three files.
func diskWantFailing(t *testing.T, srv *Server, want float64) {
	t.Helper()
	m := scrapeMetrics(t, srv.AdminAddr())
	for _, f := range []string{"request_log", "error_log", "state_file"} {
		if got := m.get("jkbalancer_file_write_failing", "file", f); got != want {
			t.Errorf("/metrics: jkbalancer_file_write_failing{file=%q} = %v, want %v", f, got, want)
		}
	}
}

// diskJKBFull checks, on the full disk, that each file's failure was
// said once where it can be seen: stderr, or the error log while its file
// still had room.
func diskJKBFull(t *testing.T, stderr, errLog string) string {
	t.Helper()
	logged, _ := os.ReadFile(errLog)
	seen := stderr + string(logged)
	for _, what := range []string{"the error log file cannot be written", "the request log file cannot be written",
		"the state file cannot be written"} {
		if n := strings.Count(seen, what); n != 1 {
			t.Errorf("%q said %d times, want once:\n--- stderr:\n%s--- error log:\n%s", what, n, stderr, logged)
		}
	}
	if !strings.Contains(stderr, "the error log file cannot be written") || !strings.Contains(stderr, "file="+errLog) {
		t.Errorf("stderr does not say that the error log file %s cannot be written:\n%s", errLog, stderr)
	}
	if !strings.Contains(stderr, "status worker changed an attribute") {
		t.Errorf("the error log lines its file refused did not reach stderr:\n%s", stderr)
	}
	return fmt.Sprintf(", %d lines on stderr, one notice per file", strings.Count(stderr, "\n"))
}

// diskJKBBack checks, once space returned, the resumption lines and that
// the state file holds the edits within 30 s (the retry runs every 10 s).
func diskJKBBack(t *testing.T, stderr, errLog, state string) string {
	t.Helper()
	if !diskPoll(30*time.Second, state, `"value": "DIS"`) {
		b, _ := os.ReadFile(state)
		t.Errorf("the state file lacks the edits 30 s after space returned:\n%s", b)
	}
	diskPoll(5*time.Second, errLog, "the state file can be written again")
	logged, _ := os.ReadFile(errLog)
	for _, what := range []string{"the error log file can be written again", "the request log file can be written again",
		"the state file can be written again"} {
		if n := strings.Count(string(logged), what); n != 1 {
			t.Errorf("%q in the error log %d times, want once:\n%s", what, n, logged)
		}
	}
	return "state file written again without an edit, one line per file"
}

// diskConfig loads spec and yaml as itStartJKB does.
func diskConfig(t *testing.T, spec itSpec, yaml string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	src := config.Sources{WorkersFile: filepath.Join(dir, "workers.properties"), Listen: []string{"127.0.0.1:0"},
		ConfigFile: filepath.Join(dir, "jkbalancer.yaml")}
	for _, m := range spec.mounts() {
		f := strings.Fields(m)
		src.Mounts = append(src.Mounts, f[0]+"="+f[1])
	}
	os.WriteFile(src.WorkersFile, []byte(spec.workers), 0o644)
	os.WriteFile(src.ConfigFile, []byte(yaml), 0o644)
	cfg, problems := config.Load(src)
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	return cfg
}

// diskRunJKB serves cfg with its own error log (log.file) and stderr,
// and returns it and what stops it (also run at cleanup).
func diskRunJKB(t *testing.T, cfg *config.Config, stderr io.Writer) (*Server, func()) {
	t.Helper()
	return runServer(t, cfg, Options{Stderr: stderr})
}
