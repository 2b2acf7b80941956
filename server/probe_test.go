package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/probe"
)

// probeConfig loads workers.properties text.
func probeConfig(t *testing.T, props string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	wf := filepath.Join(dir, "workers.properties")
	if err := os.WriteFile(wf, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Listen: []string{"127.0.0.1:0"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	return cfg
}

func TestProbeReportsEachMember(t *testing.T) {
	members := map[string]ajptest.Handler{
		"good":    ajptest.EchoHandler("good"),
		"wrong":   ajptest.EchoHandler("xyz"),
		"twin":    ajptest.EchoHandler("good"), // the jvmRoute of another member
		"noroute": ajptest.EchoHandler(""),
		"cookie":  cookieMember("MYSESSIONID", "cookie"),
		"quiet":   ajptest.DrainHandler,
	}
	order := []string{"good", "wrong", "twin", "noroute", "cookie", "quiet", "down", "web"}
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=" + strings.Join(order, ",") + "\n"
	for name, h := range members {
		s := ajptest.NewServer(h)
		t.Cleanup(s.Close)
		props += fmt.Sprintf("worker.%s.host=127.0.0.1\nworker.%s.port=%s\n", name, name, portOf(s))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	props += fmt.Sprintf("worker.down.host=127.0.0.1\nworker.down.port=%d\n", down)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/shop/cart" || r.URL.RawQuery != "new=1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Add("Set-Cookie", "JSESSIONID=W.web; Path=/")
	}))
	t.Cleanup(web.Close)
	host, port := hostPort(t, web)
	props += "worker.web.type=http\nworker.web.host=" + host + "\nworker.web.port=" + port + "\n"

	rs := Probe(context.Background(), probeConfig(t, props), probe.Options{Path: "/shop/cart?new=1", Timeout: 5 * time.Second})
	want := map[string]struct{ result, cookie, route string }{
		"good":    {"ok", "JSESSIONID", "good"},
		"wrong":   {"route_mismatch", "JSESSIONID", "xyz"},
		"twin":    {"route_mismatch", "JSESSIONID", "good"},
		"noroute": {"no_route", "JSESSIONID", ""},
		"cookie":  {"cookie_name", "MYSESSIONID", ""},
		"quiet":   {"no_session", "", ""},
		"down":    {"unreachable", "", ""},
		"web":     {"ok", "JSESSIONID", "web"},
	}
	if len(rs) != len(order) {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		w := want[r.Member]
		if r.Member != order[i] || r.Result != w.result || r.Cookie != w.cookie || r.SessionRoute != w.route {
			t.Errorf("%d: %+v, want %s %+v", i, r, order[i], w)
		}
	}
	if r := rs[2]; !strings.Contains(r.Problem, "they go to member good") || !strings.Contains(r.Fix, "must not share") {
		t.Errorf("twin: %+v", r)
	}
	var table bytes.Buffer
	if n := probe.WriteTable(&table, rs); n != 5 {
		t.Errorf("%d failed, want 5 (wrong, twin, noroute, cookie, down)", n)
	}
	out := table.String()
	for _, s := range []string{"LB  MEMBER", "lb  wrong", "route_mismatch", "lb/quiet: no session created at /shop/cart?new=1",
		"use --probe-path with a page that creates one", `set jvmRoute="wrong"`, "or set worker.wrong.route=xyz",
		"set worker.lb.session_cookie=MYSESSIONID", "8 member(s) probed, 5 problem(s)"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	var js bytes.Buffer
	if n, err := probe.WriteJSON(&js, rs, nil); n != 5 || err != nil {
		t.Fatalf("json: %d %v", n, err)
	}
	var doc struct {
		Members  []probe.Result
		Problems int
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Members) != 8 || doc.Problems != 5 {
		t.Errorf("json %v: %s", err, js.String())
	}
}

// A member's route mismatch does not matter without sticky sessions.
func TestProbeNonStickyLB(t *testing.T) {
	s := ajptest.NewServer(ajptest.EchoHandler("xyz"))
	defer s.Close()
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.sticky_session=false\nworker.lb.balance_workers=m\n" +
		"worker.m.host=127.0.0.1\nworker.m.port=" + portOf(s) + "\n"
	rs := Probe(context.Background(), probeConfig(t, props), probe.Options{})
	if len(rs) != 1 || rs[0].Result != "ok" || rs[0].SessionRoute != "xyz" || rs[0].Failed() {
		t.Errorf("%+v", rs)
	}
}

// A member whose AJP connector refuses the secret answers 403 and closes
// the connection: a configuration error (check exits 1), not "no session".
func TestProbeWrongSecret(t *testing.T) {
	s := ajptest.NewServer(ajptest.EchoHandler("right"), ajptest.WithSecret("s3cret"))
	defer s.Close()
	app := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) { w.SendHeaders(403) }, ajptest.WithSecret("s3cret"))
	defer app.Close()
	props := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=m,nosecret,right,app\n" +
		"worker.m.host=127.0.0.1\nworker.m.port=" + portOf(s) + "\nworker.m.secret=wrong\n" +
		"worker.nosecret.host=127.0.0.1\nworker.nosecret.port=" + portOf(s) + "\n" +
		"worker.right.host=127.0.0.1\nworker.right.port=" + portOf(s) + "\nworker.right.secret=s3cret\n" +
		"worker.app.host=127.0.0.1\nworker.app.port=" + portOf(app) + "\nworker.app.secret=s3cret\n"
	rs := Probe(context.Background(), probeConfig(t, props), probe.Options{Timeout: 5 * time.Second})
	want := []string{"secret", "secret", "ok", "no_session"}
	for i, r := range rs {
		if r.Result != want[i] {
			t.Errorf("%s: %s (%s), want %s", r.Member, r.Result, r.Problem, want[i])
		}
	}
	var table bytes.Buffer
	if n := probe.WriteTable(&table, rs); n != 2 {
		t.Errorf("%d problems, want 2:\n%s", n, table.String())
	}
	for _, s := range []string{"lb/m: member m answered 403", "worker.m.secret", "lb/nosecret:", "none was sent", "set worker.nosecret.secret", "2 problem(s)"} {
		if !strings.Contains(table.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, table.String())
		}
	}
}
