package h1

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestErrorStatusesEndTheConnection: after 400, 408, 411, 413, 414, 500,
// 501 and 503, from a member or from jkbalancer itself, httpd closes the
// client connection (ap_status_drops_connection in ap_set_keepalive); it
// still chunks a length-less body, as it decided that first. Other
// statuses keep it.
func TestErrorStatusesEndTheConnection(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
		w.Write([]byte("a"))
		w.(http.Flusher).Flush()
		w.Write([]byte("b"))
	}))
	for code := 200; code < 600; code++ {
		if http.StatusText(code) == "" || code == 204 || code == 304 {
			continue
		}
		out := exchange(t, addr, "GET /"+strconv.Itoa(code)+" HTTP/1.1\r\nHost: x\r\n\r\n"+
			"GET /200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		n := strings.Count(out, "HTTP/1.1 ")
		drops := strings.Contains(" 400 408 411 413 414 500 501 503 ", " "+strconv.Itoa(code)+" ")
		if drops != (n == 1) || n == 1 && !strings.Contains(out, "\r\nConnection: close\r\n") {
			t.Errorf("%d: %d responses on the connection, want the close after it %v:\n%s", code, n, drops, out)
		}
		if !strings.Contains(out, "Transfer-Encoding: chunked\r\n") {
			t.Errorf("%d: the body is not chunked:\n%s", code, out)
		}
	}
}

// TestUnansweredContinueEndsTheConnection: a request with Expect:
// 100-continue whose 100 Continue never went out (no body to ask for, the
// body left unread, or HTTP/1.0, which gets none) leaves httpd's
// r->expecting_100 set, and ap_set_keepalive then closes the connection
// without chunking: a length-less body goes out unframed. A body that was
// read (after its 100 Continue) keeps the connection.
func TestUnansweredContinueEndsTheConnection(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/read" {
			io.Copy(io.Discard, r.Body)
		}
		w.Write([]byte("a"))
		w.(http.Flusher).Flush()
		w.Write([]byte("b"))
	}))
	next := "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	for _, c := range []struct {
		req  string
		kept bool
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", false},
		{"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", false},
		{"POST /read HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", false},
		{"POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", true},
		{"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", true},
	} {
		out := exchange(t, addr, c.req+next)
		n := strings.Count(out, "HTTP/1.1 200 ")
		if kept := n == 2; kept != c.kept {
			t.Errorf("%q: %d responses, want the connection kept %v:\n%s", c.req, n, c.kept, out)
			continue
		}
		first, _, _ := strings.Cut(out, "\r\n\r\nab")
		if !c.kept && (strings.Contains(first, "chunked") || !strings.HasSuffix(out, "\r\n\r\nab")) {
			t.Errorf("%q: the body is not unframed up to the close:\n%s", c.req, out)
		}
	}
}

// TestIdleConnectionsHoldNoReadBuffer: a kept connection waits for its
// next request without a read buffer (it gets one when the request
// arrives), so clients that stay connected and idle share a few buffers
// instead of holding 4 KiB each (docs/performance.md#send-and-wait).
func TestIdleConnectionsHoldNoReadBuffer(t *testing.T) {
	addr, s := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	const n = 50
	for range n {
		c := dial(t, addr) // kept open, idle, until the test ends
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(r.Body)
	}
	// Each connection's response goes out before its client connects the
	// next: an idle connection's buffer is there for the next one. The
	// race detector's sync.Pool drops a quarter of what it is given back,
	// hence the margin.
	if made := s.made.Load(); made > n*3/4 {
		t.Errorf("%d read buffers for %d idle connections, want them shared", made, n)
	}
}

// TestIdleTimeoutEndsAKeptConnection: a kept connection that sends
// nothing more is closed after IdleTimeout, also while it waits without
// a read buffer, and a new one that sends nothing after ReadHeaderTimeout.
func TestIdleTimeoutEndsAKeptConnection(t *testing.T) {
	addr, _ := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}), func(s *Server) { s.IdleTimeout, s.ReadHeaderTimeout = 50*time.Millisecond, 50*time.Millisecond })
	kept := dial(t, addr) // dial bounds the client's reads by 5 s
	io.WriteString(kept, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(kept)
	r, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(r.Body)
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("the idle kept connection: %v, want EOF from the server", err)
	}
	silent := dial(t, addr)
	if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the silent new connection: %v, want EOF from the server", err)
	}
}
