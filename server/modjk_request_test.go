package server

import (
	"testing"
)

// TestConnectAndBadHostRefusedLikeHTTPD: httpd answers CONNECT (with a
// path: 400; with host:port jkbalancer refuses it too, on purpose, see
// docs/differences.md) and a Host its fix_hostname rejects with 400, and
// the member never sees them. Both front ends (server/h1 and net/http).
func TestConnectAndBadHostRefusedLikeHTTPD(t *testing.T) {
	for _, strict := range []string{"true", "false"} {
		m := newSeenMember(t, "m1")
		ts := hardServer(t, "limits: {strict_http: "+strict+"}\n", oneMember(m.Server, ""), "/*=lb")
		for _, req := range []string{
			"CONNECT /x HTTP/1.1\r\nHost: x\r\n\r\n",
			"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
			"GET /x HTTP/1.1\r\nHost: a..b\r\n\r\n",
			"GET /x HTTP/1.1\r\nHost: ab..\r\n\r\n",
			"GET /x HTTP/1.1\r\nHost: .\r\n\r\n",
			"GET /x HTTP/1.1\r\nHost: example.com.:\r\n\r\n",
			"GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n",
		} {
			res := rawSend(t, ts.addr(), req, true)
			if len(res.statuses) != 1 || res.statuses[0] != 400 {
				t.Errorf("strict_http %s: %q: statuses %v, want [400]", strict, req, res.statuses)
			}
		}
		if reqs := mustSeen(m); len(reqs) != 0 {
			t.Errorf("strict_http %s: the member saw %d of them", strict, len(reqs))
		}
		// The name httpd would use goes out as server_name; Host as sent.
		res := rawSend(t, ts.addr(), "GET /x HTTP/1.1\r\nHost: EXAMPLE.com.:8080\r\nConnection: close\r\n\r\n", false)
		reqs := mustSeen(m)
		if len(res.statuses) != 1 || res.statuses[0] != 200 || len(reqs) != 1 {
			t.Fatalf("strict_http %s: statuses %v, member saw %d", strict, res.statuses, len(reqs))
		}
		var host string
		for _, h := range reqs[0].Headers {
			if h.Name == "host" || h.Name == "Host" {
				host = h.Value
			}
		}
		if reqs[0].ServerName != "example.com" || reqs[0].ServerPort != 8080 || host != "EXAMPLE.com.:8080" {
			t.Errorf("strict_http %s: server_name %q port %d Host %q, want example.com 8080 EXAMPLE.com.:8080",
				strict, reqs[0].ServerName, reqs[0].ServerPort, host)
		}
	}
}
