//go:build integration

// Real network faults on one member's loopback port (issue 17), measured
// for jkbalancer with mod_jk's settings (so jkbalancer's safe defaults,
// docs/config.md#safe-defaults), jkbalancer tuned, and httpd + mod_jk with
// the same members and the same workers.properties. The numbers are
// logged as a table ("FAULT ..." lines, go test -v); both jkbalancer
// fronts are held to issue 17's targets, mod_jk is measured only
// (docs/testing.md#network-faults-on-loopback).
//
// Run: go test -tags integration -count=1 -v -run TestFault ./server

package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

const faultPath = "/status.jsp?code=200"

// faultStats is what a client saw during one phase.
type faultStats struct {
	ok, errs int
	maxLat   time.Duration
	elapsed  time.Duration
	firstErr string
	// stuck is the client time spent in requests slower than
	// faultStuckAfter: the time the fault took from the clients.
	stuck time.Duration
}

// faultStuckAfter separates a request the fault held up from one the
// busy machine slowed: every unfaulted request here takes milliseconds.
const faultStuckAfter = 500 * time.Millisecond

func (s *faultStats) add(o faultStats) {
	s.ok += o.ok
	s.errs += o.errs
	s.maxLat = max(s.maxLat, o.maxLat)
	s.stuck += o.stuck
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
}

func (s faultStats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

// faultClient is a keep-alive client whose requests give up after timeout,
// as a browser or a load balancer in front would.
func faultClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
}

// faultGet sends one GET and records its outcome in s.
func faultGet(c *http.Client, addr string, s *faultStats) {
	start := time.Now()
	resp, err := c.Get("http://" + addr + faultPath)
	if err == nil {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	lat := time.Since(start)
	s.maxLat = max(s.maxLat, lat)
	if lat > faultStuckAfter {
		s.stuck += lat
	}
	if err != nil {
		s.errs++
		if s.firstErr == "" {
			s.firstErr = err.Error()
		}
		return
	}
	s.ok++
}

// faultSeq sends n sequential requests on one client.
func faultSeq(c *http.Client, addr string, n int) faultStats {
	var s faultStats
	start := time.Now()
	for range n {
		faultGet(c, addr, &s)
	}
	s.elapsed = time.Since(start)
	return s
}

// faultLoad runs clients concurrent keep-alive clients against addr for
// dur (each bounded to 100000 requests) and waits for the requests in
// flight, which give up after timeout.
func faultLoad(addr string, clients int, dur, timeout time.Duration) faultStats {
	var (
		mu  sync.Mutex
		all faultStats
		wg  sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(dur)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := faultClient(timeout)
			defer c.CloseIdleConnections()
			var s faultStats
			for i := 0; i < 100000 && time.Now().Before(deadline); i++ {
				faultGet(c, addr, &s)
			}
			mu.Lock()
			all.add(s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	all.elapsed = dur
	return all
}

// faultTuning is what a careful operator adds to the member template:
// bounded connect, CPing before a request on a connection idle for a
// while and on connect, a reply timeout, TCP keepalive.
const faultTuning = `worker.template.socket_connect_timeout=1000
worker.template.ping_mode=A
worker.template.ping_timeout=1000
worker.template.connection_ping_interval=2
worker.template.reply_timeout=3000
worker.template.socket_keepalive=true
`

// faultTuned names the tuned jkbalancer front (faultTuning).
const faultTuned = "jkb-tuned"

// faultHeld reports whether a front is held to issue 17's targets: both
// jkbalancer fronts are; httpd + mod_jk is the comparison.
func faultHeld(front string) bool { return front != "mod_jk" }

// faultFronts starts jkbalancer and httpd + mod_jk over tc1 and tc2 with
// the same workers.properties (an lb of both, mod_jk's defaults), and a
// jkbalancer with faultTuning.
func faultFronts(t *testing.T) (tcs [2]*itTomcat, fronts []itFront) {
	t.Helper()
	itRequireFaultTools(t)
	all := itTomcats(t)
	tcs = [2]*itTomcat{all[0], all[1]}
	return tcs, faultFrontsFor(t, tcs)
}

func faultFrontsFor(t *testing.T, tcs [2]*itTomcat) []itFront {
	t.Helper()
	spec := itSpec{workers: itPairWorkers(tcs), jkMounts: []string{"/* lb"}}
	tuned := itSpec{workers: itPairWorkers(tcs) + faultTuning, jkMounts: spec.jkMounts}
	return []itFront{
		{name: "jkbalancer", addr: itStartJKB(t, spec, "").addr},
		{name: faultTuned, addr: itStartJKB(t, tuned, "").addr},
		{name: "mod_jk", addr: itStartHTTPD(t, spec).addr},
	}
}

// faultRow logs one line of the results table.
func faultRow(t *testing.T, fault, front string, s faultStats, extra string) {
	t.Helper()
	t.Logf("FAULT %-22s %-10s answered %4d  errors %3d  max latency %7v  %s%s", fault, front,
		s.ok, s.errs, s.maxLat.Round(time.Millisecond), extra, faultErrNote(s))
}

func faultErrNote(s faultStats) string {
	if s.firstErr == "" {
		return ""
	}
	return " first error: " + s.firstErr
}

// Scenario 1: a stateful firewall forgets the member's idle connections
// (conntrack entries deleted, nf_conntrack_tcp_loose=0, INVALID dropped):
// no FIN, no RST, the next request on a pooled connection goes nowhere.
func TestFaultForgottenIdleConnections(t *testing.T) {
	tcs, fronts := faultFronts(t)
	f := itNewFault(t, tcs[1].ajpPort)
	f.strictConntrack()
	for _, fr := range fronts {
		c := faultClient(5 * time.Second)
		// Warm up: both members get pooled connections; one keep-alive
		// client, so mod_jk serves it from the same httpd thread (and pool).
		warm := faultSeq(c, fr.addr, 10)
		if warm.errs != 0 {
			t.Fatalf("%s: %d of 10 requests failed before the fault: %s", fr.name, warm.errs, warm.firstErr)
		}
		n := f.forget()
		s := faultSeq(c, fr.addr, 4)
		c.CloseIdleConnections()
		faultRow(t, "forgotten-idle", fr.name, s, fmt.Sprintf("(4 sequential, client timeout 5s, %d conntrack entries forgotten)  ", n))
		// Target (issue 17): every request 200, none slower than 2 s.
		if faultHeld(fr.name) && (s.errs != 0 || s.maxLat > 2*time.Second) {
			t.Errorf("%s: %d errors, slowest %v; want every request answered within 2 s", fr.name, s.errs, s.maxLat)
		}
	}
}

// faultLoadRun measures each front under a bounded load before and while
// the fault is on: inject starts it and returns its undo. With midLoad the
// fault starts a quarter into the loaded phase, while requests are in
// flight on the member, instead of between the two phases.
type faultLoadRun struct {
	name                    string
	clients                 int
	before, during, timeout time.Duration
	midLoad                 bool
	// minRatio is the share of the throughput before the fault a held
	// front keeps (0: not asserted); every held front has 0 errors
	// unless errsLogged. The req/s ratio is logged; what is asserted is
	// the share of the clients' time not lost in requests the fault held
	// up (faultStats.stuck): the same measure of what the fault costs,
	// but one that other load on the machine does not move (it slows
	// the phases before and during the fault unevenly).
	minRatio   float64
	errsLogged bool
}

func (r faultLoadRun) run(t *testing.T, fronts []itFront, inject func() func()) {
	t.Helper()
	for _, fr := range fronts {
		base := faultLoad(fr.addr, r.clients, r.before, r.timeout)
		if base.errs != 0 || base.ok == 0 {
			t.Fatalf("%s: before the fault %d answered, %d errors: %s", fr.name, base.ok, base.errs, base.firstErr)
		}
		s := r.faulted(fr.addr, inject)
		ratio := s.rate() / base.rate()
		kept := 1 - s.stuck.Seconds()/(float64(r.clients)*r.during.Seconds())
		faultRow(t, r.name, fr.name, s, fmt.Sprintf("(%d clients %v, timeout %v; %.0f req/s before, %.0f during: %.0f%%; client time kept %.0f%%)  ",
			r.clients, r.during, r.timeout, base.rate(), s.rate(), 100*ratio, 100*kept))
		if !faultHeld(fr.name) {
			continue
		}
		if !r.errsLogged && s.errs != 0 {
			t.Errorf("%s under %s: %d client errors (%s), want 0", fr.name, r.name, s.errs, s.firstErr)
		}
		if r.minRatio > 0 && kept < r.minRatio {
			t.Errorf("%s under %s: %.0f%% of the clients' time kept (%.0f%% of the req/s before the fault), want at least %.0f%%",
				fr.name, r.name, 100*kept, 100*ratio, 100*r.minRatio)
		}
	}
}

// faulted runs the loaded phase with the fault on.
func (r faultLoadRun) faulted(addr string, inject func() func()) faultStats {
	if !r.midLoad {
		undo := inject()
		defer undo()
		return faultLoad(addr, r.clients, r.during, r.timeout)
	}
	done := make(chan faultStats, 1)
	go func() { done <- faultLoad(addr, r.clients, r.during, r.timeout) }()
	// Not a timing assertion: only where in the phase the fault starts.
	time.Sleep(r.during / 4)
	undo := inject()
	defer undo()
	return <-done
}

// Scenario 2: the member is blackholed (every packet to and from its AJP
// port dropped) under a bounded load of 8 clients. The client gives up
// after 2 s (wrk's default), well inside the window, so a client stuck on
// the faulty member comes back and counts.
// Target (issue 17): 0 client errors, at least 70% of the throughput
// before the fault.
func TestFaultBlackholedMember(t *testing.T) {
	tcs, fronts := faultFronts(t)
	r := faultLoadRun{name: "blackholed", clients: 8, before: 3 * time.Second, during: 8 * time.Second,
		timeout: 2 * time.Second, minRatio: 0.7}
	r.run(t, fronts, func() func() {
		f := itNewFault(t, tcs[1].ajpPort)
		f.blackhole()
		return f.remove
	})
}

// Scenario 2b: the same blackhole, starting while requests are in flight
// on the member. A request whose answer the blackhole swallows after the
// member got it cannot be told from a slow one (no unacknowledged data on
// jkbalancer's side), so its client times out: the errors are logged, the
// throughput is held to the same 70% (docs/testing.md#network-faults-on-loopback).
func TestFaultBlackholedMidLoad(t *testing.T) {
	tcs, fronts := faultFronts(t)
	r := faultLoadRun{name: "blackholed-mid-load", clients: 8, before: 3 * time.Second, during: 8 * time.Second,
		timeout: 2 * time.Second, midLoad: true, minRatio: 0.7, errsLogged: true}
	r.run(t, fronts, func() func() {
		f := itNewFault(t, tcs[1].ajpPort)
		f.blackhole()
		return f.remove
	})
}

// Scenario 3: 30% of the packets to and from the member dropped at random.
// Target (issue 17): every request answered; the client waits up to 15 s,
// TCP retransmits lost segments.
func TestFaultPacketLoss(t *testing.T) {
	tcs, fronts := faultFronts(t)
	r := faultLoadRun{name: "loss-30%", clients: 4, before: 2 * time.Second, during: 6 * time.Second, timeout: 15 * time.Second}
	r.run(t, fronts, func() func() {
		f := itNewFault(t, tcs[1].ajpPort)
		f.lossy(0.3)
		return f.remove
	})
}

// Scenario 4: member tc2 is replaced by a listener that accepts
// connections and never reads nor answers (a wedged JVM whose acceptor
// still runs). No iptables needed.
func TestFaultAcceptsNeverAnswers(t *testing.T) {
	all := itTomcats(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held, never read, closed at cleanup
			mu.Unlock()
		}
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			ln.Close()
			<-done
			mu.Lock()
			for _, c := range conns {
				c.Close()
			}
			mu.Unlock()
		})
	}
	t.Cleanup(release)
	mute := &itTomcat{name: "tc2", ajpPort: ln.Addr().(*net.TCPAddr).Port}
	fronts := faultFrontsFor(t, [2]*itTomcat{all[0], mute})
	// Cleanups run last first: release the held connections before the
	// fronts stop, so that their requests in flight end at once.
	t.Cleanup(release)
	for _, fr := range fronts {
		r := faultLoadRun{name: "accepts-never-answers", clients: 8, timeout: 2 * time.Second}
		s := faultLoad(fr.addr, r.clients, 8*time.Second, r.timeout)
		faultRow(t, r.name, fr.name, s, fmt.Sprintf("(%d clients 8s from the start, timeout %v; %.0f req/s)  ",
			r.clients, r.timeout, s.rate()))
		switch fr.name {
		case faultTuned:
			// A CPing on connect finds the mute member at once.
			if s.errs != 0 {
				t.Errorf("%s: %d client errors (%s), want 0", fr.name, s.errs, s.firstErr)
			}
		case "jkbalancer":
			// Stall detection (docs/config.md#stall-detection) moves new
			// requests away after stall_min; what was already waiting on
			// the mute member times out at the client: about one request
			// per client, never the steady stream mod_jk keeps sending.
			if s.errs > 2*r.clients || s.ok < 100*s.errs {
				t.Errorf("%s: %d answered, %d client errors; want at most %d errors and 100 answers per error",
					fr.name, s.ok, s.errs, 2*r.clients)
			}
		}
	}
}
