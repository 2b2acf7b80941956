package doctor

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Failover classification (docs/sessions.md#what-a-failover-shows): when
// the lb gives a request whose session route names member FROM to
// another member TO, TO's answer says whether it knew the session. Tomcat
// with a replicated session and JvmRouteBinderValve answers with the same
// id rebound to its own route (ABC.from -> ABC.to); without the valve it
// keeps the id and usually sends no cookie at all; a member that never
// heard of the session creates a new one with a new id.

// FailoverResult is what TO's answer to a failed-over session shows.
type FailoverResult uint8

const (
	// FailoverUnknown: the answer hands out no session (no Set-Cookie of
	// the session cookie, no path parameter in a Location).
	FailoverUnknown FailoverResult = iota
	// FailoverKept: the answer hands out the same session id base (the
	// text before the first '.'), rebound to another route or unchanged.
	FailoverKept
	// FailoverLost: the answer hands out only ids with another base: TO
	// did not know the session and started a new one.
	FailoverLost

	failoverResults = 3
)

var resultNames = [failoverResults]string{"unknown", "kept", "lost"}

// String is the result as the metric label has it: unknown, kept, lost.
func (r FailoverResult) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// IDBase is the part of a session id before its first '.', the part a
// member rebinding the session to its own route keeps.
func IDBase(id string) string {
	if i := strings.IndexByte(id, '.'); i >= 0 {
		return id[:i]
	}
	return id
}

// ClassifyFailover reads TO's response head with the lb's session cookie
// and path parameter names (case-sensitive, as the lb reads them from
// requests) and compares every session id it hands out with base, the id
// base of the session the request carried. Any id with that base is
// kept, even when another cookie (of another path) carries another one;
// only ids with other bases are lost; none is unknown. Set-Cookie values
// are read like ReadSession reads them (attributes dropped, one pair of
// quotes removed, an empty value is a deletion and no session); the
// Location is read only when no Set-Cookie of the cookie hands out an id.
// It does not allocate.
func ClassifyFailover(h http.Header, cookie, path, base string) FailoverResult {
	res := FailoverUnknown
	if cookie != "" {
		for _, sc := range h["Set-Cookie"] {
			name, value := splitSetCookie(sc)
			if name != cookie || value == "" {
				continue
			}
			if IDBase(value) == base {
				return FailoverKept
			}
			res = FailoverLost
		}
	}
	if res != FailoverUnknown || path == "" {
		return res
	}
	if locs := h["Location"]; len(locs) == 1 {
		if id := pathParam(locs[0], path); id != "" {
			if IDBase(id) == base {
				return FailoverKept
			}
			return FailoverLost
		}
	}
	return FailoverUnknown
}

// pairCount counts the failovers of sessions of one member (the *Member
// holding it) to member to, by result.
type pairCount struct {
	to *Member
	n  [failoverResults]uint64
}

// FailoverCount is one ordered pair's failovers in an lb, by result.
type FailoverCount struct {
	LB, From, To string
	Count        [failoverResults]uint64 // indexed by FailoverResult
}

// failover counts one failover of a session of from, served by m, and
// reports a lost one as a session_lost finding of m. via is where the
// answer's session id was read (Set-Cookie or Location). The pair's
// counter is created at its first failover; the pairs are bounded by the
// configured members, whatever clients send.
func (m *Member) failover(from *Member, res FailoverResult, via string) {
	l := m.lb
	if from == nil || from == m || from.lb != l {
		return
	}
	l.mu.Lock()
	i := 0
	for i < len(from.out) && from.out[i].to != m {
		i++
	}
	if i == len(from.out) {
		from.out = append(from.out, pairCount{to: m})
	}
	from.out[i].n[res]++
	fromAddr := from.addr
	l.mu.Unlock()
	if res == FailoverLost {
		l.recordLost(m, from.name, fromAddr, via)
	}
}

// recordLost counts a lost session of the pair (from, to) and reports it
// the first time, like record.
func (l *LB) recordLost(to *Member, from, fromAddr, via string) {
	key := findingKey{member: to.name, kind: KindSessionLost, seen: from}
	if l.count(key) {
		return
	}
	f := &Finding{LB: l.name, Member: to.name, Kind: KindSessionLost, Seen: from, From: via}
	l.mu.Lock()
	f.Addr = to.addr
	l.mu.Unlock()
	describeLost(f, fromAddr)
	if l.insert(key, f, 1) {
		l.d.log.Warn("session-route doctor: "+f.Problem, "lb", f.LB, "member", f.Member, "address", f.Addr,
			"kind", KindSessionLost.String(), "seen", f.Seen, "configured", f.Configured, "from", f.From, "fix", f.Fix)
	}
}

// describeLost fills the Problem and Fix of a session_lost finding: Seen
// is the member FROM whose sessions were lost, Member the member TO that
// did not know them.
func describeLost(f *Finding, fromAddr string) {
	from, to := f.Seen, f.Member
	if fromAddr != "" {
		from += " (" + fromAddr + ")"
	}
	if f.Addr != "" {
		to += " (" + f.Addr + ")"
	}
	f.Problem = fmt.Sprintf("sessions of member %s that failed over to member %s were lost: "+
		"%s answered with a new session id, so those users were logged out", f.Seen, f.Member, f.Member)
	f.Fix = fmt.Sprintf("session replication between %s and %s is not working: put a <Cluster> element in both "+
		"server.xml files and <distributable/> in the application's web.xml, make the replication receiver port "+
		"(4000-4100 by default) and the membership (multicast 228.0.0.4:45564, or static membership where multicast "+
		"is blocked) reachable between the two hosts, and keep every session attribute Serializable; "+
		"if replication is not intended, failover will log users out", from, to)
}

// forgetPairsLocked drops what was counted for failovers to or from the member
// name (it is gone); with the lb's mutex held.
func (l *LB) forgetPairsLocked(name string) {
	for _, m := range l.members {
		keep := m.out[:0]
		for _, p := range m.out {
			if p.to.name != name {
				keep = append(keep, p)
			}
		}
		clear(m.out[len(keep):])
		m.out = keep
	}
}

// Failovers returns every pair's failover counts, by lb name, each lb's
// by member and target name. The counts never go down while both members
// exist.
func (d *Doctor) Failovers() []FailoverCount {
	if d == nil {
		return nil
	}
	var out []FailoverCount
	for _, l := range d.sortedLBs() {
		l.mu.Lock()
		for _, m := range l.members {
			for _, p := range m.out {
				out = append(out, FailoverCount{LB: l.name, From: m.name, To: p.to.name, Count: p.n})
			}
		}
		l.mu.Unlock()
	}
	sortFailovers(out)
	return out
}

func sortFailovers(fs []FailoverCount) {
	slices.SortFunc(fs, func(a, b FailoverCount) int {
		return cmp.Or(cmp.Compare(a.LB, b.LB), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
}
