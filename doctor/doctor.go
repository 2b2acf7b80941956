// Package doctor is the session-route doctor. Sticky sessions break
// silently when a member's Tomcat has another jvmRoute than the member's
// route in workers.properties, none at all, or names its session cookie
// otherwise than the lb's session_cookie: mod_jk then balances every
// request of the session as a new one and says nothing. The doctor watches real traffic
// and says so once per cause, naming the lb, the member, what it saw, what
// the configuration says and the fix.
//
// Cost: the lb passes a SessionCheck with every attempt (no allocation);
// the member looks at the response head only when it carries a Set-Cookie
// or a Location, and takes a lock only when something is wrong. Memory is
// bounded whatever clients or members send: at most MaxFindings findings
// per lb, values cut to 60 bytes, a fixed number of candidate cookie names
// per member and of unknown routes per lb.
//
// It also classifies every failover of a session (failover.go): when the
// lb gives a request whose session belongs to another member to this one,
// the answer shows whether the session was kept, lost or is unknown; lost
// ones are the finding session_lost (replication does not work).
//
// The worker package runs the check on each response (SessionCheck.Inspect);
// the balancer registers its lbs and members; status and /metrics show the
// findings; `jkbalancer check --probe` (package probe) judges one answer
// per member with the same rules (ReadSession, JudgeRoute, Describe).
package doctor

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Finding is one cause the doctor found. Values are printable ASCII
// without quotes or backslashes, at most 60 bytes.
type Finding struct {
	LB     string
	Member string // "" for KindUnknownRoute
	Kind   FindingKind
	// Seen is the route or cookie name seen ("" for KindNoRoute);
	// Configured is what the configuration says: the member's route, or
	// the lb's session_cookie ("" for KindUnknownRoute).
	Seen, Configured string
	Addr             string // the member's host:port as configured
	From             string // Set-Cookie, Location, or request
	Problem, Fix     string // one sentence each
	Count            uint64 // responses or requests that showed it
	First, Last      time.Time
}

// Spec configures a Doctor. Zero values take the defaults.
type Spec struct {
	Logger *slog.Logger
	Now    func() time.Time
	// MaxFindings bounds the findings kept per lb (default 32); more are
	// counted and dropped.
	MaxFindings int
	// UnknownRouteAfter is how many requests must carry an unknown route
	// before it is reported (default 5); UnknownRoutes how many candidate
	// routes are tracked per lb (default 16).
	UnknownRouteAfter, UnknownRoutes int
	// CookieAfter is how many responses of a member must set a foreign
	// session cookie, and none the lb's, before it is reported (default 3).
	CookieAfter int
}

// RouteBook answers what the doctor needs to know about the running
// configuration (the server implements it over the current lbs).
type RouteBook interface {
	// RouteOwner is the member of lb whose route is route, "" if none.
	RouteOwner(lb, route string) string
	// KnownRoute reports whether a member of any lb has route as its route,
	// or its domain is the route's domain part.
	KnownRoute(route string) bool
}

// Doctor is the registry of findings, keyed by lb and member name so that
// a reload keeps the findings of members that still exist. A nil *Doctor
// does nothing. It is safe for concurrent use.
type Doctor struct {
	log  *slog.Logger
	now  func() time.Time
	spec Spec
	book atomic.Pointer[RouteBook]

	mu  sync.Mutex // guards lbs
	lbs map[string]*LB
}

// New builds an empty registry.
func New(s Spec) *Doctor {
	d := &Doctor{log: s.Logger, now: s.Now, spec: s, lbs: make(map[string]*LB)}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.spec.MaxFindings = orDefault(s.MaxFindings, 32)
	d.spec.UnknownRouteAfter = orDefault(s.UnknownRouteAfter, 5)
	d.spec.UnknownRoutes = orDefault(s.UnknownRoutes, 16)
	d.spec.CookieAfter = orDefault(s.CookieAfter, 3)
	return d
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// SetBook sets what the doctor asks about the running configuration.
func (d *Doctor) SetBook(b RouteBook) {
	if d != nil && b != nil {
		d.book.Store(&b)
	}
}

func (d *Doctor) routeBook() RouteBook {
	if p := d.book.Load(); p != nil {
		return *p
	}
	return nil
}

// LB is the doctor's part for one lb. A nil *LB does nothing.
type LB struct {
	d    *Doctor
	name string

	mu       sync.Mutex // guards everything below
	cookie   string     // session_cookie at the last registration
	members  map[string]*Member
	findings []*Finding // in order of discovery
	byKey    map[findingKey]*Finding
	dropped  uint64
	unknown  []routeCount // Misra-Gries counters of unknown routes
}

type findingKey struct {
	member string
	kind   FindingKind
	seen   string
}

// routeCount is one tracked unknown route.
type routeCount struct {
	route string
	n     int
	state uint8 // 0 counting, 1 reported, 2 known to another lb
}

// Member is the doctor's part for one member of one lb; the lb hands
// it to the member in every SessionCheck. A nil *Member does nothing.
type Member struct {
	lb   *LB
	name string
	// lbCookie is set once the member handed out the lb's session cookie:
	// then a second session-looking cookie is the application's business.
	lbCookie atomic.Bool

	// Guarded by lb.mu.
	addr, route, proxyURL string
	foreign               []nameCount
	out                   []pairCount // failovers of its sessions (failover.go)
}

type nameCount struct {
	name string
	n    int
}

// maxForeign bounds the foreign cookie names counted per member.
const maxForeign = 4

// LB registers lb (at every build of it) with its session_cookie and
// returns its part. A changed session_cookie drops the cookie findings and
// what was learnt about cookies.
func (d *Doctor) LB(name, sessionCookie string) *LB {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	l := d.lbs[name]
	if l == nil {
		l = &LB{d: d, name: name, cookie: sessionCookie,
			members: make(map[string]*Member), byKey: make(map[findingKey]*Finding)}
		d.lbs[name] = l
	}
	d.mu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cookie != sessionCookie {
		l.cookie = sessionCookie
		l.dropLocked(func(f *Finding) bool { return f.Kind == KindCookieName })
		for _, m := range l.members {
			m.lbCookie.Store(false)
			m.foreign = nil
		}
	}
	return l
}

// Member registers a member of the lb with its address (host:port), route
// and, for a mod_proxy_balancer member, its URL. A changed route drops the
// member's route findings.
func (l *LB) Member(name, addr, route, proxyURL string) *Member {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.members[name]
	if m == nil {
		m = &Member{lb: l, name: name, route: route}
		l.members[name] = m
	}
	if m.route != route {
		m.route = route
		l.dropLocked(func(f *Finding) bool {
			return f.Member == name && (f.Kind == KindRouteMismatch || f.Kind == KindNoRoute)
		})
	}
	m.addr, m.proxyURL = addr, proxyURL
	return m
}

// SetRoute records a runtime edit of the member's route: its route
// findings are moot.
func (m *Member) SetRoute(route string) {
	if m == nil {
		return
	}
	l := m.lb
	l.mu.Lock()
	defer l.mu.Unlock()
	m.route = route
	l.dropLocked(func(f *Finding) bool {
		return f.Member == m.name && (f.Kind == KindRouteMismatch || f.Kind == KindNoRoute)
	})
}

// SessionCheck asks a member to look at the session its response hands
// out. The lb fills it per attempt; M nil means no check (a worker used
// directly, or an lb without sticky sessions).
type SessionCheck struct {
	M *Member
	// Route and Domain are the member's in the lb; Cookie and Path the
	// session cookie and path parameter the lb reads for this request.
	Route, Domain, Cookie, Path string
	// From is set when the request's session route names another member
	// of the lb than M (a failover of the session): that member, and the
	// session id's base (IDBase). nil for every other request.
	From *Member
	Base string
}

// Inspect looks at a response head before it goes to the client; in a
// failover it also classifies the answer (failover.go).
func (c *SessionCheck) Inspect(h http.Header) {
	m := c.M
	if m == nil {
		return
	}
	s := ReadSession(h, c.Cookie, c.Path)
	judge := true
	if c.From != nil {
		res := ClassifyFailover(h, c.Cookie, c.Path, c.Base)
		m.failover(c.From, res, s.From)
		// The session it continues, perhaps still with From's route (no
		// JvmRouteBinderValve), is not a session it hands out.
		judge = res != FailoverKept || IDBase(s.ID) != c.Base
	}
	if s.ID != "" {
		if s.From == "Set-Cookie" && !m.lbCookie.Load() {
			m.lbCookie.Store(true)
		}
		if kind, seen := JudgeRoute(s.ID, c.Route, c.Domain); judge && kind != 0 {
			m.lb.record(m, kind, seen, c.Route, s.From, 1)
		}
	}
	if s.Foreign != "" && !m.lbCookie.Load() {
		m.foreignCookie(s.Foreign, c.Cookie)
	}
}

// foreignCookie counts a session-looking cookie under another name than
// the lb's; after CookieAfter responses, and none with the lb's cookie,
// it is a finding.
func (m *Member) foreignCookie(name, lbCookie string) {
	l := m.lb
	name = clip(name)
	l.mu.Lock()
	i := 0
	for i < len(m.foreign) && m.foreign[i].name != name {
		i++
	}
	if i == len(m.foreign) {
		if i >= maxForeign {
			l.mu.Unlock()
			return
		}
		m.foreign = append(m.foreign, nameCount{name: strings.Clone(name)})
	}
	m.foreign[i].n++
	n := m.foreign[i].n
	l.mu.Unlock()
	switch {
	case m.lbCookie.Load() || n < l.d.spec.CookieAfter:
	case n == l.d.spec.CookieAfter:
		l.record(m, KindCookieName, name, lbCookie, "Set-Cookie", n)
	default:
		l.record(m, KindCookieName, name, lbCookie, "Set-Cookie", 1)
	}
}
