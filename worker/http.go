package worker

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/sendwait"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// httpTransport reaches an HTTP/1.1 member (type=http) through a pool of
// keep-alive connections (http_conn.go). The member attributes keep their
// mod_jk meaning:
// connection_pool_size bounds the connections (one request each),
// connection_acquire_timeout how long a request waits for one,
// connection_pool_timeout how long an idle one is kept, socket_* the
// sockets, reply_timeout the wait for each read of the response.
type httpTransport struct {
	m       *Member
	h       *config.HTTPMember
	to      atomic.Pointer[httpDest] // where requests go; swapped by a status edit
	tlsConf *tls.Config
	local   net.Addr // source
	// initErr is set when the TLS files no longer load: every attempt
	// then fails as a connect failure instead of the process refusing to
	// start after check passed.
	initErr error

	// slots holds one token per request in flight, so a request can wait
	// for one up to connection_acquire_timeout.
	slots chan struct{}
	open  atomic.Int64 // connections open (dialed, not yet closed)
	// suspect: a connection's path was found dead and no connect has
	// succeeded since (http_conn.go).
	suspect atomic.Bool
	// large counts the next connections that lease the large read
	// buffer: the member's responses outgrew the small one lately
	// (http_conn.go, readerFor).
	large atomic.Int32

	mu     sync.Mutex
	idle   []*hconn            // kept-alive connections, newest last
	relays map[*relay]struct{} // upgraded connections in flight; nil once closed
}

// newTransport builds the member's transport from its attributes.
func newTransport(m *Member, addr string) transport {
	if m.spec.HTTP != nil {
		return newHTTPTransport(m, addr)
	}
	return newAJPTransport(m, addr)
}

func newHTTPTransport(m *Member, addr string) *httpTransport {
	a := m.spec
	t := &httpTransport{
		m: m, h: a.HTTP,
		slots:  make(chan struct{}, max(a.ConnectionPoolSize, 0)),
		relays: make(map[*relay]struct{}),
		local:  sourceAddr(a.Source),
	}
	t.to.Store(newHTTPDest(a.HTTP.Scheme, a.Host, a.Port, addr))
	if a.HTTP.Scheme == config.SchemeHTTPS {
		t.tlsConf, t.initErr = tlsConfig(a)
		if t.initErr != nil {
			m.log.Error("http member TLS settings do not load; every request to it fails", "err", t.initErr)
		}
	}
	return t
}

// httpDest is the member's address: what it dials and the URL its
// requests are made for.
type httpDest struct {
	host string
	port int
	addr string // resolved ip:port to dial
	base string // scheme://host:port
}

func newHTTPDest(scheme, host string, port int, addr string) *httpDest {
	return &httpDest{host: host, port: port, addr: addr, base: scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))}
}

// setAddress points new requests at host:port (resolved to addr); idle
// connections to the old address are closed, busy ones finish their
// request first.
func (t *httpTransport) setAddress(host string, port int, addr string) {
	t.to.Store(newHTTPDest(t.h.Scheme, host, port, addr))
	t.closeIdle(0)
}

func (t *httpTransport) dest() string {
	d := t.to.Load()
	return net.JoinHostPort(d.host, strconv.Itoa(d.port))
}

// tlsConfig is the client TLS configuration towards the member.
func tlsConfig(a *config.Member) (*tls.Config, error) {
	h := a.HTTP
	c := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         h.TLSServerName,
		InsecureSkipVerify: !h.TLSVerify,
	}
	if c.ServerName == "" {
		c.ServerName = a.Host
	}
	if h.TLSCAFile != "" {
		pool, err := config.LoadCAPool(h.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_ca_file: %w", err)
		}
		c.RootCAs = pool
	}
	if h.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(h.TLSCertFile, h.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_cert_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// sourceAddr resolves the source attribute once; like mod_jk, a source
// that does not resolve is ignored.
func sourceAddr(source string) net.Addr {
	if source == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(source); err != nil {
		source = net.JoinHostPort(source, "0")
	}
	a, err := net.ResolveTCPAddr("tcp", source)
	if err != nil {
		return nil
	}
	return a
}

// dialError marks a failure to connect (or to complete the TLS
// handshake): the member is unreachable and nothing was sent.
type dialError struct{ err error }

func (e *dialError) Error() string { return "connect: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// connect opens a connection to the member's resolved address addr and,
// for https, completes the TLS handshake; each step within
// socket_connect_timeout.
func (t *httpTransport) connect(ctx context.Context, addr string) (*countedConn, error) {
	if t.initErr != nil {
		return nil, &dialError{t.initErr}
	}
	a := t.m.spec
	timeout := t.connectTimeout()
	d := net.Dialer{
		Timeout:         timeout,
		LocalAddr:       t.local,
		KeepAlive:       -1,
		KeepAliveConfig: ajp.KeepAliveConfig(a.SocketKeepalive, a.KeepaliveIdleDuration()),
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &dialError{err}
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if a.SocketBuffer > 0 {
			tc.SetReadBuffer(a.SocketBuffer)
			tc.SetWriteBuffer(a.SocketBuffer)
		}
	}
	if t.tlsConf == nil {
		t.suspect.Store(false)
		return t.count(nc), nil
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	conf := t.tlsConf
	if host := t.to.Load().host; t.h.TLSServerName == "" && host != conf.ServerName {
		// The host was changed by a status edit: verify the new name.
		conf = conf.Clone()
		conf.ServerName = host
	}
	tc := tls.Client(nc, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, &dialError{fmt.Errorf("tls handshake: %w", err)}
	}
	t.suspect.Store(false)
	return t.count(tc), nil
}

// acquire takes a connection slot, waiting up to
// connection_acquire_timeout (mod_jk: get_endpoint); release gives it
// back.
func (t *httpTransport) acquire(ctx context.Context) *Error {
	select {
	case t.slots <- struct{}{}:
		return nil
	default:
	}
	wait := t.m.spec.ConnectionAcquireTimeoutDuration()
	noSlot := &Error{Member: t.m.name, Class: ClassNoEndpoint, Recoverable: true,
		Err: fmt.Errorf("no free connection within connection_acquire_timeout (%v, connection_pool_size %d)", wait, cap(t.slots))}
	if wait <= 0 {
		return noSlot
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case t.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return noSlot
	case <-ctx.Done():
		return &Error{Member: t.m.name, Class: ClassClient, Err: ctx.Err()}
	}
}

// release gives back the slot acquire took.
func (t *httpTransport) release() { <-t.slots }

func (t *httpTransport) free() bool { return len(t.slots) < cap(t.slots) }

// maintain closes the connections idle longer than
// connection_pool_timeout.
func (t *httpTransport) maintain() {
	if d := t.m.spec.ConnectionPoolTimeoutDuration(); d > 0 {
		t.closeIdle(d)
	}
}

func (t *httpTransport) stats() ConnStats {
	open, busy := int(t.open.Load()), len(t.slots)
	return ConnStats{Open: open, Idle: max(open-busy, 0), InUse: min(busy, open), MaxOpen: cap(t.slots)}
}

// close drops the idle connections and ends the upgraded ones; requests
// in flight finish, and their connections are closed as they come back.
func (t *httpTransport) close() {
	t.mu.Lock()
	relays := t.relays
	t.relays = nil
	t.mu.Unlock()
	for r := range relays {
		r.close()
	}
	t.closeIdle(0)
}

// countedConn counts one member connection's bytes (Outcome, the Wr/Rd
// counters, and whether a failed attempt wrote anything) and applies
// socket_timeout to every read and write, and reply_timeout, when it is
// shorter, to every read (mod_jk: the wait for each packet).
type countedConn struct {
	net.Conn
	t       *httpTransport
	timeout time.Duration
	replyTO time.Duration // set per request by its goroutine
	rdl     bool          // a read deadline is set (only the owner touches it)
	// rdlKept: the deadline set is the path check's (rdlAt) and stays
	// after the response head for the next request's wait to keep
	// (armFirstRead); any other read lifts it first (liftKept).
	rdlKept  bool
	rdlAt    time.Time
	read     atomic.Int64
	written  atomic.Int64
	noExpire atomic.Bool // upgraded: idle periods are the protocol's business
	once     sync.Once
	// The dead-path check of the next read (http_conn.go), armed by
	// the request's goroutine for the wait for the response head.
	pathEvery time.Duration
	pathAbort bool
	pathLate  func(waited time.Duration) bool // Member.late
	// restEvery checks the reads after the first as well while answer,
	// the responder (nil until it has the head), has committed nothing
	// (readRestChecked); 0: they are not, the rules keep the answer.
	restEvery time.Duration
	answer    *responder
	raw       syscall.RawConn // the TCP socket's, once asked for (rawConn)
	// The request's first write and the wait for the response
	// (http_conn.go, docs/performance.md#send-and-wait), set by the
	// request's goroutine: check makes the first write look at a pooled
	// socket first, fuse makes the request's only write wait for the
	// response; armed says the first read's deadline is already set.
	sender    *sendwait.Sender // nil over TLS: no look, no wait
	check     bool
	fuse      bool
	armed     bool
	armedAt   time.Time
	armedLast bool
}

// rawConn returns the raw plain-TCP socket for splice, nil over TLS.
func (c *countedConn) rawConn() syscall.RawConn {
	if c.raw == nil {
		if tc, ok := c.Conn.(*net.TCPConn); ok {
			c.raw, _ = tc.SyscallConn()
		}
	}
	return c.raw
}

func (t *httpTransport) count(nc net.Conn) *countedConn {
	t.open.Add(1)
	c := &countedConn{Conn: nc, t: t, timeout: t.m.spec.SocketTimeoutDuration()}
	c.sender = sendwait.New(c.rawConn())
	return c
}

func (c *countedConn) Read(p []byte) (int, error) {
	if c.pathEvery > 0 {
		return c.readChecked(p)
	}
	if c.restEvery > 0 && !c.committed() {
		return c.readRestChecked(p)
	}
	if !c.armed {
		c.armRead()
	}
	c.armed = false
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// armReadAt is armRead for splice.Copy.
func (c *countedConn) armReadAt(int64) { c.armRead() }

// armWrite bounds the next wait to send by socket_timeout, as Write does.
func (c *countedConn) armWrite() {
	if c.timeout > 0 && !c.noExpire.Load() {
		c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	}
}

// armRead bounds the next wait for the member by socket_timeout, or
// reply_timeout when it is shorter.
func (c *countedConn) armRead() {
	if d := shorterPositive(c.timeout, c.replyTO); d > 0 && !c.noExpire.Load() {
		c.Conn.SetReadDeadline(time.Now().Add(d))
		c.rdl, c.rdlKept, c.rdlAt = true, false, time.Time{}
		return
	}
	c.liftKept()
}

// liftKept lifts a path-check deadline left in place for the next
// request (rdlKept) before a read that must not be bounded by it: a
// body's, or a look at a pooled socket.
func (c *countedConn) liftKept() {
	if c.rdlKept {
		c.clearReadDeadline()
	}
}

// idle is the look at a pooled socket on its own, with no deadline left
// from the last request in its way.
func (c *countedConn) idle() bool {
	c.clearReadDeadline()
	return c.sender.Idle()
}

// clearReadDeadline drops a read deadline the last request left: it may
// have passed while the connection sat idle, and the runtime would then
// refuse the pooled-socket peek before it reaches the socket.
func (c *countedConn) clearReadDeadline() {
	if c.rdl {
		c.Conn.SetReadDeadline(time.Time{})
		c.rdl = false
	}
	c.rdlKept, c.rdlAt = false, time.Time{}
}

func (c *countedConn) Write(p []byte) (int, error) {
	if c.check || c.fuse {
		return c.writeFirst(p)
	}
	return c.write(p)
}

func (c *countedConn) write(p []byte) (int, error) {
	if c.timeout > 0 && !c.noExpire.Load() {
		c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	}
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.t.open.Add(-1) })
	return c.Conn.Close()
}

// shorterPositive returns the smaller positive duration, or 0 when neither
// is set.
func shorterPositive(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// pathState asks the kernel (or the test's Options.PathCheck) about the
// TCP connection under nc.
func (t *httpTransport) pathState(nc net.Conn) netpath.State {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	if f := t.m.opts.PathCheck; f != nil {
		return f(nc)
	}
	return netpath.Check(nc)
}

// pathDead: a firewall that forgot one connection forgot them all, and a
// dead path kills them all.
func (t *httpTransport) pathDead() {
	t.suspect.Store(true)
	t.closeIdle(0)
	t.m.notePathDead()
}
