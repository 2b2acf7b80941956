package server

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/limits"
)

// The limits: section (config/limits.go) at run time; package limits has
// the mechanics, this file says which configuration each follows. Where
// each applies:
//
//   - read_header_timeout, idle_timeout, max_header_bytes: the listener's
//     http.Server and h1.Server (newHTTPServer, newH1Server), fixed when
//     the listener starts serving;
//   - max_connections and strict_http: every accepted connection
//     (wrapListener; strict_http picks server/h1 for plain HTTP/1), from
//     the current configuration;
//   - max_request_line, rate_limit, read_body_timeout, body_min_rate:
//     every request (admit), from the request's configuration.
//
// So a reload changes all but the first three at once.

// limitState is the Server's share of the limits: the connection cap and
// the rate limiter. Both read their settings from the current runtime's
// configuration, so a reload changes them.
type limitState struct {
	conns  limits.ConnLimiter
	rateMu sync.Mutex // serialises building a new rate limiter
	rate   atomic.Pointer[rateLimiter]
}

// rateLimiter is the rate limiter of one or more configurations in a row:
// cfg is the one it serves now, moved on by a reload that kept the rate.
type rateLimiter struct {
	*limits.RateLimiter
	cfg atomic.Pointer[config.Config]
}

// httpServerLimits copies the http.Server settings of lim.
func httpServerLimits(hs *http.Server, lim *config.Limits) {
	hs.ReadHeaderTimeout = lim.ReadHeaderTimeout
	hs.IdleTimeout = lim.IdleTimeout
	hs.MaxHeaderBytes = lim.MaxHeaderBytes
}

// admit applies the per-request limits before the request is routed. It
// returns the status to refuse it with (429 carries Retry-After), or 0.
// With the defaults it costs a few comparisons and allocates nothing.
func (s *Server) admit(rt *runtime, w http.ResponseWriter, r *http.Request, rq *request) int {
	lim := &rt.cfg.Server.Limits
	if n := lim.MaxRequestLine; n > 0 && len(r.Method)+len(r.RequestURI)+len(r.Proto)+2 > n {
		// httpd's LimitRequestLine: 414, and mod_jk never sees it.
		s.log.Info("request line too long (limits.max_request_line)", "remote", r.RemoteAddr,
			"bytes", len(r.Method)+len(r.RequestURI)+len(r.Proto)+2, "limit", n)
		return http.StatusRequestURITooLong
	}
	if lim.RateLimit.RequestsPerSecond > 0 {
		if wait, ok := s.rateLimiter(rt.cfg).Allow(r.RemoteAddr, s.now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			if s.log.Enabled(r.Context(), slog.LevelDebug) {
				s.log.Debug("request refused: client over its rate (limits.rate_limit)", "remote", r.RemoteAddr)
			}
			return http.StatusTooManyRequests
		}
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		rq.bodyTimeout.Guard(w, r, lim.ReadBodyTimeout, lim.BodyMinRate, time.Now)
	}
	if r.ProtoMajor == 1 && len(r.TransferEncoding) > 0 && servedByNetHTTP(r) {
		// net/http drops a Content-Length sent with Transfer-Encoding:
		// chunked and keeps the connection. server/h1 refuses the pair;
		// where net/http reads the requests instead (TLS, a connection
		// accepted under strict_http: false, whatever a reload set since)
		// close after the response, as RFC 9112 6.3 requires of a server
		// that accepts the pair, so that a proxy in front that framed by
		// the length cannot have a request read from the rest.
		w.Header().Set("Connection", "close")
	}
	return 0
}

// servedByNetHTTP reports a request read by net/http's server rather than
// server/h1: only net/http puts itself in the request's context.
func servedByNetHTTP(r *http.Request) bool {
	_, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	return ok
}

// retryAfter is the Retry-After value for a wait: whole seconds, at
// least 1.
func retryAfter(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// wrapListener is the hook startFrontLocked calls before serving ln;
// built are the http.Server settings of this listener, fixed when it
// started serving.
func (s *Server) wrapListener(ln net.Listener, built config.Limits) net.Listener {
	n := &listenerNote{s: s, addr: ln.Addr().String(), built: built}
	return limits.NewListener(ln, &s.lim.conns, s.maxConnections, n.accepted)
}

// listenerNote is one listener's view of the configuration: what its
// http.Server was built with, and the configuration last compared with
// that (used by the accept goroutine only).
type listenerNote struct {
	s     *Server
	addr  string
	built config.Limits
	seen  *config.Config
}

// accepted runs for every connection the listener accepts: it says
// whether limits.strict_http is on, and notes a reload.
func (l *listenerNote) accepted() (strict bool) {
	lim := l.s.currentLimits()
	l.noteReload()
	return lim.StrictHTTP
}

// noteReload says once per configuration when a reload changed a setting
// this listener's http.Server holds: those apply from the next restart
// (or to listeners the reload added).
func (l *listenerNote) noteReload() {
	rt := l.s.rt.Load()
	if rt == nil || rt.cfg == l.seen {
		return
	}
	l.seen = rt.cfg
	n := &rt.cfg.Server.Limits
	if n.ReadHeaderTimeout != l.built.ReadHeaderTimeout || n.IdleTimeout != l.built.IdleTimeout ||
		n.MaxHeaderBytes != l.built.MaxHeaderBytes {
		l.s.log.Warn("reload: limits.read_header_timeout, idle_timeout and max_header_bytes change on this listener only at the next restart",
			"listen", l.addr, "read_header_timeout", l.built.ReadHeaderTimeout,
			"idle_timeout", l.built.IdleTimeout, "max_header_bytes", l.built.MaxHeaderBytes)
	}
}

// currentLimits returns the limits of the running configuration.
func (s *Server) currentLimits() config.Limits {
	if rt := s.rt.Load(); rt != nil {
		return rt.cfg.Server.Limits
	}
	return config.DefaultLimits()
}

func (s *Server) maxConnections() int {
	if rt := s.rt.Load(); rt != nil {
		return rt.cfg.Server.Limits.MaxConnections
	}
	return 0
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
	case l != nil && l.Spec().Equal(limits.Rate(cfg.Server.Limits.RateLimit)):
		l.cfg.Store(cfg)
	default:
		l = &rateLimiter{RateLimiter: limits.NewRateLimiter(limits.Rate(cfg.Server.Limits.RateLimit))}
		l.cfg.Store(cfg)
		s.lim.rate.Store(l)
	}
	return l
}
