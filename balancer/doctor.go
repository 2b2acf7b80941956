package balancer

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/sticky"
)

// The lb's side of the session-route doctor (package doctor): it hands
// every attempt a SessionCheck with the member's route and the session
// names this request was read with, and notes requests whose session route
// names no member.

// attachDoctor registers the lb and its members with the doctor. members
// are in configuration order, like lb.t.recs.
func (lb *LB) attachDoctor(d *doctor.Doctor, members []MemberSpec) {
	if d == nil {
		return
	}
	lb.doc = d.LB(lb.name, lb.set.sessionCookie)
	for i, ms := range members {
		r := lb.t.recs[i]
		url := ""
		if ms.Attrs.Proxy != nil {
			url = ms.Attrs.Proxy.URL
		}
		r.doc = lb.doc.Member(r.name, ms.Attrs.Address(), r.route, url)
	}
}

// sessionNames are the path parameter and cookie a request's session id
// is read from: the lb's, unless the rule extensions session_path and
// session_cookie override them (for reading only, docs/compat.md#cping-and-timeouts).
func sessionNames(ext *config.Extensions, set *settings) (path, cookie string) {
	path, cookie = set.sessionPath, set.sessionCookie
	if ext.SessionPath != "" {
		path = ext.SessionPath
	}
	if ext.SessionCookie != "" {
		cookie = ext.SessionCookie
	}
	return path, cookie
}

// sessionCheckLocked is what member idx checks its response against; when
// the request's session belongs to another member, the check classifies
// the failover (docs/sessions.md#what-a-failover-shows).
func (r *run) sessionCheckLocked(t *table, idx int) doctor.SessionCheck {
	if !r.check {
		return doctor.SessionCheck{}
	}
	rec := t.recs[idx]
	c := doctor.SessionCheck{M: rec.doc, Route: rec.route, Domain: rec.domain, Cookie: r.cookie, Path: r.path}
	if r.q.sid != "" && len(t.recs) > 1 {
		if from, base := t.failoverFrom(r.q.sid, idx); from != nil {
			c.From, c.Base = from.doc, base
		}
	}
	return c
}

// failoverFrom returns the member whose route the request's first
// session id naming a member carries, and that id's base, when it is not
// member idx: the request is a failover of that session. A route naming
// no member is none (the labels stay bounded whatever clients send), and
// neither is a request one of whose ids names idx itself (the client has
// a session there too). It does not allocate.
func (t *table) failoverFrom(sid string, idx int) (from *record, base string) {
	for rest := sid; rest != ""; {
		var cand string
		cand, rest = sticky.Next(rest)
		route, ok := sticky.Route(cand)
		if !ok {
			continue
		}
		i := t.byRoute(route)
		switch {
		case i == idx:
			return nil, ""
		case i >= 0 && from == nil:
			from, base = t.recs[i], cand[:len(cand)-len(route)-1]
		}
	}
	return from, base
}

// noteUnknown tells the doctor, once per request, that its session route
// names nothing in this lb. It runs without lb.mu.
func (lb *LB) noteUnknown(r *run, c *choice) {
	if c.unknown == "" || r.unknownSeen {
		return
	}
	r.unknownSeen = true
	lb.doc.UnknownRoute(c.unknown)
}

// unknownRoute reports whether no member has route as its route and no
// member's domain is the route's domain part: nothing in this lb could
// ever take such a session (whatever the members' states).
func (t *table) unknownRoute(route string) bool {
	if t.byRoute(route) >= 0 {
		return false
	}
	key := route
	if i := strings.IndexByte(key, '.'); i >= 0 {
		key = key[:i]
	}
	for _, r := range t.recs {
		if r.domain != "" && r.domain == key {
			return false
		}
	}
	return true
}

// RouteOwner returns the member whose route is route, "" if none.
func (lb *LB) RouteOwner(route string) string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if i := lb.t.byRoute(route); i >= 0 {
		return lb.t.recs[i].name
	}
	return ""
}

// KnowsRoute reports whether a session with this route would find a
// member of this lb by its route or domain.
func (lb *LB) KnowsRoute(route string) bool {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return !lb.t.unknownRoute(route)
}

// Doctor returns the lb's part of the session-route doctor, nil without
// one.
func (lb *LB) Doctor() *doctor.LB { return lb.doc }
