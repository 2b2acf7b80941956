package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// fakeDNS answers member discovery from maps a test changes between
// lookups.
type fakeDNS struct {
	mu  sync.Mutex
	srv map[string][]*net.SRV
	a   map[string][]net.IPAddr
	ptr map[string][]string
	err error // when set, every lookup fails with it
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{srv: map[string][]*net.SRV{}, a: map[string][]net.IPAddr{}, ptr: map[string][]string{}}
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// fakeAnswer looks key up in one of f's maps, under f.mu, failing with f.err
// when that is set.
func fakeAnswer[T any](f *fakeDNS, m map[string]T, key string) (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var none T
	if f.err != nil {
		return none, f.err
	}
	v, ok := m[key]
	if !ok {
		return none, notFound(key)
	}
	return v, nil
}

func (f *fakeDNS) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	rs, err := fakeAnswer(f, f.srv, name)
	if err != nil {
		return "", nil, err
	}
	return name, rs, nil
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return fakeAnswer(f, f.a, host)
}

func (f *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return fakeAnswer(f, f.ptr, addr)
}

// setPods makes the SRV name answer with one record per pod (a
// StatefulSet behind a headless Service): pod name -> its ajptest member.
func (f *fakeDNS) setPods(name string, pods map[string]*ajptest.Server) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []*net.SRV
	for pod, m := range pods {
		host := pod + ".tomcat.ns.svc.cluster.local."
		port, _ := strconv.Atoi(portOf(m))
		rs = append(rs, &net.SRV{Target: host, Port: uint16(port), Priority: 0, Weight: 50})
		f.a[strings.TrimSuffix(host, ".")] = []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}}
	}
	f.srv[name] = rs
}

func (f *fakeDNS) fail(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

const srvName = "_ajp._tcp.tomcat.ns.svc.cluster.local"

// discoverWorkers is an lb whose members come from srvName, with a status
// worker at /jk-status.
func discoverWorkers(extra string) string {
	return "worker.list=lb,jkstatus\nworker.lb.type=lb\nworker.lb.discover=srv:" + srvName + "\n" +
		"worker.lb.discover_template=tmpl\nworker.tmpl.type=ajp13\nworker.tmpl.connection_pool_timeout=60\n" +
		"worker.jkstatus.type=status\n" + extra
}

const discoverYAML = "listen: [\"127.0.0.1:0\"]\nworkers_file: $DIR/workers.properties\nmounts: [\"/*=lb\", \"/jk-status=jkstatus\"]\n"

// rediscover asks DNS now, as the loop does when lbs are due (all: every
// lb that discovers).
func (s *Server) rediscover(all bool) { s.disc.Rediscover(s.base, all) }

// startDiscoverRig is startReloadRig with an injected DNS.
func startDiscoverRig(t *testing.T, files map[string]string, dns DiscoverResolver) *reloadRig {
	t.Helper()
	return startRig(t, files, &slog.HandlerOptions{Level: slog.LevelDebug}, dns)
}

// memberNames lists the lb's members in order.
func (r *reloadRig) memberNames(lb string) []string {
	var out []string
	for _, m := range r.lb(lb).Members {
		out = append(out, m.Name)
	}
	return out
}

// getWith sends a GET with a session cookie and returns the route that
// answered and the status.
func getWith(t *testing.T, url, cookie string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, routeOf(string(b))
}

func echoPods(t *testing.T, names ...string) map[string]*ajptest.Server {
	t.Helper()
	out := make(map[string]*ajptest.Server)
	for _, n := range names {
		s := ajptest.NewServer(ajptest.EchoHandler(n))
		t.Cleanup(s.Close)
		out[n] = s
	}
	return out
}

func pick(all map[string]*ajptest.Server, names ...string) map[string]*ajptest.Server {
	out := make(map[string]*ajptest.Server)
	for _, n := range names {
		out[n] = all[n]
	}
	return out
}

// TestDiscoverMembersComeAndGo: the members an SRV answer names get the
// requests, named <lb>/<pod>; a pod added by the next answer gets its
// share, a pod gone from it gets none and its connections close.
func TestDiscoverMembersComeAndGo(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1", "tomcat-2")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0", "tomcat-1"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-0,lb/tomcat-1" {
		t.Fatalf("members %s", got)
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["tomcat-0"] != 2 || got["tomcat-1"] != 2 {
		t.Fatalf("two pods: %v", got)
	}

	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 6); got["tomcat-0"] != 2 || got["tomcat-1"] != 2 || got["tomcat-2"] != 2 {
		t.Fatalf("three pods: %v", got)
	}

	dns.setPods(srvName, pick(pods, "tomcat-1", "tomcat-2"))
	r.srv.rediscover(true)
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 6); got["tomcat-0"] != 0 || got["tomcat-1"] != 3 {
		t.Fatalf("tomcat-0 gone: %v", got)
	}
	eventually(t, "the removed member's connections to close", func() bool { return pods["tomcat-0"].OpenConns() == 0 })
	if st := r.srv.ReloadStats(); st.Reloads != 0 {
		t.Errorf("discovery counted as a configuration reload: %+v", st)
	}
	if n := r.srv.disc.Stats().Changes; n != 2 {
		t.Errorf("%d member changes, want 2", n)
	}
}

// TestDiscoverStickyAcrossResolutions: a session whose route names a
// member that every answer keeps stays on it across three changes of
// the other members; once its member is gone it fails over and the lb
// sends its route along as mod_jk does for a removed member.
func TestDiscoverStickyAcrossResolutions(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1", "tomcat-2")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0", "tomcat-1"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	cookie := "JSESSIONID=0123456789ABCDEF.tomcat-1"
	for i, set := range [][]string{{"tomcat-0", "tomcat-1", "tomcat-2"}, {"tomcat-1", "tomcat-2"}, {"tomcat-0", "tomcat-1"}} {
		dns.setPods(srvName, pick(pods, set...))
		r.srv.rediscover(true)
		for j := 0; j < 3; j++ {
			if code, route := getWith(t, r.url("/x"), cookie); code != 200 || route != "tomcat-1" {
				t.Fatalf("resolution %d: %d from %q, want tomcat-1", i, code, route)
			}
		}
	}
	dns.setPods(srvName, pick(pods, "tomcat-0", "tomcat-2"))
	r.srv.rediscover(true)
	if code, route := getWith(t, r.url("/x"), cookie); code != 200 || route == "tomcat-1" {
		t.Fatalf("after tomcat-1 left: %d from %q", code, route)
	}
}

// TestDiscoverInFlightFinishes: a request in flight on a member that the
// next answer lacks finishes with its answer.
func TestDiscoverInFlightFinishes(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := ajptest.NewServer(func(w *ajptest.ResponseWriter, req *ajptest.Request) {
		close(entered)
		<-release
		ajptest.EchoHandler("tomcat-0")(w, req)
	})
	defer slow.Close()
	pods := echoPods(t, "tomcat-1")
	pods["tomcat-0"] = slow
	dns := newFakeDNS()
	dns.setPods(srvName, pods)
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	type result struct {
		code  int
		route string
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", r.url("/x"), nil)
		req.Header.Set("Cookie", "JSESSIONID=AB.tomcat-0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{resp.StatusCode, routeOf(string(b))}
	}()
	<-entered
	dns.setPods(srvName, pick(pods, "tomcat-1"))
	r.srv.rediscover(true)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-1" {
		t.Fatalf("members %s", got)
	}
	close(release)
	if res := <-done; res.code != 200 || res.route != "tomcat-0" {
		t.Fatalf("in-flight request: %+v", res)
	}
	eventually(t, "the removed member's connection to close", func() bool { return slow.OpenConns() == 0 })
}

// TestDiscoverFailureKeepsMembers: a failed lookup and an empty answer
// keep the members; the failure is logged once per streak and counted.
func TestDiscoverFailureKeepsMembers(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	dns := newFakeDNS()
	dns.setPods(srvName, pods)
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	dns.fail(&net.DNSError{Err: "server misbehaving", Name: srvName, IsTemporary: true})
	for i := 0; i < 3; i++ {
		r.srv.rediscover(true)
	}
	dns.fail(nil)
	dns.mu.Lock()
	delete(dns.srv, srvName) // NXDOMAIN: no pod ready
	dns.mu.Unlock()
	r.srv.rediscover(true)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-0,lb/tomcat-1" {
		t.Fatalf("members after failures %s", got)
	}
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 4); got["tomcat-0"] != 2 || got["tomcat-1"] != 2 {
		t.Fatalf("traffic after failures: %v", got)
	}
	if n := strings.Count(r.log.String(), "member discovery: no usable answer"); n != 1 {
		t.Errorf("%d warnings for one streak of 4 failures, want 1:\n%s", n, r.log.String())
	}
	if st := r.srv.disc.Stats(); st.Failed != 3 || st.Empty != 1 {
		t.Errorf("failed %d empty %d, want 3 and 1", st.Failed, st.Empty)
	}
	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	streak := r.srv.disc.Stats().Streak["lb"]
	if !strings.Contains(r.log.String(), "member discovery answers again") || streak != 0 {
		t.Errorf("recovery not logged:\n%s", r.log.String())
	}
}

// TestDiscoverStateSurvives: a status worker edit and the lb state of a
// member that every answer keeps survive a change of the other members
// and a SIGHUP reload; the reload keeps the discovered members even
// while DNS fails.
func TestDiscoverStateSurvives(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1", "tomcat-2")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0", "tomcat-1"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	r.statusUpdate("w=lb&sw=lb/tomcat-1&vwa=d&vwf=3")
	countRoutes(t, http.DefaultClient, r.url("/x"), 5)
	before := member(r.lb("lb"), "lb/tomcat-0")
	inst := r.srv.rt.Load().instances[instanceKey{lb: "lb", name: "lb/tomcat-0"}].m

	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	check := func(when string) {
		t.Helper()
		s := r.lb("lb")
		if m := member(s, "lb/tomcat-1"); m.Activation != config.Disabled || m.LBFactor != 3 {
			t.Errorf("%s: tomcat-1 activation %v lbfactor %d, want the edits", when, m.Activation, m.LBFactor)
		}
		if m := member(s, "lb/tomcat-0"); m.Elected < before.Elected || m.LBValue < before.LBValue {
			t.Errorf("%s: tomcat-0 state reset: %+v, was %+v", when, m, before)
		}
		if r.srv.rt.Load().instances[instanceKey{lb: "lb", name: "lb/tomcat-0"}].m != inst {
			t.Errorf("%s: tomcat-0 rebuilt: its pool should stay", when)
		}
	}
	check("after a new member")
	dns.fail(errors.New("dns down"))
	r.mustReload(nil)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/tomcat-0,lb/tomcat-1,lb/tomcat-2" {
		t.Fatalf("members after SIGHUP %s", got)
	}
	check("after SIGHUP")
}

// TestDiscoverStartsWithoutDNS: an lb whose first lookup fails has a
// Stopped placeholder (503) until DNS answers.
func TestDiscoverStartsWithoutDNS(t *testing.T) {
	pods := echoPods(t, "tomcat-0")
	dns := newFakeDNS()
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/awaiting-dns" {
		t.Fatalf("members %s", got)
	}
	if code, _ := getWith(t, r.url("/x"), ""); code != 503 {
		t.Fatalf("status %d without members, want 503", code)
	}
	if ok, why := workersReady(r.srv.rt.Load(), time.Now()); ok || !strings.Contains(why, "lb/awaiting-dns") || !strings.HasSuffix(why, "STP") {
		t.Errorf("readyz without members: %v %q", ok, why)
	}
	dns.setPods(srvName, pods)
	r.srv.rediscover(true)
	if code, route := getWith(t, r.url("/x"), ""); code != 200 || route != "tomcat-0" {
		t.Fatalf("%d from %q once DNS answers", code, route)
	}
}

// TestDiscoverLoopAsksAgain: the loop asks DNS at discover_interval.
func TestDiscoverLoopAsksAgain(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "tomcat-1")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML,
		"workers.properties": discoverWorkers("worker.lb.discover_interval=1\n")}, dns)
	dns.setPods(srvName, pods)
	eventually(t, "the loop to find tomcat-1", func() bool {
		r.srv.reloadMu.Lock()
		defer r.srv.reloadMu.Unlock()
		return len(r.srv.rt.Load().lbByName["lb"].Snapshot().Members) == 2
	})
}

// TestDiscoverReloadNewName: a SIGHUP that points the lb at another name
// asks DNS for it before the reload completes; one that removes
// discover leaves the fixed members only.
func TestDiscoverReloadNewName(t *testing.T) {
	pods := echoPods(t, "tomcat-0", "web-0", "fixed")
	dns := newFakeDNS()
	dns.setPods(srvName, pick(pods, "tomcat-0"))
	dns.setPods("_ajp._tcp.web", pick(pods, "web-0"))
	r := startDiscoverRig(t, map[string]string{"jkbalancer.yaml": discoverYAML, "workers.properties": discoverWorkers("")}, dns)
	other := strings.Replace(discoverWorkers(""), srvName, "_ajp._tcp.web", 1)
	r.mustReload(map[string]string{"workers.properties": other})
	if got := strings.Join(r.memberNames("lb"), ","); got != "lb/web-0" {
		t.Fatalf("members after the new name %s", got)
	}
	fixed := "worker.list=lb,jkstatus\nworker.lb.type=lb\nworker.lb.balance_workers=fixed\nworker.fixed.port=" +
		portOf(pods["fixed"]) + "\nworker.fixed.host=127.0.0.1\nworker.jkstatus.type=status\n"
	r.mustReload(map[string]string{"workers.properties": fixed})
	if got := strings.Join(r.memberNames("lb"), ","); got != "fixed" {
		t.Fatalf("members without discover %s", got)
	}
	r.srv.rediscover(true) // nothing to ask: no change
	if got := countRoutes(t, http.DefaultClient, r.url("/x"), 2); got["fixed"] != 2 {
		t.Fatalf("traffic %v", got)
	}
}
