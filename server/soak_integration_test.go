//go:build integration && soak

// The soak test (issue 7): mixed load for a bounded time while members are
// killed and restarted, then a check that goroutines, file descriptors and
// heap return to where they were. It is not in CI's default path; run it
// on demand:
//
//	JKB_SOAK=5m go test -tags 'integration soak' -run TestSoak -v -timeout 30m ./server/
//
// JKB_SOAK is the load duration (default 2m, at most 2h). Figures are
// logged as "SOAK ..." lines.

package server

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
)

// soakUsage is what the soak test watches in this process.
type soakUsage struct {
	goroutines int
	fds        int
	heapMiB    float64
}

func (u soakUsage) String() string {
	return fmt.Sprintf("goroutines %d, fds %d, heap %.1f MiB", u.goroutines, u.fds, u.heapMiB)
}

func soakMeasure(t *testing.T) soakUsage {
	t.Helper()
	goruntime.GC()
	debug.FreeOSMemory()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return soakUsage{goroutines: goruntime.NumGoroutine(), fds: len(ents), heapMiB: float64(ms.HeapInuse) / (1 << 20)}
}

func soakDuration(t *testing.T) time.Duration {
	d := 2 * time.Minute
	if v := os.Getenv("JKB_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("JKB_SOAK=%q: %v", v, err)
		}
	}
	return min(d, 2*time.Hour)
}

func TestSoak(t *testing.T) {
	dur := soakDuration(t)
	e := foNewEnv(t)
	routes := []string{"r1", "r2", "r3"}
	var members []*foMember
	var ws []foW
	// Idle backend connections close after 2 s, so the pools empty between
	// the phases and the fd counts compare like with like.
	attrs := []string{"ping_mode=A", "ping_timeout=500", "connection_pool_timeout=2", "connection_pool_minsize=0", "recovery_options=1", "reply_timeout=5000"}
	for i, r := range routes {
		m := e.startMember(r, 0)
		members = append(members, m)
		ws = append(ws, foW{fmt.Sprintf("m%d", i+1), r, m.port, attrs})
	}
	e.startLB(foProps([]string{"recover_time=1", "retries=4"}, ws...))
	fresh := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	defer fresh.CloseIdleConnections()

	idle := func() soakUsage {
		e.client.CloseIdleConnections()
		fresh.CloseIdleConnections()
		foWaitFor(30*time.Second, func() bool {
			for _, w := range ws {
				if st := e.poolStats(w.name); st.Open > 0 {
					return false
				}
			}
			return true
		})
		return soakMeasure(t)
	}
	warm := soakRun(e, fresh, routes, 20*time.Second, 2000, nil)
	before := idle()
	t.Logf("SOAK baseline after %d warm-up requests: %s", warm.total.Load(), before)

	restarts := 0
	restart := func(i int) {
		m := members[i%len(members)]
		m.kill()
		m.restart(t)
		restarts++
	}
	start := time.Now()
	res := soakRun(e, fresh, routes, dur, 1<<31, func(tick int) {
		if tick%10 == 0 { // every 10 s one member dies and comes back
			restart(tick / 10)
		}
	})
	elapsed := time.Since(start)
	foWaitFor(30*time.Second, func() bool {
		for _, w := range ws {
			if e.member(w.name).State != balancer.StateOK {
				return false
			}
		}
		return true
	})
	after := idle()
	total, failed := res.total.Load(), res.failed.Load()
	t.Logf("SOAK %v: %d requests (%.0f/s), %d failed (%.3f%%), %d member restarts; after: %s",
		elapsed.Round(time.Second), total, float64(total)/elapsed.Seconds(), failed,
		100*float64(failed)/float64(max(total, 1)), restarts, after)
	if total == 0 {
		t.Fatal("no request completed")
	}
	// A request on a member that is killed under it may fail (its POST is
	// never replayed: recovery_options=1); everything else must not.
	if limit := int64(restarts)*8 + 1; failed > limit {
		t.Errorf("%d requests failed, more than the %d the %d kills can explain; first: %s", failed, limit, restarts, res.first())
	}
	if after.goroutines > before.goroutines+10 {
		t.Errorf("goroutines %d -> %d: a leak", before.goroutines, after.goroutines)
	}
	if after.fds > before.fds+10 {
		t.Errorf("file descriptors %d -> %d: a leak", before.fds, after.fds)
	}
	if after.heapMiB > before.heapMiB*1.5+8 {
		t.Errorf("heap %.1f MiB -> %.1f MiB: more than 1.5x + 8 MiB", before.heapMiB, after.heapMiB)
	}
}

// soakResult counts what a soak phase did.
type soakResult struct {
	total, failed atomic.Int64
	mu            sync.Mutex
	firstFailure  string
}

func (r *soakResult) first() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstFailure
}

// soakRun sends a mix for at most dur and maxReq requests from 8 clients:
// small and 64 KiB GETs, 8 KiB POSTs, sticky and new sessions, and every
// fifth request on a new connection. every, when set, runs once a second.
func soakRun(e *foEnv, fresh *http.Client, routes []string, dur time.Duration, maxReq int64, every func(tick int)) *soakResult {
	res := &soakResult{}
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	body := strings.Repeat("k=v&", 2048)
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for i := 0; time.Now().Before(deadline) && res.total.Load() < maxReq; i++ {
				cookie := ""
				if rng.IntN(2) == 0 {
					cookie = "JSESSIONID=soak" + fmt.Sprint(c) + "." + routes[rng.IntN(len(routes))]
				}
				method, path, b := "GET", "/b?size=64", ""
				switch rng.IntN(6) {
				case 0:
					path = "/b?size=65536"
				case 1:
					method, path, b = "POST", "/p?size=64", body
				}
				client := e.client
				if i%5 == 4 {
					client = fresh
				}
				r := e.doWith(client, method, path, cookie, b)
				res.total.Add(1)
				if foFailed(r) {
					res.failed.Add(1)
					res.mu.Lock()
					if res.firstFailure == "" {
						res.firstFailure = fmt.Sprintf("%s %s: status %d err %v", method, path, r.status, r.err)
					}
					res.mu.Unlock()
				}
			}
		}(c)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-done:
			return res
		case <-ticker.C:
			if every != nil && time.Now().Before(deadline) {
				every(tick)
			}
		}
	}
}
