// Package worker holds one backend ("member" when it sits in an lb, a plain
// ajp13 worker otherwise): its connection pool, its counters, and the
// forwarding of one request with mod_jk's per-worker retries. Failures are
// classified here, where they happen, into *Error values.
package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
)

// Options are the server-wide settings a member needs (JkOptions).
type Options struct {
	FlushPackets bool
	FlushHeader  bool
	DisableReuse bool
	// Secret is the lb's secret, used when the member has none of its own
	// (mod_jk pushes worker.LB.secret into members lacking one).
	Secret string
	Logger *slog.Logger
	Now    func() time.Time
	// Sleep waits between per-worker retries (retry_interval); nil sleeps
	// on a timer and gives up when ctx ends.
	Sleep func(ctx context.Context, d time.Duration) error
	// PathCheck answers the dead-path check of AJP members
	// (path_check_interval); nil asks the kernel (netpath.Check). Tests
	// inject one: a path whose kernel never acknowledges needs iptables.
	PathCheck ajp.PathCheckFunc
}

// Spec describes one member instance.
type Spec struct {
	Name     string
	Attrs    *config.Member
	Addr     string    // resolved host:port to dial; "" = AJP.Address()
	Counters *Counters // shared by every instance of the same worker name
	// Metrics are this instance's monotonic numbers (metrics.go); nil =
	// new ones. The server passes the ones its registry keeps for the
	// (lb, member), so they outlive a reload that rebuilds the instance.
	Metrics *Metrics
	Options Options
}

// Member is one backend instance with its own connections. It holds what
// every member shares — the per-worker retry loop, the counters, the
// recovery rules — and reaches its backend through a transport. It is
// safe for concurrent use.
type Member struct {
	name     string
	spec     *config.Member
	tr       transport
	counters *Counters
	metrics  *Metrics
	secret   string
	opts     Options
	log      *slog.Logger
	// lastFail is the Class of the last failed Forward, for Probe.
	lastFail atomic.Uint32
	// secretRefused: the member answered like Tomcat refusing the AJP
	// secret (secret.go); logged once.
	secretRefused atomic.Bool
	refusedAttrs  atomic.Pointer[string] // the extra attributes sent then, if any
	// live holds the current attributes: spec plus status-worker edits
	// (edit.go); editMu serialises the edits.
	live   atomic.Pointer[config.Member]
	editMu sync.Mutex
	// stall notices requests that all stall (counters.go).
	stall stallWatch
	// realClock: Options.Now is time.Now, so a time the request path
	// read for its metrics serves the stall watch too (clockAt).
	realClock bool
	// late is Late, made once in NewMember (http members' path check).
	late func(waited time.Duration) bool
	// beforeSend, set by tests only, sees each connection just before the
	// request is written on it: how a test has the member close a pooled
	// connection after the liveness check passed, the race a restart
	// leaves that only a failed write reveals.
	beforeSend func(reused bool, conn io.Closer)
}

// transport is how a member reaches its backend: AJP13 (ajpTransport) or
// HTTP/1.1 (httpTransport).
type transport interface {
	// attempt sends the request once (stale pooled connections aside) and
	// classifies a failure.
	attempt(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (Outcome, *Error)
	// free reports whether a connection slot is free now.
	free() bool
	// probe checks the backend out of band (see Member.Probe).
	probe(ctx context.Context) error
	maintain()
	close()
	stats() ConnStats
	// setAddress sends new connections to addr, the resolved host:port
	// (a status edit); dest is what Member.Addr shows.
	setAddress(host string, port int, addr string)
	dest() string
}

// ConnStats are a member's backend connections.
type ConnStats struct {
	Open, Idle, InUse, MaxOpen int
}

// NewMember builds a member and its (lazy) connection pool; nothing is
// dialed until the first request.
func NewMember(s Spec) *Member {
	a := s.Attrs
	addr := s.Addr
	if addr == "" {
		addr = a.Address()
	}
	o := s.Options
	realClock := o.Now == nil
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = SleepContext
	}
	secret := a.Secret
	if secret == "" {
		secret = o.Secret
	}
	c := s.Counters
	if c == nil {
		c = new(Counters)
	}
	x := s.Metrics
	if x == nil {
		x = new(Metrics)
	}
	m := &Member{
		name:      s.Name,
		spec:      a,
		counters:  c,
		metrics:   x,
		secret:    secret,
		opts:      o,
		log:       o.Logger.With("worker", s.Name),
		realClock: realClock,
	}
	m.live.Store(a)
	m.stall.base = o.Now()
	m.late = m.Late // made once: the request path copies it without allocating
	m.tr = newTransport(m, addr)
	return m
}

// Name returns the worker name.
func (m *Member) Name() string { return m.name }

// Config returns the member's current attributes: the compiled ones plus
// any status-worker edits (edit.go). The result must not be modified.
func (m *Member) Config() *config.Member { return m.cfg() }

// Counters returns the counters shared by every instance of this worker.
func (m *Member) Counters() *Counters { return m.counters }

// Metrics returns this instance's monotonic numbers (metrics.go).
func (m *Member) Metrics() *Metrics { return m.metrics }

// ConnStats returns the member's backend connections (status worker).
func (m *Member) ConnStats() ConnStats { return m.tr.stats() }

// Available reports whether a request could start now: a pool slot is free
// and busy_limit is not reached. The lb uses it to clear OK/BUSY.
func (m *Member) Available() bool {
	if l := m.cfg().BusyLimit; l > 0 && m.counters.Busy() >= int64(l) {
		return false
	}
	return m.tr.free()
}

// Maintain runs the per-process part of mod_jk's maintenance for this
// instance: idle connection close and interval CPing.
func (m *Member) Maintain() { m.tr.maintain() }

// Close releases the pool. In-flight requests finish on their connections.
func (m *Member) Close() { m.tr.close() }

// Serve forwards a request to this worker used directly (not as an lb
// member): mod_jk's plain ajp13 worker. It returns the classified error.
func (m *Member) Serve(w http.ResponseWriter, req *Request) error {
	_, err := m.Forward(w, req, &Attempt{Activation: config.Active, direct: true})
	if we, ok := err.(*Error); ok && we.Class == ClassReplyTimeout { // Forward returns *Error or nil
		// Under an lb the lb counts reply timeouts (it decides ERR from
		// them); used directly, the worker counts its own for the status
		// worker's "RE" column.
		m.counters.CountReplyTimeout()
	}
	return err
}

// Forward sends the request to this member, retrying on the same member up
// to `retries` times with `retry_interval` between attempts while the
// failure is recoverable (mod_jk ajp_service). It returns a *Error or nil.
func (m *Member) Forward(w http.ResponseWriter, req *Request, at *Attempt) (Outcome, error) {
	c, a, x := m.counters, m.cfg(), m.metrics
	x.requests.Add(1)
	if l := a.BusyLimit; l > 0 && c.Busy() >= int64(l) {
		// mod_jk: JK_BUSY_ERROR, recoverable; the lb marks the member BUSY.
		x.errors[ClassBusy].Add(1)
		return Outcome{}, &Error{Member: m.name, Class: ClassBusy, Recoverable: true,
			Err: errors.New("busy_limit reached")}
	}
	c.EnterBusy()
	defer c.LeaveBusy()
	c.CountRequest()
	// Latency is measured on the monotonic clock, not the injected one:
	// it is reported, never compared with state times.
	start := time.Now()
	req.headAt = time.Time{}

	var out Outcome
	var last *Error
	tries := 0
	ctx := req.HTTP.Context()
	for i := 0; i < a.Retries; i++ {
		if i > 0 {
			if err := m.opts.Sleep(ctx, a.RetryIntervalDuration()); err != nil {
				last = &Error{Member: m.name, Class: ClassClient, Err: err}
				break
			}
			x.retries.Add(1)
		}
		tries++
		at.last = i+1 == a.Retries
		from := start // the first attempt starts now; a retry reads the clock
		if i > 0 {
			from = time.Time{}
		}
		m.startWait(req, a, from)
		res, err := m.tr.attempt(ctx, w, req, at)
		m.endWait(req)
		out.Status = res.Status
		out.Sent += res.Sent
		out.Received += res.Received
		if err == nil {
			if m.lastFail.Load() != 0 {
				m.lastFail.Store(0) // the worker answers again (State)
			}
			x.finish(&out, nil, start, req.headAt)
			return out, nil
		}
		last = err
		if !err.Recoverable || gaveUp(err) || i+1 == a.Retries {
			break
		}
		m.log.Info("attempt failed, retrying on the same worker", "try", i+1, "of", a.Retries, "err", err)
	}
	m.logGiveUp(last, tries, a.Retries)
	m.count(last)
	x.finish(&out, last, start, req.headAt)
	return out, last
}

// logGiveUp says, once per failed Forward, that the worker is done with
// the request and why, like mod_jk's one "connecting to tomcat failed"
// line after ajp_service's loop. A retry is announced only when one
// follows. The client's own failures are not the worker giving up.
func (m *Member) logGiveUp(e *Error, tries, retries int) {
	if e == nil || e.Class == ClassClient {
		return
	}
	why := "retries used up"
	switch {
	case !e.Recoverable:
		why = "the request may not be sent again"
	case gaveUp(e):
		why = "member unreachable or reply timeout: no retry on the same worker"
	}
	m.log.Info("worker gives up on the request", "tries", tries, "of", retries, "why", why, "err", e)
}

// gaveUp reports a failure after which trying the same member again only
// makes the client wait: the connect or CPing failed (nothing listens, or
// the member is hung or stopping) or the reply timed out. mod_jk retries on
// the same worker after retry_interval even then; the lb fails over at once
// instead, because slow failover is where operators hurt most.
func gaveUp(e *Error) bool {
	return e.Unreachable || e.Class == ClassReplyTimeout
}

// count updates the error counters for the final outcome of Forward.
func (m *Member) count(e *Error) {
	switch e.Class {
	case ClassClient:
		m.counters.CountClientError()
	case ClassTooLarge, ClassFailStatusSoft:
	default:
		m.lastFail.Store(uint32(e.Class))
		m.counters.CountError(m.opts.Now())
	}
}

// SleepContext waits d, or less when ctx ends first (then it returns
// ctx's error). It is the default sleep between retries.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
