package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/worker"
)

// ServeHTTP is the request path: normalise, match a mount rule, build the
// forward request, hand it to the worker, and map a failure to the status
// mod_jk would give (docs/design.md#the-request-path "The request path").
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := s.acquire() // counted in flight until the response is done
	if rt == nil {
		worker.WriteErrorPage(w, http.StatusServiceUnavailable) // closed
		return
	}
	defer rt.release()
	rq := getRequest()
	defer putRequest(rq)
	lw := &rq.lw // pooled with rq: one pool round trip per request, not two
	lw.Reset(w, s.now())
	rq.HTTP = r
	if status := s.admit(rt, w, r, rq); status != 0 { // limits.go: 414, 429
		worker.WriteErrorPage(lw, status)
		s.logRequest(lw, rq, "")
		return
	}

	target, status := s.route(rt, lw, r, rq)
	if target == nil {
		if status != 0 {
			worker.WriteErrorPage(lw, status)
		}
		s.logRequest(lw, rq, "")
		return
	}
	if err := rq.readBody(r, target.keepMax); err != nil {
		// mod_jk: a client that fails before the first body packet gets
		// 400, and the backend is never bothered.
		s.log.Info("client request body could not be read", "uri", r.RequestURI, "err", err)
		worker.WriteErrorPage(lw, http.StatusBadRequest)
		s.logRequest(lw, rq, target.name)
		return
	}
	w2 := http.ResponseWriter(lw)
	if pp := rq.Rule.Proxy; pp != nil && (pp.Reverse || pp.ReverseCookiePath) {
		rq.rev = reverseWriter{Writer: lw, pp: pp, host: r.Host}
		w2 = &rq.rev
	}
	err := target.h.Serve(w2, &rq.Request)
	s.logRequest(lw, rq, target.name)
	if err != nil {
		s.fail(lw, rq, target, err)
	}
}

// logRequest writes the request log line of rq (accesslog), answered
// through w by the worker named workerName ("" when none was mapped).
func (s *Server) logRequest(w *accesslog.Writer, rq *request, workerName string) {
	l := s.reqlog.Load()
	if l == nil {
		return
	}
	l.Write(w, &accesslog.Entry{Request: rq.HTTP, ServerPort: rq.Forward.ServerPort,
		ServerName: rq.Forward.ServerName, Match: rq.match, Worker: workerName,
		Route: rq.Note.Route, Member: rq.Note.Member}, s.now())
}

// route finds the worker for a request. It returns the target, or nil and
// the status to answer with (0 when the response was already written).
func (s *Server) route(rt *runtime, w http.ResponseWriter, r *http.Request, rq *request) (*target, int) {
	if r.Method == http.MethodConnect {
		// httpd refuses CONNECT with a path with 400, and jkbalancer is
		// no forward proxy: CONNECT host:port, which httpd hands to a
		// /* mount as "/", is refused too (docs/differences.md).
		s.log.Info("CONNECT refused", "uri", r.RequestURI)
		return nil, http.StatusBadRequest
	}
	if r.Method == http.MethodTrace {
		// TRACE echoes the request, cookies and Authorization included
		// (cross-site tracing). httpd answers it itself by default
		// (TraceEnable on) and Tomcat refuses it (allowTrace=false, 405);
		// jkbalancer answers as httpd with TraceEnable off does, and no
		// member sees it (docs/differences.md).
		w.Header().Set("Allow", "GET,HEAD,POST,OPTIONS")
		return nil, http.StatusMethodNotAllowed
	}
	if strings.IndexByte(r.RequestURI, '#') >= 0 {
		// httpd: "URI must not contain a fragment", 400. server/h1
		// refuses it already; this is for the other front ends.
		return nil, http.StatusBadRequest
	}
	var ok bool
	if rq.host, rq.hostPort, ok = hostName(r.Host); !ok {
		// httpd's fix_hostname: "a..b", "x.:" and the like are 400.
		s.log.Info("Host refused", "host", r.Host)
		return nil, http.StatusBadRequest
	}
	if r.URL.Host != "" && r.RequestURI != "" && r.RequestURI[0] != '/' {
		r.Host = absoluteHost(r.URL.Host) // as httpd rewrites Host for an absolute-form target
		rq.host, rq.hostPort, _ = hostName(r.Host)
	}
	rq.hostParsed = true // fill's serverNameOf reads it
	raw := rawPath(r)
	if raw == "*" {
		// "OPTIONS *" is never mapped; httpd answers it itself, a bare
		// 200 "pong" without Allow (http_send_options, DONE before any
		// handler runs).
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusOK)
			return nil, 0
		}
		return nil, http.StatusBadRequest
	}
	p, err := splitPaths(raw, rt.cfg.Server.Options.ForwardURI)
	if err != nil {
		var pe *pathError
		errors.As(err, &pe)
		s.log.Info("request path refused", "uri", r.RequestURI, "status", pe.status, "reason", pe.msg)
		return nil, pe.status
	}
	if rt.cfg.Server.Options.RejectUnsafeURI && strings.ContainsAny(p.match, "%\\") {
		// JkOptions +RejectUnsafeURI: such a URI is simply not mapped.
		return nil, http.StatusNotFound
	}
	rule := rt.mounts.Load().Match(p.match)
	if rule == nil {
		return nil, http.StatusNotFound
	}
	t := rt.targets[rule.Worker]
	if t == nil {
		// mod_jk: "Could not find a worker for worker name" -> 500.
		s.log.Error("mount rule names a worker that is not in worker.list",
			"pattern", rule.Pattern, "worker", rule.Worker, "at", rule.Pos.String())
		return nil, http.StatusInternalServerError
	}
	if rule.Proxy != nil {
		p.forward = proxyForward(rule.Proxy, p) // proxy_pass: front prefix -> backend prefix
	}
	rq.fill(r, p, rule, &rt.cfg.Server)
	rq.match = p.match
	return t, 0
}

// fail answers a failed request. Once response headers reached the client
// nothing else can be said: the client connection is aborted so the
// client sees a truncated response rather than a wrong one.
func (s *Server) fail(w *accesslog.Writer, rq *request, t *target, err error) {
	var we *worker.Error
	errors.As(err, &we)
	status := worker.Status(err)
	s.log.Warn("request failed", "worker", t.name, "member", rq.Note.Member, "uri", rq.HTTP.RequestURI,
		"status", status, "err", err)
	if (we != nil && we.HeadSent) || w.HeaderSent() {
		panic(http.ErrAbortHandler)
	}
	worker.WriteErrorPage(w, status)
}

// rawPath returns the request path as the client sent it, still encoded,
// without the query.
func rawPath(r *http.Request) string {
	u := r.RequestURI
	if u == "*" {
		return u
	}
	if u == "" || u[0] != '/' {
		// Absolute-form ("GET http://host/x"): only the path is used; an
		// absolute URI is never forwarded (docs/ajp13.md#edge-cases).
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}
