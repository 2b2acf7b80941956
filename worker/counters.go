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
type Counters struct {
	Used          atomic.Int64 // requests handled ("Acc")
	Busy          atomic.Int64 // requests in flight
	MaxBusy       atomic.Int64
	Errors        atomic.Int64
	ClientErrors  atomic.Int64
	ReplyTimeouts atomic.Int64 // decayed by lb maintenance ("RE")
	Transferred   atomic.Int64 // bytes written to the backend ("Wr")
	Read          atomic.Int64 // bytes read from the backend ("Rd")
	LastReset     atomic.Int64 // unix nanoseconds
	LastErrorTime atomic.Int64 // unix nanoseconds, 0 = none
}

// EnterBusy counts one more request in flight and keeps MaxBusy.
func (c *Counters) EnterBusy() int64 {
	n := c.Busy.Add(1)
	for {
		max := c.MaxBusy.Load()
		if n <= max || c.MaxBusy.CompareAndSwap(max, n) {
			return n
		}
	}
}

// LeaveBusy counts one request less in flight.
func (c *Counters) LeaveBusy() { c.Busy.Add(-1) }

// Reset clears the counters the status worker's reset command clears.
func (c *Counters) Reset(now time.Time) {
	c.Used.Store(0)
	c.MaxBusy.Store(c.Busy.Load())
	c.Errors.Store(0)
	c.ClientErrors.Store(0)
	c.ReplyTimeouts.Store(0)
	c.Transferred.Store(0)
	c.Read.Store(0)
	c.LastErrorTime.Store(0)
	c.LastReset.Store(now.UnixNano())
}
