// Package h1 serves HTTP/1.0 and HTTP/1.1 on plain connections to an
// http.Handler. It exists for speed and for strictness: net/http's server
// spends about a fifth of jkbalancer's CPU on a small proxied request
// (a goroutine and a read per request to watch for a client that leaves,
// two read deadlines, a header copy, a context, sorting and formatting),
// and its lenient parser needed a second, strict pass in front of it to
// refuse the request framings smuggling relies on. Here one parse does
// both: a head is read once, refused when ambiguous (RFC 9112 6.1, 6.3,
// 5.2, 2.2, as httpd's HttpProtocolOptions Strict does), and handed to
// the handler as an ordinary *http.Request with an http.ResponseWriter
// that also offers Flush, Hijack and read deadlines.
//
// What net/http does that a handler can see is kept: canonical header
// keys, Host moved out of the header map, Expect: 100-continue answered
// on the first body read, the unread rest of a small request body
// discarded so the connection can be kept, Content-Length computed for
// short responses, chunked framing otherwise, Date and a sniffed
// Content-Type added when missing, and the same status codes for
// malformed requests (400, 431, 501, 505). TLS and HTTP/2 stay with
// net/http.
package h1

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves connections handed to ServeConn. Its settings must not
// change once it serves.
type Server struct {
	Handler http.Handler
	// ReadHeaderTimeout bounds reading a request head once its first byte
	// arrived; IdleTimeout bounds the wait for the next request on a
	// kept connection (zero: no bound).
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// MaxHeaderBytes bounds a request head (request line and fields);
	// like net/http, 4 KiB more is tolerated before 431 is answered.
	MaxHeaderBytes int
	// Log gets one line per refused request; nil logs nothing.
	Log *slog.Logger
	// ConnContext, when set, derives a connection's context (the parent
	// of its requests' contexts) as net/http's does: facts computed once
	// per connection can be kept there.
	ConnContext func(ctx context.Context, c net.Conn) context.Context

	mu       sync.Mutex
	conns    map[*conn]struct{}
	shutdown atomic.Bool  // set by Shutdown and Close: no connection is taken on
	bufs     sync.Pool    // *buffers, held only while a response is written
	readers  sync.Pool    // *bufio.Reader, not held while a connection waits idle
	made     atomic.Int64 // read buffers allocated (readers' misses)
	date     atomic.Pointer[dateLine]
	kaOnce   sync.Once
	ka       []byte // keepAliveFields
}

// DefaultMaxHeaderBytes is used when MaxHeaderBytes is not positive
// (net/http's http.DefaultMaxHeaderBytes).
const DefaultMaxHeaderBytes = 1 << 20

// headSlack is what net/http tolerates over MaxHeaderBytes.
const headSlack = 4096

// ServeConn serves nc until the client or the server ends it, then closes
// it (unless a handler took it over with Hijack). It blocks: run it in a
// goroutine of its own.
func (s *Server) ServeConn(nc net.Conn) {
	c := newConn(s, nc)
	if !s.track(c, true) {
		nc.Close()
		return
	}
	defer s.track(c, false)
	c.serve()
}

// Go serves nc in a goroutine of its own, like ServeConn, but registers
// it before it returns: a connection accepted before Shutdown began is
// served, never closed unanswered because its goroutine started late.
func (s *Server) Go(nc net.Conn) {
	c := newConn(s, nc)
	if !s.track(c, true) {
		nc.Close()
		return
	}
	go s.serveTracked(c)
}

func (s *Server) serveTracked(c *conn) {
	defer s.track(c, false)
	c.serve()
}

func (s *Server) track(c *conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.shutdown.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = make(map[*conn]struct{})
	}
	s.conns[c] = struct{}{}
	return true
}

// Shutdown closes idle connections at once and the others after their
// current response, and returns when none is left or ctx ends (its error
// then). Connections handed over afterwards are closed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdown.Store(true)
	wait := time.Millisecond
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		if s.closeIdle() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
		t.Reset(wait)
	}
}

// closeIdle closes the connections waiting for a request and returns how
// many connections are left.
func (s *Server) closeIdle() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.state.CompareAndSwap(stateIdle, stateClosed) {
			c.nc.Close()
		}
	}
	return len(s.conns)
}

// Close closes every connection at once.
func (s *Server) Close() error {
	s.shutdown.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.state.Store(stateClosed)
		c.nc.Close()
	}
	return nil
}

// dateLine is the Date field of the current second, formatted once.
type dateLine struct {
	sec  int64
	line []byte // "Date: ...\r\n"
}

func (s *Server) dateField(now time.Time) []byte {
	sec := now.Unix()
	if d := s.date.Load(); d != nil && d.sec == sec {
		return d.line
	}
	d := &dateLine{sec: sec}
	d.line = append([]byte("Date: "), now.UTC().AppendFormat(nil, http.TimeFormat)...)
	d.line = append(d.line, "\r\n"...)
	s.date.Store(d)
	return d.line
}

// keepAliveFields is what httpd answers a client that asked for
// keep-alive: "Keep-Alive: timeout=N" (KeepAliveTimeout in whole seconds;
// no max=, as httpd with MaxKeepAliveRequests 0: jkbalancer does not cap
// requests per connection) and "Connection: Keep-Alive". Made once: the
// settings do not change while the server serves.
func (s *Server) keepAliveFields() []byte {
	s.kaOnce.Do(func() {
		if s.IdleTimeout > 0 {
			s.ka = append([]byte("Keep-Alive: timeout="), strconv.FormatInt(int64(s.IdleTimeout/time.Second), 10)...)
			s.ka = append(s.ka, "\r\n"...)
		}
		s.ka = append(s.ka, "Connection: Keep-Alive\r\n"...)
	})
	return s.ka
}

func (s *Server) refused(remote string, status int, reason string) {
	if s.Log != nil {
		s.Log.Info("request refused", "status", status, "remote", remote, "reason", reason)
	}
}

// buffers are a response's held body and write buffer.
type buffers struct{ held, out []byte }

func (s *Server) getBuffers() *buffers {
	if b, ok := s.bufs.Get().(*buffers); ok {
		return b
	}
	return &buffers{held: make([]byte, 0, heldMax), out: make([]byte, 0, outMax)}
}

// getReader returns a 4 KiB read buffer for nc.
func (s *Server) getReader(nc net.Conn) *bufio.Reader {
	if r, ok := s.readers.Get().(*bufio.Reader); ok {
		r.Reset(nc)
		return r
	}
	s.made.Add(1)
	return bufio.NewReaderSize(nc, 4096)
}

// putReader takes back a read buffer with nothing buffered (nil: none).
func (s *Server) putReader(r *bufio.Reader) {
	if r != nil && r.Buffered() == 0 {
		r.Reset(nil)
		s.readers.Put(r)
	}
}
