package limits

import (
	"io"
	"net"
	"sync"
	"time"
)

// ConnLimiter is limits.max_connections: a counting semaphore over the
// client connections of every listener. A listener takes a slot before it
// accepts, so connections beyond the cap wait in the kernel's accept
// queue (the listen backlog), as they do when every httpd worker is busy
// (MaxRequestWorkers). The zero value is ready to use.
type ConnLimiter struct {
	mu      sync.Mutex
	open    int
	waiters int
	wake    chan struct{} // closed when a slot frees up; nil = none made
}

// capRecheck is how often a waiting Acquire re-reads the cap: a reload
// that raises it wakes nobody, so the waiters look again.
const capRecheck = time.Second

// Acquire takes a slot, waiting while capOf() slots are taken (capOf()
// <= 0: no cap). It returns false when done closes first. The cap is
// re-read every second while waiting, so a reload that raises it lets
// waiting connections in.
func (c *ConnLimiter) Acquire(capOf func() int, done <-chan struct{}) bool {
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
		t := time.NewTimer(capRecheck)
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

// Release gives a slot back and wakes whoever waits for one.
func (c *ConnLimiter) Release() {
	c.mu.Lock()
	c.open--
	if c.waiters > 0 && c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
	c.mu.Unlock()
}

// Count returns the slots taken: one per open connection, and one per
// listener waiting to accept its next.
func (c *ConnLimiter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// Listener wraps a front's socket: it applies the connection cap and
// wraps every accepted connection in a Conn (below TLS, which the front
// adds on top). What the cap is, and whether a connection is strict, are
// the caller's: they follow the configuration a reload installs.
type Listener struct {
	net.Listener
	conns *ConnLimiter
	capOf func() int
	// accepted is called once per accepted connection; it returns
	// limits.strict_http as it is now.
	accepted func() (strict bool)
	done     chan struct{}
	once     sync.Once
}

// NewListener returns ln limited by conns to capOf() connections (see
// ConnLimiter.Acquire); accepted is called for every connection accepted
// and says whether it is strict (Conn.Strict).
func NewListener(ln net.Listener, conns *ConnLimiter, capOf func() int, accepted func() (strict bool)) *Listener {
	return &Listener{Listener: ln, conns: conns, capOf: capOf, accepted: accepted, done: make(chan struct{})}
}

// Accept waits for a slot, then for a connection. After Close it returns
// net.ErrClosed, also to an Accept waiting for a slot.
func (l *Listener) Accept() (net.Conn, error) {
	if !l.conns.Acquire(l.capOf, l.done) {
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.conns.Release()
		return nil, err
	}
	strict := l.accepted()
	return &Conn{Conn: c, release: l.conns.Release, strict: strict}, nil
}

// Close closes the socket and ends an Accept waiting for a slot.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// Conn is one accepted client connection: it gives its slot back when
// closed, and remembers whether limits.strict_http was on when it was
// accepted (its plain HTTP/1 requests then go to server/h1).
type Conn struct {
	net.Conn
	release func()
	once    sync.Once
	strict  bool
}

// Strict reports whether limits.strict_http was on when c was accepted.
func (c *Conn) Strict() bool { return c.strict }

// Close closes the connection and gives its slot back, once however often
// it is called.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// NetConn is the socket, for writev (net.Buffers) beneath this wrapper.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// CloseWrite keeps net/http's graceful close (a half-close, so that the
// client reads an error response before the connection goes).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps the socket's sendfile/splice path for responses.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
