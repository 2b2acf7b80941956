package server

import (
	"net/http"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestMatchPathIsModJKs: mod_jk matches mounts on jk_servlet_normalize of
// httpd's r->uri, whose dot segments httpd resolved with the ;parameters
// in place; the backend is sent that same r->uri. So a ;parameter segment
// before a .. is what the .. removes, the request stays under its mount
// (and its lb, which routes it), and the match is the path the backend
// serves. Under ForwardURICompatUnparsed the backend normalises the raw
// path itself (Tomcat: parameters first), and so does the match. The
// hardening refusals of Tomcat's reading stay.
func TestMatchPathIsModJKs(t *testing.T) {
	for _, c := range []struct {
		raw, match, fwd string
		mode            config.ForwardURI
	}{
		{"/lb/;jsessionid=X.m1/..", "/lb/", "/lb/", config.ForwardURIProxy},
		{"/lb/;jsessionid=ABC.m1//%2e%2e", "/lb/", "/lb/", config.ForwardURIProxy},
		{"/lb/x;jsessionid=X.m1/..", "/lb/", "/lb/", config.ForwardURIProxy},
		{"/admin/;x/../secret", "/admin/secret", "/admin/secret", config.ForwardURIProxy},
		{"/admin%3bx/secret", "/admin/secret", "/admin;x/secret", config.ForwardURIProxy},
		{"/lb/;jsessionid=X.m1/..", "/lb/", "/lb/", config.ForwardURICompat},
		// Hardening: what climbs above / or hides a / or NUL in Tomcat's
		// reading of the raw path is refused whatever httpd makes of it.
		{"/;x/..", "", "", config.ForwardURIProxy},
		{"/a%2Fb/..", "", "", config.ForwardURIProxy},
		{"/lb/;jsessionid=X.m1/..", "/", "/lb/;jsessionid=X.m1/..", config.ForwardURICompatUnparsed},
		{"/x%3bjsessionid=1", "/x;jsessionid=1", "/x%3bjsessionid=1", config.ForwardURICompatUnparsed},
	} {
		p, err := splitPaths(c.raw, c.mode)
		if c.match == "" {
			if err == nil {
				t.Errorf("%q: accepted (match %q), want it refused", c.raw, p.match)
			}
			continue
		}
		if err != nil || p.match != c.match || p.forward != c.fwd {
			t.Errorf("%q (mode %v): match %q forward %q (%v), want %q %q", c.raw, c.mode, p.match, p.forward, err,
				c.match, c.fwd)
		}
	}
}

// TestUnmountBypassThroughParameterSegment: a ;parameter segment before
// a .. (or an encoded ';') made the match differ from the URI the member
// is sent: "/app/admin/;x/../y" was matched as /app/y but forwarded as
// /app/admin/y, past an exclusion of /app/admin/*. The match is now the
// forwarded path, as in mod_jk.
func TestUnmountBypassThroughParameterSegment(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/app/*=lb", "!/app/admin/*=lb")
	for _, p := range []string{"/app/admin/;x/../y", "/app/admin/;x//%2e%2e/y", "/app/admin%3bx/y"} {
		before := len(mustSeen(m))
		if status, _, _ := get(t, ts.base+p); status != http.StatusNotFound || len(mustSeen(m)) != before {
			t.Errorf("%s: status %d, member saw it: %v; want 404 and nothing", p, status, len(mustSeen(m)) != before)
		}
	}
	if status, _, _ := get(t, ts.base+"/app/x/;y/../z"); status != http.StatusOK {
		t.Errorf("/app/x/;y/../z: status %d, want 200 (it is /app/x/z)", status)
	}
}
