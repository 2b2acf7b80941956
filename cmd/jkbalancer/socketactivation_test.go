package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestSocketActivationHandover is the upgrade of docs/deploy.md#upgrade-without-a-refused-connection
// done the way systemd does it: the test holds the listening socket (as
// jkbalancer.socket does), starts the real binary with it as fd 3 and
// LISTEN_FDS/LISTEN_PID set, then starts a second process on the same
// socket and sends the first SIGTERM, while clients open a new connection
// for every request. Not one request may fail: no refused connection, no
// reset, no error status. A slow request the first process accepted
// before the SIGTERM finishes: the first process drains, it does not
// exit under it.
func TestSocketActivationHandover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	slowStarted, release := make(chan struct{}, 1), make(chan struct{})
	member := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if r.URI == "/app/slow" {
			slowStarted <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, "ok")
	})
	defer member.Close()
	defer closeOnce(release)

	sock, addr := heldSocket(t) // systemd's copy of the socket
	cfg := writeActivationConfig(t, addr, member.Addr())

	first := startActivated(t, bin, cfg, sock)
	url := "http://" + addr + "/app/x"
	waitLong(t, "the first process serves", func() bool { return getOK(url) == nil })

	var load loadStats
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); load.run(url, stop) }()
	}
	waitLong(t, "load is flowing", func() bool { return load.ok.Load() >= 20 })

	slow := make(chan error, 1)
	go func() { slow <- getOK("http://" + addr + "/app/slow") }()
	select {
	case <-slowStarted: // in flight on the first process: the second does not run yet
	case <-time.After(30 * time.Second):
		t.Fatal("the slow request did not reach the member within 30s")
	}

	second := startActivated(t, bin, cfg, sock)
	waitLong(t, "the second process serves", second.isServing)
	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := load.ok.Load()
	waitLong(t, "requests served while the first drains", func() bool { return load.ok.Load() >= signalled+50 })
	if first.exited() {
		t.Fatal("the first process exited with a request in flight: no drain")
	}
	closeOnce(release)
	if err := <-slow; err != nil {
		t.Errorf("the request in flight at the SIGTERM: %v", err)
	}
	first.wait(t)
	after := load.ok.Load()
	waitLong(t, "the second process alone serves", func() bool { return load.ok.Load() >= after+50 })
	close(stop)
	wg.Wait()
	second.cmd.Process.Signal(syscall.SIGTERM)
	second.wait(t)

	if n := load.failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed during the handover; first: %v", n, n+load.ok.Load(), load.firstErr())
	}
	t.Logf("%d requests, none failed; the second process served %d after the first exited",
		load.ok.Load(), load.ok.Load()-after)
}

// heldSocket is a listening loopback socket held as systemd holds the
// socket unit's: as a file, closed when the test ends. Nothing accepts on
// it until a process is started with it.
func heldSocket(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sock, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	return sock, ln.Addr().String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jkbalancer")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func writeActivationConfig(t *testing.T, listen, member string) string {
	t.Helper()
	dir := t.TempDir()
	host, port, _ := net.SplitHostPort(member)
	files := map[string]string{
		"workers.properties":      fmt.Sprintf("worker.list=app\nworker.app.type=ajp13\nworker.app.host=%s\nworker.app.port=%s\n", host, port),
		"uriworkermap.properties": "/app/*=app\n",
		"jkbalancer.yaml": fmt.Sprintf("listen:\n  - %q\nworkers_file: workers.properties\nmount_file: uriworkermap.properties\n"+
			"shutdown_timeout: 20s\nadmin:\n  enabled: false\n", listen),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "jkbalancer.yaml")
}

// activated is one jkbalancer process started as systemd starts it.
type activated struct {
	cmd     *exec.Cmd
	serving atomic.Bool
	done    chan error
	logMu   sync.Mutex
	log     strings.Builder
}

// startActivated starts bin with sock as fd 3. LISTEN_PID must be the
// process's own pid, known only after the fork: sh sets it and execs.
func startActivated(t *testing.T, bin, cfg string, sock *os.File) *activated {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, bin, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=http")
	cmd.ExtraFiles = []*os.File{sock}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &activated{cmd: cmd, done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			a.logMu.Lock()
			a.log.WriteString(sc.Text() + "\n")
			a.logMu.Unlock()
			if strings.Contains(sc.Text(), "jkbalancer serving") {
				a.serving.Store(true)
			}
		}
		a.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		select {
		case <-a.done:
		case <-time.After(10 * time.Second):
		}
		if t.Failed() {
			t.Logf("process %d log:\n%s", cmd.Process.Pid, a.logText())
		}
	})
	return a
}

func (a *activated) isServing() bool { return a.serving.Load() }

// exited reports whether the process ended (its exit stays for wait).
func (a *activated) exited() bool {
	select {
	case err := <-a.done:
		a.done <- err
		return true
	default:
		return false
	}
}

func closeOnce(c chan struct{}) {
	select {
	case <-c:
	default:
		close(c)
	}
}

func (a *activated) logText() string {
	a.logMu.Lock()
	defer a.logMu.Unlock()
	return a.log.String()
}

func (a *activated) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-a.done:
		if err != nil {
			t.Errorf("process %d: %v", a.cmd.Process.Pid, err)
		}
		a.done <- err // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatalf("process %d did not exit within 30s", a.cmd.Process.Pid)
	}
}

// loadStats counts the client's requests, each on a new connection.
type loadStats struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	first      error
}

func (l *loadStats) run(url string, stop <-chan struct{}) {
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < 100000 && time.Now().Before(deadline); i++ {
		select {
		case <-stop:
			return
		default:
		}
		if err := getOK(url); err != nil {
			l.failed.Add(1)
			l.mu.Lock()
			if l.first == nil {
				l.first = err
			}
			l.mu.Unlock()
			continue
		}
		l.ok.Add(1)
	}
}

func (l *loadStats) firstErr() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first
}

var noKeepAlive = &http.Client{Timeout: 10 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true}}

func getOK(url string) error {
	resp, err := noKeepAlive.Get(url)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || string(body) != "ok" {
		return fmt.Errorf("status %d, body %q", resp.StatusCode, body)
	}
	return nil
}

// waitLong polls cond for up to 30 seconds (a loaded CI machine builds
// and starts processes slowly).
func waitLong(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
