package server

import (
	"io"
	"net/http"
	"strings"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/config"
)

// proxy_pass at run time (config.ProxyPass): the request path under the
// front prefix is sent under the backend prefix, like mod_proxy's
// ProxyPass /app/ balancer://x/backend/, and the response's Location,
// Content-Location, URI and Set-Cookie Path= are mapped back
// (ProxyPassReverse, ProxyPassReverseCookiePath).

// proxyForward returns the URI to send for a request matched by a
// proxy_pass rule. The forwarded form (per ForwardURI) keeps its bytes
// after the prefix. When it does not start with the prefix, because the
// client hid the prefix behind a path parameter or an escape ("/app;x=1/y"
// matches /app/ once normalised), the normalised path is mapped and
// re-encoded instead: the backend then gets a URI under its own prefix,
// never one outside it.
func proxyForward(pp *config.ProxyPass, p paths) string {
	if pp.Path == pp.BackendPath {
		return p.forward
	}
	for _, prefix := range [...]string{pp.Path, escapePath(pp.Path, &proxyKeep)} {
		if rest, ok := strings.CutPrefix(p.forward, prefix); ok {
			out, _ := pp.MapPath(pp.Path + rest)
			return out
		}
	}
	out, ok := pp.MapPath(p.match)
	if !ok {
		return p.forward // the rule matched p.match, so this does not happen
	}
	return escapePath(out, &proxyKeep)
}

// reverseWriter rewrites the response head of a proxy_pass rule with
// reverse or reverse_cookie_path once, when the final status is written.
// It is embedded in the pooled request, so it costs no allocation.
type reverseWriter struct {
	*accesslog.Writer
	pp   *config.ProxyPass
	host string // the Host the client used
	done bool
}

func (rw *reverseWriter) WriteHeader(status int) {
	if !rw.done && status >= 200 {
		rw.done = true
		rewriteHead(rw.Header(), rw.pp, rw.host)
	}
	rw.Writer.WriteHeader(status)
}

func (rw *reverseWriter) Write(p []byte) (int, error) {
	if !rw.Writer.HeaderSent() {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.Writer.Write(p)
}

// ReadFrom is Write's counterpart for a body source (the embedded
// Writer's would skip the head's rewrite).
func (rw *reverseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.Writer.HeaderSent() {
		rw.WriteHeader(http.StatusOK)
	}
	return rw.Writer.ReadFrom(src)
}

// rewriteHead applies ProxyPassReverse and ProxyPassReverseCookiePath to
// the response headers.
func rewriteHead(h http.Header, pp *config.ProxyPass, host string) {
	if pp.Reverse {
		for _, key := range [...]string{"Location", "Content-Location", "Uri"} {
			for i, v := range h[key] {
				if out, ok := reverseURL(v, pp, host); ok {
					h[key][i] = out
				}
			}
		}
	}
	if pp.ReverseCookiePath {
		for i, v := range h["Set-Cookie"] {
			if out, ok := reverseCookie(v, pp); ok {
				h["Set-Cookie"][i] = out
			}
		}
	}
}

// reverseURL maps a URL under the backend prefix back under the front
// prefix. A path-absolute value ("/backend/x") is mapped, and so is an
// absolute URL whose authority is the Host the client used: that is what
// Tomcat builds behind AJP (and what an http member's own address was
// turned into by the member). Other hosts are left alone.
func reverseURL(v string, pp *config.ProxyPass, host string) (string, bool) {
	if strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") {
		return mapBack(v, pp)
	}
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return v, false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if !sameAuthority(rest[:end], host, scheme) {
		return v, false
	}
	path, ok := mapBack(rest[end:], pp)
	if !ok {
		return v, false
	}
	return v[:len(scheme)+3+end] + path, true
}

// mapBack replaces the backend prefix of path by the front prefix.
func mapBack(path string, pp *config.ProxyPass) (string, bool) {
	if path == "" || path[0] != '/' {
		return path, false
	}
	rest, ok := strings.CutPrefix(path, pp.BackendPath)
	if !ok {
		return path, false
	}
	return pp.Path + rest, true
}

// sameAuthority compares a URL's authority with the request's Host,
// ignoring case and the scheme's default port.
func sameAuthority(authority, host, scheme string) bool {
	if host == "" {
		return false
	}
	def := ":80"
	if strings.EqualFold(scheme, "https") {
		def = ":443"
	}
	trim := func(s string) string { return strings.TrimSuffix(strings.ToLower(s), def) }
	return trim(authority) == trim(host)
}

// reverseCookie rewrites the Path= attribute of one Set-Cookie value. A
// path equal to the backend prefix (without its trailing '/') or below it
// gets the front prefix instead; the rest of the path is kept, where
// mod_proxy replaces the whole path
// (docs/config.md#mod_proxy_balancer-configurations).
func reverseCookie(v string, pp *config.ProxyPass) (string, bool) {
	from, to := strings.TrimSuffix(pp.BackendPath, "/"), strings.TrimSuffix(pp.Path, "/")
	start := 0
	for start < len(v) {
		end := strings.IndexByte(v[start:], ';')
		if end < 0 {
			end = len(v)
		} else {
			end += start
		}
		attr := strings.TrimLeft(v[start:end], " \t")
		at := end - len(attr)
		if len(attr) >= 5 && strings.EqualFold(attr[:5], "path=") {
			val := attr[5:]
			if from != "" && val != from && !strings.HasPrefix(val, from+"/") {
				return v, false
			}
			out := to + val[len(from):]
			if out == "" {
				out = "/"
			}
			return v[:at+5] + out + v[end:], true
		}
		start = end + 1
	}
	return v, false
}
