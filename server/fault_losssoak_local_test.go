//go:build integration && losssoak

// A local-only soak of TestFaultPacketLoss's fault (30% of the packets to
// and from tc2's AJP port dropped) against the default jkbalancer front,
// longer and with more clients, that dumps every goroutine (and keeps
// jkbalancer's log) when a request has waited longer than
// JKB_SOAK_DUMP_AFTER (default 8 s), to see what it waits on.
//
// Run: go test -tags 'integration losssoak' -count=1 -v -run TestLossSoak ./server
// JKB_SOAK_HTTP=1 balances over the Tomcats' HTTP connectors instead
// (type=http members), with the loss on tc2's HTTP port.

package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func soakEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func TestLossSoak(t *testing.T) {
	itRequireFaultTools(t)
	all := itTomcats(t)
	tcs := [2]*itTomcat{all[0], all[1]}
	rounds := soakEnv("JKB_SOAK_ROUNDS", 5)
	clients := soakEnv("JKB_SOAK_CLIENTS", 8)
	during := time.Duration(soakEnv("JKB_SOAK_SECONDS", 15)) * time.Second
	dumpAfter := time.Duration(soakEnv("JKB_SOAK_DUMP_AFTER", 8)) * time.Second
	out := os.Getenv("JKB_SOAK_OUT")
	if out == "" {
		out = "/tmp/losssoak"
	}
	os.MkdirAll(out, 0o755)
	var dumps atomic.Int32
	for round := range rounds {
		workers, port := itPairWorkers(tcs), tcs[1].ajpPort
		if os.Getenv("JKB_SOAK_HTTP") == "1" {
			workers, port = soakHTTPWorkers(tcs), tcs[1].httpPort
		}
		spec := itSpec{workers: workers, jkMounts: []string{"/* lb"}}
		j := itStartJKB(t, spec, "")
		base := faultLoad(j.addr, clients, time.Second, 15*time.Second)
		f := itNewFault(t, port)
		f.lossy(0.3)
		var (
			mu  sync.Mutex
			sum faultStats
			wg  sync.WaitGroup
		)
		deadline := time.Now().Add(during)
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := faultClient(15 * time.Second)
				defer cl.CloseIdleConnections()
				var s faultStats
				for i := 0; time.Now().Before(deadline); i++ {
					start := time.Now()
					tm := time.AfterFunc(dumpAfter, func() {
						n := dumps.Add(1)
						p := filepath.Join(out, fmt.Sprintf("stuck-%d-r%d-c%d-i%d", n, round, c, i))
						if fh, err := os.Create(p + ".goroutines"); err == nil {
							fmt.Fprintf(fh, "request started %s\n", start.Format(time.RFC3339Nano))
							pprof.Lookup("goroutine").WriteTo(fh, 2)
							fh.Close()
						}
						if src, err := os.Open(j.logPath); err == nil {
							if dst, err := os.Create(p + ".log"); err == nil {
								io.Copy(dst, src)
								dst.Close()
							}
							src.Close()
						}
						t.Logf("round %d client %d request %d stuck since %s: dumped to %s", round, c, i, start.Format("15:04:05.000"), p)
					})
					faultGet(cl, j.addr, &s)
					tm.Stop()
				}
				mu.Lock()
				sum.add(s)
				mu.Unlock()
			}()
		}
		wg.Wait()
		f.remove()
		t.Logf("round %d: before %d ok; during %d ok, %d errors, max latency %v %s", round, base.ok, sum.ok, sum.errs,
			sum.maxLat.Round(time.Millisecond), faultErrNote(sum))
		if sum.errs != 0 {
			t.Errorf("round %d: %d errors", round, sum.errs)
		}
	}
}

// soakHTTPWorkers is itPairWorkers over the Tomcats' HTTP connectors.
func soakHTTPWorkers(tcs [2]*itTomcat) string {
	return fmt.Sprintf(`worker.list=lb
worker.template.type=http
worker.template.host=127.0.0.1
worker.%s.reference=worker.template
worker.%s.port=%d
worker.%s.reference=worker.template
worker.%s.port=%d
worker.lb.type=lb
worker.lb.sticky_session=true
worker.lb.balance_workers=%s,%s
`, tcs[0].name, tcs[0].name, tcs[0].httpPort, tcs[1].name, tcs[1].name, tcs[1].httpPort, tcs[0].name, tcs[1].name)
}
