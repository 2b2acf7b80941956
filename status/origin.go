package status

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Cross-site changes. A browser sends no Sec-Fetch-* headers to a plain
// HTTP origin, and an <img src=".../jk-status?cmd=update&...&vwa=d"> asks
// for image/*, not HTML, so neither the Accept nor the mime of a request
// tells a forged change from a script's. What a browser does send on
// another page's behalf is a Referer (unless the page suppresses it) or an
// Origin naming that page. mod_jk acts on any GET update; jkbalancer
// refuses a change (update, reset, recover) whose Referer or Origin names
// another origin, with 403, whatever its Accept, mime or token. Requests
// with neither header (curl, wget, operators' scripts) keep mod_jk's API,
// and the status page's own links and forms carry a same-origin Referer.

// msgCrossSite is the refusal of a change sent from another site.
const msgCrossSite = "Refused: a change sent from another site (its Referer, Origin or Sec-Fetch-Site names another origin than this server); open the status page on this server and use its buttons"

// checkCrossSite refuses a change sent from another origin (403, one log
// line); it returns the refusal message or "".
func (rq *request) checkCrossSite() string {
	name, v := crossSite(rq.r.Header, rq.scheme, rq.r.Host)
	if name == "" {
		return ""
	}
	rq.code = http.StatusForbidden
	rq.h.log.Warn("status worker refused a change sent from another site", "cmd", rq.cmd.String(),
		"header", name, "value", v, "host", rq.r.Host, "user", rq.user, "client", rq.r.RemoteAddr)
	return msgCrossSite
}

// crossSite returns the header that shows the request comes from another
// origin than scheme://host (the request's own), and its value; "" when
// none does.
func crossSite(h interface{ Get(string) string }, scheme, host string) (string, string) {
	s := h.Get("Sec-Fetch-Site")
	if s == "same-origin" {
		// The browser vouches for it (pages cannot set Sec-Fetch-*); this
		// keeps the forms working behind a TLS-offloading proxy, where the
		// Origin says https and the request arrives over http.
		return "", ""
	}
	if o := h.Get("Origin"); o != "" && !sameOrigin(o, scheme, host) {
		return "Origin", o
	}
	if r := h.Get("Referer"); r != "" && !sameOrigin(r, scheme, host) {
		return "Referer", r
	}
	// Over HTTPS browsers say it outright; same-site is a sibling origin.
	if s != "" && s != "none" {
		return "Sec-Fetch-Site", s
	}
	return "", ""
}

// sameOrigin reports whether the URL u (an Origin or a Referer) has the
// scheme, host and port of scheme://host. "null" (an opaque origin) and
// anything unparsable are another origin.
func sameOrigin(u, scheme, host string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil {
		return false
	}
	ps := strings.ToLower(p.Scheme)
	if ps != scheme {
		return false
	}
	h1, port1 := splitOrigin(p.Host, ps)
	h2, port2 := splitOrigin(host, scheme)
	return h1 != "" && strings.EqualFold(h1, h2) && port1 == port2
}

// splitOrigin splits host[:port] and fills in the scheme's default port.
func splitOrigin(hostport, scheme string) (string, string) {
	h, port, err := net.SplitHostPort(hostport)
	if err != nil {
		h, port = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), ""
	}
	if port == "" {
		port = "80"
		if scheme == "https" {
			port = "443"
		}
	}
	return strings.TrimSuffix(h, "."), port
}
