package statusclient

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Watch is one instance's progress towards idle.
type Watch struct {
	Target Target
	Last   Member    // the last reading
	Err    error     // the last reading's error, nil when it succeeded
	Active time.Time // when a reading last showed a request (or the first reading)
	Read   time.Time // when the last successful reading was taken
	seen   bool
}

// IdleFor is how long the readings have shown the member without a
// request: from the reading that last saw one to the latest reading (what
// happened after it is not known yet). 0 when the last reading failed or
// the member is busy or active.
func (w *Watch) IdleFor() time.Duration {
	if w.Err != nil || !w.seen || w.Last.Busy != 0 || w.Last.Activation == "ACT" {
		return 0
	}
	return w.Read.Sub(w.Active)
}

// observe records a reading taken at now.
func (w *Watch) observe(m Member, err error, now time.Time) {
	w.Err = err
	if err != nil {
		return
	}
	if !w.seen || m.Busy != 0 || m.Requests != w.Last.Requests {
		w.Active = now
	}
	w.seen, w.Last, w.Read = true, m, now
}

// Describe is one line about the instance, for progress and for the
// final report.
func (w *Watch) Describe() string {
	if w.Err != nil {
		return w.Err.Error()
	}
	if !w.seen {
		return w.Target.String() + ": not read yet"
	}
	s := fmt.Sprintf("%s: %s busy=%d requests=%d idle %s", w.Target, w.Last.Activation, w.Last.Busy,
		w.Last.Requests, w.IdleFor().Truncate(100*time.Millisecond))
	if w.Last.Activation == "ACT" {
		s += " (the member is active again here: someone activated it)"
	}
	return s
}

// IdleOptions says how WaitIdle waits.
type IdleOptions struct {
	Idle     time.Duration    // how long without a request counts as idle
	Poll     time.Duration    // time between readings (Idle/4, at most 1 s, when zero)
	Progress io.Writer        // one line per reading round; nil: none
	Now      func() time.Time // the clock (time.Now when nil)
}

// WaitIdle reads member of lb on every target, every Poll, until on each
// one it has been idle (busy 0, its request count unchanged, not active)
// for Idle, or ctx ends. It returns the watches of the instances that are
// not idle (none: all are), each with its last reading or error.
func (c *Client) WaitIdle(ctx context.Context, targets []Target, lb, member string, o IdleOptions) []*Watch {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	poll := o.Poll
	if poll <= 0 {
		poll = min(max(o.Idle/4, 10*time.Millisecond), time.Second)
	}
	ws := make([]*Watch, len(targets))
	for i, t := range targets {
		ws[i] = &Watch{Target: t}
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		c.readAll(ctx, ws, lb, member, now)
		busy := notIdle(ws, o.Idle)
		if len(busy) == 0 || ctx.Err() != nil {
			return busy
		}
		if o.Progress != nil {
			progress(o.Progress, ws, busy)
		}
		select {
		case <-ctx.Done():
			return notIdle(ws, o.Idle)
		case <-tick.C:
		}
	}
}

// readAll takes one reading of every instance, in parallel.
func (c *Client) readAll(ctx context.Context, ws []*Watch, lb, member string, now func() time.Time) {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := c.Member(ctx, w.Target, lb, member)
			if ctx.Err() != nil && err != nil {
				return // the wait ended; keep the last reading
			}
			w.observe(m, err, now())
		}()
	}
	wg.Wait()
}

func notIdle(ws []*Watch, idle time.Duration) []*Watch {
	var out []*Watch
	for _, w := range ws {
		if !w.seen || w.Err != nil || w.IdleFor() < idle {
			out = append(out, w)
		}
	}
	return out
}

func progress(out io.Writer, ws, busy []*Watch) {
	parts := make([]string, 0, len(busy))
	for _, w := range busy {
		parts = append(parts, w.Describe())
	}
	fmt.Fprintf(out, "waiting: %d of %d instances idle; %s\n", len(ws)-len(busy), len(ws), strings.Join(parts, "; "))
}
