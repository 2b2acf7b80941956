package worker

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// reply is what a client of jkbalancer got for one request on a fresh
// connection: the status (0: no response at all), the body, and whether
// the response was cut (no response, or a body short of its framing).
type reply struct {
	status int
	header http.Header
	body   string
	cut    bool
}

// clientGet sends method path on a new connection to addr, with
// "Connection: close", and reads the one response.
func clientGet(t *testing.T, addr, method, path string) reply {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", method, path)
	req, _ := http.NewRequest(method, path, nil)
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		return reply{cut: true}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b), cut: err != nil}
}

// TestUncommittedFailureAnswersWithErrorPage: a member that fails after
// its head but before more body than the responder keeps back reached
// the client gives the client the error mod_jk gives (502 for a close,
// 500 for an invalid message), not an empty reply: httpd still holds
// such a response when mod_jk reports the failure, and drops it for its
// error page.
func TestUncommittedFailureAnswersWithErrorPage(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "1000"}, ajp.Header{Name: "X-Leak", Value: "1"})
		switch r.URI {
		case "/short":
			w.Write(make([]byte, 100))
			w.CloseConn()
		case "/twice":
			w.Write(make([]byte, 100))
			w.Raw([]byte{'A', 'B', 0, 7, 4, 0, 200, 0, 0, 0, 0, 0}) // SEND_HEADERS again
		}
	})
	defer be.Close()
	hb := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nX-Leak: 1\r\n\r\n"+strings.Repeat("x", 100))
		return false
	})
	am, _ := newTestMember(t, ajpSpec(t, be.Addr(), "retries=1"))
	hm := newHTTPMember(t, httpSpec(t, hb.ln.Addr().String(), "retries=1"))
	afs, hfs := front(t, am, nil), front(t, hm, nil)
	for _, c := range []struct {
		name, addr, path string
		status           int
	}{
		{"AJP close mid-body", afs.Listener.Addr().String(), "/short", 502},
		{"AJP headers twice", afs.Listener.Addr().String(), "/twice", 500},
		{"HTTP short of its length", hfs.Listener.Addr().String(), "/", 502},
	} {
		got := clientGet(t, c.addr, "GET", c.path)
		if got.status != c.status || got.cut || !strings.Contains(got.body, "</html>") || got.header.Get("X-Leak") != "" {
			t.Errorf("%s: status %d cut %v header %v body %q; want a whole %d error page", c.name, got.status, got.cut, got.header, got.body, c.status)
		}
	}
	if be.Requests() != 2 || len(hb.log()) != 1 {
		t.Errorf("members saw %d and %d requests, want 2 and 1 (retries=1)", be.Requests(), len(hb.log()))
	}
}

// TestBodyOnNoBodyStatusIsDropped: an AJP member that sends a body with
// 204 or 304 gets its status and headers to the client, without the body
// (httpd drops it), and its connection, framed correctly, serves the next
// request.
func TestBodyOnNoBodyStatusIsDropped(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		switch r.URI {
		case "/204":
			w.SendHeaders(204, ajp.Header{Name: "X-Kept", Value: "1"}, ajp.Header{Name: "Content-Length", Value: "5"})
			w.Write([]byte("hello"))
		case "/304":
			w.SendHeaders(304, ajp.Header{Name: "X-Kept", Value: "1"}, ajp.Header{Name: "ETag", Value: `"e"`})
			w.Write([]byte("hello"))
		default:
			w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
			w.Write([]byte("ok"))
		}
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "retries=1"))
	addr := front(t, m, nil).Listener.Addr().String()
	for _, c := range []struct {
		path   string
		status int
	}{{"/204", 204}, {"/ok", 200}, {"/304", 304}, {"/ok", 200}} {
		got := clientGet(t, addr, "GET", c.path)
		want := ""
		if c.status == 200 {
			want = "ok"
		}
		if got.status != c.status || got.cut || got.body != want || (c.status != 200 && got.header.Get("X-Kept") != "1") {
			t.Errorf("%s: status %d cut %v body %q header %v; want %d %q", c.path, got.status, got.cut, got.body, got.header, c.status, want)
		}
	}
	if be.Requests() != 4 || be.Connections() != 1 {
		t.Errorf("member saw %d requests on %d connections, want 4 on 1", be.Requests(), be.Connections())
	}
}

// TestHTTP204WithLengthIsNotReused: an HTTP member that announces a body
// with its 204 and sends it late (only when the next request arrives on
// the connection) must not have those bytes read as the next response:
// the connection is closed after such a 204.
func TestHTTP204WithLengthIsNotReused(t *testing.T) {
	be := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		switch {
		case r.URL.Path == "/204":
			io.WriteString(w, "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n")
		case n > 0: // the late body, then the answer
			io.WriteString(w, "hello")
			return ok200(w)
		default:
			return ok200(w)
		}
		return true
	})
	m := newHTTPMember(t, httpSpec(t, be.ln.Addr().String(), "retries=1"))
	addr := front(t, m, nil).Listener.Addr().String()
	if got := clientGet(t, addr, "GET", "/204"); got.status != 204 || got.cut || got.body != "" {
		t.Fatalf("/204: %d cut %v body %q", got.status, got.cut, got.body)
	}
	if got := clientGet(t, addr, "GET", "/next"); got.status != 200 || got.body != "ok" {
		t.Fatalf("/next: %d %q, member saw %q", got.status, got.body, be.log())
	}
	if seen := be.log(); len(seen) != 2 || seen[1] != "1/0 GET /next " {
		t.Fatalf("member saw %q, want /next once on a new connection", seen)
	}
}

// TestNULInMemberHeaderValue: a NUL in a member's header value (AJP, or
// HTTP, also in a trailer) reaches the client as a blank, the way CR and
// LF do, never as a NUL.
func TestNULInMemberHeaderValue(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200, ajp.Header{Name: "X-A", Value: "a\x00b"}, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Write([]byte("ok"))
		w.End(true)
	})
	defer be.Close()
	hb := newRawBackend(t, func(conn, n int, r *http.Request, body string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"2\r\nok\r\n0\r\nX-T: c\x00d\r\n\r\n")
		return true
	})
	am, _ := newTestMember(t, ajpSpec(t, be.Addr()))
	hm := newHTTPMember(t, httpSpec(t, hb.ln.Addr().String()))
	for name, fs := range map[string]string{"AJP": front(t, am, nil).URL, "HTTP": front(t, hm, nil).URL} {
		resp, body := mustDo(t, nil, "GET", fs, nil)
		if resp.StatusCode != 200 || body != "ok" || resp.Header.Get("X-A") != "a b" {
			t.Errorf("%s: %d %q X-A=%q, want 200 \"ok\" \"a b\"", name, resp.StatusCode, body, resp.Header.Get("X-A"))
		}
		if name == "HTTP" && resp.Trailer.Get("X-T") != "c d" {
			t.Errorf("%s: trailer X-T=%q, want \"c d\"", name, resp.Trailer.Get("X-T"))
		}
	}
}

// TestAJPInterimStatusIsInvalid: SEND_HEADERS is the final response, and
// AJP cannot switch protocols: a 1xx from an AJP member (101 above all)
// is an invalid message, 500, and the client never sees a bare 101 that
// leaves it waiting for a protocol nobody speaks.
func TestAJPInterimStatusIsInvalid(t *testing.T) {
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(101, ajp.Header{Name: "Upgrade", Value: "websocket"})
		w.Write([]byte("hello"))
		w.End(true)
	})
	defer be.Close()
	errs := make(chan error, 1)
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "retries=1"))
	got := clientGet(t, front(t, m, errs).Listener.Addr().String(), "GET", "/")
	if got.status != 500 || got.cut || !strings.Contains(got.body, "</html>") {
		t.Fatalf("status %d cut %v body %q; want a whole 500 error page", got.status, got.cut, got.body)
	}
	if we := classOf(t, <-errs); we.Class != ClassInvalid || we.HeadSent {
		t.Fatalf("class %s headSent %v, want invalid, not sent", we.Class, we.HeadSent)
	}
}

// TestAJPContentLengthMismatch: an AJP member whose body does not match
// its Content-Length. A body kept back whole goes out with its own length,
// as httpd's content-length filter sets it: longer or shorter, the client
// gets a well-formed response with the body the member sent. A body that
// had to go out before it ended is cut to the announced length (net/http
// refuses more, and the exchange failed as a client error). The
// connection, framed by AJP, is kept.
func TestAJPContentLengthMismatch(t *testing.T) {
	big := strings.Repeat("b", 10000)
	be := ajptest.NewServer(ajptest.Routes(map[string]ajptest.Handler{
		"/long": ajptest.RawReply(true, ajptest.HeadersPacket(200, ajp.Header{Name: "Content-Length", Value: "2"}),
			ajptest.BodyPacket([]byte("okay")), ajptest.EndPacket(1)),
		"/short": ajptest.RawReply(true, ajptest.HeadersPacket(200, ajp.Header{Name: "Content-Length", Value: "10"}),
			ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)),
		"/big": ajptest.RawReply(true, ajptest.HeadersPacket(200, ajp.Header{Name: "Content-Length", Value: "9000"}),
			ajptest.BodyPacket([]byte(big[:8184])), ajptest.BodyPacket([]byte(big[8184:])), ajptest.EndPacket(1)),
	}, nil))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "retries=1"))
	addr := front(t, m, nil).Listener.Addr().String()
	for path, want := range map[string]string{"/long": "okay", "/short": "ok", "/big": big[:9000]} {
		if got := clientGet(t, addr, "GET", path); got.status != 200 || got.cut || got.body != want {
			t.Errorf("%s: %d cut %v %d bytes, want 200 with %d", path, got.status, got.cut, len(got.body), len(want))
		}
	}
	if be.Requests() != 3 || be.Connections() != 1 {
		t.Errorf("%d requests on %d connections, want 3 on 1", be.Requests(), be.Connections())
	}
}
