package probe

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// loadConfig loads workers.properties text.
func loadConfig(t *testing.T, props string) *config.Config {
	t.Helper()
	wf := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	return cfg
}

// cannedSender answers each member with the Set-Cookie (or Location)
// headers of its entry, fails for a member without one, and records the
// requests it was given.
type cannedSender struct {
	heads map[string][]string // member -> header name, value, ...

	mu   sync.Mutex
	seen map[string]*http.Request
	addr map[string]string
}

func (c *cannedSender) send(m *worker.Member, w http.ResponseWriter, hr *http.Request, _ *config.Server) error {
	c.mu.Lock()
	c.seen[m.Name()], c.addr[m.Name()] = hr, m.Addr()
	c.mu.Unlock()
	kv, ok := c.heads[m.Name()]
	if !ok {
		return errors.New("connection refused")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		w.Header().Add(kv[i], kv[i+1])
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// TestRunJudgesEachMember: every member of every listed lb is asked once,
// in configuration order, through Send with the probe's request; the
// answers are judged with the doctor's rules.
func TestRunJudgesEachMember(t *testing.T) {
	props := "worker.list=lb,plain\nworker.lb.type=lb\nworker.lb.balance_workers=good,wrong,loc,cookie,quiet,down\n" +
		"worker.plain.type=lb\nworker.plain.sticky_session=false\nworker.plain.balance_workers=loose\n"
	for _, m := range []string{"good", "wrong", "loc", "cookie", "quiet", "down", "loose"} {
		props += "worker." + m + ".host=tomcat-" + m + "\nworker." + m + ".port=8009\n"
	}
	c := &cannedSender{seen: map[string]*http.Request{}, addr: map[string]string{}, heads: map[string][]string{
		"good":   {"Set-Cookie", "JSESSIONID=A.good; Path=/"},
		"wrong":  {"Set-Cookie", "JSESSIONID=A.xyz; Path=/"},
		"loc":    {"Location", "/app;jsessionid=A.loc"},
		"cookie": {"Set-Cookie", "MYSESSIONID=A.cookie"},
		"quiet":  {},
		"loose":  {"Set-Cookie", "JSESSIONID=A.xyz"},
	}}
	resolved := map[string]bool{}
	var mu sync.Mutex
	resolve := func(host string, _ bool) (string, error) {
		mu.Lock()
		resolved[host] = true
		mu.Unlock()
		return "10.0.0.1", nil
	}
	rs := Run(context.Background(), loadConfig(t, props), Options{Path: "/shop?new=1", Timeout: time.Second, Resolve: resolve, Send: c.send})
	want := []struct{ member, result, cookie, route string }{
		{"good", "ok", "JSESSIONID", "good"},
		{"wrong", "route_mismatch", "JSESSIONID", "xyz"},
		{"loc", "ok", "(URL Location)", "loc"},
		{"cookie", "cookie_name", "MYSESSIONID", ""},
		{"quiet", "no_session", "", ""},
		{"down", "unreachable", "", ""},
		{"loose", "ok", "JSESSIONID", "xyz"}, // not sticky: the route does not matter
	}
	if len(rs) != len(want) {
		t.Fatalf("%d results: %+v", len(rs), rs)
	}
	for i, w := range want {
		r := rs[i]
		if r.Member != w.member || r.Result != w.result || r.Cookie != w.cookie || r.SessionRoute != w.route {
			t.Errorf("%d: %+v, want %+v", i, r, w)
		}
	}
	if r := rs[1]; !strings.Contains(r.Problem, "xyz") || !strings.Contains(r.Fix, "worker.wrong.route=xyz") {
		t.Errorf("route_mismatch without the doctor's words: %+v", r)
	}
	if r := rs[5]; r.Reachable || !r.Failed() || !strings.Contains(r.Error, "connection refused") {
		t.Errorf("down: %+v", r)
	}
	hr := c.seen["good"]
	if hr.Method != http.MethodGet || hr.RequestURI != "/shop?new=1" || hr.Header.Get("User-Agent") != "jkbalancer-check-probe" ||
		hr.RemoteAddr != "127.0.0.1:0" || hr.Host != "tomcat-good:8009" {
		t.Errorf("request %s %s %v %s %s", hr.Method, hr.RequestURI, hr.Header, hr.RemoteAddr, hr.Host)
	}
	if _, ok := hr.Context().Deadline(); !ok {
		t.Error("the request has no deadline: Timeout not applied")
	}
	if c.addr["good"] != "10.0.0.1:8009" || !resolved["tomcat-good"] {
		t.Errorf("member address %q, resolved %v", c.addr["good"], resolved)
	}
}

// TestRunResolveFails: a member whose host does not resolve is
// unreachable, and Send is not called for it.
func TestRunResolveFails(t *testing.T) {
	cfg := loadConfig(t, "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=m\nworker.m.host=nowhere\nworker.m.port=8009\n")
	c := &cannedSender{seen: map[string]*http.Request{}, addr: map[string]string{}, heads: map[string][]string{"m": {}}}
	rs := Run(context.Background(), cfg, Options{Resolve: func(string, bool) (string, error) { return "", errors.New("no such host") },
		Send: c.send})
	if len(rs) != 1 || rs[0].Result != "unreachable" || !strings.Contains(rs[0].Error, "no such host") || len(c.seen) != 0 {
		t.Errorf("%+v (sent %d)", rs, len(c.seen))
	}
}

// TestWriteReports: the table counts the failed members and explains
// each problem; JSON carries the same count and an empty list, not null,
// when there is nothing to probe.
func TestWriteReports(t *testing.T) {
	rs := []Result{
		{LB: "lb", Member: "a", Type: "ajp13", Address: "h:1", Reachable: true, Status: 200, Cookie: "JSESSIONID",
			SessionRoute: "a", Route: "a", SessionCookie: "JSESSIONID", Result: "ok"},
		{LB: "lb", Member: "b", Type: "ajp13", Address: "h:2", Route: "b", SessionCookie: "JSESSIONID",
			Result: "unreachable", Problem: "member b did not answer", Fix: "check that it runs"},
	}
	var table bytes.Buffer
	if n := WriteTable(&table, rs); n != 1 {
		t.Errorf("%d failed, want 1", n)
	}
	for _, s := range []string{"LB  MEMBER", "lb  a", "lb  b", "lb/b: member b did not answer\n  fix: check that it runs",
		"2 member(s) probed, 1 problem(s)"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, table.String())
		}
	}
	var js bytes.Buffer
	if n, err := WriteJSON(&js, nil, nil); n != 0 || err != nil || !strings.Contains(js.String(), `"members": []`) {
		t.Errorf("empty json %d %v: %s", n, err, js.String())
	}
}
