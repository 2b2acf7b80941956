package worker

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/internal/splice"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// sockWriter is a client ResponseWriter whose body goes onto a real TCP
// connection, and which takes a body source the way the plain-HTTP front
// end does (server/h1's ReadFrom): a source that can write itself onto
// the socket is asked to.
type sockWriter struct {
	rec     *httptest.ResponseRecorder // status and head
	c       net.Conn                   // the client's socket; the test reads its peer
	spliced int64                      // bytes the source put on the socket itself
}

func (w *sockWriter) Header() http.Header         { return w.rec.Header() }
func (w *sockWriter) WriteHeader(status int)      { w.rec.WriteHeader(status) }
func (w *sockWriter) Write(p []byte) (int, error) { return w.c.Write(p) }

func (w *sockWriter) ReadFrom(src io.Reader) (int64, error) {
	s, ok := src.(interface {
		WriteToSocket(io.Writer, int64) (int64, error)
	})
	if !ok {
		return io.Copy(struct{ io.Writer }{w}, src)
	}
	n, err := s.WriteToSocket(w.c, 1<<40)
	w.spliced += n
	return n, err
}

// forwardToSocket forwards GET / through m to a sockWriter and returns
// the Forward's outcome, what the client's socket received, and the bytes
// the member's body source put on it itself.
func forwardToSocket(t *testing.T, m *Member) (Outcome, error, []byte, int64) {
	t.Helper()
	near, far := testutil.TCPPair(t)
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(far); got <- b }()
	w := &sockWriter{rec: httptest.NewRecorder(), c: near}
	out, err := m.Forward(w, toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{Activation: config.Active})
	near.Close()
	return out, err, <-got, w.spliced
}

// TestSpliceLargeBody: a member's 1 MiB body with a Content-Length goes
// to a client writer that takes a socket source as one: the kernel moves
// it (splice), the client gets every byte in order, and the member's
// bytes are counted as if read. (Without the splice path the writer's
// ReadFrom is never called: spliced stays 0.)
func TestSpliceLargeBody(t *testing.T) {
	if !splice.Available() {
		t.Skip("no splice(2) here")
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	hb := newRawBackend(t, func(conn, n int, r *http.Request, _ string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
		w.Write(body)
		return true
	})
	m := newHTTPMember(t, httpSpec(t, hb.ln.Addr().String()))
	out, err, got, spliced := forwardToSocket(t, m)
	if err != nil {
		t.Fatalf("Forward: %v", err)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("client got %d bytes, not the member's %d", len(got), len(body))
	}
	if spliced < int64(len(body))-spliceMin { // at most one copy buffer before the head is out
		t.Errorf("spliced %d bytes of %d: the body was copied", spliced, len(body))
	}
	if out.Received < int64(len(body)) {
		t.Errorf("Outcome.Received = %d, want at least the body's %d", out.Received, len(body))
	}
}

// TestSpliceShortBody: a member that closes 200 KiB into a 1 MiB body on
// the splice path cuts the client's response (it gets those 200 KiB, no
// more), and the attempt fails as a closed connection after the head,
// counted against the member, as through a buffer.
func TestSpliceShortBody(t *testing.T) {
	if !splice.Available() {
		t.Skip("no splice(2) here")
	}
	part := bytes.Repeat([]byte("x"), 200<<10)
	hb := newRawBackend(t, func(conn, n int, r *http.Request, _ string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n")
		w.Write(part)
		return false
	})
	m := newHTTPMember(t, httpSpec(t, hb.ln.Addr().String(), "retries=1"))
	_, err, got, spliced := forwardToSocket(t, m)
	var we *Error
	if !errors.As(err, &we) || we.Class != ClassClosed || !we.HeadSent {
		t.Fatalf("Forward: %v, want a closed connection after the head", err)
	}
	if !bytes.Equal(got, part) {
		t.Errorf("client got %d bytes, want the %d the member sent", len(got), len(part))
	}
	if spliced == 0 {
		t.Errorf("nothing spliced: the body was copied")
	}
	if m.Counters().Errors() != 1 {
		t.Errorf("member errors = %d, want 1", m.Counters().Errors())
	}
}

// TestSpliceStalledBody: a member that stops sending mid-body on the
// splice path is given up after reply_timeout, like a read that waits
// too long: a reply timeout after the head.
func TestSpliceStalledBody(t *testing.T) {
	if !splice.Available() {
		t.Skip("no splice(2) here")
	}
	hb := newRawBackend(t, func(conn, n int, r *http.Request, _ string, w io.Writer) bool {
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n")
		w.Write(make([]byte, 100<<10))
		io.Copy(io.Discard, w.(net.Conn)) // until the proxy gives up
		return false
	})
	m := newHTTPMember(t, httpSpec(t, hb.ln.Addr().String(), "retries=1", "reply_timeout=200"))
	_, err, got, spliced := forwardToSocket(t, m)
	var we *Error
	if !errors.As(err, &we) || we.Class != ClassReplyTimeout || !we.HeadSent {
		t.Fatalf("Forward: %v, want a reply timeout after the head", err)
	}
	if len(got) != 100<<10 || spliced == 0 {
		t.Errorf("client got %d bytes (%d spliced), want the member's %d, spliced", len(got), spliced, 100<<10)
	}
}

// splicingRest is a client body that moves itself from a socket (the
// client's) to the member's, as server/h1's does.
type splicingRest struct {
	src    *net.TCPConn
	called bool
}

func (s *splicingRest) Read(p []byte) (int, error) { return s.src.Read(p) }

func (s *splicingRest) SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (int64, error, error) {
	s.called = true
	draw, err := dst.(syscall.Conn).SyscallConn()
	if err != nil {
		return 0, nil, err
	}
	sraw, _ := s.src.SyscallConn()
	_, written, rerr, werr := splice.Copy(draw, sraw, max, arm, armDst)
	return written, rerr, werr
}

// TestSpliceRequestBody: a 1 MiB request body whose client side can move
// itself goes to the member's socket in the kernel after the kept part,
// arrives whole, and is counted as sent. (Without the splice path the
// body is read through Read: called stays false.)
func TestSpliceRequestBody(t *testing.T) {
	if !splice.Available() {
		t.Skip("no splice(2) here")
	}
	body := bytes.Repeat([]byte("upload 0123456789\n"), 1<<20/18)
	hb := newRawBackend(t, func(conn, n int, r *http.Request, got string, w io.Writer) bool {
		if got != string(body) {
			io.WriteString(w, "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n")
			return false
		}
		io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		return true
	})
	m := newHTTPMember(t, httpSpec(t, hb.ln.Addr().String()))
	clientEnd, proxyEnd := testutil.TCPPair(t)
	go clientEnd.Write(body[8192:])
	rest := &splicingRest{src: proxyEnd}
	req := toRequest(t, httptest.NewRequest("POST", "/up", nil), 8192)
	req.Body = &ajp.Body{ContentLength: int64(len(body)), Kept: body[:8192], Rest: rest}
	rec := httptest.NewRecorder()
	out, err := m.Forward(rec, req, &Attempt{Activation: config.Active})
	if err != nil || rec.Code != 200 {
		t.Fatalf("Forward: %v, status %d (400: the member got another body)", err, rec.Code)
	}
	if !rest.called {
		t.Error("the body was not spliced")
	}
	if out.Sent < int64(len(body)) {
		t.Errorf("Outcome.Sent = %d, want at least the body's %d", out.Sent, len(body))
	}
}
