package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// The limits: section (config/limits.go) at run time. Where each applies:
//
//   - read_header_timeout, idle_timeout, max_header_bytes: the listener's
//     http.Server and h1.Server (newHTTPServer, newH1Server), fixed when
//     the listener starts serving;
//   - max_connections and strict_http: every accepted connection
//     (limits_conn.go; strict_http picks server/h1 for plain HTTP/1), from
//     the current configuration;
//   - max_request_line, rate_limit, read_body_timeout, body_min_rate:
//     every request (admit), from the request's configuration.
//
// So a reload changes all but the first three at once.

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
		if wait, ok := s.rateLimiter(rt.cfg).allow(r.RemoteAddr, s.now()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
			if s.log.Enabled(r.Context(), slog.LevelDebug) {
				s.log.Debug("request refused: client over its rate (limits.rate_limit)", "remote", r.RemoteAddr)
			}
			return http.StatusTooManyRequests
		}
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		rq.bodyTimeout.guard(w, r, lim.ReadBodyTimeout, lim.BodyMinRate, time.Now)
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
