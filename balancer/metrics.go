package balancer

import (
	"strings"
	"sync/atomic"

	"github.com/jkbalancer/jkbalancer/sticky"
	"github.com/jkbalancer/jkbalancer/worker"
)

// The lb's monotonic numbers for Prometheus. The lb's own counters
// (elected, errors, sessions) are mod_jk's and the status worker's reset
// zeroes them; these are never reset. They live in the lb's Shared state
// (shared.go), so requests still finishing on a generation a reload
// replaced count too and no scrape ever sees a number go down.

// lbMetrics are one lb's request outcomes.
type lbMetrics struct {
	requests        atomic.Uint64
	errors          [worker.ClassCount]atomic.Uint64 // final errors, by class
	routeMismatches atomic.Uint64
}

// memberMetrics are one member's sticky outcomes and failovers in one lb.
type memberMetrics struct {
	stickyHits, stickyMisses, failovers atomic.Uint64
}

// Metrics is one read of an lb's monotonic numbers.
type Metrics struct {
	// Requests counts requests the lb served or failed.
	Requests uint64
	// Errors counts requests that failed in the end (the client got an
	// error or a truncated response), by worker.Class; ClassUnavailable
	// is the lb's own 503 when no member could be chosen.
	Errors [worker.ClassCount]uint64
	// RouteMismatches counts requests whose session id carried a route
	// that names no member of this lb (nor a domain with a usable member):
	// typically a Tomcat jvmRoute that differs from the member's route.
	RouteMismatches uint64
	Members         []MemberMetrics // configuration order
}

// MemberMetrics is one member's part of Metrics.
type MemberMetrics struct {
	Name string
	// StickyHits counts requests whose session route named this member and
	// that it was given; StickyMisses those whose route named it but that
	// went to another member, or to none (member down, stopped, busy,
	// sticky_session_force). An lb with a single member never reads the
	// route (mod_jk's shortcut), so it counts neither.
	StickyHits, StickyMisses uint64
	// Failovers counts requests that failed on this member when the lb
	// went on to look for another one (even if none was left).
	Failovers uint64
}

// Metrics reads the lb's monotonic numbers. A generation's member names
// and their state objects never change after New, so no lock is taken.
func (lb *LB) Metrics() Metrics {
	m := Metrics{
		Requests:        lb.sh.met.requests.Load(),
		RouteMismatches: lb.sh.met.routeMismatches.Load(),
		Members:         make([]MemberMetrics, len(lb.t.recs)),
	}
	for i := range lb.sh.met.errors {
		m.Errors[i] = lb.sh.met.errors[i].Load()
	}
	for i, r := range lb.t.recs {
		m.Members[i] = MemberMetrics{Name: r.name, StickyHits: r.met.stickyHits.Load(),
			StickyMisses: r.met.stickyMisses.Load(), Failovers: r.met.failovers.Load()}
	}
	return m
}

// countRouteLocked classifies the session route of a request at its first
// pick c (see MemberMetrics). The common case, a session honoured by its
// member's route, costs two comparisons; only the other outcomes look at
// the session id again.
func (lb *LB) countRouteLocked(q *query, c *choice) {
	switch {
	case q.sid == "" || len(lb.t.recs) == 1:
	case c.sticky:
		// pick found the member by its own route and it was usable.
		lb.t.recs[c.idx].met.stickyHits.Add(1)
	default:
		lb.countOtherRouteLocked(q.sid, c.idx)
	}
}

// countOtherRouteLocked counts a session that did not reach its member by
// route: a miss for the member its first route names, a hit when domain
// routing honoured it, a mismatch when a route names nothing in this lb,
// nothing when the session id has no route at all. chosen is the picked
// member, -1 for none.
func (lb *LB) countOtherRouteLocked(sid string, chosen int) {
	recs, mismatch := lb.t.recs, false
	for rest := sid; rest != ""; {
		var cand string
		cand, rest = sticky.Next(rest)
		route, ok := sticky.Route(cand)
		if !ok {
			continue
		}
		if i := lb.t.byRoute(route); i >= 0 {
			recs[i].met.stickyMisses.Add(1)
			return
		}
		key, _, _ := strings.Cut(route, ".")
		for i, r := range recs {
			if r.domain == "" || r.domain != key {
				continue
			}
			if chosen >= 0 && recs[chosen].domain == key {
				recs[chosen].met.stickyHits.Add(1)
			} else {
				recs[i].met.stickyMisses.Add(1)
			}
			return
		}
		mismatch = true
	}
	if mismatch {
		lb.sh.met.routeMismatches.Add(1)
	}
}

// countFailed counts a request that failed in the end.
func (lb *LB) countFailed(e *worker.Error) {
	if int(e.Class) < len(lb.sh.met.errors) {
		lb.sh.met.errors[e.Class].Add(1)
	}
}
