package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestHangupReloads: SIGHUP calls the reload hook, again on every signal,
// and a failing reload does not stop the watcher.
func TestHangupReloads(t *testing.T) {
	calls := make(chan struct{}, 4)
	stop := onHangup(func() error {
		calls <- struct{}{}
		return errors.New("broken certificate")
	})
	defer stop()
	for i := 0; i < 2; i++ {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-calls:
		case <-time.After(5 * time.Second):
			t.Fatalf("SIGHUP %d did not call the reload", i+1)
		}
	}
}

// TestServeReloadsOnHangup runs the serve path and sends it real SIGHUPs:
// a changed mount file takes effect, and a broken workers.properties is
// refused (logged with file:line) while the running configuration keeps
// serving. The status worker is the only worker, so no backend is needed.
func TestServeReloadsOnHangup(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logFile := filepath.Join(dir, "error.log")
	write("jkbalancer.yaml", "listen: [\"127.0.0.1:0\"]\nworkers_file: workers.properties\nmount_file: uriworkermap.properties\n"+
		"mount_file_reload: 0\nlog: {file: "+logFile+"}\nadmin: {listen: \"\"}\n")
	workers := "worker.list=jkstatus\nworker.jkstatus.type=status\n"
	write("workers.properties", workers)
	write("uriworkermap.properties", "/a=jkstatus\n")

	status := serveInBackground(t, config.Sources{ConfigFile: filepath.Join(dir, "jkbalancer.yaml")}, logFile)
	logHas := func(s string) bool { b, _ := os.ReadFile(logFile); return strings.Contains(string(b), s) }
	// A response means Serve runs, so the SIGHUP handler is installed.
	if st := status("/a"); st != 200 {
		t.Fatalf("/a: %d", st)
	}
	hangup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	write("uriworkermap.properties", "/b=jkstatus\n")
	hangup()
	waitFor(t, "the reload to map /b", func() bool { return status("/b") == 200 })
	if st := status("/a"); st != 404 {
		t.Errorf("/a after the reload: %d", st)
	}

	write("workers.properties", workers+"worker.jkstatus.bogus=1\n")
	hangup()
	waitFor(t, "the refused reload to be logged", func() bool { return logHas("reload refused") })
	if !logHas(filepath.Join(dir, "workers.properties") + ":3: error") {
		b, _ := os.ReadFile(logFile)
		t.Errorf("the error is not logged with file:line:\n%s", b)
	}
	if st := status("/b"); st != 200 {
		t.Errorf("/b after the refused reload: %d", st)
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serveInBackground runs the serve path (serveUntil) with src until the
// test ends, waits until it serves (its log file names the address,
// "listen=[...]"), and returns a GET that gives the status of a path (0
// when the request fails).
func serveInBackground(t *testing.T, src config.Sources, logFile string) func(path string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveUntil(ctx, newServeCommand(), src) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not return")
		}
	})
	var addr string
	waitFor(t, "the server to start", func() bool {
		b, _ := os.ReadFile(logFile)
		_, rest, ok := strings.Cut(string(b), "listen=[")
		addr, _, _ = strings.Cut(rest, "]")
		return ok
	})
	status := func(path string) int {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	return status
}
