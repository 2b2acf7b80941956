package balancer

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/sticky"
)

// table is the pure selection part of the lb: the member records in
// configuration order and mod_jk's process-local rotation offset. Every
// method runs under LB.mu and only reads records, except that byValue
// moves next.
type table struct {
	recs []*record
	next *int // next_offset of find_best_byvalue, in Shared
}

// override is a per-request activation from the rule extensions active=,
// disabled= and stopped=: 0 is "not overridden", else activation+1.
type override uint8

// query is what one pick needs to know about the request.
type query struct {
	sid       string // ';'-joined session ids, "" = no session
	force     bool   // sticky_session_force
	stateless bool   // rule extension stateless
	over      []override
	// stalled marks the members whose requests all stall (nil: none);
	// byValue takes one only when no other member is usable.
	stalled []bool
}

// choice is the result of one pick.
type choice struct {
	idx int // -1: nobody
	// sticky is mod_jk's s->sticky: true only when the member was found by
	// its own route (or is the only member); otherwise set_session_cookie
	// applies.
	sticky bool
	// routeSet and route replay the assignments mod_jk makes to s->route
	// while searching (the domain, or NULL when redirecting); route ""
	// clears it. The service loop keeps the result across attempts.
	routeSet bool
	route    string
	// unknown is a session route that names nothing in this lb (for the
	// session-route doctor), "" when the session found its member.
	unknown string
}

func (c *choice) setRoute(r string) { c.routeSet, c.route = true, r }

// activation returns member i's activation for this request.
func (t *table) activation(i int, q *query) config.Activation {
	if q.over != nil && q.over[i] != 0 {
		return config.Activation(q.over[i] - 1)
	}
	return t.recs[i].activation
}

// pick is mod_jk's get_most_suitable_worker over the per-request states.
func (t *table) pick(states []State, q *query) choice {
	c := choice{idx: -1}
	if len(t.recs) == 1 {
		// Single member shortcut: used whenever it can take sticky
		// traffic, counted as sticky; a disabled one goes the normal way
		// (only a session route can reach it then).
		a := t.activation(0, q)
		if !stickyUsable(states[0], a) {
			return c
		}
		if a != config.Disabled {
			c.idx, c.sticky = 0, true
			return c
		}
	}
	if q.sid != "" {
		for rest := q.sid; rest != ""; {
			var cand string
			cand, rest = sticky.Next(rest)
			route, ok := sticky.Route(cand)
			if !ok {
				continue
			}
			if i := t.bySessionRoute(route, states, q, &c); i >= 0 {
				c.idx, c.unknown = i, ""
				return c
			}
			if c.unknown == "" && t.unknownRoute(route) {
				c.unknown = route
			}
		}
		if q.force {
			// No candidate could take the session: 503, even when the id
			// has no route at all (Tomcat without jvmRoute).
			return c
		}
	}
	if i := t.byValue(states, q); i >= 0 {
		c.idx = i
		return c
	}
	c.idx = t.failover(states, q, &c)
	return c
}

// byRoute is find_by_session: the member whose route is exactly route.
func (t *table) byRoute(route string) int {
	for i, r := range t.recs {
		if r.route == route {
			return i
		}
	}
	return -1
}

// bySessionRoute is find_bysession_route: exact route, else domain
// routing; when the candidate cannot take sticky traffic, its redirect or
// its domain (unless we came through the domain) or nobody.
func (t *table) bySessionRoute(route string, states []State, q *query, c *choice) int {
	usesDomain := false
	i := t.byRoute(route)
	if i < 0 {
		usesDomain = true
		i = t.byDomain(route, states, q)
	} else {
		c.sticky = true
	}
	if i < 0 {
		return -1
	}
	w := t.recs[i]
	if usesDomain {
		c.setRoute(w.domain)
	}
	if stickyUsable(states[i], t.activation(i, q)) {
		return i
	}
	c.sticky = false
	switch {
	case q.force:
		return -1
	case w.redirect != "":
		i = t.byRoute(w.redirect)
		c.setRoute("")
	case w.domain != "" && !usesDomain:
		i = t.byDomain(w.domain, states, q)
		if i >= 0 {
			c.setRoute(w.domain)
		} else {
			c.setRoute("")
		}
	}
	// Without redirect or domain the unusable candidate is checked again
	// below and dropped, as in mod_jk.
	if i >= 0 && !stickyUsable(states[i], t.activation(i, q)) {
		return -1
	}
	return i
}

// byDomain is find_best_bydomain: among the members whose domain equals
// the part of routeOrDomain before its first '.', the usable Active one
// with the lowest distance, then the lowest lb_value; scanned from index 0
// so ties go to the lowest index. No rotation, no stateless exception.
func (t *table) byDomain(routeOrDomain string, states []State, q *query) int {
	key := routeOrDomain
	if i := strings.IndexByte(key, '.'); i >= 0 {
		key = key[:i]
	}
	cand, dist, min := -1, 0, uint64(0)
	for i, r := range t.recs {
		if r.domain == "" || r.domain != key {
			continue
		}
		if !usable(states[i], t.activation(i, q)) {
			continue
		}
		if cand < 0 || r.distance < dist || (r.value < min && r.distance == dist) {
			cand, dist, min = i, r.distance, r.value
		}
	}
	return cand
}

// byValue is find_best_byvalue: starting at next_offset and wrapping, the
// first usable Active member, replaced by a later one with a smaller
// distance, or the same distance and a strictly smaller lb_value (that
// test is skipped for stateless requests). next_offset follows every
// change of candidate, which turns ties into round robin.
//
// Better than mod_jk: a stalled member (query.stalled) is chosen only
// when no other usable member is left, like a member at busy_limit that
// still takes a request rather than failing it (docs/config.md#stall-detection).
func (t *table) byValue(states []State, q *query) int {
	if q.stalled != nil {
		if i := t.byValueOf(states, q, q.stalled); i >= 0 {
			return i
		}
	}
	return t.byValueOf(states, q, nil)
}

// byValueOf is byValue over the members not marked in skip (nil: all).
func (t *table) byValueOf(states []State, q *query, skip []bool) int {
	n := len(t.recs)
	cand, dist, min := -1, 0, uint64(0)
	offset := *t.next // the loop moves t.next; the scan range must not move
	for j := offset; j < n+offset; j++ {
		i := j % n
		r := t.recs[i]
		if !usable(states[i], t.activation(i, q)) || (skip != nil && skip[i]) {
			continue
		}
		if cand < 0 || r.distance < dist || (!q.stateless && r.value < min && r.distance == dist) {
			cand, dist, min = i, r.distance, r.value
			*t.next = i + 1
		}
	}
	return cand
}

// failover is find_failover_worker: when value-based selection finds
// nobody, the redirect of the first member (configuration order) that has
// one is treated like a session route, so a disabled hot standby gets the
// traffic. It never counts as sticky.
func (t *table) failover(states []State, q *query, c *choice) int {
	for _, r := range t.recs {
		if r.redirect != "" {
			i := t.bySessionRoute(r.redirect, states, q, c)
			c.sticky = false
			return i
		}
	}
	return -1
}
