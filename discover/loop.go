package discover

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// discoveredSet is what the last answer of one lb gave.
type discoveredSet struct {
	source  string // the discover setting it answers (config.Discover.String)
	members []found
	next    time.Time // when to ask again (the interval, jittered)
}

// lookupTimeout bounds one round of lookups (all lbs due at once).
const lookupTimeout = 5 * time.Second

// Discovery is one server's member discovery: the answers per lb, the
// configuration as loaded (before members are added) and the loop that
// asks again. The loop starts at the first Adopt (or Reload) of a
// configuration with an lb to discover, and Stop ends it.
type Discovery struct {
	log   *slog.Logger
	res   Resolver
	owner Owner

	// Guarded by the owner's lock (Owner.Lock): what the running
	// configuration was built from.
	base *config.Config
	sets map[string]discoveredSet

	mu      sync.Mutex     // guards the fields below
	streak  map[string]int // failed lookups in a row, by lb
	count   map[string]int // members found, by lb (for metrics)
	started bool           // the loop runs (or ran)
	stopped bool           // Stop stopped it; it does not start again
	wake    chan struct{}  // the settings changed (cap 1)
	stop    chan struct{}
	done    chan struct{}

	lookups, failed, empty, changes, applyFailed atomic.Uint64
}

// New builds the discovery of owner, asking res (nil: net.DefaultResolver)
// and logging to log.
func New(res Resolver, log *slog.Logger, owner Owner) *Discovery {
	if res == nil {
		res = net.DefaultResolver
	}
	return &Discovery{log: log, res: res, owner: owner, sets: make(map[string]discoveredSet),
		streak: make(map[string]int), count: make(map[string]int),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// discoverLBs returns the names of cfg's lbs with a discover setting,
// sorted.
func discoverLBs(cfg *config.Config) []string {
	var out []string
	for name, w := range cfg.Workers {
		if discoverOf(w) != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// answer is one lb's lookup result.
type answer struct {
	lb      string
	d       *config.Discover
	members []found
	err     error
}

// lookup asks DNS for the given lbs of base, one after the other, within
// lookupTimeout. It holds no lock: a slow DNS server delays nothing else.
func (dc *Discovery) lookup(ctx context.Context, base *config.Config, lbs []string) []answer {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	out := make([]answer, 0, len(lbs))
	for _, name := range lbs {
		d := discoverOf(base.Workers[name])
		got, err := lookupMembers(ctx, dc.res, d)
		dc.lookups.Add(1)
		out = append(out, answer{lb: name, d: d, members: got, err: err})
	}
	return out
}

// record keeps one answer (under the owner's lock) and reports whether
// the lb's members changed. A failed lookup or an empty answer keeps the
// members the lb has (docs/config.md#members-from-dns-kubernetes: a DNS outage or a scale to zero must not
// cost the sessions their members); it is logged once per streak.
func (dc *Discovery) record(a answer, now time.Time) bool {
	prev, had := dc.sets[a.lb]
	if had && prev.source != a.d.String() {
		prev, had = discoveredSet{}, false // the setting changed: start afresh
	}
	prev.source, prev.next = a.d.String(), now.Add(jitter(a.d.IntervalDuration()))
	dc.sets[a.lb] = prev
	if a.err != nil {
		dc.failedLookup(a, len(prev.members))
		return false
	}
	dc.recovered(a)
	if had && slices.Equal(prev.members, a.members) {
		return false
	}
	prev.members = a.members
	dc.sets[a.lb] = prev
	dc.log.Info("lb members from DNS", "lb", a.lb, "discover", a.d.String(), "members", describe(a.members))
	for _, f := range a.members {
		if f.collided != "" {
			dc.log.Warn("member discovery: two members' DNS names give the same route; this one gets a name of its own",
				"lb", a.lb, "route", f.collided, "member", memberName(a.lb, f.route), "address", f.ip, "host", f.host)
		}
	}
	return true
}

func (dc *Discovery) failedLookup(a answer, kept int) {
	if errors.Is(a.err, errEmpty) {
		dc.empty.Add(1)
	} else {
		dc.failed.Add(1)
	}
	dc.mu.Lock()
	dc.streak[a.lb]++
	n := dc.streak[a.lb]
	dc.mu.Unlock()
	if n == 1 {
		dc.log.Warn("member discovery: no usable answer; the lb keeps its current members and asks again",
			"lb", a.lb, "discover", a.d.String(), "kept", kept, "err", a.err)
		return
	}
	dc.log.Debug("member discovery: still no usable answer", "lb", a.lb, "failures", n, "err", a.err)
}

func (dc *Discovery) recovered(a answer) {
	dc.mu.Lock()
	n := dc.streak[a.lb]
	delete(dc.streak, a.lb)
	dc.mu.Unlock()
	if n > 0 {
		dc.log.Info("member discovery answers again", "lb", a.lb, "discover", a.d.String(), "failures", n)
	}
}

// due returns the lbs of base to ask now (their interval passed, or they
// were never asked with their current setting) and how long until the
// next one is due (-1: no lb discovers its members).
func (dc *Discovery) due(now time.Time) ([]string, time.Duration) {
	next := time.Duration(-1)
	var out []string
	for _, name := range discoverLBs(dc.base) {
		d := discoverOf(dc.base.Workers[name])
		wait := time.Duration(0)
		if s, ok := dc.sets[name]; ok && s.source == d.String() {
			wait = s.next.Sub(now)
		}
		if wait <= 0 {
			out = append(out, name)
			wait = d.IntervalDuration()
		}
		if next < 0 || wait < next {
			next = wait
		}
	}
	return out, next
}

// jitter spreads the lookups of many balancers over ±10% of the
// interval, so a fleet of them does not ask DNS in step.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	spread := int64(d) / 5
	return d - time.Duration(spread/2) + time.Duration(rand.Int64N(spread+1))
}

// counts publishes the member counts of the running configuration for
// metrics.
func (dc *Discovery) counts() {
	c := make(map[string]int, len(dc.sets))
	for _, name := range discoverLBs(dc.base) {
		c[name] = len(dc.sets[name].members)
	}
	dc.mu.Lock()
	dc.count = c
	dc.mu.Unlock()
}
