package server

import (
	"strings"
	"testing"
)

// TestRequestTargetsLikeHTTPD: what httpd does with request targets
// mod_jk never sees or sees changed, on both front ends (server/h1 and
// net/http): a fragment is refused with 400; "OPTIONS *" gets httpd's
// bare 200 pong without Allow (http_send_options).
func TestRequestTargetsLikeHTTPD(t *testing.T) {
	for _, strict := range []string{"true", "false"} {
		m := newSeenMember(t, "m1")
		ts := hardServer(t, "limits: {strict_http: "+strict+"}\n", oneMember(m.Server, ""), "/*=lb")
		for _, req := range []string{"GET /x#frag HTTP/1.1\r\nHost: x\r\n\r\n", "GET /x?a#f HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET http://x/x#f HTTP/1.1\r\nHost: x\r\n\r\n"} {
			if res := rawSend(t, ts.addr(), req, true); len(res.statuses) != 1 || res.statuses[0] != 400 {
				t.Errorf("strict_http %s: %q: statuses %v, want [400]", strict, req, res.statuses)
			}
		}
		res := rawSend(t, ts.addr(), "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", true)
		if len(res.statuses) != 1 || res.statuses[0] != 200 || res.headers[0]["Allow"] != nil {
			t.Errorf("strict_http %s: OPTIONS *: statuses %v, headers %v; want 200 without Allow", strict, res.statuses, res.headers)
		}
		if reqs := mustSeen(m); len(reqs) != 0 {
			t.Errorf("strict_http %s: the member saw %d of them", strict, len(reqs))
		}
	}
}

// TestAbsoluteTargetWithoutHostSendsNoHost: httpd replaces a Host field
// with an absolute-form target's authority but adds none when the client
// sent none (HTTP/1.0): mod_jk then sends no Host, while server_name and
// server_port still come from the authority.
func TestAbsoluteTargetWithoutHostSendsNoHost(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/*=lb")
	for _, c := range []struct{ req, host string }{
		{"GET http://Abs.Example:8080/x HTTP/1.0\r\n\r\n", ""},
		{"GET http://Abs.Example:8080/x HTTP/1.0\r\nHost: other\r\n\r\n", "abs.example:8080"},
	} {
		if res := rawSend(t, ts.addr(), c.req, true); len(res.statuses) != 1 || res.statuses[0] != 200 {
			t.Fatalf("%q: statuses %v", c.req, res.statuses)
		}
		reqs := mustSeen(m)
		r := reqs[len(reqs)-1]
		var hosts []string
		for _, h := range r.Headers {
			if strings.EqualFold(h.Name, "host") {
				hosts = append(hosts, h.Value)
			}
		}
		if strings.Join(hosts, ",") != c.host || r.ServerName != "abs.example" || r.ServerPort != 8080 {
			t.Errorf("%q: Host %q server_name %q port %d, want Host %q, abs.example 8080", c.req, hosts, r.ServerName,
				r.ServerPort, c.host)
		}
	}
}
