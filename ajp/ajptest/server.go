// Package ajptest is a scriptable in-process AJP13 container for tests,
// like net/http/httptest for HTTP. It decodes forward requests with
// ajp.DecodeForward, follows Tomcat's body flow (docs/ajp13.md#request-body-flow), and
// can misbehave on purpose: hang, ignore or refuse CPings, die mid-response,
// send garbage, or send exactly the packets a test scripts (script.go:
// Packet, HeadersPacket, BodyPacket, EndPacket, RawReply), chosen per
// request (Routes, Sequence). The jkbalancer demo uses it as a stand-in
// Tomcat.
package ajptest

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// Handler serves one request. If it returns without calling End, the
// server sends SEND_HEADERS 200 (when no headers went out yet) and
// END_RESPONSE with reuse=1.
type Handler func(w *ResponseWriter, r *Request)

// CPongMode says how the container answers CPing.
type CPongMode int32

const (
	CPongAnswer CPongMode = iota // answer with CPONG at once
	CPongIgnore                  // read the CPing and never answer (a hung or saturated Tomcat)
	CPongClose                   // close the connection (a stopping Tomcat, docs/ajp13.md#connection-lifecycle)
)

// Option configures a Server.
type Option func(*Server)

// WithAddr listens on addr instead of 127.0.0.1:0.
func WithAddr(addr string) Option { return func(s *Server) { s.addr = addr } }

// WithPacketSize sets the connector's packetSize (default 8192): the size
// asked for in GET_BODY_CHUNK is P-6, body chunks carry at most P-8 bytes,
// and a forward request over P-4 gets Tomcat's 400 and a close.
func WithPacketSize(p int) Option { return func(s *Server) { s.psize = p } }

// WithCPong sets the initial CPing behaviour; SetCPong changes it later.
func WithCPong(m CPongMode) Option { return func(s *Server) { s.cpong.Store(int32(m)) } }

// WithSecret requires attribute 0x0C to equal secret; like Tomcat, a
// missing or wrong one gets 403 with reuse=0 and the handler is not called.
func WithSecret(secret string) Option { return func(s *Server) { s.secret = secret } }

// Server is a running AJP container. Its methods are safe for concurrent
// use. Close stops it and waits for every connection goroutine; a handler
// that blocks must watch r.Context().
type Server struct {
	handler Handler
	addr    string
	psize   int
	secret  string
	cpong   atomic.Int32

	requests, connections, pings atomic.Int64

	mu     sync.Mutex // guards the fields below
	ln     net.Listener
	conns  map[*conn]struct{}
	seq    int
	closed bool
	gate   chan struct{} // closed while running; open while hung
	errs   []error
	wg     sync.WaitGroup
}

// NewServer starts a container serving h (nil: DrainHandler). It panics
// if it cannot listen, like httptest.NewServer.
func NewServer(h Handler, opts ...Option) *Server {
	if h == nil {
		h = DrainHandler
	}
	s := &Server{handler: h, addr: "127.0.0.1:0", psize: ajp.DefaultPacketSize,
		conns: make(map[*conn]struct{}), gate: make(chan struct{})}
	close(s.gate)
	for _, o := range opts {
		o(s)
	}
	if err := s.listen(); err != nil {
		panic("ajptest: " + err.Error())
	}
	return s
}

func (s *Server) listen() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ln = ln
	s.addr = ln.Addr().String() // keep the port for Restart
	s.closed = false
	s.mu.Unlock()
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.seq++
		c := newConn(s, nc, s.seq)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.connections.Add(1)
		go c.serve()
	}
}

// Addr returns the listening address, host:port.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Requests returns the number of FORWARD_REQUESTs received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Connections returns the number of connections accepted.
func (s *Server) Connections() int64 { return s.connections.Load() }

// Pings returns the number of CPings received.
func (s *Server) Pings() int64 { return s.pings.Load() }

// SetCPong changes how later CPings are answered.
func (s *Server) SetCPong(m CPongMode) { s.cpong.Store(int32(m)) }

// OpenConns returns the number of connections open now.
func (s *Server) OpenConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Errors returns the protocol violations the container saw from its
// client, in order: unsolicited or malformed packets, bodies longer than
// Content-Length, oversized forward requests. A correct client causes none.
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

func (s *Server) violation(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

// Close stops listening, closes every connection (a member that died) and
// waits for the connection goroutines to finish.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	ln := s.ln
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for _, c := range conns {
		c.shut()
	}
	s.wg.Wait()
}

// CloseIdleConns closes the connections that are waiting for their next
// request, as a restarted member or Tomcat's keepAliveTimeout would, and
// keeps listening. A connection is idle as soon as its END_RESPONSE is
// on the way, so once a client has read a response its connection counts.
func (s *Server) CloseIdleConns() {
	s.mu.Lock()
	var idle []*conn
	for c := range s.conns {
		if !c.busy {
			idle = append(idle, c)
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		c.shut()
	}
}

// Restart closes the server and listens again on the same address.
func (s *Server) Restart() error {
	s.Close()
	return s.listen()
}

// Hang stops the container reading from and writing to its sockets, like
// SIGSTOP: connects still complete (the kernel accepts them), nothing is
// answered. Resume lets everything continue.
func (s *Server) Hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
		s.gate = make(chan struct{})
	default: // already hung
	}
}

// Resume undoes Hang.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.gate:
	default:
		close(s.gate)
	}
}

// wait blocks while the server is hung.
func (s *Server) wait(ctx context.Context) error {
	s.mu.Lock()
	g := s.gate
	s.mu.Unlock()
	select {
	case <-g:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) remove(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) setBusy(c *conn, busy bool) {
	s.mu.Lock()
	c.busy = busy
	s.mu.Unlock()
}

// errViolation prefixes every recorded violation.
var errViolation = errors.New("ajptest: client protocol violation")
