package server

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// fakeMem is a memRelease over a fake runtime: held is what the runtime
// holds, free counts the releases and brings held back to rest.
type fakeMem struct {
	*memRelease
	held, rest uint64
	frees      int
}

func newFakeMem(env map[string]string) *fakeMem {
	f := &fakeMem{held: 10 << 20, rest: 10 << 20}
	f.memRelease = newMemRelease(func(k string) string { return env[k] })
	f.memRelease.held = func() uint64 { return f.held }
	f.memRelease.free = func() { f.frees++; f.held = f.rest }
	f.base = f.held
	return f
}

// TestMemReleaseQuietAfterPeak: memory goes back to the OS once no
// request started for memQuiet after a peak, once per peak, never while a
// request is in flight or starting, never without a peak, at most once
// per memMinGap.
func TestMemReleaseQuietAfterPeak(t *testing.T) {
	m := newFakeMem(nil)
	t0 := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	step := func(d time.Duration, inflight int64, want bool) {
		t.Helper()
		if got := m.tick(at(d), inflight); got != want {
			t.Fatalf("tick at %v (in flight %d): released %v, want %v", d, inflight, got, want)
		}
	}
	step(0, 0, false) // fresh: nothing happened
	step(5*time.Second, 0, false)

	// A load: requests start, the heap grows by 30 MiB.
	m.started.Add(100)
	m.held += 30 << 20
	step(6*time.Second, 3, false)
	step(6*time.Second+memQuietStep, 0, false) // in flight just ended: not quiet yet
	step(6*time.Second+memQuietStep+memQuiet/2, 0, false)
	step(6*time.Second+memQuietStep+memQuiet, 0, true)
	if m.frees != 1 || m.count.Load() != 1 {
		t.Fatalf("frees %d, count %d after one peak", m.frees, m.count.Load())
	}
	step(9*time.Second, 0, false) // still quiet: nothing new

	// A long request keeps the server busy however long it takes.
	m.started.Add(1)
	m.held += 30 << 20
	for d := 20 * time.Second; d < 30*time.Second; d += memQuietStep {
		step(d, 1, false)
	}
	step(30*time.Second+memQuiet, 0, true)

	// A trickle: requests, but no peak; no collection for them.
	for d := 40 * time.Second; d < 60*time.Second; d += 2 * memQuiet {
		m.started.Add(1)
		step(d, 0, false)
		step(d+memQuiet, 0, false)
	}
	if m.frees != 2 {
		t.Fatalf("frees %d: a trickle without a peak collected", m.frees)
	}

	// Two peaks closer than memMinGap: the second waits for the gap.
	m.started.Add(1)
	m.held += 30 << 20
	step(70*time.Second, 0, false)
	step(70*time.Second+memQuiet, 0, true)
	m.started.Add(1)
	m.held += 30 << 20
	step(72*time.Second, 0, false)
	step(72*time.Second+memQuiet, 0, false)
	step(71*time.Second+memMinGap-memQuietStep, 0, false)
	step(71*time.Second+memMinGap, 0, true)
	if m.count.Load() != 4 {
		t.Fatalf("count %d, want 4", m.count.Load())
	}
}

// TestMemReleaseOffWhenOperatorChose: GOGC or GOMEMLIMIT in the
// environment turn it off: the runtime does what the operator chose.
func TestMemReleaseOffWhenOperatorChose(t *testing.T) {
	if !newMemRelease(func(string) string { return "" }).on {
		t.Fatal("off without GOGC and GOMEMLIMIT")
	}
	for _, env := range []map[string]string{{"GOGC": "100"}, {"GOMEMLIMIT": "64MiB"}, {"GOGC": "off"}} {
		if newFakeMem(env).on {
			t.Errorf("on with %v", env)
		}
	}
}

// TestMemReleaseCountsRequests: every request the server starts tells the
// release it is not quiet, whatever its outcome (here a 404), and a real
// release leaves the runtime holding less than before it.
func TestMemReleaseCountsRequests(t *testing.T) {
	ts := startServer(t, map[string]string{"workers.properties": "worker.list=jkstatus\nworker.jkstatus.type=status\n"},
		"/jkstatus=jkstatus")
	before := ts.srv.mem.started.Load()
	for range 3 {
		resp, err := http.Get(ts.base + "/nothing")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if n := ts.srv.mem.started.Load() - before; n != 3 {
		t.Fatalf("started %d, want 3", n)
	}

	garbage := make([][]byte, 0, 256)
	for range cap(garbage) {
		garbage = append(garbage, make([]byte, 64<<10)) // 16 MiB the runtime holds
	}
	garbage = nil
	held := heldBytes()
	freeMemory()
	if after := heldBytes(); after >= held || held-after < 8<<20 {
		t.Fatalf("held %d before the release, %d after", held, after)
	}
	_ = garbage
}

// TestMemReleaseRunsInTheMaintenanceLoop: the server's maintenance loop
// looks every memQuietStep and releases once the server is quiet after a
// peak, and /metrics' source counts it (a fake runtime, a fake clock the
// test moves on while it waits).
func TestMemReleaseRunsInTheMaintenanceLoop(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "workers.properties")
	if err := os.WriteFile(wf, []byte("worker.list=jkstatus\nworker.jkstatus.type=status\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Mounts: []string{"/jkstatus=jkstatus"}, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatal(problems)
	}
	var clock atomic.Int64
	clock.Store(time.Unix(1_700_000_000, 0).UnixNano())
	srv, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	// Set before Serve starts the loop: on whatever GOGC the test runs with.
	freed := make(chan struct{}, 1)
	srv.mem.on, srv.mem.base = true, 0
	srv.mem.held = func() uint64 { return memPeak }
	srv.mem.free = func() { freed <- struct{}{} }
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	defer func() { cancel(); <-done }() // also when Fatal ends it

	resp, err := http.Get("http://" + srv.Addrs()[0] + "/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for waited := time.Duration(0); ; waited += memQuietStep {
		select {
		case <-freed:
		case <-time.After(memQuietStep): // pacing the fake clock, not an assertion
			if waited > 10*time.Second {
				t.Fatal("no release after the request, with the clock moved on")
			}
			clock.Add(int64(memQuiet))
			continue
		}
		break
	}
	cancel()
	<-done // the loop has ended: its count is final
	if n := (adminSource{srv}).MemoryReleases(); n != 1 {
		t.Errorf("/metrics' source counts %d releases, want 1", n)
	}
}
