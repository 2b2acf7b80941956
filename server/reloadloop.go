package server

import (
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/worker"
)

// startMaintenance runs the server's periodic work until the returned
// stop is called: mod_jk's maintenance every worker.maintain seconds (the
// JkWatchdogInterval thread of httpd) and the mount file check every
// mount_file_reload seconds (JkMountFileReload). A reload wakes it to
// take the new intervals. Every worker.HistoryStep it samples the
// members' numbers for the status page's sparklines; every memQuietStep
// it checks whether the server went quiet after a peak (memRelease).
func (s *Server) startMaintenance() func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var maint, mount, hist, mem ticker
		defer maint.stop()
		defer mount.stop()
		defer hist.stop()
		defer mem.stop()
		hist.set(worker.HistoryStep)
		if s.mem.on {
			mem.set(memQuietStep)
		}
		for {
			rt := s.rt.Load()
			if rt == nil {
				return
			}
			maint.set(rt.cfg.MaintainInterval())
			mount.set(mountInterval(rt))
			select {
			case <-done:
				return
			case <-s.loopReset:
			case <-maint.c():
				rt.maintain(s.now())
			case <-hist.c():
				rt.sample(s.now())
				rt.store.Retry() // a state file a full disk refused (docs/hardening.md#a-full-disk)
			case <-mount.c():
				_, _ = s.CheckMountFile() // logged there
			case <-mem.c():
				s.mem.tick(s.now(), rt.inflight.Load())
			}
		}
	}()
	return func() { close(done); <-finished }
}

func mountInterval(rt *runtime) time.Duration {
	if rt.cfg.Server.MountFile == "" || rt.cfg.Server.MountFileReload <= 0 {
		return 0
	}
	return time.Duration(rt.cfg.Server.MountFileReload) * time.Second
}

// ticker is a time.Ticker whose period can change; period 0 never ticks.
type ticker struct {
	every time.Duration
	t     *time.Ticker
}

func (k *ticker) set(d time.Duration) {
	if d == k.every {
		return
	}
	k.stop()
	k.every = d
	if d > 0 {
		k.t = time.NewTicker(d)
	}
}

func (k *ticker) stop() {
	if k.t != nil {
		k.t.Stop()
		k.t = nil
	}
}

// c is the tick channel; nil (never ready) when stopped.
func (k *ticker) c() <-chan time.Time {
	if k.t == nil {
		return nil
	}
	return k.t.C
}

// Returning memory once the server goes quiet (docs/performance.md#memory).
// Under load the Go runtime grows its heap: buffers pooled per busy
// connection, goroutine stacks, and a GC goal of twice the live heap. When
// the load stops nothing allocates, so no collection runs, the pools keep
// their buffers and the freed pages stay with the process: after a
// 256-connection load run it kept about 40 MiB of anonymous memory where
// it needs 2 at rest. memRelease collects twice (a sync.Pool drops its
// contents over two collections) and returns the free pages to the OS,
// once no request started for memQuiet after a peak. It is off when the
// operator set GOGC or GOMEMLIMIT: then the runtime does what they chose.
const (
	memQuietStep = 250 * time.Millisecond // how often the loop looks
	memQuiet     = time.Second            // no request started for this long
	memMinGap    = 10 * time.Second       // at most one release in this long
	memPeak      = 4 << 20                // the runtime holds this much more than after the last release
)

type memRelease struct {
	on      bool
	started atomic.Uint64 // requests started (acquire)
	count   atomic.Uint64 // releases made, for /metrics
	// held is what the runtime holds from the OS and has not returned;
	// free collects and returns what it can. Tests replace both.
	held func() uint64
	free func()

	// The loop's own state.
	seen      uint64    // started at the last look
	busyAt    time.Time // when a request was last seen starting or in flight
	releaseAt time.Time // the last release
	base      uint64    // held after the last release (or at start)
}

func newMemRelease(getenv func(string) string) *memRelease {
	m := &memRelease{on: getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "", held: heldBytes, free: freeMemory}
	if m.on {
		m.base = m.held()
	}
	return m
}

// tick looks at the server at now, with inflight requests on the current
// configuration, and releases memory when it is quiet after a peak. It
// reports whether it released.
func (m *memRelease) tick(now time.Time, inflight int64) bool {
	if n := m.started.Load(); n != m.seen || inflight > 0 {
		m.seen, m.busyAt = n, now
		return false
	}
	if m.busyAt.IsZero() || now.Sub(m.busyAt) < memQuiet ||
		(!m.releaseAt.IsZero() && now.Sub(m.releaseAt) < memMinGap) {
		return false
	}
	m.busyAt = time.Time{} // quiet since the last look: nothing new to release until a request comes
	if m.held() < m.base+memPeak {
		return false // no peak: a trickle of requests costs no collection
	}
	m.free()
	m.releaseAt, m.base = now, m.held()
	m.count.Add(1)
	return true
}

// heldBytes is the memory the runtime holds from the OS, less what it
// already returned (runtime/metrics; no stop-the-world).
func heldBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// freeMemory empties the sync.Pools (two collections) and returns the
// free pages to the OS.
func freeMemory() {
	goruntime.GC()
	debug.FreeOSMemory()
}
