package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
)

// adminYAML puts the admin listener on a free loopback port.
const adminYAML = "admin:\n  listen: 127.0.0.1:0\n"

// scrape is one parsed /metrics answer: series -> value.
type scrape map[string]float64

// scrapeMetrics GETs the admin listener's /metrics and parses the text
// format: one sample per line, "name{l1="v1",...} value".
func scrapeMetrics(t *testing.T, admin string) scrape {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	out := make(scrape)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// get returns the value of the series name with exactly the given labels
// ("k", "v" pairs, any order); -1 when absent.
func (s scrape) get(name string, kv ...string) float64 {
	want := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		want[kv[i]] = kv[i+1]
	}
	for series, v := range s {
		n, labels, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		got := make(map[string]string)
		for _, p := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
			if k, val, ok := strings.Cut(p, "="); ok {
				got[k] = strings.Trim(val, `"`)
			}
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, val := range want {
			match = match && got[k] == val
		}
		if match {
			return v
		}
	}
	return -1
}

func httpStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitFor polls cond every 20 ms for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestAdminMetricsFollowTraffic scrapes /metrics through the admin
// listener after real proxied requests: requests, bytes and latencies
// move; a member that goes down shows its connect errors, a failover and
// state ERR; sticky hits and route mismatches are counted; an activation
// edit shows at once; and the status worker's reset, which zeroes mod_jk's
// counters, leaves every Prometheus counter where it was.
func TestAdminMetricsFollowTraffic(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	workers := strings.Replace(twoMembers(t1, t2, "worker.jkstatus.type=status\n"),
		"worker.list=lb", "worker.list=lb,jkstatus", 1)
	ts := startServer(t, map[string]string{"workers.properties": workers, "jkbalancer.yaml": adminYAML},
		"/app/*=lb", "/jk-status=jkstatus")
	admin := ts.srv.AdminAddr()
	if admin == "" {
		t.Fatal("no admin listener")
	}
	for range 10 {
		if code, _, _ := get(t, ts.base+"/app/x"); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	m := scrapeMetrics(t, admin)
	r1, r2 := m.get("jkbalancer_member_requests_total", "lb", "lb", "member", "t1"),
		m.get("jkbalancer_member_requests_total", "lb", "lb", "member", "t2")
	if r1+r2 != 10 || r1 < 1 || r2 < 1 {
		t.Errorf("member requests t1 %v t2 %v, want 10 over both", r1, r2)
	}
	if got := m.get("jkbalancer_lb_requests_total", "lb", "lb"); got != 10 {
		t.Errorf("lb requests %v, want 10", got)
	}
	for _, name := range []string{"jkbalancer_member_sent_bytes_total", "jkbalancer_member_received_bytes_total"} {
		if got := m.get(name, "lb", "lb", "member", "t1"); got <= 0 {
			t.Errorf("%s = %v", name, got)
		}
	}
	if got := m.get("jkbalancer_member_first_byte_seconds_count", "lb", "lb", "member", "t1"); got != r1 {
		t.Errorf("first byte observations %v, want %v", got, r1)
	}
	if got := m.get("jkbalancer_member_response_seconds_bucket", "lb", "lb", "member", "t1", "le", "+Inf"); got != r1 {
		t.Errorf("response +Inf bucket %v, want %v", got, r1)
	}
	if got := m.get("jkbalancer_member_state", "lb", "lb", "member", "t1", "state", "OK"); got != 1 {
		t.Errorf("t1 state OK = %v", got)
	}
	if m.get("process_open_fds") < 0 && m.get("go_goroutines") < 0 {
		t.Error("no process or go runtime metrics")
	}

	get(t, ts.base+"/app/x", "Cookie", "JSESSIONID=ABC.t2")
	get(t, ts.base+"/app/x", "Cookie", "JSESSIONID=ABC.nosuchroute")
	m = scrapeMetrics(t, admin)
	if got := m.get("jkbalancer_member_sticky_hits_total", "lb", "lb", "member", "t2"); got != 1 {
		t.Errorf("t2 sticky hits %v, want 1", got)
	}
	if got := m.get("jkbalancer_lb_route_mismatches_total", "lb", "lb"); got != 1 {
		t.Errorf("route mismatches %v, want 1", got)
	}

	// t2 goes away: the next request that picks it fails over to t1.
	t2.Close()
	for i := 0; i < 4; i++ {
		if code, _, _ := get(t, ts.base+"/app/x"); code != 200 {
			t.Fatalf("request %d with t2 down: status %d", i, code)
		}
	}
	m = scrapeMetrics(t, admin)
	if got := m.get("jkbalancer_member_errors_total", "lb", "lb", "member", "t2", "class", "connect"); got < 1 {
		t.Errorf("t2 connect errors %v, want >= 1", got)
	}
	if got := m.get("jkbalancer_member_failovers_total", "lb", "lb", "member", "t2"); got < 1 {
		t.Errorf("t2 failovers %v, want >= 1", got)
	}
	if got := m.get("jkbalancer_member_state", "lb", "lb", "member", "t2", "state", "ERR"); got != 1 {
		t.Errorf("t2 state ERR = %v, want 1", got)
	}
	if got := m.get("jkbalancer_member_errors_total", "lb", "lb", "member", "t1", "class", "connect"); got != 0 {
		t.Errorf("t1 connect errors %v, want 0", got)
	}

	// An activation edit through the lb's edit API shows at once.
	if err := ts.srv.rt.Load().lbByName["lb"].EditMember("t1", func(c *config.Member) { c.Activation = config.Disabled }); err != nil {
		t.Fatal(err)
	}
	m = scrapeMetrics(t, admin)
	if m.get("jkbalancer_member_activation", "lb", "lb", "member", "t1", "activation", "DIS") != 1 ||
		m.get("jkbalancer_member_activation", "lb", "lb", "member", "t1", "activation", "ACT") != 0 {
		t.Error("t1 is not DIS in /metrics after the edit")
	}

	// The status worker's reset zeroes mod_jk's counters, not these.
	before := m
	if code, body, _ := get(t, ts.base+"/jk-status?cmd=reset&w=lb&mime=txt"); code != 200 || !strings.Contains(body, "OK") {
		t.Fatalf("reset: %d %s", code, body)
	}
	if used := ts.srv.rt.Load().counters["t1"].Used(); used != 0 {
		t.Fatalf("the reset left Used at %d", used)
	}
	after := scrapeMetrics(t, admin)
	for series, v := range before {
		if !strings.HasSuffix(strings.SplitN(series, "{", 2)[0], "_total") {
			continue
		}
		if after[series] < v {
			t.Errorf("%s went down across a status reset: %v -> %v", series, v, after[series])
		}
	}
}

// TestAdminReadyz: /readyz says 503 while the front end is bound but not
// serving, 200 while a member is usable, 503 naming the lb when none is,
// 200 again once the health check readmits the member, and 503 from the
// start of a drain while in-flight requests finish; /healthz says 200
// throughout.
func TestAdminReadyz(t *testing.T) {
	release := make(chan struct{})
	handler := func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if r.URI == "/app/slow" {
			<-release
		}
		ajptest.EchoHandler("t1")(w, r)
	}
	t1 := ajptest.NewServer(handler)
	defer t1.Close()
	workers := "worker.list=lb\nworker.t1.host=127.0.0.1\nworker.t1.port=" + portOf(t1) +
		"\nworker.lb.type=lb\nworker.lb.balance_workers=t1\nworker.lb.recover_time=1\n"
	as := newAdminServer(t, workers, adminYAML)
	srv, adminAddr := as.srv, as.srv.AdminAddr()
	admin := "http://" + adminAddr
	if code, body := httpStatus(t, admin+"/readyz"); code != 503 || !strings.Contains(body, "not serving yet") {
		t.Fatalf("before Serve: %d %q", code, body)
	}
	if code, _ := httpStatus(t, admin+"/healthz"); code != 200 {
		t.Fatalf("/healthz before Serve: %d", code)
	}
	as.serve()
	base := "http://" + srv.Addrs()[0]
	if !waitFor(5*time.Second, func() bool { c, _ := httpStatus(t, admin+"/readyz"); return c == 200 }) {
		t.Fatal("/readyz never became 200 once serving")
	}

	t1.Close()
	if code, _ := httpStatus(t, base+"/app/x"); code != 503 {
		t.Fatalf("request with the only member down: %d", code)
	}
	code, body := httpStatus(t, admin+"/readyz")
	if code != 503 || !strings.Contains(body, "lb lb: t1 ERR ACT") {
		t.Fatalf("member down: %d %q", code, body)
	}
	if err := t1.Restart(); err != nil {
		t.Fatal(err)
	}
	if !waitFor(10*time.Second, func() bool { c, _ := httpStatus(t, admin+"/readyz"); return c == 200 }) {
		t.Fatal("/readyz did not come back after the member did")
	}

	// A drain: a slow request in flight keeps the server draining.
	slow := make(chan int, 1)
	go func() {
		resp, err := http.Get(base + "/app/slow")
		if err != nil {
			slow <- 0
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	if !waitFor(5*time.Second, func() bool { return srv.rt.Load().lbByName["lb"].Snapshot().Busy == 1 }) {
		t.Fatal("the slow request never reached the lb")
	}
	as.cancel()
	if !waitFor(5*time.Second, func() bool {
		c, b := httpStatus(t, admin+"/readyz")
		return c == 503 && strings.Contains(b, "draining")
	}) {
		t.Fatal("/readyz did not turn 503 when the drain began")
	}
	if code, _ := httpStatus(t, admin+"/healthz"); code != 200 {
		t.Errorf("/healthz during the drain: %d", code)
	}
	close(release)
	if got := <-slow; got != 200 {
		t.Errorf("the in-flight request got %d during the drain", got)
	}
	<-as.done
	if c, err := net.DialTimeout("tcp", adminAddr, time.Second); err == nil {
		c.Close()
		t.Error("the admin listener still accepts after the server stopped")
	}
}

// adminServer is a bound server that serves only once asked to.
type adminServer struct {
	srv    *Server
	ctx    context.Context
	cancel context.CancelFunc
	served bool
	done   chan struct{}
}

// newAdminServer builds and binds a server over workers.properties and
// jkbalancer.yaml, mounted at /app/*, without serving it yet.
func newAdminServer(t *testing.T, workers, yaml string) *adminServer {
	t.Helper()
	dir := t.TempDir()
	src := config.Sources{WorkersFile: filepath.Join(dir, "workers.properties"), ConfigFile: filepath.Join(dir, "jkbalancer.yaml"),
		Mounts: []string{"/app/*=lb"}, Listen: []string{"127.0.0.1:0"}}
	if err := os.WriteFile(src.WorkersFile, []byte(workers), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src.ConfigFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(src)
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	srv, err := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		t.Fatal(err)
	}
	as := &adminServer{srv: srv, done: make(chan struct{})}
	as.ctx, as.cancel = context.WithCancel(context.Background())
	t.Cleanup(func() {
		as.cancel()
		if as.served {
			<-as.done
		} else {
			srv.Close()
		}
	})
	return as
}

func (as *adminServer) serve() {
	as.served = true
	go func() { as.srv.Serve(as.ctx); close(as.done) }()
}

// TestAdminReadyzNoUsableMember: an lb whose members are all stopped
// (or disabled) is not ready from the start, and says which.
func TestAdminReadyzNoUsableMember(t *testing.T) {
	workers := "worker.list=lb\nworker.t1.host=127.0.0.1\nworker.t1.port=1\nworker.t1.activation=S\n" +
		"worker.t2.host=127.0.0.1\nworker.t2.port=2\nworker.t2.activation=D\n" +
		"worker.lb.type=lb\nworker.lb.balance_workers=t1,t2\n"
	as := newAdminServer(t, workers, adminYAML)
	as.serve()
	want := "not ready: no worker can take a request: lb lb: t1 OK/IDLE STP, t2 OK/IDLE DIS"
	var code int
	var body string
	if !waitFor(5*time.Second, func() bool {
		code, body = httpStatus(t, "http://"+as.srv.AdminAddr()+"/readyz")
		return strings.Contains(body, "no worker")
	}) || code != 503 || strings.TrimSpace(body) != want {
		t.Fatalf("/readyz: %d %q, want 503 %q", code, body, want)
	}
}
