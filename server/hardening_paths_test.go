package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
)

// TestOverlongURIs: the statuses httpd + mod_jk give for long request
// URIs. A request line over limits.max_request_line (LimitRequestLine,
// 8190) is 414; a path over 4095 bytes is not mapped (mod_jk's
// CVE-2007-0774 bound) so 404; a URI that fits both but makes the AJP
// forward request larger than max_packet_size is 413; a head over
// max_header_bytes is 431. None reaches the member.
func TestOverlongURIs(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "limits: {max_header_bytes: 16384}\n", oneMember(m.Server, ""), "/*=lb")
	seg := strings.Repeat("abcdefgh/", 1000) // 9000 bytes, segments short enough for any file system
	cases := []struct {
		name, target string
		status       int
	}{
		{"request line over 8190", "/" + seg[:8190], http.StatusRequestURITooLong},
		{"query over 8190", "/q?" + strings.Repeat("a", 8190), http.StatusRequestURITooLong},
		{"path over 4095: not mapped", "/" + seg[:4200], http.StatusNotFound},
		{"path parameter past the AJP packet", "/x;p=" + strings.Repeat("a", 8100), http.StatusRequestEntityTooLarge},
		{"query past the AJP packet", "/x?" + strings.Repeat("a", 8100), http.StatusRequestEntityTooLarge},
		{"head over max_header_bytes", "/" + strings.Repeat("a", 16384+4096), http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, c := range cases {
		res := rawSend(t, ts.addr(), "GET "+c.target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false)
		if len(res.statuses) != 1 || res.statuses[0] != c.status {
			t.Errorf("%s: %v, want %d", c.name, res.statuses, c.status)
		}
	}
	if got := mustSeen(m); len(got) != 0 {
		t.Errorf("the member saw %d requests", len(got))
	}
	// The boundary itself: exactly max_request_line is served.
	line := "GET /x?" + strings.Repeat("b", 8190-len("GET /x? HTTP/1.1")) + " HTTP/1.1"
	if len(line) != 8190 {
		t.Fatalf("test bug: line of %d bytes", len(line))
	}
	if res := rawSend(t, ts.addr(), line+"\r\nHost: x\r\nConnection: close\r\n\r\n", false); len(res.statuses) != 1 ||
		res.statuses[0] == http.StatusRequestURITooLong {
		t.Errorf("a request line of exactly 8190 bytes: %v", res.statuses)
	}
}

// TestDoubleDecodingNeverMakesDotDot (CVE-2007-1860): %252e%252e is
// decoded once for matching ("%2e%2e", a plain segment) and forwarded
// still encoded, so neither the mapping nor the member ever sees "..";
// the exclusion that protects /app/admin/ holds.
func TestDoubleDecodingNeverMakesDotDot(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/app/*=lb", "!/app/admin/*=lb")
	for _, c := range []struct {
		target string
		status int
		uri    string // what the member must see ("" = nothing)
	}{
		{"/app/x/%252e%252e/admin/secret", 200, "/app/x/%252e%252e/admin/secret"},
		{"/app/%252e%252e/%252e%252e/etc/passwd", 200, "/app/%252e%252e/%252e%252e/etc/passwd"},
		{"/app/x/%252E%252E%252Fadmin/secret", 200, "/app/x/%252E%252E%252Fadmin/secret"},
		{"/app/x/%2e%2e/admin/secret", 404, ""}, // decoded once: this one is "..", and excluded
		{"/app/%2e%2e/%2e%2e/etc", 400, ""},     // climbs above /
		// httpd decodes the unreserved escapes first: "%25%32%65" is "%252e",
		// which reaches the member still encoded.
		{"/app/%25%32%65%25%32%65/admin/x", 200, "/app/%252e%252e/admin/x"},
	} {
		before := len(mustSeen(m))
		status, _, _ := get(t, ts.base+c.target)
		got := mustSeen(m)
		switch {
		case status != c.status:
			t.Errorf("%s: status %d, want %d", c.target, status, c.status)
		case c.uri == "" && len(got) != before:
			t.Errorf("%s: reached the member as %q", c.target, got[len(got)-1].URI)
		case c.uri != "" && (len(got) != before+1 || got[len(got)-1].URI != c.uri):
			t.Errorf("%s: member saw %v, want %q", c.target, uris(got[before:]), c.uri)
		}
	}
	for _, r := range mustSeen(m) {
		if strings.Contains(r.URI, "..") || strings.Contains(strings.ToLower(r.URI), "/%2e%2e") {
			t.Errorf("the member saw a dot-dot: %q", r.URI)
		}
	}
}

func uris(rs []*ajp.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.URI
	}
	return out
}

// TestUnmountBypass (CVE-2014-8111, CVE-2018-11759): an excluded subtree
// stays excluded however its path is spelled, because mounts and
// exclusions see the same normalised path. Case is significant, as in
// mod_jk and Tomcat: /app/Admin is another resource.
func TestUnmountBypass(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/app/*=lb", "!/app/admin/*=lb")
	excluded := []string{
		"/app/admin/x", "/app/./admin/x", "/app//admin/x", "/app///admin//x", "/app/x/../admin/x",
		"/app;x/admin/x", "/app/admin;jsessionid=A.m1/x", "/app/%61dmin/x", "/app/%61%64%6d%69%6e/x",
		"/app/%2e/admin/x", "/app/x/%2E%2E/admin/x", "/app/x/.%2e/admin/x", "/app/..;/app/admin/x",
		"/./app/admin/x", "//app/admin/x", "/app/admin/./x", "/app/admin/%2e/x", "/app/x/..;p=1/admin/x",
	}
	for _, p := range excluded {
		before := len(mustSeen(m))
		if status, _, _ := get(t, ts.base+p); status != http.StatusNotFound || len(mustSeen(m)) != before {
			t.Errorf("%s: status %d, member saw it: %v; want 404 and nothing", p, status, len(mustSeen(m)) != before)
		}
	}
	for _, p := range []string{"/app/x", "/app/admins", "/app/Admin/x", "/app/x/..%2fadmin/x"} {
		status, _, _ := get(t, ts.base+p)
		want := 200
		if strings.Contains(p, "%2f") {
			want = 404 // an encoded slash: refused like httpd's AllowEncodedSlashes Off
		}
		if status != want {
			t.Errorf("%s: status %d, want %d", p, status, want)
		}
	}
}

// TestStatusWorkerCraftedPaths: a path reaches the status worker exactly
// when its normalised form maps to it; ';', '//', '..' and escapes
// neither open a way in nor shut the real one.
func TestStatusWorkerCraftedPaths(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, "worker.jkstatus.read_only=true\n"), "/*=lb", "/jkstatus=jkstatus")
	rt := ts.srv.rt.Load()
	toStatus := 0
	for _, p := range []string{
		"/jkstatus", "/jkstatus;x=1", "/jkstatus;", "//jkstatus", "/./jkstatus", "/x/../jkstatus", "/x/..;/jkstatus",
		"/%6akstatus", "/%6A%6B%73%74%61%74%75%73", "/jkstatus/", "/jkstatus/.", "/jkstatus/x/..", "/jkstatus%3b",
		"/jkstatus%2f", "/JKSTATUS", "/jkstatus%00", "/jkstatus.", "/jk%2dstatus", "/jkstatus/..", "/app/../jkstatus?cmd=list",
	} {
		raw, _, _ := strings.Cut(p, "?")
		want := "not mapped"
		if sp, err := splitPaths(raw, config.ForwardURIProxy); err == nil {
			if rule := rt.mounts.Load().Match(sp.match); rule != nil {
				want = rule.Worker
			}
		}
		status, body, hdr := get(t, ts.base+p)
		got := "not mapped"
		switch {
		case hdr.Get("X-Member") != "":
			got = "lb"
		case status == 200 && strings.Contains(body, "JK Status Manager"):
			got = "jkstatus"
		}
		if got != want {
			t.Errorf("%s: answered by %s (status %d), but its normalised path maps to %s", p, got, status, want)
		}
		if got == "jkstatus" {
			toStatus++
		}
	}
	// 11: "/jkstatus%3b" too, as mod_jk strips the ";" httpd decoded.
	if toStatus != 11 {
		t.Errorf("%d crafted paths reached the status worker, want the 11 whose normalised path is /jkstatus", toStatus)
	}
}

// TestClientCannotSetRequestAttributes (Ghostcat, CVE-2020-1938): no
// client header, query or cookie becomes an AJP request attribute or an
// attribute-carrying field; the member sees exactly the attributes
// mod_jk sends, with values jkbalancer computed.
func TestClientCannotSetRequestAttributes(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "env_vars: {SITE: blue, UNSET: null}\n", oneMember(m.Server, "worker.m1.secret=s3cret\n"), "/*=lb")
	req, _ := http.NewRequest("GET", ts.base+"/WEB-INF/web.xml?javax.servlet.include.request_uri=/WEB-INF/web.xml&AJP_REMOTE_PORT=1", nil)
	for _, h := range []string{
		"javax.servlet.include.request_uri", "Javax.Servlet.Include.Servlet_Path", "jakarta.servlet.include.path_info",
		"AJP_REMOTE_PORT", "AJP_LOCAL_ADDR", "JK_LB_ACTIVATION", "AJP_SSL_PROTOCOL", "SITE", "UNSET", "Secret",
		"SSL_CLIENT_CERT", "X-Forwarded-Proto", "Remote-User", "Auth-Type", "Req-Attribute", "Route",
	} {
		req.Header.Set(h, "evil")
	}
	req.Header.Set("Authorization", "Basic ZXZpbDpldmls")
	req.AddCookie(&http.Cookie{Name: "javax.servlet.include.request_uri", Value: "evil"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := mustSeen(m)
	if len(got) != 1 {
		t.Fatalf("member saw %d requests", len(got))
	}
	r := got[0]
	if r.RemotePort == "evil" || r.RemotePort == "1" || r.LocalAddr != "127.0.0.1" || r.Activation != "ACT" ||
		r.Secret != "s3cret" || r.RemoteUser != "" || r.AuthType != "" || r.IsSSL || r.SSLCert != "" ||
		r.SSLProtocol != "" || r.Route == "evil" {
		t.Errorf("attribute fields: port %q local %q activation %q secret %q user %q auth %q ssl %v cert %q proto %q route %q",
			r.RemotePort, r.LocalAddr, r.Activation, r.Secret, r.RemoteUser, r.AuthType, r.IsSSL, r.SSLCert, r.SSLProtocol, r.Route)
	}
	if len(r.Attributes) != 1 || r.Attributes[0].Name != "SITE" || r.Attributes[0].Value != "blue" {
		t.Errorf("extra attributes %v; want only the JkEnvVar SITE=blue", r.Attributes)
	}
	if r.QueryString != "javax.servlet.include.request_uri=/WEB-INF/web.xml&AJP_REMOTE_PORT=1" {
		t.Errorf("query %q", r.QueryString)
	}
}
