// Package health probes members out of band and reports the results to
// their lb through one narrow setter. It is an observer: it never picks
// members or touches request traffic. At most one probe per member is in
// flight; nothing is started per failure event — the checker asks each lb,
// on every tick, which members are due (docs/design.md#health-checks "Health is an
// observer").
package health

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Target is what the checker needs from an lb (balancer.LB implements it).
type Target interface {
	// ProbeDue returns the members that need a probe now and marks them as
	// being probed.
	ProbeDue(now time.Time) []string
	// SetProbeResult reports the outcome of a probe.
	SetProbeResult(member string, ok bool, now time.Time)
}

// Prober checks one member (worker.Member implements it).
type Prober interface {
	Probe(ctx context.Context) error
}

// Group is one lb and its members' probers, by member name.
type Group struct {
	Name    string
	Target  Target
	Members map[string]Prober
}

// Spec configures a Checker.
type Spec struct {
	Groups []Group
	// Interval between passes; 0 means one second.
	Interval time.Duration
	Now      func() time.Time // nil = time.Now
	Logger   *slog.Logger     // nil = discard
}

// Checker runs probes for every group. Start it with Start, stop it with
// Close; Check runs one pass synchronously-started (tests use it with
// Wait instead of a ticker).
type Checker struct {
	groups   []Group
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the loop and the probes in flight
}

// New builds a checker; nothing runs until Start or Check.
func New(s Spec) *Checker {
	c := &Checker{groups: s.Groups, interval: s.Interval, now: s.Now, log: s.Logger}
	if c.interval <= 0 {
		c.interval = time.Second
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Start runs a pass every interval until Close.
func (c *Checker) Start() {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.interval)
		defer t.Stop()
		for {
			select {
			case <-c.ctx.Done():
				return
			case <-t.C:
				c.Check()
			}
		}
	}()
}

// Check starts a probe for every member its lb says is due. It returns at
// once; the probes report when they finish.
func (c *Checker) Check() {
	if c.ctx.Err() != nil {
		return
	}
	for _, g := range c.groups {
		for _, name := range g.Target.ProbeDue(c.now()) {
			p := g.Members[name]
			if p == nil {
				g.Target.SetProbeResult(name, false, c.now())
				continue
			}
			c.wg.Add(1)
			go c.probe(g, name, p)
		}
	}
}

func (c *Checker) probe(g Group, name string, p Prober) {
	defer c.wg.Done()
	err := p.Probe(c.ctx)
	if c.ctx.Err() != nil {
		// Shutting down: leave the member as it is; the lb is going away.
		g.Target.SetProbeResult(name, false, c.now())
		return
	}
	if err != nil {
		c.log.Info("member still failing its recovery probe", "lb", g.Name, "member", name, "err", err)
	} else {
		c.log.Info("member passed its recovery probe, readmitting it", "lb", g.Name, "member", name)
	}
	g.Target.SetProbeResult(name, err == nil, c.now())
}

// Wait blocks until the probes started so far have reported. With a
// started loop it also waits for Close.
func (c *Checker) Wait() { c.wg.Wait() }

// Close stops the loop and cancels the probes in flight, and waits for
// them.
func (c *Checker) Close() {
	c.cancel()
	c.wg.Wait()
}
