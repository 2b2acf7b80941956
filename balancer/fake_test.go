package balancer

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
	"github.com/jkbalancer/jkbalancer/worker"
)

// clock is the injected time source; tests move it by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// outcome is one scripted result of a fake member.
type outcome struct {
	out worker.Outcome
	err *worker.Error
}

// fake is a scripted Member. It counts like worker.Member does (Used,
// Busy around the call) and records every Attempt it receives.
type fake struct {
	name  string
	ctr   worker.Counters
	avail atomic.Bool
	trail func(name string) // the harness's global log of attempts

	mu    sync.Mutex
	queue []outcome // used first, in order
	def   outcome   // then forever
	calls []worker.Attempt
	hook  func(f *fake) // runs inside Forward, e.g. to nest requests
}

func newFake(name string) *fake {
	f := &fake{name: name}
	f.avail.Store(true)
	return f
}

func (f *fake) Forward(_ http.ResponseWriter, _ *worker.Request, at *worker.Attempt) (worker.Outcome, error) {
	f.ctr.EnterBusy()
	defer f.ctr.LeaveBusy()
	f.ctr.CountRequest()
	f.mu.Lock()
	f.calls = append(f.calls, *at)
	o := f.def
	if len(f.queue) > 0 {
		o, f.queue = f.queue[0], f.queue[1:]
	}
	hook := f.hook
	f.mu.Unlock()
	if f.trail != nil {
		f.trail(f.name)
	}
	if hook != nil {
		hook(f)
	}
	if o.err != nil {
		e := *o.err
		e.Member = f.name
		return o.out, &e
	}
	return o.out, nil
}

func (f *fake) Counters() *worker.Counters { return &f.ctr }
func (f *fake) Available() bool            { return f.avail.Load() }

// failWith makes every following request fail with class c.
func (f *fake) failWith(c worker.Class) { f.setDefault(outcome{err: failure(c)}) }

// succeed makes every following request succeed.
func (f *fake) succeed() { f.setDefault(outcome{}) }

func (f *fake) setDefault(o outcome) {
	f.mu.Lock()
	f.def = o
	f.mu.Unlock()
}

func (f *fake) script(o ...outcome) {
	f.mu.Lock()
	f.queue = append(f.queue, o...)
	f.mu.Unlock()
}

func (f *fake) attempts() []worker.Attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]worker.Attempt(nil), f.calls...)
}

// failure is a recoverable error of class c, as worker.Member returns it.
func failure(c worker.Class) *worker.Error {
	e := &worker.Error{Class: c, Recoverable: true}
	if c == worker.ClassClient || c == worker.ClassTooLarge {
		e.Recoverable = false
	}
	return e
}

// mdef describes one member for a harness.
type mdef struct {
	name string
	ajp  config.Member
}

func member(name string, opts ...func(*config.Member)) mdef {
	d := mdef{name: name, ajp: config.Member{LBFactor: 1}}
	for _, o := range opts {
		o(&d.ajp)
	}
	return d
}

func factor(f int) func(*config.Member)      { return func(a *config.Member) { a.LBFactor = f } }
func distance(d int) func(*config.Member)    { return func(a *config.Member) { a.Distance = d } }
func route(r string) func(*config.Member)    { return func(a *config.Member) { a.Route = r } }
func domain(d string) func(*config.Member)   { return func(a *config.Member) { a.Domain = d } }
func redirect(r string) func(*config.Member) { return func(a *config.Member) { a.Redirect = r } }
func activation(v config.Activation) func(*config.Member) {
	return func(a *config.Member) { a.Activation = v }
}

// baseLB is mod_jk's default lb configuration.
func baseLB() config.LB {
	return config.LB{
		StickySession: true, Method: config.MethodRequest,
		Retries: 2, LBRetries: 2, RetryInterval: 100,
		RecoverTime: 60, ErrorEscalationTime: 30,
		SessionCookie: "JSESSIONID", SessionPath: ";jsessionid", SessionCookiePath: "/",
	}
}

// harness is one lb over fakes with an injected clock and sleep.
type harness struct {
	t      testing.TB
	lb     *LB
	clock  *clock
	fakes  []*fake
	byName map[string]*fake
	logs   *testutil.LockedBuffer

	mu     sync.Mutex
	trail  []string        // every Forward, in order
	sleeps []time.Duration // every sleep between lb rounds
}

func newHarness(t testing.TB, cfg config.LB, defs ...mdef) *harness {
	t.Helper()
	return newHarnessPrev(t, cfg, nil, defs...)
}

func newHarnessPrev(t testing.TB, cfg config.LB, prev *harness, defs ...mdef) *harness {
	t.Helper()
	h := &harness{t: t, clock: newClock(), byName: map[string]*fake{}, logs: new(testutil.LockedBuffer)}
	spec := Spec{
		Name: "lb", LB: &cfg, Maintain: 60 * time.Second, Now: h.clock.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			return ctx.Err()
		},
		Logger: slog.New(slog.NewTextHandler(h.logs, nil)),
	}
	if prev != nil {
		h.clock = prev.clock
		spec.Now = prev.clock.Now
		spec.Shared = prev.lb.Shared()
	}
	for _, d := range defs {
		f := newFake(d.name)
		if prev != nil && prev.byName[d.name] != nil {
			f = prev.byName[d.name] // same counters, like the server's registry
		}
		f.trail = h.record
		ajp := d.ajp
		h.fakes = append(h.fakes, f)
		h.byName[d.name] = f
		spec.Members = append(spec.Members, MemberSpec{Name: d.name, Attrs: &ajp, Member: f})
	}
	lb, err := New(spec)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.lb = lb
	return h
}

func (h *harness) record(name string) {
	h.mu.Lock()
	h.trail = append(h.trail, name)
	h.mu.Unlock()
}

func (h *harness) f(name string) *fake { return h.byName[name] }

func (h *harness) sleepCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sleeps)
}

// serve runs one request and returns its token: the members tried joined
// by '>', plus ":<status>" when the request failed ("-" when no member was
// tried).
func (h *harness) serve(req *worker.Request) string {
	h.mu.Lock()
	from := len(h.trail)
	h.mu.Unlock()
	err := h.lb.Serve(httptest.NewRecorder(), req)
	h.mu.Lock()
	tried := append([]string(nil), h.trail[from:]...)
	h.mu.Unlock()
	tok := strings.Join(tried, ">")
	if tok == "" {
		tok = "-"
	}
	if err != nil {
		tok += ":" + strconv.Itoa(worker.Status(err))
	}
	return tok
}

// run serves n identical requests and returns their tokens.
func (h *harness) run(n int, mk func() *worker.Request) []string {
	out := make([]string, 0, n)
	for range n {
		out = append(out, h.serve(mk()))
	}
	return out
}

func (h *harness) state(name string) State {
	for _, m := range h.lb.Snapshot().Members {
		if m.Name == name {
			return m.State
		}
	}
	h.t.Fatalf("no member %q", name)
	return 0
}

func (h *harness) snap(name string) MemberSnapshot {
	for _, m := range h.lb.Snapshot().Members {
		if m.Name == name {
			return m
		}
	}
	h.t.Fatalf("no member %q", name)
	return MemberSnapshot{}
}

func (h *harness) values() []uint64 {
	var v []uint64
	for _, m := range h.lb.Snapshot().Members {
		v = append(v, m.LBValue)
	}
	return v
}

// request options
type reqOpt func(r *worker.Request)

func newReq(opts ...reqOpt) *worker.Request {
	hr := httptest.NewRequest(http.MethodGet, "/app/index.jsp", nil)
	r := &worker.Request{HTTP: hr}
	r.Forward.URI = "/app/index.jsp"
	for _, o := range opts {
		o(r)
	}
	return r
}

func cookie(v string) reqOpt {
	return func(r *worker.Request) { r.HTTP.Header.Add("Cookie", v) }
}

func uri(u string) reqOpt { return func(r *worker.Request) { r.Forward.URI = u } }

func session(id string) reqOpt { return cookie("JSESSIONID=" + id) }

func rule(ext config.Extensions) reqOpt {
	return func(r *worker.Request) {
		ext.ReplyTimeout = -1
		r.Rule = &config.Mount{Pattern: "/app/*", Worker: "lb", Ext: ext}
	}
}

func secure() reqOpt { return func(r *worker.Request) { r.Secure = true } }

func plain() *worker.Request { return newReq() }

// setReplyTimeouts gives c n reply timeouts the way the lb counts them.
func setReplyTimeouts(c *worker.Counters, n int) {
	c.ClearReplyTimeouts()
	for range n {
		c.CountReplyTimeout()
	}
}
