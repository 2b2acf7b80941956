package server

// Regression tests for the lessons of mod_jk's security history
// (docs/hardening.md#known-mod_jk-weaknesses) and for the front end's hardening (limits.go):
// what a hostile client sends, what status it gets, and what, if
// anything, reaches a member. Raw TCP is used wherever net/http's client
// would tidy the request up.

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// seenMember is an AJP member that records every forward request (and
// its body) and answers 200 with X-Member: its name.
type seenMember struct {
	*ajptest.Server
	name   string
	mu     sync.Mutex
	reqs   []*ajp.Request
	bodies []string
}

func newSeenMember(t *testing.T, name string) *seenMember {
	m := &seenMember{name: name}
	m.Server = ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		b, err := io.ReadAll(r.Body)
		m.mu.Lock()
		m.reqs, m.bodies = append(m.reqs, r.Request), append(m.bodies, string(b))
		m.mu.Unlock()
		if err != nil {
			w.CloseConn()
			return
		}
		body := "uri=" + r.URI + "\n"
		w.SendHeaders(200, ajp.Header{Name: "X-Member", Value: name},
			ajp.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
		w.Write([]byte(body))
		w.End(true)
	})
	t.Cleanup(m.Close)
	return m
}

func (m *seenMember) seen() ([]*ajp.Request, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*ajp.Request(nil), m.reqs...), append([]string(nil), m.bodies...)
}

// oneMember is workers.properties for worker w (an lb over member m1
// when lb is set) pointing at m.
func oneMember(m *ajptest.Server, extra string) string {
	return "worker.list=lb,jkstatus\nworker.lb.type=lb\nworker.lb.balance_workers=m1\n" +
		"worker.m1.host=127.0.0.1\nworker.m1.port=" + portOf(m) + "\nworker.m1.retries=1\n" +
		"worker.jkstatus.type=status\n" + extra
}

// hardServer starts jkbalancer with the given limits: section (may be
// "") over workers, admin listener off.
func hardServer(t *testing.T, limits, workers string, mounts ...string) *testServer {
	t.Helper()
	return startServer(t, map[string]string{
		"workers.properties": workers,
		"jkbalancer.yaml":    "admin: {listen: \"\"}\nworkers_file: workers.properties\n" + limits,
	}, mounts...)
}

func (ts *testServer) addr() string { return strings.TrimPrefix(ts.base, "http://") }

// rawResult is what a raw exchange saw: the responses in order, and
// whether the server closed the connection afterwards.
type rawResult struct {
	statuses []int
	headers  []http.Header
	close    []bool // the response said Connection: close
	closed   bool
}

// rawSend writes req on a new connection, closes the writing side when
// halfClose is set, and reads responses until the server closes or 5 s
// pass.
func rawSend(t *testing.T, addr, req string, halfClose bool) rawResult {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	if halfClose {
		c.(*net.TCPConn).CloseWrite()
	}
	return readResponses(c)
}

func readResponses(c net.Conn) rawResult {
	var res rawResult
	br := bufio.NewReader(c)
	for i := 0; i < 10; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			_, perr := br.Peek(1)
			res.closed = perr == io.EOF || err == io.EOF || err == io.ErrUnexpectedEOF
			return res
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		res.statuses = append(res.statuses, resp.StatusCode)
		res.headers = append(res.headers, resp.Header)
		res.close = append(res.close, resp.Close)
	}
	return res
}

// TestSmugglingRefusedBeforeAnyMember: every framing request smuggling
// relies on gets 400 (501 for a transfer coding other than chunked, as
// httpd and RFC 9112 6.1 say) and a closed connection, and neither it nor
// the request hidden behind it reaches the member. Sent through a real
// listener so that a change in net/http or in server/h1 cannot pass
// unnoticed.
func TestSmugglingRefusedBeforeAnyMember(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/*=lb")
	hidden := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	cases := []struct {
		name, req string
		status    int
	}{
		{"CL and TE", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
		{"TE and CL", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n", 400},
		{"duplicate CL", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd", 400},
		{"conflicting CL", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 41\r\n\r\nabcd", 400},
		{"CL list", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4, 4\r\n\r\nabcd", 400},
		{"obs-fold", "GET /a HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
		{"folded CL", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 4\r\n\r\nabcd", 400},
		{"TE gzip", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"TE gzip, chunked", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
		{"TE twice", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
		{"TE in HTTP/1.0", "POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400},
		{"TE with space before colon", "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
		{"bare LF", "GET /a HTTP/1.1\nHost: x\n\n", 400},
		{"bare LF in one header", "GET /a HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400},
		{"bare CR", "GET /a HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n", 400},
		{"NUL in a value", "GET /a HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400},
		{"control byte in a value", "GET /a HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400},
		{"space in a name", "GET /a HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n", 400},
		{"two Host headers", "GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
		{"negative CL", "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
	}
	for _, c := range cases {
		res := rawSend(t, ts.addr(), c.req+hidden, false)
		if len(res.statuses) != 1 || res.statuses[0] != c.status || !res.closed {
			t.Errorf("%s: responses %v closed %v; want one %d and a closed connection", c.name, res.statuses, res.closed, c.status)
		}
	}
	if reqs, _ := m.seen(); len(reqs) != 0 {
		t.Errorf("the member saw %d requests, first %q", len(reqs), reqs[0].URI)
	}
	// Well-formed requests on one connection still work, pipelined.
	ok := "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" +
		"GET /g HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	res := rawSend(t, ts.addr(), ok, false)
	_, bodies := m.seen()
	if len(res.statuses) != 3 || res.statuses[0] != 200 || res.statuses[1] != 200 || res.statuses[2] != 200 ||
		len(bodies) != 3 || bodies[0] != "hello" || bodies[1] != "hello" {
		t.Errorf("well-formed pipelined requests: %v, bodies %q", res.statuses, bodies)
	}
}

// TestSmugglingWithStrictHTTPOff: strict_http: false leaves the framing
// to net/http, which accepts Content-Length with chunked; admit then
// closes the connection after the response, so the bytes a length-framing
// proxy in front would have sent as "body" are never read as a request.
func TestSmugglingWithStrictHTTPOff(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "limits: {strict_http: false}\n", oneMember(m.Server, ""), "/*=lb")
	req := "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
		"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	res := rawSend(t, ts.addr(), req, false)
	reqs, _ := m.seen()
	if len(res.statuses) != 1 || res.statuses[0] != 200 || !res.closed || len(reqs) != 1 || reqs[0].URI != "/a" {
		t.Fatalf("responses %v closed %v, member saw %d", res.statuses, res.closed, len(reqs))
	}
	if !res.close[0] {
		t.Errorf("no Connection: close on the response: %v", res.headers[0])
	}
}

// TestMalformedChunkedBodyEndsTheRequest: a chunked body whose framing
// breaks mid-way fails the request as a client error; the backend
// connection that carried the start of it is closed, never reused, and
// the bytes after the break are never read as a request.
func TestMalformedChunkedBodyEndsTheRequest(t *testing.T) {
	m := newSeenMember(t, "m1")
	ts := hardServer(t, "", oneMember(m.Server, ""), "/*=lb")
	req := "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n4;\x01\r\nabcd\r\n0\r\n\r\n" +
		"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	res := rawSend(t, ts.addr(), req, false)
	if len(res.statuses) > 1 || len(res.statuses) == 1 && res.statuses[0] != 400 || !res.closed {
		t.Errorf("responses %v closed %v; want at most a 400, then a close", res.statuses, res.closed)
	}
	pollUntil(t, "the member connection to close", func() bool { return m.OpenConns() == 0 })
	for _, r := range mustSeen(m) {
		if r.URI != "/c" {
			t.Errorf("the member saw %q", r.URI)
		}
	}
}

func mustSeen(m *seenMember) []*ajp.Request { r, _ := m.seen(); return r }

// pollUntil polls cond every 10 ms for at most 5 s.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestLaxConnectionKeepsClosingAfterReload: a connection accepted while
// strict_http was off is served by net/http for its whole life, so the
// close after a chunked request must follow the connection, not the
// configuration a reload switched to strict_http since.
func TestLaxConnectionKeepsClosingAfterReload(t *testing.T) {
	m := newSeenMember(t, "m1")
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML("limits: {strict_http: false}\n"),
		"workers.properties": lbWorkers([]*ajptest.Server{m.Server}, "")})
	c := dialRaw(t, r.srv.Addrs()[0])
	c.SetDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /before HTTP/1.1\r\nHost: x\r\n\r\n")
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("before the reload: %v", err)
	} else {
		io.Copy(io.Discard, res.Body)
	}
	r.mustReload(map[string]string{"jkbalancer.yaml": lbYAML("")})
	io.WriteString(c, "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Close {
		t.Errorf("no Connection: close after a chunked request on a lax connection: %v", res.Header)
	}
}
