package h1

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dlConn is a client connection as the server sees it that counts the
// read deadlines set on it and remembers the deadline each read ran
// under.
type dlConn struct {
	net.Conn
	mu      sync.Mutex
	cur     time.Time // the read deadline in effect
	sets    int       // SetReadDeadline calls with a time
	watch   *atomic.Bool
	watched []time.Time // cur at each read made while watch is on
}

func (c *dlConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.cur = t
	if !t.IsZero() {
		c.sets++
	}
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *dlConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.watch != nil && c.watch.Load() {
		c.watched = append(c.watched, c.cur)
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

func (c *dlConn) current() (time.Time, int, []time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur, c.sets, append([]time.Time(nil), c.watched...)
}

// serveRecorded serves one connection through a dlConn and returns the
// client's end.
func serveRecorded(t *testing.T, s *Server, watch *atomic.Bool) (net.Conn, *dlConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client := dial(t, ln.Addr().String())
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	dc := &dlConn{Conn: nc, watch: watch}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ServeConn(dc)
	}()
	t.Cleanup(func() {
		client.Close()
		<-done
	})
	return client, dc
}

func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, req string) string {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// TestBusyKeptConnectionKeepsItsIdleDeadline: a kept connection that
// sends request after request without a body resets its read deadline
// about once per idleSlack, not twice per request (a timer reset each,
// docs/performance.md#per-request-work-in-go).
func TestBusyKeptConnectionKeepsItsIdleDeadline(t *testing.T) {
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		ReadHeaderTimeout: time.Minute, IdleTimeout: time.Minute}
	c, dc := serveRecorded(t, s, nil)
	br := bufio.NewReader(c)
	const n = 200
	for range n {
		if got := roundTrip(t, c, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); got != "ok" {
			t.Fatalf("body %q", got)
		}
	}
	// One reset per second at most (idleSlack of a minute): the margin
	// holds unless the 200 exchanges take 50 s.
	if _, sets, _ := dc.current(); sets > n/4 {
		t.Errorf("%d read deadlines set for %d requests on a kept connection, want a few", sets, n)
	}
}

// TestBodyReadsAreNotBoundByTheIdleWait: the idle wait's deadline, kept
// through requests without a body, never bounds a body's reads (nor a
// hijacked connection's): it is lifted before them.
func TestBodyReadsAreNotBoundByTheIdleWait(t *testing.T) {
	var watch atomic.Bool
	hijacked := make(chan time.Time, 1)
	var dcp atomic.Pointer[dlConn]
	s := &Server{ReadHeaderTimeout: time.Minute, IdleTimeout: time.Minute}
	s.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/body":
			watch.Store(true)
			b, err := io.ReadAll(r.Body)
			watch.Store(false)
			if err != nil {
				t.Error(err)
			}
			w.Write(b)
		case "/hijack":
			nc, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			dl, _, _ := dcp.Load().current()
			hijacked <- dl
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
			brw.Flush()
			nc.Close()
		default:
			io.WriteString(w, "ok")
		}
	})
	c, dc := serveRecorded(t, s, &watch)
	dcp.Store(dc)
	br := bufio.NewReader(c)
	for range 3 {
		roundTrip(t, c, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	// The body comes after the head, so the handler's reads reach the socket.
	io.WriteString(c, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
	for !watch.Load() {
		time.Sleep(time.Millisecond) // until the handler reads; not an assertion
	}
	if got := roundTrip(t, c, br, "0123456789"); got != "0123456789" {
		t.Fatalf("body %q", got)
	}
	_, _, watched := dc.current()
	if len(watched) == 0 {
		t.Fatal("no body read reached the socket")
	}
	for i, dl := range watched {
		if !dl.IsZero() {
			t.Errorf("body read %d ran under a read deadline %v from now", i, time.Until(dl).Round(time.Second))
		}
	}
	roundTrip(t, c, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	io.WriteString(c, "GET /hijack HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
	if out, _ := io.ReadAll(br); !strings.HasPrefix(string(out), "HTTP/1.1 101 ") {
		t.Fatalf("hijack: %q", out)
	}
	if dl := <-hijacked; !dl.IsZero() {
		t.Errorf("the hijacked connection has a read deadline %v from now", time.Until(dl).Round(time.Second))
	}
}
