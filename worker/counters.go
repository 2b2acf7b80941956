package worker

import (
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Counters are the per-AJP-worker numbers mod_jk keeps in shared memory
// (docs/compat.md#member-state-and-counters): one set per worker name, shared by every instance of
// that worker (a worker listed directly and used as an lb member counts
// into the same set). All fields are atomics; nothing compares them under a
// lock.
//
// The fields are unexported so that this file is their one owner: the
// member counts its requests, bytes and errors, the lb counts and decays
// reply timeouts, the status worker resets; each through a method that
// says which of these it is.
type Counters struct {
	used          atomic.Int64 // requests handled ("Acc")
	busy          atomic.Int64 // requests in flight
	maxBusy       atomic.Int64
	errors        atomic.Int64
	clientErrors  atomic.Int64
	replyTimeouts atomic.Int64 // decayed by lb maintenance ("RE")
	transferred   atomic.Int64 // bytes written to the backend ("Wr")
	read          atomic.Int64 // bytes read from the backend ("Rd")
	lastReset     atomic.Int64 // unix nanoseconds
	lastErrorTime atomic.Int64 // unix nanoseconds, 0 = none
}

// NewCounters returns a zeroed set whose last reset is now (the status
// worker shows the time since then).
func NewCounters(now time.Time) *Counters {
	c := new(Counters)
	c.lastReset.Store(now.UnixNano())
	return c
}

// Used is the number of requests handled ("Acc").
func (c *Counters) Used() int64 { return c.used.Load() }

// Busy is the number of requests in flight.
func (c *Counters) Busy() int64 { return c.busy.Load() }

// MaxBusy is the highest Busy since the last reset.
func (c *Counters) MaxBusy() int64 { return c.maxBusy.Load() }

// Errors counts failed requests (not client errors).
func (c *Counters) Errors() int64 { return c.errors.Load() }

// ClientErrors counts requests the client broke off.
func (c *Counters) ClientErrors() int64 { return c.clientErrors.Load() }

// ReplyTimeouts counts reply timeouts, decayed by lb maintenance ("RE").
func (c *Counters) ReplyTimeouts() int64 { return c.replyTimeouts.Load() }

// Transferred counts the bytes written to the backend ("Wr").
func (c *Counters) Transferred() int64 { return c.transferred.Load() }

// Read counts the bytes read from the backend ("Rd").
func (c *Counters) Read() int64 { return c.read.Load() }

// LastReset is the time of the last reset (or of NewCounters).
func (c *Counters) LastReset() time.Time { return time.Unix(0, c.lastReset.Load()) }

// LastErrorTime is the time of the last error; zero when there was none
// since the last reset.
func (c *Counters) LastErrorTime() time.Time {
	if ns := c.lastErrorTime.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// EnterBusy counts one more request in flight and keeps MaxBusy.
func (c *Counters) EnterBusy() int64 {
	n := c.busy.Add(1)
	for {
		max := c.maxBusy.Load()
		if n <= max || c.maxBusy.CompareAndSwap(max, n) {
			return n
		}
	}
}

// LeaveBusy counts one request less in flight.
func (c *Counters) LeaveBusy() { c.busy.Add(-1) }

// CountRequest counts a request the worker accepted ("Acc").
func (c *Counters) CountRequest() { c.used.Add(1) }

// CountBytes adds what one attempt wrote to and read from the backend.
func (c *Counters) CountBytes(sent, received int64) {
	c.transferred.Add(sent)
	c.read.Add(received)
}

// CountError counts a failed request at now.
func (c *Counters) CountError(now time.Time) {
	c.errors.Add(1)
	c.lastErrorTime.Store(now.UnixNano())
}

// CountClientError counts a request the client broke off.
func (c *Counters) CountClientError() { c.clientErrors.Add(1) }

// CountReplyTimeout counts one reply timeout and returns the new count
// (the lb compares it with max_reply_timeouts).
func (c *Counters) CountReplyTimeout() int64 { return c.replyTimeouts.Add(1) }

// ClearReplyTimeouts forgets the reply timeouts: the member recovered or
// is readmitted.
func (c *Counters) ClearReplyTimeouts() { c.replyTimeouts.Store(0) }

// DecayReplyTimeouts halves the reply timeouts k times (lb maintenance,
// mod_jk decay_load).
func (c *Counters) DecayReplyTimeouts(k uint) {
	for {
		v := c.replyTimeouts.Load()
		if c.replyTimeouts.CompareAndSwap(v, v>>k) {
			return
		}
	}
}

// Reset clears the counters the status worker's reset command clears for
// a worker used directly.
func (c *Counters) Reset(now time.Time) {
	c.ResetKeepingErrors(now)
	c.errors.Store(0)
	c.lastErrorTime.Store(0)
}

// ResetKeepingErrors is the status worker's reset of an lb member
// (jk_status.c reset_worker): the AJP counters except the error count and
// the last error time.
func (c *Counters) ResetKeepingErrors(now time.Time) {
	c.used.Store(0)
	c.clientErrors.Store(0)
	c.replyTimeouts.Store(0)
	c.transferred.Store(0)
	c.read.Store(0)
	c.maxBusy.Store(c.busy.Load())
	c.lastReset.Store(now.UnixNano())
}

// stallRing is how many recent times to the first reply byte a member
// keeps for its stall threshold.
const stallRing = 64

// stallWatch notices a member whose requests all stall
// (docs/config.md#stall-detection): requests wait for their first reply byte
// far longer than the member's recent replies took. Lock-free: each field
// has one kind of writer, and an ordinary request costs a few atomic
// operations and one ring store. Times are nanoseconds since base on the
// member's clock (Options.Now).
type stallWatch struct {
	base time.Time // set once by NewMember
	// awaiting counts attempts waiting for their first reply byte.
	awaiting atomic.Int64
	// lastProgress is when a reply's first byte (or a GET_BODY_CHUNK)
	// last arrived, or when awaiting went from 0 to 1 after a reply: an
	// idle member is not late.
	lastProgress atomic.Int64
	// quiet: the last attempt to end did so without a reply byte (the
	// client left, a timeout, a failure). The next wait then does not
	// restart the clock: a member whose stuck requests were given up
	// showed no sign of life.
	quiet atomic.Bool
	next  atomic.Uint32
	ring  [stallRing]atomic.Uint32 // µs to the first byte, 0 = empty
	// marked: the member was found stalling and that was logged and
	// counted; cleared (and logged) at its next reply byte only, so the
	// log and the gauge do not flap while requests come and go.
	marked atomic.Bool
	// lostAt is when the path check last proved a request of this member
	// lost in the network (a dead-path verdict), 0 = never.
	lostAt atomic.Int64
}

// lossyFor is how long after a dead-path verdict a member counts as
// lossy (docs/config.md#lossy-members).
const lossyFor = 10 * time.Second

// lossy reports whether a dead-path verdict came within lossyFor of now.
func (s *stallWatch) lossy(now int64) bool {
	at := s.lostAt.Load()
	return at != 0 && now-at <= int64(lossyFor)
}

// lossyDuring reports whether the member was lossy at some moment of a
// wait that lasted waited until now: a verdict came during it, or within
// lossyFor before it began.
func (s *stallWatch) lossyDuring(now int64, waited time.Duration) bool {
	at := s.lostAt.Load()
	return at != 0 && now-int64(waited)-at <= int64(lossyFor)
}

// enter counts an attempt that starts waiting at now.
func (s *stallWatch) enter(now int64) {
	if s.awaiting.Add(1) == 1 && !s.quiet.Load() {
		s.lastProgress.Store(now)
	}
}

// replied ends the wait of an attempt that started at from: the member
// answered. sample says whether the wait goes into the ring (a reply's
// first byte) or only counts as progress (the member asked for body).
// It reports whether the member was marked stalling until now.
func (s *stallWatch) replied(now, from int64, sample bool) (recovered bool) {
	s.awaiting.Add(-1)
	s.lastProgress.Store(now)
	if s.quiet.Load() {
		s.quiet.Store(false)
	}
	if sample {
		us := min(max((now-from)/1000, 1), math.MaxUint32)
		s.ring[s.next.Add(1)%stallRing].Store(uint32(us))
	}
	return s.marked.Load() && s.marked.CompareAndSwap(true, false)
}

// gaveUp ends the wait of an attempt that failed before any reply byte:
// no progress.
func (s *stallWatch) gaveUp() {
	s.quiet.Store(true)
	s.awaiting.Add(-1)
}

// stalled reports whether at least two attempts wait and nothing came
// back for longer than max(minWait, factor x p99 of the recent times to
// the first byte). The p99 is only computed when the wait already
// exceeds minWait. minWait <= 0 is never stalled (mod_jk).
func (s *stallWatch) stalled(now int64, minWait time.Duration, factor int) bool {
	if minWait <= 0 || s.awaiting.Load() < 2 {
		return false
	}
	idle := now - s.lastProgress.Load()
	if idle <= int64(minWait) {
		return false
	}
	return idle > int64(factor)*s.p99()*int64(time.Microsecond)
}

// p99 is the 99th percentile of the ring, in µs (0 when empty).
func (s *stallWatch) p99() int64 { return s.percentile(99) }

// percentile is the q-th percentile of the ring, in µs (0 when empty). It
// sorts a copy on the stack: no allocation.
func (s *stallWatch) percentile(q int) int64 {
	var v [stallRing]uint32
	n := 0
	for i := range s.ring {
		if x := s.ring[i].Load(); x != 0 {
			v[n] = x
			n++
		}
	}
	if n == 0 {
		return 0
	}
	slices.Sort(v[:n])
	return int64(v[(n*q+99)/100-1])
}

// stallWait is the attempt of a request that waits for its member's first
// reply byte (Request.wait); m is nil when none waits.
type stallWait struct {
	m    *Member
	from int64
}

// reply ends the wait: the member sent a reply's first byte (sample) or
// asked for body.
func (w *stallWait) reply(sample bool) { w.replyAt(sample, time.Time{}) }

// replyAt is reply at t, a time.Now the caller read anyway (zero: read
// the member's clock).
func (w *stallWait) replyAt(sample bool, t time.Time) {
	m := w.m
	if m == nil {
		return
	}
	w.m = nil
	now := m.clockAt(t)
	// A reply on a lossy path took as long as the retransmissions made
	// it: kept out of the ring, so that the threshold a late request on
	// that path is measured against is the member's own pace
	// (docs/config.md#lossy-members).
	if m.stall.replied(now, w.from, sample && !m.stall.lossy(now)) {
		m.log.Info("worker no longer stalls: a reply arrived")
	}
}

// Progress implements ajp.ProgressWriter: the member asked for request
// body, so it is alive and working on the request (stall watch).
func (r *responder) Progress() {
	if r.wait != nil {
		r.wait.reply(false)
	}
}

// Committed implements ajp.CommitReporter: the lossy-path check may end
// a wait after the head only while the client saw nothing.
func (r *responder) Committed() bool { return r.committed }

// clock is the member's time for its stall watch.
func (m *Member) clock() int64 { return int64(m.opts.Now().Sub(m.stall.base)) }

// clockAt is clock for a time.Now t the request path read anyway, so
// that it is not read again: only when the member's clock is time.Now
// (Options.Now unset) and t is not zero, else clock.
func (m *Member) clockAt(t time.Time) int64 {
	if m.realClock && !t.IsZero() {
		return int64(t.Sub(m.stall.base))
	}
	return m.clock()
}

// startWait counts the attempt the request is about to make as waiting
// for its first reply byte, unless stall detection is off (stall_min=0);
// t is when, if the caller knows (else zero).
func (m *Member) startWait(req *Request, a *config.Member, t time.Time) {
	if a.StallMin <= 0 {
		return
	}
	now := m.clockAt(t)
	m.stall.enter(now)
	req.wait = stallWait{m: m, from: now}
}

// endWait ends the attempt's wait when no reply byte came.
func (m *Member) endWait(req *Request) {
	if req.wait.m != nil {
		req.wait.m.stall.gaveUp()
		req.wait.m = nil
	}
}

// Stalled reports whether the member's requests all stall: at least two
// wait for their first reply byte and nothing came back for longer than
// stall_min and stall_factor times the p99 of its recent times to the
// first byte (docs/config.md#stall-detection). The lb then gives it new
// non-sticky requests only when no other member can take them. Nothing in
// flight is touched. While fewer than two wait it is not stalled, so it
// gets requests again and can show that it answers. The start of a stall
// is logged and counted once (Metrics, Stalling); its end, at the next
// reply byte (stallWait.reply).
//
// A lossy member (a dead-path verdict within lossyFor,
// docs/config.md#lossy-members) is skipped the same way.
//
// now is the time on the member's clock (Options.Now): the lb reads its
// clock once for all its members.
func (m *Member) Stalled(now time.Time) bool {
	a := m.cfg()
	s := &m.stall
	at := int64(now.Sub(s.base))
	if s.lossy(at) {
		return true
	}
	st := a.StallMin > 0 && s.awaiting.Load() >= 2 &&
		s.stalled(at, a.StallMinDuration(), a.StallFactor)
	if st && !s.marked.Load() && s.marked.CompareAndSwap(false, true) {
		m.metrics.stalls.Add(1)
		m.log.Warn("worker stalls: requests wait for a first reply byte far longer than its recent replies took; "+
			"new requests go to other members", "awaiting", s.awaiting.Load())
	}
	return st
}

// notePathDead records a dead-path verdict on one of the member's
// connections (the path check of docs/config.md#safe-defaults): for
// lossyFor the member is lossy (docs/config.md#lossy-members). The start
// of a lossy spell is logged once.
func (m *Member) notePathDead() {
	m.metrics.deadPaths.Add(1)
	m.notePathLoss()
}

// notePathLoss marks the member lossy: a request's bytes to it were lost
// and retransmitted, or proven lost (notePathDead).
func (m *Member) notePathLoss() {
	now := max(m.clock(), 1)
	if prev := m.stall.lostAt.Swap(now); prev == 0 || now-prev > int64(lossyFor) {
		m.log.Warn("worker's network path lost a request (its kernel did not acknowledge it): "+
			"new requests without a session go to other members for a while", "for", lossyFor)
	}
}

// Late implements ajp.PathWatch: on a lossy member, a request with no
// reply byte for longer than stall_min and stall_factor times the first
// quartile of its recent replies has most likely lost its answer in the
// network, so one the rules would send again is given up
// (docs/config.md#lossy-members). The first quartile, not the p99 of a
// stall: the replies that came in between the first lost packets and the
// first verdict took as long as the retransmissions made them, and under
// 30% loss half of them do; the quicker quarter is the member's own pace.
// Lossy means lossy at some moment of this wait, not only now: the spell
// ends 10 s after the last verdict because the lb sends the member
// nothing new, not because the path healed, and a wait that began late in
// it would otherwise outlast it uncut. Off with stall_min=0.
func (m *Member) Late(waited time.Duration) bool {
	a := m.cfg()
	if a.StallMin <= 0 || waited <= a.StallMinDuration() || !m.stall.lossyDuring(m.clock(), waited) {
		return false
	}
	return int64(waited) > int64(a.StallFactor)*m.stall.percentile(25)*int64(time.Microsecond)
}

// Stalling reports whether the member was found stalling and has not
// replied since (the metrics gauge); Stalled decides the routing.
func (m *Member) Stalling() bool { return m.stall.marked.Load() }
