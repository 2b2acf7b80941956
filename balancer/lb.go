// Package balancer is mod_jk's lb worker (jk_lb_worker.c,
// docs/compat.md#the-lb-service-loop): sticky routing by session route,
// value-based selection with
// the methods Request, Session, Next, Traffic and Busyness, distance tiers,
// activation, redirect and domain fallbacks, mod_jk's service loop of
// member attempts and lb rounds, error classification, and the global
// maintenance that decays load values and recovers members.
//
// One mutex per lb guards selection, lb values, member states, error times,
// the rotation offset and the runtime settings; it is never held while a
// member forwards a request or while the lb sleeps between rounds. The
// mutex and the member states live in the lb's Shared state (shared.go),
// which every generation of the lb a reload builds uses, so they
// serialise on the same lock and update the same states. Counters
// that nothing compares are atomics. There are no goroutines and no timers:
// error times are stored and compared with an injected clock.
package balancer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Member is what the lb needs from one member. *worker.Member implements
// it; tests use fakes.
type Member interface {
	// Forward sends the request to the member (with the member's own
	// retries). The error is a classified *worker.Error or nil.
	Forward(w http.ResponseWriter, req *worker.Request, at *worker.Attempt) (worker.Outcome, error)
	// Counters are the member's per-AJP-worker counters. The lb reads Busy
	// (error escalation) and Used (idle marking) and maintains
	// ReplyTimeouts.
	Counters() *worker.Counters
	// Available reports that a pool slot is free now and busy_limit is not
	// reached; the lb clears OK/BUSY with it at the start of a request.
	Available() bool
}

// MemberSpec is one member in configuration order.
type MemberSpec struct {
	Name string
	// Attrs supplies the member attributes: lbfactor, distance, route,
	// domain, redirect, activation. It is not modified.
	Attrs  *config.Member
	Member Member
}

// Spec describes one lb worker.
type Spec struct {
	Name string
	LB   *config.LB // not modified; runtime edits go to the lb's own copy
	// Members in configuration order: the order decides ties, the failover
	// worker, and the status worker's val0..valN.
	Members []MemberSpec
	// Maintain is worker.maintain; 0 disables global maintenance.
	Maintain time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits between lb rounds (retry_interval) and must return early
	// with ctx's error when ctx ends; nil sleeps on a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one line per failover and per failed request; nil
	// discards.
	Logger *slog.Logger
	// Shared is the lb's runtime state across reloads (shared.go): the
	// generations of one lb are built on the same Shared; nil starts a new
	// one.
	Shared *Shared
	// Probed says a health checker probes members in ERR out of band: a
	// member then leaves ERR only after a successful probe (SetProbeResult),
	// never on time alone, so its recovery does not cost a user request.
	Probed bool
	// Doctor is the session-route doctor (package doctor); nil = none.
	Doctor *doctor.Doctor
}

// Errors returned by New and by the runtime edits.
var (
	ErrUnknownMember = errors.New("no such member")
	ErrRange         = errors.New("value out of range")
	ErrNotInError    = errors.New("member is not in error state")
	ErrDuplicate     = errors.New("route already used by another member")
)

// settings are the lb attributes the status worker may change at runtime
// (mod_jk jk_lb_push/jk_lb_pull), in workers.properties units.
type settings struct {
	sticky, stickyForce bool
	method              config.Method
	lock                config.Lock
	retries, lbRetries  int
	retryInterval       int // ms
	recoverTime         int // s
	escalation          int // s, error_escalation_time
	maxReplyTimeouts    int
	sessionCookie       string
	sessionPath         string
	setSessionCookie    bool
	sessionCookiePath   string
}

// record is one member in one generation of the lb: what it was built
// from and its runtime-editable attributes, with its state (shared.go)
// shared by every generation of the lb.
type record struct {
	*memberState
	name string
	m    Member
	c    *worker.Counters
	// stall is the member's stall watch (service.go), nil when it has
	// none (test fakes).
	stall staller

	// Attributes (runtime-editable), guarded by LB.mu.
	route, domain, redirect string
	factor                  int
	mult                    uint64
	distance                int
	activation              config.Activation
	cookie, cookieSecure    string // set_session_cookie values for route

	ignoreErrors bool // mod_proxy +I: failures never put it in ERR
	startInError bool // mod_proxy +E: a new member starts in ERR
	probing      bool // a health probe of this generation is out for it
	doc          *doctor.Member
}

// LB is one lb worker. It is safe for concurrent use.
type LB struct {
	name     string
	log      *slog.Logger
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	maintain time.Duration
	probed   bool      // recovery is gated by health probes (Spec.Probed)
	scratch  sync.Pool // *scratch, per-request buffers
	doc      *doctor.LB

	// sh is the state every generation of the lb shares (shared.go); mu
	// is its mutex. mu guards t (selection, member attributes and the
	// member states), set, and sh.
	sh  *Shared
	mu  *sync.Mutex
	t   table
	set settings
}

// New builds an lb from its spec. It fails when there is no member, a
// member is incomplete, or two members share a name or a route (mod_jk
// aborts its startup for the latter).
func New(spec Spec) (*LB, error) {
	if spec.LB == nil {
		return nil, fmt.Errorf("lb %q: no lb configuration", spec.Name)
	}
	if len(spec.Members) == 0 {
		return nil, fmt.Errorf("lb %q: no members", spec.Name)
	}
	lb := &LB{
		name:     spec.Name,
		log:      spec.Logger,
		now:      spec.Now,
		sleep:    spec.Sleep,
		maintain: spec.Maintain,
		probed:   spec.Probed,
		set:      newSettings(spec.LB),
		sh:       spec.Shared,
	}
	if lb.sh == nil {
		lb.sh = NewShared()
	}
	lb.mu = &lb.sh.mu
	if lb.log == nil {
		lb.log = slog.New(slog.DiscardHandler)
	}
	if lb.now == nil {
		lb.now = time.Now
	}
	if lb.sleep == nil {
		lb.sleep = worker.SleepContext
	}
	n := len(spec.Members)
	lb.scratch.New = func() any { return newScratch(n) }
	if err := lb.addMembers(spec.Members); err != nil {
		return nil, fmt.Errorf("lb %q: %w", spec.Name, err)
	}
	lb.t.updateMult()
	lb.mu.Lock()
	lb.sh.attachLocked(lb.t.recs, lb.set.method, lb.now())
	lb.t.next = &lb.sh.next
	lb.mu.Unlock()
	lb.attachDoctor(spec.Doctor, spec.Members)
	return lb, nil
}

func (lb *LB) addMembers(members []MemberSpec) error {
	seen := make(map[string]bool, len(members))
	for _, ms := range members {
		switch {
		case ms.Name == "":
			return errors.New("member without a name")
		case ms.Member == nil || ms.Attrs == nil:
			return fmt.Errorf("member %q: incomplete spec", ms.Name)
		case seen[ms.Name]:
			return fmt.Errorf("member %q listed twice", ms.Name)
		}
		seen[ms.Name] = true
		a := ms.Attrs
		r := &record{
			name: ms.Name, m: ms.Member, c: ms.Member.Counters(),
			route: a.Route, domain: a.Domain, redirect: a.Redirect,
			factor: max(a.LBFactor, 1), distance: a.Distance, activation: a.Activation,
		}
		if r.c == nil {
			return fmt.Errorf("member %q: no counters", ms.Name)
		}
		r.stall, _ = ms.Member.(staller)
		if r.route == "" {
			r.route = ms.Name // mod_jk: route defaults to the worker name
		}
		if r.domain == "" {
			r.domain = domainOf(r.route)
		}
		if p := a.Proxy; p != nil {
			// mod_proxy_balancer status flags with no mod_jk attribute
			// (config.ProxyMember): +I, and +E, a member that starts in
			// error and waits recover_time for its first probe.
			r.ignoreErrors, r.startInError = p.IgnoreErrors, p.StartInError
		}
		for _, o := range lb.t.recs {
			if o.route == r.route {
				return fmt.Errorf("members %q and %q share the route %q", o.name, r.name, r.route)
			}
		}
		lb.setCookies(r)
		lb.t.recs = append(lb.t.recs, r)
	}
	return nil
}

// domainOf derives a domain from a route containing '.': the part before
// the first '.' (mod_jk validate); "" when there is no '.'.
func domainOf(route string) string {
	for i := 0; i < len(route); i++ {
		if route[i] == '.' {
			return route[:i]
		}
	}
	return ""
}

// newSettings copies the configured lb attributes, applying mod_jk's
// minimums so a hand-built config.LB cannot make the loop misbehave.
func newSettings(c *config.LB) settings {
	s := settings{
		sticky: c.StickySession, stickyForce: c.StickySessionForce,
		method: c.Method, lock: c.Lock,
		retries: max(c.Retries, 1), lbRetries: max(c.LBRetries, 1),
		retryInterval:    max(c.RetryInterval, 0),
		recoverTime:      max(c.RecoverTime, 1),
		escalation:       max(c.ErrorEscalationTime, 0),
		maxReplyTimeouts: max(c.MaxReplyTimeouts, 0),
		sessionCookie:    c.SessionCookie, sessionPath: c.SessionPath,
		setSessionCookie: c.SetSessionCookie, sessionCookiePath: c.SessionCookiePath,
	}
	if s.method > config.MethodNext {
		s.method = config.MethodRequest
	}
	if s.sessionCookie == "" {
		s.sessionCookie = "JSESSIONID"
	}
	if s.sessionPath == "" {
		s.sessionPath = ";jsessionid"
	}
	return s
}

// setCookies precomputes the set_session_cookie values for r's route
// (docs/compat.md#sticky-sessions): "<cookie>=.<route>[;PATH=<path>];HttpOnly[;Secure]".
// mod_jk omits PATH only when session_cookie_path is empty.
func (lb *LB) setCookies(r *record) {
	v := lb.set.sessionCookie + "=." + r.route
	if p := lb.set.sessionCookiePath; p != "" {
		v += ";PATH=" + p
	}
	r.cookie = v + ";HttpOnly"
	r.cookieSecure = v + ";HttpOnly;Secure"
}

// Name returns the lb's worker name.
func (lb *LB) Name() string { return lb.name }

// gcd and lcm work on uint64 like mod_jk's update_mult.
func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func lcm(a, b uint64) uint64 { return a * b / gcd(a, b) }

// updateMult sets lb_mult = lcm(all lbfactors) / lbfactor
// (docs/compat.md#load-values-and-methods): one unit of load adds lb_mult, so lb
// values compare load/factor.
func (t *table) updateMult() {
	s := uint64(1)
	for _, r := range t.recs {
		s = lcm(s, uint64(r.factor))
	}
	for _, r := range t.recs {
		r.mult = s / uint64(r.factor)
	}
}

// enterBusy counts a request in flight through the lb and keeps max_busy.
func (lb *LB) enterBusy() {
	n := lb.sh.busy.Add(1)
	for {
		m := lb.sh.maxBusy.Load()
		if n <= m || lb.sh.maxBusy.CompareAndSwap(m, n) {
			return
		}
	}
}

// elapsed is now-t in whole seconds the way mod_jk compares time_t values.
func elapsed(now, t time.Time) int64 { return now.Unix() - t.Unix() }
