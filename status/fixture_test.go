package status

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// The fixture builds the running objects of a small configuration the way
// the server does (an lb of three members, a plain ajp13 worker and the
// status worker), on a fixed clock, with members that are never dialed
// except t3, whose port 1 refuses connections.

const fixtureWorkers = `worker.list=lb,direct,jkstatus
worker.maintain=60
worker.lb.type=lb
worker.lb.balance_workers=t1,t2,t3
worker.lb.sticky_session_force=true
worker.t1.host=127.0.0.1
worker.t1.port=18009
worker.t1.secret=s3cret
worker.t2.host=127.0.0.1
worker.t2.port=18010
worker.t2.lbfactor=2
worker.t2.route=t2.a
worker.t3.host=127.0.0.1
worker.t3.port=1
worker.t3.activation=D
worker.direct.host=localhost
worker.direct.port=18011
worker.direct.reply_timeout=30000
worker.jkstatus.type=status
`

var fixtureMounts = []string{"/app/*=lb", "!/app/static/*=lb", "/d/*=direct", "/jk-status=jkstatus"}

// fixtureNow is the fixed clock of every fixture.
var fixtureNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type fixture struct {
	t         testing.TB
	dir       string
	cfg       *config.Config
	h         *Handler
	store     *Store
	lb        *balancer.LB
	direct    *worker.Member
	instances map[string][]*worker.Member
	log       *strings.Builder
}

type fixtureOpts struct {
	extra     string // more workers.properties lines
	stateFile string // "" = no persistence
	files     map[string]string
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), instances: make(map[string][]*worker.Member), log: &strings.Builder{}}
	for name, body := range o.files {
		if err := os.WriteFile(filepath.Join(f.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	wf := filepath.Join(f.dir, "workers.properties")
	if err := os.WriteFile(wf, []byte(fixtureWorkers+o.extra), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: wf, Mounts: fixtureMounts})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	f.cfg = cfg
	logger := slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	if f.store, err = OpenStore(o.stateFile, logger); err != nil {
		t.Fatal(err)
	}
	f.build(logger)
	return f
}

func (f *fixture) build(logger *slog.Logger) {
	t, cfg := f.t, f.cfg
	now := func() time.Time { return fixtureNow }
	counters := make(map[string]*worker.Counters)
	member := func(name string, a *config.Member, secret string) *worker.Member {
		c := counters[name]
		if c == nil {
			c = worker.NewCounters(fixtureNow.Add(-100 * time.Second))
			counters[name] = c
		}
		a = f.store.Attrs(name, a)
		m := worker.NewMember(worker.Spec{Name: name, Attrs: a, Counters: c,
			Addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port)),
			Options: worker.Options{Now: now, Sleep: noSleep, Secret: secret, Logger: logger}})
		t.Cleanup(m.Close)
		f.instances[name] = append(f.instances[name], m)
		return m
	}
	lbw := cfg.Workers["lb"]
	spec := balancer.Spec{Name: "lb", LB: f.store.LB("lb", lbw.LB), Maintain: time.Minute, Now: now,
		Sleep: noSleep, Logger: logger}
	for _, name := range lbw.LB.BalanceWorkers {
		a := cfg.Workers[name].Member
		spec.Members = append(spec.Members, balancer.MemberSpec{Name: name,
			Attrs: f.store.Member("lb", name, a), Member: member(name, a, lbw.LB.Secret)})
	}
	var err error
	if f.lb, err = balancer.New(spec); err != nil {
		t.Fatal(err)
	}
	f.direct = member("direct", cfg.Workers["direct"].Member, "")
	f.store.WarnUnused()
	props := append([]config.Property(nil), cfg.Properties...)
	for i := range props {
		if props[i].Key == "ServerRoot" {
			props[i].Value = "/srv/jk"
		}
	}
	types := map[string]string{}
	for name, w := range cfg.Workers {
		types[name] = w.Type
	}
	f.h, err = New(Spec{
		Name: "jkstatus", Config: cfg.Workers["jkstatus"].Status, Types: types,
		Workers: []Worker{{Name: "lb", Type: "lb", LB: f.lb}, {Name: "direct", Type: "ajp13", Member: f.direct},
			{Name: "jkstatus", Type: "status"}},
		Mounts:     func() *config.MountTable { return cfg.Mounts },
		Properties: props, Store: f.store, Key: []byte("fixture key"),
		Resolve: fakeResolve, Now: now, Location: time.UTC, Logger: logger, Software: "jkbalancer/test",
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fakeResolve resolves the test host names without DNS.
func fakeResolve(host string, _ bool) (string, error) {
	switch host {
	case "localhost", "127.0.0.1":
		return "127.0.0.1", nil
	case "backend.example":
		return "192.0.2.7", nil
	}
	return "", errors.New("no such host")
}

// failT3 sends one request with a session routed to t3, whose connection
// is refused: with sticky_session_force the lb does not fail over, so t3
// alone goes to ERR.
func (f *fixture) failT3() {
	hr := httptest.NewRequest(http.MethodGet, "/app/x", nil)
	hr.Header.Set("Cookie", "JSESSIONID=abc.t3")
	// status may not import ajp (layering_test.go), not even in tests: the
	// request's AJP side is filled through worker.Request's fields.
	req := &worker.Request{HTTP: hr}
	req.Body = zeroOf(req.Body)
	a := &req.Forward
	a.Method, a.Protocol, a.URI, a.RemoteAddr, a.RemotePort, a.LocalAddr = "GET", "HTTP/1.1", "/app/x", "127.0.0.1", "1234", "127.0.0.1"
	a.ServerName, a.ServerPort, a.SSLKeySize = "localhost", 80, -1
	if err := f.lb.Serve(httptest.NewRecorder(), req); err == nil {
		f.t.Fatal("the request to t3 (port 1) succeeded")
	}
	if s := f.member("t3").State; s != balancer.StateError {
		f.t.Fatalf("t3 is %s after a refused connection, want ERR", s)
	}
}

// zeroOf returns a new zero T for a *T, so a test can fill a field whose
// type belongs to a package it may not import.
func zeroOf[T any](*T) *T { return new(T) }

// traffic fills counters with fixed numbers.
func (f *fixture) traffic() {
	c := f.instances["t1"][0].Counters()
	countRequests(c, 120)
	c.CountBytes(20480, 3<<20)
	for range 4 {
		c.EnterBusy()
	}
	for range 4 {
		c.LeaveBusy()
	}
	c.CountClientError()
	d := f.direct.Counters()
	countRequests(d, 7)
	d.CountBytes(0, 999)
}

func (f *fixture) member(name string) balancer.MemberSnapshot {
	for _, m := range f.lb.Snapshot().Members {
		if m.Name == name {
			return m
		}
	}
	f.t.Fatalf("no member %s", name)
	return balancer.MemberSnapshot{}
}

// get sends a GET with the query and extra headers ("Name: value").
func (f *fixture) get(query string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "http://jk.example:8080/jk-status?"+query, nil)
	return f.do(r, headers)
}

// post sends a form.
func (f *fixture) post(form url.Values, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://jk.example:8080/jk-status", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return f.do(r, headers)
}

func (f *fixture) do(r *http.Request, headers []string) *httptest.ResponseRecorder {
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Add(k, strings.TrimSpace(v))
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// body returns the response body and fails unless the status is 200.
func body(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", w.Code, w.Body.String())
	}
	b, _ := io.ReadAll(w.Result().Body)
	return string(b)
}

// txt runs a mime=txt request and returns its Result line.
func (f *fixture) result(query string) string {
	f.t.Helper()
	out := body(f.t, f.get("mime=txt&"+query))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

const resultOK = `Result: type=OK message="Action finished"`

// countRequests counts n requests on c.
func countRequests(c *worker.Counters, n int) {
	for range n {
		c.CountRequest()
	}
}
