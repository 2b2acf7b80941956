package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// drainLogRun serves one worker whose backend holds every request until
// release is closed, starts n requests, waits until they are in flight and
// cancels Serve (SIGTERM). It returns the log once Serve has returned.
func drainLogRun(t *testing.T, n int, timeout time.Duration, release chan struct{}, releaseAfterStart bool) string {
	t.Helper()
	started := make(chan struct{}, n)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.SendHeaders(200)
		w.Write([]byte("done"))
		w.End(true)
	})
	defer be.Close()
	cfg, problems := config.Load(config.Sources{Mounts: []string{"/*=w"}, Listen: []string{"127.0.0.1:0"},
		WorkersFile: writeTemp(t, "worker.list=w\nworker.w.host=127.0.0.1\nworker.w.port="+portOf(be)+"\n")})
	if cfg == nil {
		t.Fatal(problems)
	}
	cfg.Server.ShutdownTimeout = timeout
	logBuf := new(syncBuf)
	srv, err := New(cfg, Options{Logger: slog.New(slog.NewTextHandler(logBuf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	c := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < n; i++ {
		go func() {
			if resp, err := c.Get("http://" + srv.Addrs()[0] + "/slow"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("requests did not reach the backend")
		}
	}
	cancel()
	if releaseAfterStart {
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(logBuf.String(), "drain started") && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		close(release)
	}
	select {
	case <-served:
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	return logBuf.String()
}

// logLine is the line of log containing msg, or "".
func logLine(log, msg string) string {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, msg) {
			return l
		}
	}
	return ""
}

// TestDrainLogged: a SIGTERM drain logs its start with the requests in
// flight and its end with how many finished and none cut.
func TestDrainLogged(t *testing.T) {
	log := drainLogRun(t, 2, 30*time.Second, make(chan struct{}), true)
	start, end := logLine(log, "drain started"), logLine(log, "drain finished")
	if !strings.Contains(start, "listeners=1") || !strings.Contains(start, "in_flight=2") {
		t.Errorf("drain start line %q, want listeners=1 in_flight=2\n%s", start, log)
	}
	if !strings.Contains(end, "finished=2 cut=0 timed_out=false") {
		t.Errorf("drain end line %q, want finished=2 cut=0 timed_out=false\n%s", end, log)
	}
}

// TestDrainLoggedTimeout: a drain the timeout ends says so, with the
// request it cut.
func TestDrainLoggedTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	log := drainLogRun(t, 1, 100*time.Millisecond, release, false)
	if end := logLine(log, "drain finished"); !strings.Contains(end, "finished=0 cut=1 timed_out=true") {
		t.Errorf("drain end line %q, want finished=0 cut=1 timed_out=true\n%s", end, log)
	}
}

// TestReleaseCountsDrainedWithoutAllocating: the drain's count costs a
// request nothing but an atomic load, and counts only while draining.
func TestReleaseCountsDrainedWithoutAllocating(t *testing.T) {
	rt := &runtime{idle: make(chan struct{}, 1)}
	cycle := func() { rt.inflight.Add(1); rt.release() }
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Errorf("%v allocations per request", n)
	}
	if rt.drained.Load() != 0 {
		t.Fatalf("counted %d requests outside a drain", rt.drained.Load())
	}
	rt.draining.Store(true)
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Errorf("%v allocations per request while draining", n)
	}
	if got := rt.drained.Load(); got != 101 { // AllocsPerRun runs once more to warm up
		t.Errorf("drained %d, want 101", got)
	}
}
