package doctor

import (
	"sort"
	"strings"
)

// The doctor's bookkeeping: counting sightings, reporting new findings
// once, forgetting them on reset and reload, and copying them out.

// UnknownRoute notes a request whose session route names no member of
// this lb. Routes are counted with a Misra-Gries summary of UnknownRoutes
// counters, so a flood of random routes from clients neither grows memory
// nor gets reported, while a route that keeps coming back does.
func (l *LB) UnknownRoute(route string) {
	if l == nil {
		return
	}
	route = clip(route)
	l.mu.Lock()
	i := 0
	for i < len(l.unknown) && l.unknown[i].route != route {
		i++
	}
	if i == len(l.unknown) {
		if i >= l.d.spec.UnknownRoutes {
			l.decrementLocked()
			l.mu.Unlock()
			return
		}
		l.unknown = append(l.unknown, routeCount{route: strings.Clone(route)})
	}
	e := &l.unknown[i]
	e.n++
	state, n, due := e.state, e.n, e.state == 0 && e.n >= l.d.spec.UnknownRouteAfter
	if due {
		e.state = 1
	}
	l.mu.Unlock()
	switch {
	case due:
		// Known to another lb, or handed out by a member of this one whose
		// route differs (already reported as its route_mismatch): not a
		// cause of its own.
		if b := l.d.routeBook(); (b != nil && b.KnownRoute(route)) || l.handedOut(route) {
			l.markKnown(route)
			return
		}
		l.record(nil, KindUnknownRoute, route, "", "request", n)
	case state == 1:
		l.record(nil, KindUnknownRoute, route, "", "request", 1)
	}
}

// decrementLocked is the Misra-Gries step for a route that finds no free
// counter: every counter loses one, and those at zero are freed.
func (l *LB) decrementLocked() {
	keep := l.unknown[:0]
	for _, e := range l.unknown {
		if e.n--; e.n > 0 {
			keep = append(keep, e)
		}
	}
	clear(l.unknown[len(keep):])
	l.unknown = keep
}

// handedOut reports whether a member of this lb was seen handing out
// session ids with this route.
func (l *LB) handedOut(route string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.findings {
		if f.Kind == KindRouteMismatch && f.Seen == route {
			return true
		}
	}
	return false
}

func (l *LB) markKnown(route string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.unknown {
		if l.unknown[i].route == route {
			l.unknown[i].state = 2
		}
	}
}

// record counts one sighting of a cause and reports it the first time,
// with n sightings (those counted before it was due). The description is
// built outside the lock (it may ask the RouteBook, which takes lb locks).
func (l *LB) record(m *Member, kind FindingKind, seen, configured, from string, n int) {
	key := findingKey{kind: kind, seen: clip(seen)}
	if !printable(key.seen) {
		key.seen = sanitize(key.seen)
	}
	if m != nil {
		key.member = m.name
	}
	if l.count(key) {
		return
	}
	f := &Finding{LB: l.name, Member: key.member, Kind: kind, Seen: strings.Clone(key.seen),
		Configured: sanitize(configured), From: from}
	proxyURL := ""
	if m != nil {
		l.mu.Lock()
		f.Addr, proxyURL = m.addr, m.proxyURL
		l.mu.Unlock()
	}
	owner := ""
	if b := l.d.routeBook(); b != nil && kind == KindRouteMismatch {
		owner = b.RouteOwner(l.name, f.Seen)
	}
	Describe(f, owner, proxyURL)
	if l.insert(key, f, uint64(max(n, 1))) {
		l.d.log.Warn("session-route doctor: "+f.Problem, "lb", f.LB, "member", f.Member, "address", f.Addr,
			"kind", kind.String(), "seen", f.Seen, "configured", f.Configured, "from", f.From, "fix", f.Fix)
	}
}

// count adds a sighting to a known finding; false when it is new.
func (l *LB) count(key findingKey) bool {
	now := l.d.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.byKey[key]; f != nil {
		f.Count++
		f.Last = now
		return true
	}
	return false
}

// insert adds a new finding unless another goroutine did, or the lb has
// MaxFindings already. It reports whether f was added.
func (l *LB) insert(key findingKey, f *Finding, n uint64) bool {
	now := l.d.now()
	l.mu.Lock()
	if g := l.byKey[key]; g != nil {
		g.Count++
		g.Last = now
		l.mu.Unlock()
		return false
	}
	if len(l.findings) >= l.d.spec.MaxFindings {
		l.dropped++
		first := l.dropped == 1
		l.mu.Unlock()
		if first {
			l.d.log.Warn("session-route doctor: too many findings for this lb; further ones are not recorded",
				"lb", l.name, "max", l.d.spec.MaxFindings)
		}
		return false
	}
	f.Count, f.First, f.Last = n, now, now
	l.findings = append(l.findings, f)
	l.byKey[key] = f
	l.mu.Unlock()
	return true
}

// dropLocked removes the findings matching drop.
func (l *LB) dropLocked(drop func(*Finding) bool) {
	keep := l.findings[:0]
	for _, f := range l.findings {
		if drop(f) {
			delete(l.byKey, findingKey{member: f.Member, kind: f.Kind, seen: f.Seen})
			continue
		}
		keep = append(keep, f)
	}
	clear(l.findings[len(keep):])
	l.findings = keep
}

// involves reports whether the finding is about member: its own, or the
// session_lost of another member whose sessions came from it.
func (f *Finding) involves(member string) bool {
	return f.Member == member || (f.Kind == KindSessionLost && f.Seen == member)
}

// Reset forgets the findings of member, or of the whole lb when member is
// "" (the status worker's reset), and what was counted towards new ones.
func (l *LB) Reset(member string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropLocked(func(f *Finding) bool { return member == "" || f.involves(member) })
	for name, m := range l.members {
		if member == "" || name == member {
			m.lbCookie.Store(false)
			m.foreign = nil
		}
	}
	if member == "" {
		l.unknown, l.dropped = nil, 0
	}
}

// Retain drops the lbs and members for which keep is false (member "" asks
// about the lb), after a reload; findings of members that still exist
// stay. Unknown routes that a member now has are dropped too.
func (d *Doctor) Retain(keep func(lb, member string) bool) {
	if d == nil {
		return
	}
	d.mu.Lock()
	var lbs []*LB
	for name, l := range d.lbs {
		if !keep(name, "") {
			delete(d.lbs, name)
			continue
		}
		lbs = append(lbs, l)
	}
	d.mu.Unlock()
	book := d.routeBook()
	for _, l := range lbs {
		l.retain(keep, book)
	}
}

func (l *LB) retain(keep func(lb, member string) bool, book RouteBook) {
	l.mu.Lock()
	var unknown []string
	for name := range l.members {
		if !keep(l.name, name) {
			delete(l.members, name)
			l.dropLocked(func(f *Finding) bool { return f.involves(name) })
			l.forgetPairsLocked(name)
		}
	}
	for _, f := range l.findings {
		if f.Kind == KindUnknownRoute {
			unknown = append(unknown, f.Seen)
		}
	}
	l.mu.Unlock()
	if book == nil {
		return
	}
	for _, r := range unknown {
		if book.KnownRoute(r) {
			l.mu.Lock()
			l.dropLocked(func(f *Finding) bool { return f.Kind == KindUnknownRoute && f.Seen == r })
			l.unknown = nil
			l.mu.Unlock()
		}
	}
}

// FindingsFor returns a copy of lb's findings in the order they were
// found.
func (d *Doctor) FindingsFor(lb string) []Finding {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	l := d.lbs[lb]
	d.mu.Unlock()
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Finding, 0, len(l.findings))
	for _, f := range l.findings {
		out = append(out, *f)
	}
	return out
}

// Findings returns a copy of every finding, by lb name, each lb's in the
// order they were found (for the status worker and the metrics).
func (d *Doctor) Findings() []Finding {
	if d == nil {
		return nil
	}
	var out []Finding
	for _, l := range d.sortedLBs() {
		out = append(out, d.FindingsFor(l.name)...)
	}
	return out
}

// sortedLBs are the registered lbs by name.
func (d *Doctor) sortedLBs() []*LB {
	d.mu.Lock()
	lbs := make([]*LB, 0, len(d.lbs))
	for _, l := range d.lbs {
		lbs = append(lbs, l)
	}
	d.mu.Unlock()
	sort.Slice(lbs, func(i, j int) bool { return lbs[i].name < lbs[j].name })
	return lbs
}
