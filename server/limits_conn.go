package server

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// limitState is the Server's share of limits.go: the connection cap and
// the rate limiter. Both read their settings from the current runtime's
// configuration, so a reload changes them.
type limitState struct {
	conns  connLimiter
	rateMu sync.Mutex // serialises building a new rate limiter
	rate   atomic.Pointer[rateLimiter]
}

// connLimiter is limits.max_connections: a counting semaphore over the
// client connections of every listener. A listener takes a slot before it
// accepts, so connections beyond the cap wait in the kernel's accept
// queue (the listen backlog), as they do when every httpd worker is busy
// (MaxRequestWorkers).
type connLimiter struct {
	mu      sync.Mutex
	open    int
	waiters int
	wake    chan struct{} // closed when a slot frees up; nil = none made
}

// acquire takes a slot, waiting while capOf() slots are taken (capOf()
// <= 0: no cap). It returns false when done closes first. The cap is
// re-read every second while waiting, so a reload that raises it lets
// waiting connections in.
func (c *connLimiter) acquire(capOf func() int, done <-chan struct{}) bool {
	for {
		c.mu.Lock()
		if n := capOf(); n <= 0 || c.open < n {
			c.open++
			c.mu.Unlock()
			return true
		}
		if c.wake == nil {
			c.wake = make(chan struct{})
		}
		wake := c.wake
		c.waiters++
		c.mu.Unlock()
		t := time.NewTimer(time.Second)
		stop := false
		select {
		case <-wake:
		case <-t.C:
		case <-done:
			stop = true
		}
		t.Stop()
		c.mu.Lock()
		c.waiters--
		c.mu.Unlock()
		if stop {
			return false
		}
	}
}

func (c *connLimiter) release() {
	c.mu.Lock()
	c.open--
	if c.waiters > 0 && c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
	c.mu.Unlock()
}

// count returns the slots taken: one per open connection, and one per
// listener waiting to accept its next.
func (c *connLimiter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// limitListener wraps a front's socket: it applies the connection cap and
// wraps every accepted connection in a clientConn (below TLS, which the
// front adds on top).
type limitListener struct {
	net.Listener
	s    *Server
	done chan struct{}
	once sync.Once
	// built are the http.Server settings of this listener, fixed when it
	// started serving; seen is the configuration last compared with them
	// (used by the accept goroutine only).
	built config.Limits
	seen  *config.Config
}

// wrapListener is the hook startFrontLocked calls before serving ln.
func (s *Server) wrapListener(ln net.Listener, built config.Limits) net.Listener {
	return &limitListener{Listener: ln, s: s, done: make(chan struct{}), built: built}
}

func (l *limitListener) Accept() (net.Conn, error) {
	if !l.s.lim.conns.acquire(l.s.maxConnections, l.done) {
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.s.lim.conns.release()
		return nil, err
	}
	lim := l.s.currentLimits()
	l.noteReload()
	return &clientConn{Conn: c, release: l.s.lim.conns.release, strict: lim.StrictHTTP}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// noteReload says once per configuration when a reload changed a setting
// this listener's http.Server holds: those apply from the next restart
// (or to listeners the reload added).
func (l *limitListener) noteReload() {
	rt := l.s.rt.Load()
	if rt == nil || rt.cfg == l.seen {
		return
	}
	l.seen = rt.cfg
	n := &rt.cfg.Server.Limits
	if n.ReadHeaderTimeout != l.built.ReadHeaderTimeout || n.IdleTimeout != l.built.IdleTimeout ||
		n.MaxHeaderBytes != l.built.MaxHeaderBytes {
		l.s.log.Warn("reload: limits.read_header_timeout, idle_timeout and max_header_bytes change on this listener only at the next restart",
			"listen", l.Addr().String(), "read_header_timeout", l.built.ReadHeaderTimeout,
			"idle_timeout", l.built.IdleTimeout, "max_header_bytes", l.built.MaxHeaderBytes)
	}
}

// currentLimits returns the limits of the running configuration.
func (s *Server) currentLimits() config.Limits {
	if rt := s.rt.Load(); rt != nil {
		return rt.cfg.Server.Limits
	}
	return config.DefaultLimits()
}

func (s *Server) maxConnections() int {
	if rt := s.rt.Load(); rt != nil {
		return rt.cfg.Server.Limits.MaxConnections
	}
	return 0
}

// clientConn is one accepted client connection: it gives its slot back
// when closed, and remembers whether limits.strict_http was on when it
// was accepted (its plain HTTP/1 requests then go to server/h1).
type clientConn struct {
	net.Conn
	release func()
	once    sync.Once
	strict  bool
}

func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// NetConn is the socket, for writev (net.Buffers) beneath this wrapper.
func (c *clientConn) NetConn() net.Conn { return c.Conn }

// CloseWrite keeps net/http's graceful close (a half-close, so that the
// client reads an error response before the connection goes).
func (c *clientConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the socket's sendfile/splice path for responses.
func (c *clientConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
