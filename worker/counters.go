package worker

import (
	"sync/atomic"
	"time"
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
