package balancer

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/sticky"
	"github.com/jkbalancer/jkbalancer/worker"
)

// errNoMember is the cause of the lb's own 503: nobody could be chosen.
var errNoMember = errors.New("no member available (all stopped, disabled, busy or in error)")

// scratch holds one request's buffers; LB.scratch pools them so the
// request path does not allocate.
type scratch struct {
	states  []State    // mod_jk's per-request copy of the shared states
	over    []override // per-request activations, when the rule sets any
	stalled []bool     // members found stalling (query.stalled)
	at      worker.Attempt
}

func newScratch(n int) *scratch {
	return &scratch{states: make([]State, n), over: make([]override, n), stalled: make([]bool, n)}
}

// staller is the optional Member method of the stall watch
// (*worker.Member.Stalled, docs/config.md#stall-detection).
type staller interface {
	Stalled(now time.Time) bool
}

// run is the state of one pass through Serve.
type run struct {
	set      settings // re-read between rounds, like mod_jk's jk_lb_pull
	q        query
	states   []State
	at       *worker.Attempt
	secure   bool
	cookieOn bool // set_session_cookie rule extension
	// check: the members look at the sessions they hand out (the
	// session-route doctor), read with these names.
	check        bool
	path, cookie string
	unknownSeen  bool // the request's unknown route went to the doctor

	attempt, round int
	forced         bool   // forced recovery happens once per request
	routeCounted   bool   // the session route was classified (metrics.go)
	route          string // s->route: set once, see electLocked
	tried          int    // Forward calls
	member         string // last member tried
	last           *worker.Error
}

// Serve runs mod_jk's lb service loop (docs/compat.md#the-lb-service-loop, jk_lb_worker.c
// service) for one request. It never writes an error response itself: it
// returns nil on success, or the final *worker.Error — the last attempt's
// error, or a ClassUnavailable error with Member "" when no member could be
// chosen in the end. The caller maps it with worker.Status (or aborts the
// client connection when HeadSent).
//
// The loop makes at most min(lb_retries, members) member attempts per
// round and lb.retries rounds, sleeping retry_interval between rounds and
// re-reading the shared states then, so members that only had a local
// error are eligible again. Once per request, when nobody can be chosen,
// every member in ERR is forced to ERR/FRC without using up an attempt.
func (lb *LB) Serve(w http.ResponseWriter, req *worker.Request) error {
	sc := lb.scratch.Get().(*scratch)
	defer lb.scratch.Put(sc)
	r := run{states: sc.states, at: &sc.at, secure: req.Secure}
	lb.sh.met.requests.Add(1)
	lb.begin(&r, req, sc)
	ctx := context.Background()
	if req.HTTP != nil {
		ctx = req.HTTP.Context()
	}
	n := len(lb.t.recs)
	for {
		if r.attempt >= n || r.attempt >= r.set.lbRetries {
			// End of an lb round: stop after lb.retries rounds, else sleep
			// and start the next one from the shared states.
			r.round++
			if r.round >= r.set.retries {
				break
			}
			if err := lb.nextRound(ctx, &r); err != nil {
				// The client went away while we waited.
				r.last = &worker.Error{Class: worker.ClassClient, Err: err}
				break
			}
		}

		lb.mu.Lock()
		r.q.force = r.set.stickyForce
		c := lb.t.pick(r.states, &r.q)
		if !r.routeCounted {
			r.routeCounted = true
			lb.countRouteLocked(&r.q, &c)
		}
		if c.idx < 0 {
			forced := 0
			if !r.forced {
				r.forced = true
				forced = lb.forceRecoveryLocked(r.states)
			}
			lb.mu.Unlock()
			lb.noteUnknown(&r, &c) // also when sticky_session_force refuses it
			if forced > 0 {
				lb.log.Info("lb forcing recovery once", "lb", lb.name, "members", forced)
				continue // does not count as an attempt
			}
			r.last = nil // nobody left: 503 unless a later attempt runs
			r.attempt++
			continue
		}
		rec := lb.t.recs[c.idx]
		at := lb.electLocked(&r, rec, c)
		lb.mu.Unlock()
		lb.noteUnknown(&r, &c)

		// The lock is not held while the member works.
		out, err := rec.m.Forward(w, req, at)
		r.tried++
		r.member = rec.name
		we, stop, state := lb.finish(&r, c.idx, out, err)
		if we == nil {
			lb.note(req, &r)
			return nil
		}
		r.last = we
		if stop {
			break
		}
		rec.met.failovers.Add(1)
		lb.log.Info("lb member failed, failing over", "lb", lb.name, "member", rec.name,
			"class", we.Class.String(), "attempt", r.tried, "round", r.round+1,
			"state", state.String(), "err", we.Err)
		r.attempt++
	}
	return lb.fail(req, &r)
}

// begin prepares a request: rule extensions, the settings and states it
// starts from (clearing OK/BUSY where a slot is free again, as mod_jk
// checks busy_limit and ajp_has_endpoint), and the session id.
func (lb *LB) begin(r *run, req *worker.Request, sc *scratch) {
	ext := req.Ext()
	r.cookieOn = ext.SetSessionCookie
	r.q = query{stateless: ext.Stateless, over: lb.overrides(sc.over, ext), stalled: lb.stalled(sc.stalled)}
	lb.mu.Lock()
	r.set = lb.set
	for i, rec := range lb.t.recs {
		if rec.state == StateBusy && rec.m.Available() {
			rec.state = StateOK
		}
		r.states[i] = rec.state
	}
	lb.mu.Unlock()
	if r.set.sticky && !ext.StickyIgnore {
		r.path, r.cookie = sessionNames(ext, &r.set)
		r.q.sid = sessionID(req, r.path, r.cookie)
		r.check = lb.doc != nil
	}
}

// stalled asks each member whether it stalls, outside the lock (the
// member may log). It returns into, filled, or nil when none stalls: the
// common case costs one clock read and a few atomic loads per member.
func (lb *LB) stalled(into []bool) []bool {
	found := false
	var now time.Time
	for i, rec := range lb.t.recs {
		if rec.stall != nil && now.IsZero() {
			now = lb.now()
		}
		into[i] = rec.stall != nil && rec.stall.Stalled(now)
		found = found || into[i]
	}
	if !found {
		return nil
	}
	return into
}

// nextRound sleeps retry_interval, then re-reads the settings and the
// shared states (mod_jk jk_lb_pull): members that only had a local error
// in the last round are eligible again.
func (lb *LB) nextRound(ctx context.Context, r *run) error {
	d := time.Duration(r.set.retryInterval) * time.Millisecond
	if err := lb.sleep(ctx, d); err != nil {
		return err
	}
	lb.mu.Lock()
	r.set = lb.set
	for i, rec := range lb.t.recs {
		r.states[i] = rec.state
	}
	lb.mu.Unlock()
	r.attempt = 0
	return nil
}

// fail ends a request that was not served: the last attempt's error, or
// the lb's own 503 when nobody could be chosen at the end.
func (lb *LB) fail(req *worker.Request, r *run) error {
	lb.note(req, r)
	final := r.last
	if final == nil {
		final = &worker.Error{Class: worker.ClassUnavailable, Err: errNoMember}
	}
	lb.countFailed(final)
	lb.log.Error("lb request failed", "lb", lb.name, "member", r.member,
		"class", final.Class.String(), "attempts", r.tried, "rounds", min(r.round+1, r.set.retries),
		"status", worker.Status(final), "err", final.Err)
	return final
}

// electLocked does what mod_jk does between choosing a member and sending
// the request: route note, ERR/REC -> ERR/PRB, lb busy, the "before" lb
// value update of the method, sessions, and the session cookie.
func (lb *LB) electLocked(r *run, rec *record, c choice) *worker.Attempt {
	// Route quirk: s->route is only filled when empty, so after a failover
	// it keeps the first member's route or the domain, unless the search
	// itself reassigned it (domain routing, or cleared for a redirect).
	if c.routeSet {
		r.route = c.route
	}
	if r.route == "" {
		r.route = rec.route
	}
	if rec.state == StateRecover {
		rec.state = StateProbe
		r.states[c.idx] = StateProbe
	}
	lb.enterBusy()
	newSession := r.q.sid == "" && !r.q.stateless
	switch r.set.method {
	case config.MethodRequest, config.MethodBusyness:
		rec.value += rec.mult
	case config.MethodSessions, config.MethodNext:
		if newSession {
			rec.value += rec.mult
		}
	}
	if newSession {
		rec.sessions.Add(1)
	}
	rec.elected.Add(1)
	*r.at = worker.Attempt{Route: r.route, Activation: lb.t.activation(c.idx, &r.q), Check: r.sessionCheckLocked(&lb.t, c.idx)}
	if !c.sticky && (r.set.setSessionCookie || r.cookieOn) {
		r.at.SetCookie = rec.cookie
		if r.secure {
			r.at.SetCookie = rec.cookieSecure
		}
	}
	return r.at
}

// note records for the request log and error log which member served and
// which route was sent (%R).
func (lb *LB) note(req *worker.Request, r *run) {
	req.Note.Route = r.route
	req.Note.Member = r.member
	req.Note.Attempts = r.tried
}

// sessionID extracts the session id from the path parameter and cookie
// named by sessionNames.
func sessionID(req *worker.Request, path, cookie string) string {
	var cookies []string
	if req.HTTP != nil {
		cookies = req.HTTP.Header["Cookie"]
	}
	return sticky.SessionID(req.Forward.URI, cookies, path, cookie)
}

// overrides resolves the rule extensions active=, disabled= and stopped=
// to member indexes, in mod_jk's order (a later list wins for a member
// named twice). nil when the rule sets none.
func (lb *LB) overrides(buf []override, ext *config.Extensions) []override {
	if len(ext.Active)+len(ext.Disabled)+len(ext.Stopped) == 0 {
		return nil
	}
	clear(buf)
	lists := [...]struct {
		names []string
		a     config.Activation
	}{{ext.Active, config.Active}, {ext.Disabled, config.Disabled}, {ext.Stopped, config.Stopped}}
	for _, l := range lists {
		for _, name := range l.names {
			// Member names never change after New, so no lock is needed.
			for i, rec := range lb.t.recs {
				if rec.name == name {
					buf[i] = override(l.a) + 1
					break
				}
			}
		}
	}
	return buf
}
