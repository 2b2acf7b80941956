package limits

import (
	"container/list"
	"net/netip"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is the limits.rate_limit section: what a RateLimiter enforces.
// Its fields are the configuration's (config.RateLimit converts to it),
// so that this package needs no configuration of its own.
type Rate struct {
	RequestsPerSecond float64
	Burst             int
	// Exempt are networks never limited (monitoring, a trusted proxy).
	Exempt []netip.Prefix
	// MaxClients bounds the addresses remembered at once; the least
	// recently seen is forgotten first.
	MaxClients int
}

// Equal reports whether a and b limit alike, so that a reload which kept
// the rate can keep the buckets.
func (a Rate) Equal(b Rate) bool {
	return a.RequestsPerSecond == b.RequestsPerSecond && a.Burst == b.Burst && a.MaxClients == b.MaxClients &&
		slices.Equal(a.Exempt, b.Exempt)
}

// RateLimiter is limits.rate_limit: one token bucket per client address,
// kept in a least-recently-used list so that memory stays bounded by
// max_clients however many addresses an attacker uses. A forgotten client
// starts again with a full bucket, which is what it would have after
// being idle for burst/rate anyway.
type RateLimiter struct {
	spec  Rate
	limit rate.Limit

	mu      sync.Mutex
	clients map[netip.Addr]*list.Element // of *rateClient
	lru     list.List                    // front = most recently seen
}

type rateClient struct {
	key netip.Addr
	lim *rate.Limiter
}

// NewRateLimiter returns a limiter enforcing spec, every bucket full.
func NewRateLimiter(spec Rate) *RateLimiter {
	return &RateLimiter{spec: spec, limit: rate.Limit(spec.RequestsPerSecond), clients: make(map[netip.Addr]*list.Element)}
}

// Spec returns what l enforces.
func (l *RateLimiter) Spec() Rate { return l.spec }

// Allow takes a token for the client at remoteAddr ("ip:port"). When the
// bucket is empty it returns false and how long until a token is due.
func (l *RateLimiter) Allow(remoteAddr string, now time.Time) (time.Duration, bool) {
	key, ok := clientKey(remoteAddr)
	if !ok || l.exempt(key) {
		return 0, true
	}
	l.mu.Lock()
	lim := l.client(key)
	res := lim.ReserveN(now, 1)
	l.mu.Unlock()
	if !res.OK() {
		return time.Hour, false // burst < 1 cannot happen (config), but never block
	}
	if d := res.DelayFrom(now); d > 0 {
		// Refused requests do not consume tokens: give it back.
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// client returns the bucket of key, making it the most recently seen;
// l.mu is held.
func (l *RateLimiter) client(key netip.Addr) *rate.Limiter {
	if e := l.clients[key]; e != nil {
		l.lru.MoveToFront(e)
		return e.Value.(*rateClient).lim
	}
	if l.lru.Len() >= max(l.spec.MaxClients, 1) {
		oldest := l.lru.Back()
		l.lru.Remove(oldest)
		delete(l.clients, oldest.Value.(*rateClient).key)
	}
	c := &rateClient{key: key, lim: rate.NewLimiter(l.limit, max(l.spec.Burst, 1))}
	l.clients[key] = l.lru.PushFront(c)
	return c.lim
}

func (l *RateLimiter) exempt(a netip.Addr) bool {
	for _, p := range l.spec.Exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// size returns how many clients are remembered (for tests).
func (l *RateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// clientKey is the address a client is counted under: its IPv4 address,
// or its IPv6 /64 (one subscriber's prefix: counting single IPv6
// addresses would let a client take a new bucket for every request).
func clientKey(remoteAddr string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr(), true
	}
	return a, true
}
