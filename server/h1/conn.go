package h1

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/sendwait"
)

// A connection is new until its first request arrives, idle while it
// waits for the first byte of a later request (Shutdown may close it
// then), active while a request is read and answered, and closed once
// Shutdown or Close took it. Shutdown leaves a new connection alone: its
// client connected to an open listener and is sending its first request
// (closing it would reset a request the client had every reason to send;
// ReadHeaderTimeout bounds a client that sends nothing), as net/http does.
const (
	stateNew int32 = iota
	stateIdle
	stateActive
	stateClosed
)

// conn is one client connection. Everything a request needs that can
// outlive one request (the request and header maps, the response, the
// body reader) is kept here and reset for the next, so a kept connection
// allocates little per request.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	wr     io.Writer // the socket beneath nc's wrappers, for writev
	remote string
	state  atomic.Int32

	tmpl     *http.Request // carries the connection's context
	req      http.Request
	vals     []string // backing store of the request's header values (head.go: reused when equal)
	target   string   // the last request target, reused by the next when equal
	url      url.URL  // r.URL of an origin-form target (parseOrigin)
	fields   Fields   // the client's spelling and order of the field names
	chunked  []string // r.TransferEncoding of a chunked request
	resp     response
	names    [32]string // first backing store of resp.names: a member's head names every field
	body     body
	readDL   time.Time // the read deadline set on nc; zero: none
	idleDL   bool      // readDL bounds a kept connection's wait (armIdle), which the next may keep
	hijacked bool
	first    bool // the first request: its wait is bounded by ReadHeaderTimeout
	// wait lets a kept connection wait for its next request without a
	// read buffer (docs/performance.md#send-and-wait); nil when the
	// socket has no raw handle (tests' pipes).
	wait *sendwait.Sender
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, wr: nc, br: s.getReader(nc), remote: nc.RemoteAddr().String(), first: true}
	if u, ok := nc.(interface{ NetConn() net.Conn }); ok {
		c.wr = u.NetConn()
	}
	if sc, ok := c.wr.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.wait = sendwait.New(rc)
		}
	}
	return c
}

// raw is where response bytes go: the socket itself, so that net.Buffers
// can use writev (a wrapper hides it).
func (c *conn) raw() io.Writer { return c.wr }

// serve answers requests until one of them ends the connection.
func (c *conn) serve() {
	base := context.WithValue(context.Background(), http.LocalAddrContextKey, c.nc.LocalAddr())
	if c.srv.ConnContext != nil {
		base = c.srv.ConnContext(base, c.nc)
	}
	ctx, cancel := context.WithCancel(context.WithValue(base, fieldsKey{}, &c.fields))
	c.tmpl = (&http.Request{}).WithContext(ctx)
	defer func() {
		cancel()
		if !c.hijacked {
			c.nc.Close()
			c.srv.putReader(c.br)
		}
	}()
	for c.awaitRequest() && c.serveOne() && !c.srv.shutdown.Load() {
		if !c.idle() {
			return
		}
	}
}

// idle turns the connection idle after a response and, with nothing of
// a next request read yet, waits for one without a read buffer: 1,000
// idle clients hold 1,000 fewer 4 KiB buffers. The wait is bounded by
// IdleTimeout like the read it precedes; Shutdown may close the
// connection meanwhile, which ends it.
func (c *conn) idle() bool {
	if !c.state.CompareAndSwap(stateActive, stateIdle) {
		return false
	}
	if c.br.Buffered() > 0 {
		return true // pipelined: awaitRequest bounds its head
	}
	c.armIdle() // the wait here, or in awaitRequest's read
	if c.wait != nil {
		c.srv.putReader(c.br)
		c.br = nil
		c.wait.Wait()
		c.br = c.srv.getReader(c.nc)
	}
	return true
}

// awaitRequest waits for the next request's first byte: up to IdleTimeout
// on a kept connection (idle sets that bound), up to ReadHeaderTimeout on a new one (a client
// that connects and says nothing is a slow head). Then the head has
// ReadHeaderTimeout, unless it is already buffered whole.
func (c *conn) awaitRequest() bool {
	s := c.srv
	if c.br.Buffered() == 0 {
		if c.first {
			c.setReadDeadline(s.ReadHeaderTimeout) // a kept connection's wait was bounded by idle
		}
		if _, err := c.br.Peek(1); err != nil {
			return false
		}
	}
	if !c.state.CompareAndSwap(stateIdle, stateActive) && !c.state.CompareAndSwap(stateNew, stateActive) {
		return false
	}
	if c.first {
		c.first = false // the deadline set above covers the head too
		return true
	}
	switch whole := headBuffered(c.br); {
	case whole && c.idleDL:
		// No read of the head waits: the idle wait's deadline stays for
		// the next idle to keep (serveOne lifts it before a body read).
	case !whole && s.ReadHeaderTimeout > 0:
		c.setReadDeadline(s.ReadHeaderTimeout)
	default:
		c.setReadDeadline(0)
	}
	return true
}

// setReadDeadline bounds the next reads by d from now; 0 lifts a bound
// that may be set.
func (c *conn) setReadDeadline(d time.Duration) {
	c.idleDL = false
	switch {
	case d > 0:
		c.readDL = time.Now().Add(d)
		c.nc.SetReadDeadline(c.readDL)
	case !c.readDL.IsZero():
		c.readDL = time.Time{}
		c.nc.SetReadDeadline(c.readDL)
	}
}

// armIdle bounds a kept connection's wait for its next request by
// IdleTimeout. The deadline the last wait set is kept while it has all
// but idleSlack of IdleTimeout left, so a busy connection resets its
// timer about once per idleSlack instead of twice per request, and an
// idle one is closed at most idleSlack early
// (docs/performance.md#per-request-work-in-go).
func (c *conn) armIdle() {
	t := c.srv.IdleTimeout
	if t > 0 && c.idleDL && time.Until(c.readDL) >= t-idleSlack(t) {
		return
	}
	c.setReadDeadline(t)
	c.idleDL = t > 0
}

// idleSlack is how much earlier than IdleTimeout t a kept wait may end:
// a sixteenth of it, at most a second.
func idleSlack(t time.Duration) time.Duration { return min(t/16, time.Second) }

// headBuffered reports a whole request head already in br.
func headBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.Contains(b, []byte("\r\n\r\n"))
}

// serveOne reads one request and answers it. It reports whether the
// connection can carry another.
func (c *conn) serveOne() (keep bool) {
	defer func() {
		if v := recover(); v != nil {
			keep = false
			c.abort(v)
		}
	}()
	r := c.newRequest()
	if status, reason := c.readHead(r); status != 0 {
		if status > 0 {
			c.refuse(status, reason, r.Method == http.MethodHead)
		}
		return false
	}
	if !c.idleDL || c.body.active {
		c.setReadDeadline(0) // a body's reads have their own bounds, not the idle wait's
	}
	w := c.newResponse(r)
	if e := r.Header["Expect"]; e != nil && !hasToken(e, "100-continue") {
		c.srv.refused(c.remote, http.StatusExpectationFailed, "an expectation other than 100-continue")
		w.closeAfter = true
		w.WriteHeader(http.StatusExpectationFailed)
		return w.finish()
	}
	c.srv.Handler.ServeHTTP(w, r)
	if c.hijacked {
		return false
	}
	return w.finish()
}

// abort ends a connection whose handler panicked (or, were there such a
// bug, the parser: one connection ends, never the process): what was
// written so far goes out, the response stays truncated.
// http.ErrAbortHandler is the handler's way to say so on purpose;
// anything else is logged with its stack, as net/http does.
func (c *conn) abort(v any) {
	if c.hijacked {
		return
	}
	c.resp.flush()
	c.resp.release()
	if v == http.ErrAbortHandler || c.srv.Log == nil {
		return
	}
	buf := make([]byte, 16<<10)
	buf = buf[:runtime.Stack(buf, false)]
	c.srv.Log.Error("panic serving a request", "remote", c.remote, "panic", fmt.Sprint(v), "stack", string(buf))
}

// refuse answers a request that never reached the handler and ends the
// connection. The answer is an HTML error page with a length, as httpd
// gives for a request it cannot read (and as jkbalancer's other error
// pages look), not net/http's plain text. The answer to a HEAD request
// has no body, as httpd's (r->header_only): bytes after the head would
// be read as the next response.
func (c *conn) refuse(status int, reason string, head bool) {
	c.srv.refused(c.remote, status, reason)
	text := http.StatusText(status)
	body := fmt.Sprintf("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>%d %s</title>\n"+
		"</head><body>\n<h1>%s</h1>\n</body></html>\n", status, text, text)
	length := len(body)
	if head {
		body = ""
	}
	now := time.Now()
	c.nc.SetWriteDeadline(now.Add(time.Second))
	fmt.Fprintf(c.nc, "HTTP/1.1 %d %s\r\n%sContent-Type: text/html; charset=iso-8859-1\r\nContent-Length: %d\r\n"+
		"Connection: close\r\n\r\n%s", status, text, c.srv.dateField(now), length, body)
}

// dropsConnection is httpd's ap_status_drops_connection: after these
// statuses, whoever sent them (a member through mod_jk, or httpd
// itself), httpd closes the client connection; the request may not have
// been read whole.
func dropsConnection(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestTimeout, http.StatusLengthRequired,
		http.StatusRequestEntityTooLarge, http.StatusRequestURITooLong, http.StatusInternalServerError,
		http.StatusNotImplemented, http.StatusServiceUnavailable:
		return true
	}
	return false
}
