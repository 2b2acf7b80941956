//go:build integration

// Failure tests with real processes (issue 3): jkbalancer runs in-process
// in front of bench/member processes on 127.0.0.1, and the tests SIGKILL,
// SIGSTOP, SIGCONT and restart those processes under load. They assert
// numbers: client errors, which member served what, the lb's member states,
// and detection/failover/recovery times bounded by what the configured
// timeouts imply (with generous slack). Measured figures are logged as
// "MEASURED scenario N: ..." lines.
//
// Run: go test -tags integration -count=1 -run Failover -v ./server/
//
// Helpers carry an "fo" prefix: the other integration files of this
// package are edited concurrently and nothing of theirs is reused.

package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// ---------------------------------------------------------------------
// Scenario 1: SIGKILL under steady load.

func TestFailoverKilledMember(t *testing.T) {
	const (
		clients       = 4
		total         = 400
		retries       = 2
		retryInterval = 100 * time.Millisecond
	)
	e := foNewEnv(t)
	m1 := e.startMember("r1", 0)
	m2 := e.startMember("r2", 0)
	memberAttrs := []string{"retries=2", "retry_interval=100"}
	e.startLB(foProps([]string{"recover_time=60", "retry_interval=100"},
		foW{"m1", "r1", m1.port, memberAttrs}, foW{"m2", "r2", m2.port, memberAttrs}))

	// /slow?ms=2 keeps requests in flight on the member when it dies.
	l := e.load(clients, total, "", func(i int) string { return "/slow?ms=2&i=" + strconv.Itoa(i) })
	if !foWaitFor(20*time.Second, func() bool { return l.completed.Load() >= total/4 }) {
		t.Fatalf("load did not reach %d requests in 20s", total/4)
	}
	electedAtKill := e.member("m2").Elected
	killAt := time.Now()
	m2.kill()
	exitedAt := time.Now()

	// Watch the lb while the load goes on: when m2 turns ERR and when the
	// last request was sent to it.
	var errAt, lastElectAt time.Time
	lastElected := electedAtKill
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !l.finished(); {
		ms := e.member("m2")
		now := time.Now()
		if ms.Elected != lastElected {
			lastElected, lastElectAt = ms.Elected, now
		}
		if errAt.IsZero() && ms.State == balancer.StateError {
			errAt = now
		}
		time.Sleep(time.Millisecond)
	}
	res := l.wait(t, 30*time.Second)
	final := e.member("m2")
	if final.Elected != lastElected {
		lastElected, lastElectAt = final.Elected, time.Now()
	}
	if errAt.IsZero() && final.State == balancer.StateError {
		errAt = time.Now()
	}

	if len(res) != total {
		t.Errorf("%d requests completed, want %d", len(res), total)
	}
	if n, ex := foErrors(res); n != 0 {
		t.Errorf("%d of %d client requests failed after SIGKILL of a member under load, want 0; e.g. %s", n, len(res), ex)
	}
	if final.State != balancer.StateError {
		t.Errorf("killed member m2 is in state %s, want ERR", final.State)
	}
	bound := time.Duration(retries-1)*retryInterval + time.Second
	detect := errAt.Sub(killAt)
	if errAt.IsZero() {
		t.Errorf("killed member m2 never went to ERR")
	} else if detect > bound {
		t.Errorf("m2 went to ERR %v after SIGKILL, want within (retries-1)*retry_interval + 1s = %v", detect, bound)
	}
	late := 0
	for _, r := range res {
		if r.route == "r2" && r.start.After(exitedAt) {
			late++
		}
	}
	if late != 0 {
		t.Errorf("%d requests started after m2 exited were answered by r2", late)
	}
	byRoute := foByRoute(res)
	saw := m2.logCount("GET /slow")
	if byRoute["r2"] > saw {
		t.Errorf("r2 answered %d requests but its log shows only %d", byRoute["r2"], saw)
	}
	var firstClean time.Time
	for _, r := range foSortedByStart(res) {
		after := exitedAt
		if lastElectAt.After(after) {
			after = lastElectAt
		}
		if r.start.After(after) {
			firstClean = r.end
			break
		}
	}
	t.Logf("MEASURED scenario 1: SIGKILL of m2 after %d of %d requests (%d clients): client errors %d; served r1=%d r2=%d; m2 saw %d; "+
		"ERR detected %v after kill (bound %v); attempts on m2 after kill %d, last one %v after kill; "+
		"first response to a request started after that %v after kill",
		total/4, total, clients, foCount(res, foFailed), byRoute["r1"], byRoute["r2"], saw,
		foDur(errAt, killAt), bound, lastElected-electedAtKill, foDur(lastElectAt, killAt), foDur(firstClean, killAt))
}

// ---------------------------------------------------------------------
// Scenario 2: a member frozen with SIGSTOP, then SIGCONT.

func TestFailoverFrozenMember(t *testing.T) {
	cases := []struct {
		name  string
		attrs []string
		ping  time.Duration // ping_timeout when a ping_mode is set
		reply time.Duration // reply_timeout
	}{
		{"ping_mode=P", []string{"ping_mode=P", "ping_timeout=500"}, 500 * time.Millisecond, 0},
		{"ping_mode=A", []string{"ping_mode=A", "ping_timeout=500"}, 500 * time.Millisecond, 0},
		{"reply_timeout=500", []string{"reply_timeout=500"}, 0, 500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { foFrozen(t, c.name, c.attrs, c.ping, c.reply) })
	}
}

func foFrozen(t *testing.T, name string, attrs []string, ping, reply time.Duration) {
	const (
		// More clients than the frozen member can hold: with CPing alone
		// a request in flight on it when it stops waits for SIGCONT, and
		// the remaining clients are what reveals the freeze.
		clients       = 8
		retries       = 2
		retryInterval = 100 * time.Millisecond
		recoverTime   = time.Second // lb recover_time=1
		maintain      = time.Second // worker.maintain=1
		afterDetect   = 40          // requests to run once the member is ERR
	)
	e := foNewEnv(t)
	m1 := e.startMember("r1", 0)
	m2 := e.startMember("r2", 0)
	ma := append([]string{"retries=2", "retry_interval=100"}, attrs...)
	e.startLB(foProps([]string{"recover_time=1", "retry_interval=100"},
		foW{"m1", "r1", m1.port, ma}, foW{"m2", "r2", m2.port, ma}))

	// Warm up: both members hold pooled connections.
	warm := e.load(clients, 40, "", func(i int) string { return "/warm" }).wait(t, 20*time.Second)
	if n, ex := foErrors(warm); n != 0 {
		t.Fatalf("warm-up: %d errors (%s)", n, ex)
	}

	l := e.load(clients, 100000, "", func(i int) string { return "/slow?ms=5&i=" + strconv.Itoa(i) })
	if !foWaitFor(20*time.Second, func() bool { return l.completed.Load() >= 40 }) {
		t.Fatal("load did not start")
	}
	// sigAt: SIGSTOP sent; frozenAt: every thread of m2 seen stopped.
	// Requests started after sigAt count as "after the freeze"; only those
	// started after frozenAt cannot have been answered by m2 in between.
	electedAtFreeze := e.member("m2").Elected
	sigAt := m2.freeze(t)
	frozenAt := time.Now()
	open := e.poolStats("m2").Open

	// What the configuration allows one request to spend on the frozen
	// member before the lb gives up on it: every pooled connection may
	// cost a ping_timeout (prepost CPing), then each of the member's
	// retries a connect CPing (or a reply_timeout), with retry_interval
	// between retries; plus 1 s slack.
	var bound time.Duration
	if ping > 0 {
		bound = time.Duration(open+retries)*ping + (retries-1)*retryInterval + time.Second
	} else {
		bound = retries*reply + (retries-1)*retryInterval + time.Second
	}

	var errAt time.Time
	var electedAtErr uint64
	for deadline := sigAt.Add(bound + 3*time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if ms := e.member("m2"); ms.State == balancer.StateError {
			errAt, electedAtErr = time.Now(), ms.Elected
			break
		}
	}
	if !errAt.IsZero() {
		// Let traffic run on the other member for a while.
		foWaitFor(10*time.Second, func() bool {
			n := 0
			for _, r := range l.results() {
				if r.start.After(errAt) {
					n++
				}
			}
			return n >= afterDetect
		})
	}
	l.halt()

	// Hold the member frozen past recover_time: the health checker probes
	// it meanwhile, and a failed probe must not readmit it.
	heldErr := true
	var heldState balancer.State
	if !errAt.IsZero() {
		for until := errAt.Add(recoverTime + 2*time.Second); time.Now().Before(until); time.Sleep(20 * time.Millisecond) {
			if st := e.member("m2").State; st != balancer.StateError && heldErr {
				heldErr, heldState = false, st
			}
		}
	}
	beforeThaw := e.member("m2")
	poolBeforeThaw := e.poolStats("m2")
	electedBeforeThaw := beforeThaw.Elected
	thawAt := time.Now()
	m2.thaw()
	res := l.wait(t, 25*time.Second)

	// (c) back in service after recover_time.
	recoverBound := recoverTime + maintain + 2*time.Second
	var backAt time.Time
	var polls []foResult
	for deadline := thawAt.Add(recoverBound + 6*time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		r := e.do("GET", "/back", "", "")
		polls = append(polls, r)
		if !foFailed(r) && r.route == "r2" {
			backAt = r.end
			break
		}
	}

	// Classify what the clients saw.
	var post, waited []foResult // started after the freeze; in flight on m2 across the whole freeze
	var slowPost []foResult     // started after the freeze and took longer than bound
	var postOnR2 int            // started after the freeze, answered by r2 before SIGCONT
	var maxPost time.Duration
	var firstAfterErr time.Time
	for _, r := range foSortedByStart(res) {
		// A request started between SIGSTOP and the moment every thread
		// of m2 was seen stopped may have had its CPing answered and then
		// hung: it was in flight across the freeze, not after it.
		if r.start.After(frozenAt) {
			post = append(post, r)
			lat := r.end.Sub(r.start)
			maxPost = max(maxPost, lat)
			if lat > bound {
				slowPost = append(slowPost, r)
			}
			if r.start.After(frozenAt) && r.route == "r2" && r.end.Before(thawAt) {
				postOnR2++
			}
			if !errAt.IsZero() && firstAfterErr.IsZero() && r.start.After(errAt) && r.route == "r1" && !foFailed(r) {
				firstAfterErr = r.end
			}
		} else if r.end.After(thawAt) {
			waited = append(waited, r)
		}
	}

	// Assertions.
	if n, ex := foErrors(res); n != 0 {
		t.Errorf("%d of %d client GETs failed around the freeze, want 0; e.g. %s", n, len(res), ex)
	}
	if n, ex := foErrors(post); n != 0 {
		t.Errorf("%d GETs that started after the freeze failed, want 0; e.g. %s", n, ex)
	}
	detect := errAt.Sub(sigAt)
	if errAt.IsZero() {
		t.Errorf("frozen member m2 never went to ERR within %v of SIGSTOP (state %s, %d requests sent to it after SIGSTOP, pool %+v just before SIGCONT); traffic did not move away from it",
			bound+3*time.Second, beforeThaw.State, beforeThaw.Elected-electedAtFreeze, poolBeforeThaw)
	} else if detect > bound {
		t.Errorf("frozen member went to ERR %v after SIGSTOP, want within %v", detect, bound)
	}
	if len(slowPost) > 0 {
		r := slowPost[0]
		t.Errorf("%d of %d requests started after the freeze took longer than %v (max %v); e.g. one started %v after the freeze took %v, answered %d by %q",
			len(slowPost), len(post), bound, maxPost, r.start.Sub(sigAt), r.end.Sub(r.start), r.status, r.route)
	}
	if postOnR2 != 0 {
		t.Errorf("%d requests started after the freeze were answered by the frozen member before SIGCONT", postOnR2)
	}
	if !errAt.IsZero() && electedBeforeThaw != electedAtErr {
		t.Errorf("%d requests were sent to m2 after it went to ERR and before SIGCONT, want 0", electedBeforeThaw-electedAtErr)
	}
	if !heldErr {
		t.Errorf("m2 left ERR (to %s) while still frozen: a failed recovery probe must not readmit it", heldState)
	}
	// Requests that were already in flight on the member when it froze:
	// with CPing alone nothing bounds them, they wait for SIGCONT and then
	// complete (at most one per client). reply_timeout bounds them: they
	// are replayed elsewhere (GET, recovery_options=0), none waits.
	if reply > 0 {
		if len(waited) != 0 {
			t.Errorf("%d requests in flight on m2 at the freeze waited for SIGCONT despite reply_timeout=%v", len(waited), reply)
		}
	} else {
		if len(waited) > clients {
			t.Errorf("%d requests waited across the freeze, want at most one per client (%d)", len(waited), clients)
		}
		for _, r := range waited {
			if foFailed(r) || r.route != "r2" {
				t.Errorf("a request in flight on m2 at the freeze ended with %d from %q (err %v), want 200 from r2 after SIGCONT", r.status, r.route, r.err)
				break
			}
		}
	}
	if n, ex := foErrors(polls); n != 0 {
		t.Errorf("%d requests failed after SIGCONT, want 0; e.g. %s", n, ex)
	}
	back := backAt.Sub(thawAt)
	if backAt.IsZero() {
		t.Errorf("m2 did not serve again within %v of SIGCONT (state %s)", recoverBound+6*time.Second, e.member("m2").State)
	} else if back > recoverBound {
		t.Errorf("m2 served again %v after SIGCONT, want within recover_time + maintain + 2s = %v", back, recoverBound)
	}
	probed := e.logs.contains("member passed its recovery probe")
	maxWait := time.Duration(0)
	for _, r := range waited {
		maxWait = max(maxWait, r.end.Sub(r.start))
	}
	t.Logf("MEASURED scenario 2 (%s): SIGSTOP under load of %d clients; pool of m2 at freeze: %d open; "+
		"ERR detected %v after SIGSTOP (bound %v); first response from r1 to a request started after detection %v after SIGSTOP; "+
		"requests started after the freeze: %d, errors %d, slower than bound %d, max latency %v; "+
		"in flight on m2 across the freeze: %d (waited up to %v, until SIGCONT %v after SIGSTOP); client errors total %d; m2 pool just before SIGCONT %+v; "+
		"after SIGCONT served by m2 again in %v (bound %v), a recovery probe passed: %v",
		name, clients, open, foDur(errAt, sigAt), bound, foDur(firstAfterErr, sigAt),
		len(post), foCount(post, foFailed), len(slowPost), maxPost,
		len(waited), maxWait, thawAt.Sub(sigAt), foCount(res, foFailed), poolBeforeThaw, foDur(backAt, thawAt), recoverBound, probed)
}

// ---------------------------------------------------------------------
// Scenario 3: a POST whose member dies after receiving it.

func TestFailoverPostMemberDies(t *testing.T) {
	const body = "payload=1" // 9 bytes
	t.Run("recovery_options=1/die", func(t *testing.T) {
		e := foNewEnv(t)
		m1 := e.startMember("r1", 0)
		m2 := e.startMember("r2", 0)
		ma := []string{"recovery_options=1"}
		e.startLB(foProps([]string{"recover_time=60"}, foW{"m1", "r1", m1.port, ma}, foW{"m2", "r2", m2.port, ma}))
		e.warmSticky(t, "r1", 3)
		start := time.Now()
		r := e.do("POST", "/die", "JSESSIONID=abc.r1", body)
		took := time.Since(start)
		if r.status != http.StatusBadGateway {
			t.Errorf("POST /die with recovery_options=1: status %d from %q (err %v), want 502", r.status, r.route, r.err)
		}
		if n := m1.logCount("POST /die"); n != 1 {
			t.Errorf("m1 saw POST /die %d times, want exactly 1", n)
		}
		if n := m2.logCount("POST /die"); n != 0 {
			t.Errorf("m2 saw POST /die %d times, want 0 (recovery_options=1 forbids the replay)", n)
		}
		if st := e.member("m1").State; st != balancer.StateError {
			t.Errorf("m1 closed the connection before replying: state %s, want ERR", st)
		}
		t.Logf("MEASURED scenario 3 (recovery_options=1, /die): status %d after %v; m1 saw it %d time(s), m2 %d",
			r.status, took, m1.logCount("POST /die"), m2.logCount("POST /die"))
	})

	// recovery_options=0: bench/member reads the body to EOF, as a servlet
	// does, so Tomcat asks for body past the first packet
	// (GET_BODY_CHUNK) before it dies; from then on mod_jk's
	// ajp_get_reply no longer replays the POST, and neither does
	// jkbalancer (docs/differences.md, "no resend once the member
	// answered"). The replay of a POST whose member died without asking
	// is TestPOSTReplayLikeModJK's, against mod_jk. bench/member exits on
	// /die wherever it gets it, so the member a replay would go to is an
	// in-process container; the member that dies is a real process.
	t.Run("recovery_options=0/die", func(t *testing.T) {
		e := foNewEnv(t)
		m1 := e.startMember("r1", 0)
		other, port2 := e.inProcessMember("r2")
		ma := []string{"recovery_options=0"}
		e.startLB(foProps([]string{"recover_time=60"}, foW{"m1", "r1", m1.port, ma}, foW{"m2", "r2", port2, ma}))
		e.warmSticky(t, "r1", 3)
		start := time.Now()
		r := e.do("POST", "/die", "JSESSIONID=abc.r1", body)
		took := time.Since(start)
		if r.status != http.StatusBadGateway {
			t.Errorf("POST /die with recovery_options=0 to a member that read the body: status %d from %q (err %v), want 502",
				r.status, r.route, r.err)
		}
		if n := m1.logCount("POST /die"); n != 1 {
			t.Errorf("m1 saw POST /die %d times, want exactly 1", n)
		}
		if n := other.count("POST /die"); n != 0 {
			t.Errorf("m2 saw POST /die %d times, want 0 (m1 had asked for the body)", n)
		}
		t.Logf("MEASURED scenario 3 (recovery_options=0, /die): status %d from %q after %v; m1 saw it %d time(s), m2 %d",
			r.status, r.route, took, m1.logCount("POST /die"), other.count("POST /die"))
	})

	for _, c := range []struct {
		rec        int
		wantStatus int
		wantM2     int
	}{{1, http.StatusBadGateway, 0}, {0, http.StatusBadGateway, 0}} { // 0: the member had asked for the body, see above
		t.Run(fmt.Sprintf("recovery_options=%d/killed-after-receipt", c.rec), func(t *testing.T) {
			e := foNewEnv(t)
			m1 := e.startMember("r1", 0)
			m2 := e.startMember("r2", 0)
			ma := []string{"recovery_options=" + strconv.Itoa(c.rec)}
			e.startLB(foProps([]string{"recover_time=60"}, foW{"m1", "r1", m1.port, ma}, foW{"m2", "r2", m2.port, ma}))
			e.warmSticky(t, "r1", 3)
			done := make(chan foResult, 1)
			start := time.Now()
			go func() { done <- e.do("POST", "/slow?ms=1500", "JSESSIONID=abc.r1", body) }()
			if !foWaitFor(5*time.Second, func() bool { return m1.logCount("POST /slow") == 1 }) {
				t.Fatal("m1 never received the POST")
			}
			killAt := time.Now()
			m1.kill()
			var r foResult
			select {
			case r = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("the POST did not complete within 15s")
			}
			if r.status != c.wantStatus || r.err != nil && c.wantStatus == http.StatusOK {
				t.Errorf("POST with recovery_options=%d whose member died after receiving it: status %d from %q (err %v), want %d",
					c.rec, r.status, r.route, r.err, c.wantStatus)
			}
			if n := m1.logCount("POST /slow"); n != 1 {
				t.Errorf("m1 saw the POST %d times, want 1", n)
			}
			if n := m2.logCount("POST /slow"); n != c.wantM2 {
				t.Errorf("m2 saw the POST %d times, want %d", n, c.wantM2)
			}
			if c.wantStatus == http.StatusOK {
				if r.route != "r2" || !strings.Contains(r.body, "body=9") {
					t.Errorf("replayed POST: answered by %q with body %q, want r2 with the 9 body bytes", r.route, r.body)
				}
			}
			t.Logf("MEASURED scenario 3 (recovery_options=%d, member SIGKILLed after receiving the POST): status %d from %q %v after the kill (%v total); m1 saw it %d time(s), m2 %d",
				c.rec, r.status, r.route, r.end.Sub(killAt), r.end.Sub(start), m1.logCount("POST /slow"), m2.logCount("POST /slow"))
		})
	}

	// No replay once response bytes reached the client, whatever
	// recovery_options says. bench/member has no path that sends headers
	// and then dies, so that member is an in-process ajptest container;
	// the member a replay would go to is a real process.
	for _, rec := range []int{0, 1, 2, 3} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(fmt.Sprintf("recovery_options=%d/%s-headers-then-dies", rec, method), func(t *testing.T) {
				e := foNewEnv(t)
				const declared, sent = 65536, 16384
				var seen atomic.Int64
				as := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
					io.Copy(io.Discard, r.Body)
					seen.Add(1)
					w.SendHeaders(200,
						ajp.Header{Name: "Content-Type", Value: "text/plain"},
						ajp.Header{Name: "X-Route", Value: "r1"},
						ajp.Header{Name: "Content-Length", Value: strconv.Itoa(declared)})
					w.Write(bytes.Repeat([]byte{'x'}, sent))
					w.Flush()
					w.CloseConn()
				})
				e.onClose(as.Close)
				port1 := foPortOf(t, as.Addr())
				m2 := e.startMember("r2", 0)
				ma := []string{"recovery_options=" + strconv.Itoa(rec)}
				e.startLB(foProps([]string{"recover_time=60"}, foW{"m1", "r1", port1, ma}, foW{"m2", "r2", m2.port, ma}))
				b := ""
				if method == "POST" {
					b = body
				}
				r := e.do(method, "/partial", "JSESSIONID=abc.r1", b)
				if r.status != http.StatusOK || r.route != "r1" {
					t.Errorf("status %d from %q, want the member's 200 from r1 to reach the client", r.status, r.route)
				}
				if r.err == nil || r.n <= 0 || r.n >= declared {
					t.Errorf("client read %d of %d body bytes (err %v), want a truncated body and an error", r.n, declared, r.err)
				}
				if n := seen.Load(); n != 1 {
					t.Errorf("the dying member got the request %d times, want 1", n)
				}
				if n := m2.logLines(); n != 0 {
					t.Errorf("the request was replayed to m2 (%d requests in its log) after response bytes reached the client", n)
				}
				t.Logf("MEASURED scenario 3 (recovery_options=%d, %s, headers then death): client got %d and %d of %d bytes then %v; dying member saw %d, other member %d",
					rec, method, r.status, r.n, declared, r.err, seen.Load(), m2.logLines())
			})
		}
	}
}

// ---------------------------------------------------------------------
// Scenario 4: all members down.

func TestFailoverAllMembersDown(t *testing.T) {
	const (
		workerRetries  = 2
		workerInterval = 100 * time.Millisecond
		lbRounds       = 2 // lb retries
		lbRetries      = 2 // member attempts per round
		lbInterval     = 100 * time.Millisecond
		members        = 2
	)
	e := foNewEnv(t)
	m1 := e.startMember("r1", 0)
	m2 := e.startMember("r2", 0)
	ma := []string{"retries=2", "retry_interval=100"}
	e.startLB(foProps([]string{"recover_time=60", "retries=2", "lb_retries=2", "retry_interval=100"},
		foW{"m1", "r1", m1.port, ma}, foW{"m2", "r2", m2.port, ma}))
	warm := e.load(2, 10, "", func(int) string { return "/warm" }).wait(t, 10*time.Second)
	if n, ex := foErrors(warm); n != 0 {
		t.Fatalf("warm-up: %d errors (%s)", n, ex)
	}
	killAt := time.Now()
	m1.kill()
	m2.kill()

	// Worst case: lb.retries rounds of min(lb_retries, members) member
	// attempts, each with worker.retries sends and retry_interval between
	// them, and lb retry_interval between rounds; plus 1 s slack.
	attempts := lbRounds * min(lbRetries, members)
	bound := time.Duration(attempts*(workerRetries-1))*workerInterval + time.Duration(lbRounds-1)*lbInterval + time.Second
	var durs []time.Duration
	var firstAt time.Time
	for i := 0; i < 6; i++ {
		r := e.do("GET", "/down", "", "")
		d := r.end.Sub(r.start)
		durs = append(durs, d)
		if i == 0 {
			firstAt = r.end
		}
		if r.err != nil || r.status != http.StatusServiceUnavailable {
			t.Errorf("request %d with every member down: status %d (err %v), want 503", i, r.status, r.err)
		}
		if d > bound {
			t.Errorf("request %d with every member down took %v, want within %v", i, d, bound)
		}
	}
	for _, name := range []string{"m1", "m2"} {
		if st := e.member(name).State; st != balancer.StateError && st != balancer.StateForce {
			t.Errorf("%s is %s with its process dead, want ERR or ERR/FRC", name, st)
		}
	}
	t.Logf("MEASURED scenario 4: both members SIGKILLed; 503 latencies %v (bound %v = %d attempts x (%d-1) x %v + (%d-1) x %v + 1s); first 503 %v after the kill",
		durs, bound, attempts, workerRetries, workerInterval, lbRounds, lbInterval, firstAt.Sub(killAt))
}

// ---------------------------------------------------------------------
// Scenario 5: hot standby.

func TestFailoverHotStandby(t *testing.T) {
	variants := []struct {
		name                string
		a1, a2, sb          []string
		wantRedirectStandby bool
	}{
		{"activation=D+redirect",
			[]string{"lbfactor=1", "redirect=rsb"}, []string{"lbfactor=5", "redirect=rsb"}, []string{"activation=D"}, true},
		{"distance",
			[]string{"lbfactor=1", "distance=0"}, []string{"lbfactor=5", "distance=0"}, []string{"distance=1"}, false},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			const (
				recoverTime   = time.Second            // lb recover_time=1
				maintain      = time.Second            // worker.maintain=1
				lbRounds      = 2                      // lb retries (default)
				lbRetries     = 2                      // lb lb_retries (default)
				lbInterval    = 100 * time.Millisecond // lb retry_interval
				workerRetries = 2                      // member retries (default)
				interval      = 100 * time.Millisecond // member retry_interval (default)
				members       = 3
			)
			e := foNewEnv(t)
			a1 := e.startMember("ra1", 0)
			a2 := e.startMember("ra2", 0)
			sb := e.startMember("rsb", 0)
			e.startLB(foProps([]string{"recover_time=1", "retry_interval=100"},
				foW{"a1", "ra1", a1.port, v.a1}, foW{"a2", "ra2", a2.port, v.a2}, foW{"sb", "rsb", sb.port, v.sb}))

			// 60 requests without cookies split exactly 1:5.
			before := e.lb().Snapshot().LastMaintain
			burst := e.sequential(60, "/split")
			if after := e.lb().Snapshot().LastMaintain; !after.Equal(before) {
				t.Fatalf("a maintenance run decayed the lb values during the 60-request burst; the exact split cannot be checked")
			}
			by := foByRoute(burst)
			if n, ex := foErrors(burst); n != 0 {
				t.Errorf("%d errors in the 1:5 burst (%s)", n, ex)
			}
			if by["ra1"] != 10 || by["ra2"] != 50 || by["rsb"] != 0 {
				t.Errorf("60 requests split a1=%d a2=%d standby=%d, want 10:50:0", by["ra1"], by["ra2"], by["rsb"])
			}

			// Both actives die: the standby serves everything.
			killAt := time.Now()
			a1.kill()
			a2.kill()
			after := e.sequential(30, "/standby")
			byAfter := foByRoute(after)
			if n, ex := foErrors(after); n != 0 {
				t.Errorf("%d of 30 requests failed after both actives died, want 0 (%s)", n, ex)
			}
			if byAfter["rsb"] != len(after) {
				t.Errorf("after both actives died: standby served %d of %d (%v), want all", byAfter["rsb"], len(after), byAfter)
			}
			// Round 1 tries both dead actives (each with its retries), then
			// the lb sleeps and round 2 reaches the standby; plus 1 s slack.
			failBound := time.Duration(min(lbRetries, members)*(workerRetries-1))*interval +
				time.Duration(lbRounds-1)*lbInterval + time.Second
			first := after[0].end.Sub(after[0].start)
			if first > failBound {
				t.Errorf("first request after both actives died took %v, want within %v", first, failBound)
			}
			var maxLat time.Duration
			for _, r := range after {
				maxLat = max(maxLat, r.end.Sub(r.start))
			}
			for _, name := range []string{"a1", "a2"} {
				if st := e.member(name).State; st != balancer.StateError {
					t.Errorf("dead active %s is %s, want ERR", name, st)
				}
			}

			// Restart the actives on the same ports: new traffic returns to
			// them after recover_time.
			a1.restart(t)
			a2.restart(t)
			restartAt := time.Now()
			recoverBound := recoverTime + maintain + 2*time.Second
			var back1, back2 time.Time
			var polls []foResult
			for deadline := restartAt.Add(recoverBound + 6*time.Second); time.Now().Before(deadline) && (back1.IsZero() || back2.IsZero()); time.Sleep(20 * time.Millisecond) {
				r := e.do("GET", "/return", "", "")
				polls = append(polls, r)
				switch {
				case foFailed(r):
				case r.route == "ra1" && back1.IsZero():
					back1 = r.end
				case r.route == "ra2" && back2.IsZero():
					back2 = r.end
				}
			}
			if n, ex := foErrors(polls); n != 0 {
				t.Errorf("%d requests failed while the actives came back, want 0 (%s)", n, ex)
			}
			for _, b := range []struct {
				name string
				at   time.Time
			}{{"a1", back1}, {"a2", back2}} {
				if b.at.IsZero() {
					t.Errorf("%s did not serve again within %v of its restart (state %s)", b.name, recoverBound+6*time.Second, e.member(b.name).State)
				} else if d := b.at.Sub(restartAt); d > recoverBound {
					t.Errorf("%s served again %v after its restart, want within recover_time + maintain + 2s = %v", b.name, d, recoverBound)
				}
			}
			final := e.sequential(12, "/final")
			byFinal := foByRoute(final)
			if n, ex := foErrors(final); n != 0 {
				t.Errorf("%d errors once the actives were back (%s)", n, ex)
			}
			if byFinal["rsb"] != 0 {
				t.Errorf("standby still served %d of 12 requests once both actives were back (%v), want 0", byFinal["rsb"], byFinal)
			}
			t.Logf("MEASURED scenario 5 (%s): burst split a1=%d a2=%d standby=%d; after SIGKILL of both actives: standby served %d/%d, errors %d, first request %v (bound %v), max %v, %v after the kill; "+
				"after restart: a1 back in %v, a2 back in %v (bound %v), standby then served %d/12",
				v.name, by["ra1"], by["ra2"], by["rsb"], byAfter["rsb"], len(after), foCount(after, foFailed), first, failBound, maxLat,
				after[0].end.Sub(killAt), foDur(back1, restartAt), foDur(back2, restartAt), recoverBound, byFinal["rsb"])
		})
	}
}

// ---------------------------------------------------------------------
// Scenario 6: a member restarted while stale connections sit in the pool.

func TestFailoverRestartWithStalePool(t *testing.T) {
	for _, rec := range []int{0, 3} {
		t.Run(fmt.Sprintf("recovery_options=%d", rec), func(t *testing.T) {
			const clients = 4
			e := foNewEnv(t)
			m1 := e.startMember("r1", 0)
			m2 := e.startMember("r2", 0)
			ma := []string{"recovery_options=" + strconv.Itoa(rec)}
			e.startLB(foProps([]string{"recover_time=60"}, foW{"m1", "r1", m1.port, ma}, foW{"m2", "r2", m2.port, ma}))
			const cookie = "JSESSIONID=abc.r1"
			warm := e.load(clients, 80, cookie, func(int) string { return "/slow?ms=2" }).wait(t, 20*time.Second)
			if n, ex := foErrors(warm); n != 0 {
				t.Fatalf("warm-up: %d errors (%s)", n, ex)
			}
			idle := e.poolStats("m1").Idle
			if idle < 2 {
				t.Fatalf("only %d idle pooled connections to m1 after the warm-up, need at least 2", idle)
			}
			errsBefore := e.member("m1").Errors
			m1.kill()
			m1.restart(t)
			restartAt := time.Now()
			if st := e.poolStats("m1"); st.Idle != idle {
				t.Fatalf("the pool changed while the member restarted (idle %d -> %d); the stale connections must still be pooled", idle, st.Idle)
			}
			res := e.load(clients, 40, cookie, func(i int) string { return "/after?i=" + strconv.Itoa(i) }).wait(t, 20*time.Second)
			by := foByRoute(res)
			if n, ex := foErrors(res); n != 0 {
				t.Errorf("%d of %d requests failed after the restart with %d stale pooled connections, want 0 (%s)", n, len(res), idle, ex)
			}
			if by["r1"] != len(res) {
				t.Errorf("sticky requests for r1 after its restart: r1 served %d of %d (%v), want all", by["r1"], len(res), by)
			}
			ms := e.member("m1")
			if ms.State == balancer.StateError || ms.Errors != errsBefore {
				t.Errorf("m1 after the restart: state %s, lb errors %d -> %d; stale pooled connections must not count against it",
					ms.State, errsBefore, ms.Errors)
			}
			first := foSortedByStart(res)[0]
			t.Logf("MEASURED scenario 6 (recovery_options=%d): %d stale idle connections in the pool at restart; %d requests after restart, errors %d, served by r1 %d; first response %v after restart (latency %v); m1 state %s, errors %d",
				rec, idle, len(res), foCount(res, foFailed), by["r1"], first.end.Sub(restartAt), first.end.Sub(first.start), ms.State, ms.Errors-errsBefore)
		})
	}
}

// ---------------------------------------------------------------------
// Helpers: the member binary and member processes.

var (
	foBinOnce sync.Once
	foBinPath string
	foBinErr  error
)

// foMemberBinary builds bench/member once per test binary. The binary
// goes to a fixed per-user directory (replaced atomically on every run),
// so runs do not pile up copies.
func foMemberBinary(t *testing.T) string {
	t.Helper()
	foBinOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("jkbalancer-failover-%d", os.Getuid()))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			foBinErr = err
			return
		}
		tmp := filepath.Join(dir, fmt.Sprintf("member.%d.tmp", os.Getpid()))
		cmd := exec.Command("go", "build", "-o", tmp, "github.com/jkbalancer/jkbalancer/bench/member")
		if out, err := cmd.CombinedOutput(); err != nil {
			foBinErr = fmt.Errorf("go build bench/member: %v\n%s", err, out)
			return
		}
		foBinPath = filepath.Join(dir, "member")
		foBinErr = os.Rename(tmp, foBinPath)
	})
	if foBinErr != nil {
		t.Fatal(foBinErr)
	}
	return foBinPath
}

// foMember is one bench/member process.
type foMember struct {
	route   string
	port    int
	logPath string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	out     *foBuf
	stopped bool // SIGSTOPped and not yet SIGCONTed
}

// start launches the process and waits until it listens.
func (m *foMember) start(bin string) error {
	out := newFoBuf()
	cmd := exec.Command(bin, "-ajp", fmt.Sprintf("127.0.0.1:%d", m.port), "-route", m.route, "-log", m.logPath)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	m.mu.Lock()
	m.cmd, m.done, m.out, m.stopped = cmd, done, out, false
	m.mu.Unlock()
	select {
	case <-out.ready:
		return nil
	case <-done:
		return fmt.Errorf("member %s exited at start: %s", m.route, out.String())
	case <-time.After(10 * time.Second):
		m.kill()
		return fmt.Errorf("member %s did not start within 10s: %s", m.route, out.String())
	}
}

// kill SIGKILLs the process (SIGCONT first if it is stopped) and waits
// for it to exit, so its sockets are closed when kill returns.
func (m *foMember) kill() {
	m.mu.Lock()
	cmd, done, stopped := m.cmd, m.done, m.stopped
	m.stopped = false
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	if stopped {
		cmd.Process.Signal(syscall.SIGCONT)
	}
	cmd.Process.Kill()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// restart starts the member again on the same port with the same log.
func (m *foMember) restart(t *testing.T) {
	t.Helper()
	if err := m.start(foMemberBinary(t)); err != nil {
		t.Fatal(err)
	}
}

// freeze SIGSTOPs the process and waits until every thread is stopped.
// It returns when the signal was sent.
func (m *foMember) freeze(t *testing.T) time.Time {
	t.Helper()
	m.mu.Lock()
	cmd := m.cmd
	m.stopped = true
	m.mu.Unlock()
	at := time.Now()
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if !foWaitFor(3*time.Second, func() bool { return foAllStopped(cmd.Process.Pid) }) {
		t.Fatalf("member %s did not stop within 3s", m.route)
	}
	return at
}

// thaw SIGCONTs a frozen process.
func (m *foMember) thaw() {
	m.mu.Lock()
	cmd := m.cmd
	m.stopped = false
	m.mu.Unlock()
	cmd.Process.Signal(syscall.SIGCONT)
}

// logCount counts the lines "METHOD URI" the member logged.
func (m *foMember) logCount(line string) int {
	b, _ := os.ReadFile(m.logPath)
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if l == line {
			n++
		}
	}
	return n
}

// logLines counts every request the member logged.
func (m *foMember) logLines() int {
	b, _ := os.ReadFile(m.logPath)
	return bytes.Count(b, []byte{'\n'})
}

// foAllStopped reports whether every thread of pid is stopped (state T
// or t in /proc). Without /proc it reports true.
func foAllStopped(pid int) bool {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return true
	}
	for _, ent := range ents {
		b, err := os.ReadFile(filepath.Join(dir, ent.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			continue
		}
		if s := b[i+2]; s != 'T' && s != 't' {
			return false
		}
	}
	return true
}

// foFreePort returns a loopback port no other part of this test binary
// was given (itFreePortErr).
func foFreePort() (int, error) { return itFreePortErr() }

// ---------------------------------------------------------------------
// Helpers: the environment of one test (members, jkbalancer, client).

type foEnv struct {
	t      *testing.T
	dir    string
	logs   *foBuf
	client *http.Client

	mu      sync.Mutex
	members []*foMember
	closers []func()

	srv    *Server
	base   string
	cancel context.CancelFunc
	served chan struct{}
}

// foNewEnv makes an environment whose single cleanup first kills the
// member processes (resuming stopped ones), so requests stuck on a frozen
// member end, then stops jkbalancer.
func foNewEnv(t *testing.T) *foEnv {
	e := &foEnv{t: t, dir: t.TempDir(), logs: newFoBuf()}
	e.client = &http.Client{
		Timeout: 20 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 32,
			DisableCompression:  true,
		},
	}
	t.Cleanup(e.close)
	return e
}

func (e *foEnv) close() {
	e.mu.Lock()
	members, closers := e.members, e.closers
	e.mu.Unlock()
	for _, m := range members {
		m.kill()
	}
	for _, c := range closers {
		c()
	}
	if e.cancel != nil {
		e.cancel()
		select {
		case <-e.served:
		case <-time.After(10 * time.Second):
			e.srv.Close()
			select {
			case <-e.served:
			case <-time.After(5 * time.Second):
				e.t.Log("jkbalancer did not stop within 15s")
			}
		}
	}
	e.client.CloseIdleConnections()
	if e.t.Failed() {
		e.t.Logf("jkbalancer log (tail):\n%s", e.logs.tail(60))
	}
}

func (e *foEnv) onClose(f func()) {
	e.mu.Lock()
	e.closers = append(e.closers, f)
	e.mu.Unlock()
}

// startMember starts a member process with the given route; port 0 picks
// a free loopback port.
func (e *foEnv) startMember(route string, port int) *foMember {
	e.t.Helper()
	bin := foMemberBinary(e.t)
	var err error
	for try := 0; try < 3; try++ {
		p := port
		if p == 0 {
			if p, err = foFreePort(); err != nil {
				e.t.Fatal(err)
			}
		}
		m := &foMember{route: route, port: p, logPath: filepath.Join(e.dir, route+".log")}
		if err = m.start(bin); err == nil {
			e.mu.Lock()
			e.members = append(e.members, m)
			e.mu.Unlock()
			return m
		}
		if port != 0 {
			break
		}
	}
	e.t.Fatal(err)
	return nil
}

// startLB writes workers.properties and runs jkbalancer in-process on
// 127.0.0.1 with /*=lb.
func (e *foEnv) startLB(props string) {
	e.t.Helper()
	path := filepath.Join(e.dir, "workers.properties")
	if err := os.WriteFile(path, []byte(props), 0o600); err != nil {
		e.t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: path, Mounts: []string{"/*=lb"}, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		e.t.Fatalf("config: %v\n%s", problems, props)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := New(cfg, Options{Logger: logger})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(ctx); close(served) }()
	e.srv, e.cancel, e.served = srv, cancel, served
	e.base = "http://" + srv.Addrs()[0]
}

// lb returns the lb worker "lb" of the running configuration.
func (e *foEnv) lb() *balancer.LB {
	e.t.Helper()
	rt := e.srv.rt.Load()
	if rt == nil || rt.lbByName["lb"] == nil {
		e.t.Fatal("jkbalancer has no lb worker named lb")
	}
	return rt.lbByName["lb"]
}

// member returns the lb's view of one member.
func (e *foEnv) member(name string) balancer.MemberSnapshot {
	e.t.Helper()
	for _, m := range e.lb().Snapshot().Members {
		if m.Name == name {
			return m
		}
	}
	e.t.Fatalf("lb has no member %q", name)
	return balancer.MemberSnapshot{}
}

// poolStats returns the connection counts of one member's pool.
func (e *foEnv) poolStats(name string) worker.ConnStats {
	e.t.Helper()
	wm, ok := e.member(name).Member.(*worker.Member)
	if !ok {
		e.t.Fatalf("member %q is not a *worker.Member", name)
	}
	return wm.ConnStats()
}

// foRecorder is an in-process member's request log.
type foRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *foRecorder) add(line string) {
	r.mu.Lock()
	r.lines = append(r.lines, line)
	r.mu.Unlock()
}

// count counts the requests logged as line ("METHOD URI").
func (r *foRecorder) count(line string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines {
		if l == line {
			n++
		}
	}
	return n
}

// inProcessMember starts an ajptest container on 127.0.0.1 that answers
// every path (/die included) like bench/member: 200, X-Route, and the
// request line and body length in the body.
func (e *foEnv) inProcessMember(route string) (*foRecorder, int) {
	e.t.Helper()
	rec := new(foRecorder)
	as := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		rec.add(r.Method + " " + r.URI)
		b := fmt.Sprintf("route=%s method=%s uri=%s body=%d\n", route, r.Method, r.URI, n)
		w.SendHeaders(200,
			ajp.Header{Name: "Content-Type", Value: "text/plain"},
			ajp.Header{Name: "X-Route", Value: route},
			ajp.Header{Name: "Content-Length", Value: strconv.Itoa(len(b))})
		w.Write([]byte(b))
		w.End(true)
	})
	e.onClose(as.Close)
	return rec, foPortOf(e.t, as.Addr())
}

// foPortOf returns the port of a host:port address.
func foPortOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// foResult is what one client request saw.
type foResult struct {
	start, end time.Time
	status     int    // 0 when no response arrived
	route      string // X-Route of the member that answered
	n          int    // body bytes read
	body       string // up to 512 bytes of it
	err        error  // transport or body read error
}

// foFailed reports a client error: no response, a body that could not be
// read in full, or a status other than 200.
func foFailed(r foResult) bool { return r.err != nil || r.status != http.StatusOK }

// do sends one request to jkbalancer.
func (e *foEnv) do(method, path, cookie, body string) foResult {
	return e.doWith(e.client, method, path, cookie, body)
}

// doWith sends one request to jkbalancer through client c.
func (e *foEnv) doWith(c *http.Client, method, path, cookie, body string) foResult {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := foResult{start: time.Now()}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		r.err, r.end = err, time.Now()
		return r
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		r.err, r.end = err, time.Now()
		return r
	}
	r.status, r.route = resp.StatusCode, resp.Header.Get("X-Route")
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.n, r.err, r.end = len(b), err, time.Now()
	r.body = string(b[:min(len(b), 512)])
	return r
}

// sequential sends n GETs one after the other, without cookies.
func (e *foEnv) sequential(n int, path string) []foResult {
	out := make([]foResult, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, e.do("GET", path, "", ""))
	}
	return out
}

// warmSticky sends n sticky GETs to route so its member holds pooled
// connections, and fails the test unless all are 200 from that route.
func (e *foEnv) warmSticky(t *testing.T, route string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		r := e.do("GET", "/warm", "JSESSIONID=abc."+route, "")
		if foFailed(r) || r.route != route {
			t.Fatalf("warm-up request %d: status %d from %q (err %v)", i, r.status, r.route, r.err)
		}
	}
}

// foLoad is a bounded load: clients goroutines send at most max requests
// in total, one at a time each, until halted.
type foLoad struct {
	e         *foEnv
	max       int64
	next      atomic.Int64
	completed atomic.Int64
	stop      chan struct{}
	halted    sync.Once
	done      chan struct{}

	mu  sync.Mutex
	res []foResult
}

func (e *foEnv) load(clients, max int, cookie string, path func(i int) string) *foLoad {
	l := &foLoad{e: e, max: int64(max), stop: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				i := l.next.Add(1) - 1
				if i >= l.max {
					return
				}
				r := e.do("GET", path(int(i)), cookie, "")
				l.mu.Lock()
				l.res = append(l.res, r)
				l.mu.Unlock()
				l.completed.Add(1)
			}
		}()
	}
	go func() { wg.Wait(); close(l.done) }()
	return l
}

// halt stops the clients from starting new requests.
func (l *foLoad) halt() { l.halted.Do(func() { close(l.stop) }) }

// finished reports whether every client has returned.
func (l *foLoad) finished() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// results returns a copy of the results so far.
func (l *foLoad) results() []foResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]foResult(nil), l.res...)
}

// wait waits for every client to return and gives the results.
func (l *foLoad) wait(t *testing.T, d time.Duration) []foResult {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(d):
		l.halt()
		t.Fatalf("load did not finish within %v (%d requests done)", d, l.completed.Load())
	}
	return l.results()
}

// ---------------------------------------------------------------------
// Helpers: configuration, counting, waiting, logs.

// foW is one member in workers.properties.
type foW struct {
	name, route string
	port        int
	attrs       []string // "key=value", without the worker.NAME. prefix
}

// foProps writes workers.properties for one lb named "lb" over members,
// with worker.maintain=1.
func foProps(lbAttrs []string, members ...foW) string {
	var b strings.Builder
	names := make([]string, len(members))
	for i, m := range members {
		names[i] = m.name
	}
	fmt.Fprintf(&b, "worker.list=lb\nworker.maintain=1\nworker.lb.type=lb\nworker.lb.balance_workers=%s\n", strings.Join(names, ","))
	for _, a := range lbAttrs {
		fmt.Fprintf(&b, "worker.lb.%s\n", a)
	}
	for _, m := range members {
		fmt.Fprintf(&b, "worker.%[1]s.type=ajp13\nworker.%[1]s.host=127.0.0.1\nworker.%[1]s.port=%[2]d\nworker.%[1]s.route=%[3]s\n", m.name, m.port, m.route)
		for _, a := range m.attrs {
			fmt.Fprintf(&b, "worker.%s.%s\n", m.name, a)
		}
	}
	return b.String()
}

func foCount(rs []foResult, f func(foResult) bool) int {
	n := 0
	for _, r := range rs {
		if f(r) {
			n++
		}
	}
	return n
}

// foErrors counts client errors and describes the first one.
func foErrors(rs []foResult) (int, string) {
	n, ex := 0, ""
	for _, r := range rs {
		if foFailed(r) {
			if n == 0 {
				ex = fmt.Sprintf("status %d from %q after %v, err %v", r.status, r.route, r.end.Sub(r.start), r.err)
			}
			n++
		}
	}
	return n, ex
}

func foByRoute(rs []foResult) map[string]int {
	m := make(map[string]int)
	for _, r := range rs {
		if !foFailed(r) {
			m[r.route]++
		}
	}
	return m
}

func foSortedByStart(rs []foResult) []foResult {
	out := append([]foResult(nil), rs...)
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// foDur is at-since for logs, or -1 when at never happened.
func foDur(at, since time.Time) time.Duration {
	if at.IsZero() {
		return -1
	}
	return at.Sub(since)
}

// foWaitFor polls cond every 2 ms for at most d.
func foWaitFor(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(2 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// foBuf is a goroutine-safe log sink; ready is closed once a line
// starting with "member " was written (bench/member listens then).
type foBuf struct {
	mu    sync.Mutex
	b     bytes.Buffer
	ready chan struct{}
	seen  bool
}

func newFoBuf() *foBuf { return &foBuf{ready: make(chan struct{})} }

func (f *foBuf) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.b.Write(p)
	if !f.seen && bytes.Contains(f.b.Bytes(), []byte("member ")) && bytes.Contains(f.b.Bytes(), []byte("ajp=")) {
		f.seen = true
		close(f.ready)
	}
	return len(p), nil
}

func (f *foBuf) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.b.String()
}

func (f *foBuf) contains(s string) bool { return strings.Contains(f.String(), s) }

// tail returns the last n lines.
func (f *foBuf) tail(n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(f.String()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
