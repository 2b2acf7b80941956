package doctor

import (
	"net/http"
	"strings"
)

// What a response head says about the session it hands out, and whether
// that session can ever come back to the member that created it. The
// functions here are pure and, except where a finding is new, do not
// allocate: they run on the response path of every sticky request whose
// response carries a Set-Cookie or a Location.

// FindingKind is the cause of a session-route finding.
type FindingKind uint8

const (
	// KindRouteMismatch: the member hands out session ids whose route (the
	// text after the first '.') is not its configured route, so mod_jk's
	// sticky pick sends the next request elsewhere.
	KindRouteMismatch FindingKind = iota + 1
	// KindNoRoute: the member hands out session ids without a route at all
	// (Tomcat without jvmRoute); no request can find its way back.
	KindNoRoute
	// KindCookieName: the member sets a session cookie under another name
	// than the lb's session_cookie, and never the lb's cookie: the lb reads
	// no session id at all.
	KindCookieName
	// KindUnknownRoute: clients keep sending a session route that no member
	// of any lb has (a renamed route, or a cookie of another cluster).
	KindUnknownRoute
	// KindSessionLost: sessions of member Seen failed over to the member
	// and it answered with a new session id: replication between the two
	// does not work (failover.go).
	KindSessionLost
)

var kindNames = [...]string{"", "route_mismatch", "no_route", "cookie_name", "unknown_route", "session_lost"}

// String is the kind as it appears in logs, status output and the metric
// label: route_mismatch, no_route, cookie_name, unknown_route,
// session_lost.
func (k FindingKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// SessionSeen is what one response head says about the session it hands
// out, read with the lb's names for the session cookie and path parameter.
type SessionSeen struct {
	// ID is the session id under the lb's names, From where it was found
	// ("Set-Cookie" or "Location"); "" when none was handed out.
	ID, From string
	// Foreign is the name of a cookie that looks like a session cookie
	// (see SessionLike) under another name than the lb's, "" if none.
	Foreign string
}

// ReadSession reads the session a response hands out: the first non-empty
// Set-Cookie value named cookie, else the path parameter path (";jsessionid"
// style, as Tomcat appends it when it rewrites URLs) of the Location. It
// also notes the first session-looking cookie under another name.
func ReadSession(h http.Header, cookie, path string) SessionSeen {
	var s SessionSeen
	for _, sc := range h["Set-Cookie"] {
		name, value := splitSetCookie(sc)
		switch {
		case name == cookie:
			if value != "" && s.ID == "" {
				// An empty value deletes the cookie (logout): no session.
				s.ID, s.From = value, "Set-Cookie"
			}
		case s.Foreign == "" && value != "" && SessionLike(name):
			s.Foreign = name
		}
	}
	if s.ID == "" && path != "" {
		if locs := h["Location"]; len(locs) == 1 {
			if id := pathParam(locs[0], path); id != "" {
				s.ID, s.From = id, "Location"
			}
		}
	}
	return s
}

// splitSetCookie returns the name and value of a Set-Cookie header value
// (RFC 6265 5.2: the name-value pair ends at the first ';'; blanks around
// both are dropped, and one pair of double quotes around the value).
func splitSetCookie(v string) (name, value string) {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	name, value, ok := strings.Cut(v, "=")
	if !ok {
		return "", ""
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	return name, value
}

// pathParam is the value of the path parameter name (";jsessionid", the
// ';' included) directly followed by '=', cut at '?', ';', '/' or '#', like
// sticky.SessionID reads it from a request URI.
func pathParam(uri, name string) string {
	for from := 0; from < len(uri); {
		i := strings.Index(uri[from:], name)
		if i < 0 {
			return ""
		}
		at := from + i + len(name)
		if at < len(uri) && uri[at] == '=' {
			v := uri[at+1:]
			if end := strings.IndexAny(v, "?;/#"); end >= 0 {
				v = v[:end]
			}
			return v
		}
		from = from + i + 1
	}
	return ""
}

// SessionLike reports whether a cookie name looks like a Java session
// cookie: a name ending in "sessionid" in any case (JSESSIONID, and the
// names operators give Tomcat's sessionCookieName), or Spring Session's
// "SESSION".
func SessionLike(name string) bool {
	const suffix = "sessionid"
	n := len(name)
	return (n >= len(suffix) && strings.EqualFold(name[n-len(suffix):], suffix)) ||
		strings.EqualFold(name, "SESSION")
}

// RouteOf is the route of a session id: the text after the FIRST '.'
// (sticky.Route; mod_jk 1.2.48 verified). ok is false without a '.'.
func RouteOf(id string) (route string, ok bool) {
	i := strings.IndexByte(id, '.')
	if i < 0 {
		return "", false
	}
	return id[i+1:], true
}

// JudgeRoute decides whether a session id handed out by a member whose
// route is route (and domain domain) can come back to it: kind is 0 when
// it can, else KindNoRoute or KindRouteMismatch with the route seen. A
// route that is the member's domain (or a route in it) is accepted: the
// lb then routes by domain (docs/compat.md#sticky-sessions), which is what a domain of
// session-replicating members is for.
func JudgeRoute(id, route, domain string) (kind FindingKind, seen string) {
	seen, ok := RouteOf(id)
	switch {
	case !ok || seen == "":
		return KindNoRoute, ""
	case seen == route:
		return 0, seen
	case domain != "" && domainKey(seen) == domain:
		return 0, seen
	}
	return KindRouteMismatch, seen
}

// domainKey is the part of a route before its first '.', the domain the
// lb's domain routing compares (find_best_bydomain).
func domainKey(route string) string {
	if i := strings.IndexByte(route, '.'); i >= 0 {
		return route[:i]
	}
	return route
}

// maxSeen bounds a stored route or cookie name: mod_jk's limit for route
// and session_cookie values is 60 bytes.
const maxSeen = 60

// clip bounds a value to maxSeen bytes.
func clip(s string) string {
	if len(s) > maxSeen {
		return s[:maxSeen]
	}
	return s
}

// printable reports whether s can be logged and shown as it is.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// sanitize makes a value safe for every output (log, txt and prop lines,
// metric labels): printable ASCII without quotes or backslashes, other
// bytes as '?'. It allocates only when something must change.
func sanitize(s string) string {
	s = clip(s)
	if printable(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '?'
		}
	}
	return string(b)
}
