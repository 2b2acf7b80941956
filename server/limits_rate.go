package server

import (
	"container/list"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/jkbalancer/jkbalancer/config"
)

// rateLimiter is limits.rate_limit: one token bucket per client address,
// kept in a least-recently-used list so that memory stays bounded by
// max_clients however many addresses an attacker uses. A forgotten client
// starts again with a full bucket, which is what it would have after
// being idle for burst/rate anyway.
type rateLimiter struct {
	cfg   atomic.Pointer[config.Config] // the configuration it serves
	spec  config.RateLimit
	limit rate.Limit

	mu      sync.Mutex
	clients map[netip.Addr]*list.Element // of *rateClient
	lru     list.List                    // front = most recently seen
}

type rateClient struct {
	key netip.Addr
	lim *rate.Limiter
}

func newRateLimiter(cfg *config.Config) *rateLimiter {
	spec := cfg.Server.Limits.RateLimit
	l := &rateLimiter{spec: spec, limit: rate.Limit(spec.RequestsPerSecond), clients: make(map[netip.Addr]*list.Element)}
	l.cfg.Store(cfg)
	return l
}

// allow takes a token for the client at remoteAddr ("ip:port"). When the
// bucket is empty it returns false and how long until a token is due.
func (l *rateLimiter) allow(remoteAddr string, now time.Time) (time.Duration, bool) {
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
func (l *rateLimiter) client(key netip.Addr) *rate.Limiter {
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

func (l *rateLimiter) exempt(a netip.Addr) bool {
	for _, p := range l.spec.Exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// size returns how many clients are remembered (for tests).
func (l *rateLimiter) size() int {
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

// rateLimiter returns the limiter for cfg. A reload that changed the rate
// limit builds a new one (every bucket starts full); one that kept it
// keeps the buckets. The common case is one atomic load and a pointer
// comparison.
func (s *Server) rateLimiter(cfg *config.Config) *rateLimiter {
	if l := s.lim.rate.Load(); l != nil && l.cfg.Load() == cfg {
		return l
	}
	s.lim.rateMu.Lock()
	defer s.lim.rateMu.Unlock()
	l := s.lim.rate.Load()
	switch {
	case l != nil && l.cfg.Load() == cfg:
	case l != nil && s.rt.Load() != nil && s.rt.Load().cfg != cfg:
		// A request still on the runtime a reload replaced: the limiter
		// already follows the new one.
	case l != nil && sameRateLimit(l.spec, cfg.Server.Limits.RateLimit):
		l.cfg.Store(cfg)
	default:
		l = newRateLimiter(cfg)
		s.lim.rate.Store(l)
	}
	return l
}

func sameRateLimit(a, b config.RateLimit) bool {
	return a.RequestsPerSecond == b.RequestsPerSecond && a.Burst == b.Burst && a.MaxClients == b.MaxClients &&
		slices.Equal(a.Exempt, b.Exempt)
}
