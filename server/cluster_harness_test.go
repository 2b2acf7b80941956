//go:build integration

// Harness for the session-continuity tests (issue 15): two more pairs of
// real Tomcat 10 besides tc1/tc2, each node in its own CATALINA_BASE under
// itBase, with an HTTP and an AJP connector (secret itSecret) on free
// 127.0.0.1 ports, serving the <distributable/> application of
// testdata/tomcat/cluster at /cluster:
//
//   - the clustered pair, jvmRoutes c1 and c2: a SimpleTcpCluster with a
//     DeltaManager, ReplicationValve, JvmRouteBinderValve and
//     ClusterSessionListener, static membership on 127.0.0.1 (each node's
//     Tribes receiver on its own free port, no multicast), so that the two
//     replicate every session;
//   - the plain pair, jvmRoutes p1 and p2: no <Cluster>, so each node
//     knows only its own sessions.
//
// /cluster/session.jsp creates a session and counts its requests
// ("node=c1 session=ID count=N"); /cluster/peek.jsp?id=ID tells whether
// a node knows a session without touching it. itClusterPair starts a pair
// once per test binary (both at once from TestMain when the whole suite
// runs), restarts a node an earlier test killed, and waits until the
// clustered pair replicates both ways. Tests that kill a node must not use
// t.Parallel with other users of the same pair.

package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// itPairApp is the path the pairs' application is deployed at.
const itPairApp = "/cluster"

// itPairMounts mount the pair's lb and its status worker.
var itPairMounts = []string{"/* lb", "/jk-status status"}

// itPairNode is one node of a pair: its Tomcat and its Tribes receiver.
type itPairNode struct {
	tc       *itTomcat
	pair     *itPair
	uid      int // last byte of the StaticMember uniqueId
	recvPort int // Tribes receiver (clustered pair only)
}

// itPair is one pair of Tomcats, started at most once per test binary.
type itPair struct {
	clustered bool
	once      sync.Once
	started   atomic.Bool
	done      chan struct{}
	err       error
	nodes     [2]*itPairNode
	mu        sync.Mutex // serialises restarts
}

var (
	itPairPlain     = &itPair{done: make(chan struct{})}
	itPairClustered = &itPair{clustered: true, done: make(chan struct{})}
	itPairHTTP      = &http.Client{Timeout: 10 * time.Second}
	itPairsMu       sync.Mutex
	itPairsClosed   bool // set by itStopPairs
)

func itPairOf(clustered bool) *itPair {
	if clustered {
		return itPairClustered
	}
	return itPairPlain
}

// itPairsPrestart starts both pairs in the background (a test that uses
// both calls it first, so that the four JVMs start at once).
func itPairsPrestart() {
	if itMissingDeps("tomcat") != "" {
		return
	}
	go itPairClustered.ensure()
	go itPairPlain.ensure()
}

// itClusterPair returns the two running nodes of the clustered pair
// (routes c1, c2) or of the plain pair (p1, p2), skipping or failing the
// test when Tomcat is not available. A node killed by an earlier test is
// started again, and the clustered pair is known to replicate both ways.
func itClusterPair(t testing.TB, clustered bool) [2]*itTomcat {
	t.Helper()
	itRequireDeps(t, "tomcat")
	p := itPairOf(clustered)
	go p.ensure()
	select {
	case <-p.done:
	case <-time.After(240 * time.Second):
		t.Fatal("the Tomcat pair did not finish starting within 240 s")
	}
	if p.err != nil {
		t.Fatalf("the Tomcat pair failed to start: %v", p.err)
	}
	if err := p.heal(); err != nil {
		t.Fatalf("the Tomcat pair: %v", err)
	}
	return [2]*itTomcat{p.nodes[0].tc, p.nodes[1].tc}
}

// ensure starts the pair once: ports, the plain pair's nodes in parallel,
// the clustered pair's one after the other and then the wait until it
// replicates.
func (p *itPair) ensure() {
	p.once.Do(func() {
		defer close(p.done)
		itPairsMu.Lock()
		if itPairsClosed {
			itPairsMu.Unlock()
			p.err = errors.New("the harness is stopping")
			return
		}
		p.started.Store(true)
		itPairsMu.Unlock()
		prefix := "p"
		if p.clustered {
			prefix = "c"
		}
		for i := range p.nodes {
			n := &itPairNode{tc: &itTomcat{name: fmt.Sprintf("%s%d", prefix, i+1)}, pair: p, uid: i + 1}
			// "tc*" so that the reaper finds its pid file even before itReapAdd.
			n.tc.base = filepath.Join(itBase, "tcpair-"+n.tc.name)
			p.nodes[i] = n
		}
		if p.err = p.allocPorts(); p.err != nil {
			return
		}
		if p.clustered {
			// One after the other: two DeltaManagers starting at once
			// each drop the other's request for the sessions, and the
			// second then ignores session changes (Tomcat 10.1).
			if p.err = p.nodes[0].start(); p.err == nil {
				p.err = p.nodes[1].start()
			}
			if p.err == nil {
				p.err = p.waitFormed(120 * time.Second)
			}
			return
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, n := range p.nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = n.start()
			}()
		}
		wg.Wait()
		p.err = errors.Join(errs...)
	})
}

func (p *itPair) allocPorts() error {
	for _, n := range p.nodes {
		var err error
		if n.tc.httpPort, err = itFreePortErr(); err != nil {
			return err
		}
		if n.tc.ajpPort, err = itFreePortErr(); err != nil {
			return err
		}
		if n.recvPort, err = itFreePortErr(); err != nil {
			return err
		}
	}
	return nil
}

// heal starts again the nodes that are not running and waits until the
// clustered pair replicates.
func (p *itPair) heal() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	restarted := false
	for _, n := range p.nodes {
		if pid := n.tc.pid(); pid > 0 && !itPidGone(pid) && itPortOpen(n.tc.ajpAddr()) {
			continue
		}
		if err := n.start(); err != nil {
			return err
		}
		restarted = true
	}
	if p.clustered {
		d := 30 * time.Second // a failsafe: a formed pair answers at once
		if restarted {
			d = 90 * time.Second
		}
		return p.waitFormed(d)
	}
	return nil
}

// itPairNodeOf finds the pair node of tc.
func itPairNodeOf(t testing.TB, tc *itTomcat) *itPairNode {
	t.Helper()
	for _, p := range []*itPair{itPairClustered, itPairPlain} {
		for _, n := range p.nodes {
			if n != nil && n.tc == tc {
				return n
			}
		}
	}
	t.Fatalf("%s is not a node of a Tomcat pair", tc.name)
	return nil
}

// itPairKill kills node tc of a pair with SIGKILL (an abnormal
// termination: no session is saved or handed over) and waits until the
// process is gone and its AJP port refuses connections.
func itPairKill(t testing.TB, tc *itTomcat) {
	t.Helper()
	n := itPairNodeOf(t, tc)
	n.pair.mu.Lock()
	defer n.pair.mu.Unlock()
	if err := n.kill(); err != nil {
		t.Fatal(err)
	}
}

// itPairStop shuts node tc of a pair down gracefully (SIGTERM, as
// systemctl stop does: the clustered pair's DeltaManager leaves the
// cluster; a SIGKILL follows after 15 s) and waits until its AJP port
// refuses connections.
func itPairStop(t testing.TB, tc *itTomcat) {
	t.Helper()
	n := itPairNodeOf(t, tc)
	n.pair.mu.Lock()
	defer n.pair.mu.Unlock()
	tc.stop()
	if !itWaitFor(10*time.Second, func() bool { return !itPortOpen(tc.ajpAddr()) }) {
		t.Fatalf("%s: AJP port %d still accepts 10 s after the stop", tc.name, tc.ajpPort)
	}
}

// itPairStart starts node tc of a pair again, on the same ports, and
// waits until it serves (and, clustered, until the pair replicates).
func itPairStart(t testing.TB, tc *itTomcat) {
	t.Helper()
	if err := itPairNodeOf(t, tc).pair.heal(); err != nil {
		t.Fatal(err)
	}
}

func (n *itPairNode) kill() error {
	pid := n.tc.pid()
	if pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
		if !itWaitFor(15*time.Second, func() bool { return itPidGone(pid) }) {
			return fmt.Errorf("%s (pid %d) still alive 15 s after SIGKILL", n.tc.name, pid)
		}
	}
	os.Remove(filepath.Join(n.tc.base, "pid"))
	itReapRemove("tomcat-" + n.tc.name)
	if !itWaitFor(10*time.Second, func() bool { return !itPortOpen(n.tc.ajpAddr()) }) {
		return fmt.Errorf("%s: AJP port %d still accepts 10 s after the kill", n.tc.name, n.tc.ajpPort)
	}
	return nil
}

// itPidGone reports whether pid has exited (a zombie counts: nothing
// may reap it in a container without an init).
func itPidGone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "X")
}

// itStopPairs stops every node of the pairs (waiting for a start still
// under way, which is bounded).
func itStopPairs() {
	itPairsMu.Lock()
	itPairsClosed = true // no pair starts from now on
	itPairsMu.Unlock()
	var wg sync.WaitGroup
	for _, p := range []*itPair{itPairClustered, itPairPlain} {
		if !p.started.Load() {
			continue
		}
		select {
		case <-p.done:
		case <-time.After(240 * time.Second):
		}
		for _, n := range p.nodes {
			if n == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.tc.stop()
			}()
		}
	}
	wg.Wait()
}

// itPairGet fetches path from tc's HTTP connector, with an optional
// session cookie, and parses session.jsp's or peek.jsp's "k=v" fields.
func itPairGet(tc *itTomcat, path, session string) (map[string]string, error) {
	req, err := http.NewRequest("GET", tc.httpURL(path), nil)
	if err != nil {
		return nil, err
	}
	if session != "" {
		req.Header.Set("Cookie", "JSESSIONID="+session)
	}
	resp, err := itPairHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("%s %s: status %d: %.300s", tc.name, path, resp.StatusCode, body)
	}
	return tcFields(string(body)), nil
}

// itPairPeek asks tc whether it knows session id (full or base):
// known ("true"/"false"), id (tc's full id) and count.
func itPairPeek(tc *itTomcat, id string) (map[string]string, error) {
	return itPairGet(tc, itPairApp+"/peek.jsp?id="+id, "")
}

// itPairWaitReplicated waits (failsafe 30 s) until tc knows session id
// with the counter at count, so that a failover to tc can continue it.
func itPairWaitReplicated(t testing.TB, tc *itTomcat, id string, count int) {
	t.Helper()
	var last map[string]string
	var lastErr error
	if !itWaitFor(30*time.Second, func() bool {
		last, lastErr = itPairPeek(tc, id)
		return lastErr == nil && last["known"] == "true" && last["count"] == fmt.Sprint(count)
	}) {
		t.Fatalf("session %s with count %d not replicated to %s within 30 s: %v %v\n%s", id, count, tc.name, last,
			lastErr, itTail(filepath.Join(tc.base, "logs", "catalina.out"), 30))
	}
}

// itPairWorkers is the workers.properties of an lb "lb" over the pair
// (members named after their routes, sticky sessions, mod_jk's defaults
// otherwise) and a status worker "status"; mount it with itPairMounts.
func itPairWorkers(tcs [2]*itTomcat) string {
	return fmt.Sprintf(`worker.list=lb,status
worker.template.type=ajp13
worker.template.host=127.0.0.1
worker.template.secret=%s
worker.%s.reference=worker.template
worker.%s.port=%d
worker.%s.reference=worker.template
worker.%s.port=%d
worker.lb.type=lb
worker.lb.sticky_session=true
worker.lb.balance_workers=%s,%s
worker.status.type=status
`, itSecret, tcs[0].name, tcs[0].name, tcs[0].ajpPort, tcs[1].name, tcs[1].name, tcs[1].ajpPort,
		tcs[0].name, tcs[1].name)
}

// itPairsPrestartFullRun starts both pairs in the background when the
// whole suite runs (no -run), so that they start with tc1 and tc2.
func itPairsPrestartFullRun() {
	if !flag.Parsed() {
		flag.Parse()
	}
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		itPairsPrestart()
	}
}
