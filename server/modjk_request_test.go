package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
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
		// An absolute-form target's authority replaces Host, normalised.
		rawSend(t, ts.addr(), "GET http://Abs.Example.:8080/x HTTP/1.1\r\nHost: other:9\r\nConnection: close\r\n\r\n", false)
		reqs = mustSeen(m)
		host = ""
		for _, h := range reqs[len(reqs)-1].Headers {
			if h.Name == "host" || h.Name == "Host" {
				host = h.Value
			}
		}
		if host != "abs.example:8080" || reqs[len(reqs)-1].ServerName != "abs.example" {
			t.Errorf("strict_http %s: absolute-form: Host %q server_name %q, want abs.example:8080 abs.example",
				strict, host, reqs[len(reqs)-1].ServerName)
		}
	}
}

// rawHTTPMember answers every request 200 with the request head it got,
// byte for byte, as the body.
func rawHTTPMember(t *testing.T) string {
	return rawHeadServer(t, func(c net.Conn, head string) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(head), head)
	})
}

// rawHeadServer is an HTTP member on loopback that reads one request head
// per connection (at most 100 lines, within 5 s), byte for byte including
// its final blank line, hands it to answer and closes the connection.
func rawHeadServer(t *testing.T, answer func(c net.Conn, head string)) string {
	t.Helper()
	return testutil.ServeConns(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		var head strings.Builder
		for i := 0; i < 100; i++ {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		answer(c, head.String())
	})
}

// TestRepeatedRequestFieldsJoinedInTheClientsSpelling: httpd merges a
// repeated request field into one, values joined with ", " in order
// (Cookie too), keeps the client's spelling of the first occurrence and
// the order of arrival, and mod_jk (or mod_proxy) forwards headers_in so.
// Checked against httpd 2.4 + mod_jk 1.2.48.
func TestRepeatedRequestFieldsJoinedInTheClientsSpelling(t *testing.T) {
	const req = "GET /x HTTP/1.1\r\nHost: x\r\nx-lower: 1\r\nX-UPPER: 2\r\nX-Rep: a\r\nX-Rep: b\r\nx-rep: c\r\n" +
		"Cookie: a=1\r\nCookie: b=2\r\nX-E:\r\nX-E: z\r\nConnection: close\r\n\r\n"
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/*=lb")
	if res := rawSend(t, ts.addr(), req, false); len(res.statuses) != 1 || res.statuses[0] != 200 {
		t.Fatalf("AJP: statuses %v", res.statuses)
	}
	var got []string
	for _, h := range mustSeen(m)[0].Headers {
		got = append(got, h.Name+": "+h.Value)
	}
	want := []string{"host: x", "x-lower: 1", "X-UPPER: 2", "X-Rep: a, b, c", "cookie: a=1, b=2", "X-E: , z",
		"content-length: 0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("AJP member got\n%s\nwant (as through mod_jk)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	addr := rawHTTPMember(t)
	host, port, _ := net.SplitHostPort(addr)
	ts = hardServer(t, "", "worker.list=w\nworker.w.type=http\nworker.w.host="+host+"\nworker.w.port="+port+"\n", "/*=w")
	c, err := net.Dial("tcp", ts.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	out, _ := io.ReadAll(c)
	for _, line := range []string{"\r\nx-lower: 1\r\nX-UPPER: 2\r\nX-Rep: a, b, c\r\nCookie: a=1, b=2\r\nX-E: , z\r\n"} {
		if !strings.Contains(string(out), line) {
			t.Errorf("HTTP member: no %q in the head it got:\n%s", line, out)
		}
	}
}

// TestTraceRefusedAtTheFront: TRACE gets 405 with an Allow header and
// never reaches a member, with or without a body, on both front ends.
// httpd answers TRACE itself (TraceEnable on echoes the request, cookies
// included: cross-site tracing) and Tomcat refuses it by default; the
// front end answers as httpd with TraceEnable off (docs/differences.md).
func TestTraceRefusedAtTheFront(t *testing.T) {
	for _, strict := range []string{"true", "false"} {
		m := newSeenMember(t, "m1")
		ts := hardServer(t, "limits: {strict_http: "+strict+"}\n", oneMember(m.Server, ""), "/*=lb")
		for _, req := range []string{
			"TRACE / HTTP/1.1\r\nHost: x\r\nCookie: JSESSIONID=secret\r\n\r\n",
			"TRACE /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx",
			"TRACE /x HTTP/1.0\r\n\r\n",
		} {
			res := rawSend(t, ts.addr(), req, true)
			if len(res.statuses) != 1 || res.statuses[0] != 405 {
				t.Errorf("strict_http %s: %q: statuses %v, want [405]", strict, req, res.statuses)
				continue
			}
			if a := res.headers[0].Get("Allow"); a != "GET,HEAD,POST,OPTIONS" {
				t.Errorf("strict_http %s: %q: Allow %q", strict, req, a)
			}
		}
		if reqs := mustSeen(m); len(reqs) != 0 {
			t.Errorf("strict_http %s: the member saw %d TRACE requests", strict, len(reqs))
		}
	}
}

// TestOwnStatusLineSpelledAsHTTPD: a status line jkbalancer writes for
// itself reads as httpd's: over LimitRequestLine that is "414
// Request-URI Too Long" (Go's table says "Request URI Too Long").
func TestOwnStatusLineSpelledAsHTTPD(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/*=lb")
	c, err := net.DialTimeout("tcp", ts.addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", strings.Repeat("a", 9000))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if line != "HTTP/1.1 414 Request-URI Too Long\r\n" {
		t.Errorf("status line %q, want httpd's \"HTTP/1.1 414 Request-URI Too Long\"", line)
	}
}
