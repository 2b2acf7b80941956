package ajp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/sendwait"
)

// Conn is one backend connection. It carries one exchange at a time (AJP
// never multiplexes, docs/ajp13.md#framing) and is not safe for concurrent use; the
// pool hands it to one goroutine at a time. Its buffers are allocated once:
// a read buffer that holds any packet the 16-bit length allows, a write
// buffer of two packets (the forward request and the first body packet go
// out in one Write), and the header slice SEND_HEADERS decodes into.
type Conn struct {
	nc net.Conn
	// The read buffer (br), the write buffer (wbuf) and the hold buffer
	// (held): leased from bufs for an exchange or a ping, nil in between
	// (buffers.go).
	*bufferSet
	bufs  *sync.Pool
	hdrs  []Header // reused by every SEND_HEADERS
	psize int      // max_packet_size: what we send and what we accept

	socketTimeout time.Duration // per send/recv deadline, 0 = none
	rdl, wdl      bool          // a read/write deadline is set on nc
	pending       int           // bytes of the last packet still in br

	reused   bool
	closed   bool
	lastRead int // size of the last packet read, header included
	// pinged counts the CPing/CPong bytes exchanged since the pool last
	// handed the connection out; the next Exchange reports them, because
	// mod_jk counts them into the request's traffic (lb method Traffic).
	pingSent, pingRecv int64
	x                  exchange // state of the current exchange, kept here to avoid allocating it

	// The request's write with the wait for the reply (sendfirst.go,
	// docs/performance.md#send-and-wait): the look at a pooled socket
	// left to it (check), and the first reply packet's deadline it set
	// (armed).
	sw        *sendwait.Sender
	check     bool
	armed     bool
	armedLast bool
	armedAt   time.Time

	// The path check of the first reply packet (pathcheck.go), set by the
	// pool: how often, and the kernel's answer.
	pathEvery time.Duration
	pathCheck PathCheckFunc

	// Pool bookkeeping, guarded by the pool's mutex.
	pool     *Pool
	gen      uint64 // pool address generation this conn was dialed for
	out      bool   // handed out by Get, not yet Put
	lastUsed time.Time
	lastPing time.Time
}

// NewConn wraps an established connection to an AJP container.
// maxPacketSize is the worker's max_packet_size (0 = default) and limits
// what is sent and what is accepted from the backend. The pool
// calls it for every dial; tests use it with in-memory connections.
func NewConn(nc net.Conn, maxPacketSize int) *Conn {
	p := normPacketSize(maxPacketSize)
	c := &Conn{
		nc:    nc,
		bufs:  bufferPool(p),
		hdrs:  make([]Header, 0, 16),
		psize: p,
	}
	c.sw = sendwait.New(rawConn(nc))
	return c
}

// Reused reports whether the connection came from the pool rather than a
// fresh dial: a failure on it may be a keep-alive race (docs/ajp13.md#connection-lifecycle).
func (c *Conn) Reused() bool { return c.reused }

// Close closes the connection. The pool sets SO_LINGER 0 on its sockets,
// so this sends a reset like mod_jk and Tomcat notices an abort at once.
// It may be called more than once.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.nc.Close()
}

// Alive reports, without blocking, whether the connection can carry a
// request: the peer has not closed it and nothing unexpected is waiting
// to be read (docs/ajp13.md#connection-lifecycle). A write to a socket the peer closed succeeds
// once, so only a look at the receive side tells.
func (c *Conn) Alive() bool {
	if c.closed || c.unread() > 0 {
		return false
	}
	// A read deadline left by the last exchange may have passed while the
	// connection sat in the pool; the runtime would then refuse the peek
	// before it reaches the socket.
	c.setReadDeadline(0)
	return c.sw.Idle()
}

// Ping sends a CPing and waits up to timeout (0: SocketTimeout, or no
// limit) for the CPong (docs/ajp13.md#connection-lifecycle). Anything but a CPong closes the
// connection: unlike mod_jk, no stale packet is tolerated, because this
// client never leaves one behind. Errors are *Error with StagePing.
func (c *Conn) Ping(timeout time.Duration) error {
	if c.closed {
		return &Error{Stage: StagePing, Kind: KindIO, Reused: c.reused, Err: net.ErrClosed}
	}
	if timeout <= 0 {
		timeout = c.socketTimeout
	}
	c.lease()
	defer c.release()
	if _, k, err := c.write(appendCPing(c.wbuf[:0]), timeout); err != nil {
		return c.pingFail(k, err)
	}
	p, k, err := c.readPacket(timeout)
	if err != nil {
		return c.pingFail(k, err)
	}
	if len(p) != 1 || msgType(p[0]) != typeCPong {
		return c.pingFail(KindInvalid, errors.New("reply to CPing is not CPong"))
	}
	c.pingSent += cpingLen
	c.pingRecv += cpingLen
	return nil
}

func (c *Conn) pingFail(k Kind, err error) error {
	c.Close()
	return &Error{Stage: StagePing, Kind: k, Reused: c.reused, Err: err}
}

// setReadDeadline arms a read deadline d from now, or clears one left by
// an earlier exchange or ping when d is 0. Deadlines are only touched when
// needed: with both timeouts off, the hot path makes no timer calls.
func (c *Conn) setReadDeadline(d time.Duration) {
	switch {
	case d > 0:
		c.nc.SetReadDeadline(time.Now().Add(d))
		c.rdl = true
	case c.rdl:
		c.nc.SetReadDeadline(time.Time{})
		c.rdl = false
	}
}

func (c *Conn) setWriteDeadline(d time.Duration) {
	switch {
	case d > 0:
		c.nc.SetWriteDeadline(time.Now().Add(d))
		c.wdl = true
	case c.wdl:
		c.nc.SetWriteDeadline(time.Time{})
		c.wdl = false
	}
}

// write sends b with the socket timeout as deadline (d overrides it when
// set, for pings).
func (c *Conn) write(b []byte, d time.Duration) (int, Kind, error) {
	if d <= 0 {
		d = c.socketTimeout
	}
	c.setWriteDeadline(d)
	n, err := c.nc.Write(b)
	if err != nil {
		return n, ioKind(err), err
	}
	return n, 0, nil
}

// discard drops the last packet read from the buffer. Packets are read in
// place (zero copy), so this waits until the caller is done with it.
func (c *Conn) discard() {
	if c.pending > 0 {
		c.br.Discard(c.pending)
		c.pending = 0
	}
}

// readPacket returns the payload of the next packet from the backend. The
// slice aliases the read buffer and is valid until the next read. d is the
// deadline for this one packet (0 = none); it is only armed when the packet
// is not already buffered, since then no syscall can block.
func (c *Conn) readPacket(d time.Duration) ([]byte, Kind, error) {
	c.discard()
	c.lastRead = 0
	armed, pre := false, c.armed
	c.armed = false
	if c.br.Buffered() < headerLen {
		if !pre {
			c.setReadDeadline(d) // else sendFirst set it for its wait
		}
		armed = true
	}
	h, err := c.br.Peek(headerLen)
	if err != nil {
		return nil, ioKind(err), err
	}
	if h[0] != magicFromBackend0 || h[1] != magicFromBackend1 {
		return nil, KindProtocol, errBadMagic
	}
	n := headerLen + (int(h[2])<<8 | int(h[3]))
	if !armed && c.br.Buffered() < n {
		c.setReadDeadline(d)
	}
	if n == headerLen {
		c.pending, c.lastRead = n, n
		return nil, KindProtocol, errEmpty
	}
	if n-headerLen > c.psize {
		// mod_jk (ajp_connection_tcp_get_message) reads into a buffer of
		// max_packet_size and refuses a longer message: "wrong message
		// size", a protocol error, 502. A Tomcat whose packetSize is
		// larger than the worker's max_packet_size fails the same way
		// here; the two must match, as mod_jk's documentation says.
		return nil, KindProtocol, fmt.Errorf("%w: %d bytes, max_packet_size %d", errTooLong, n-headerLen, c.psize)
	}
	p, err := c.br.Peek(n)
	if err != nil {
		return nil, ioKind(err), err
	}
	c.pending, c.lastRead = n, n
	return p[headerLen:], 0, nil
}

// bufferedNext returns the type of the next packet when all of it is
// already in the read buffer, so that reading it cannot wait for the
// backend, and 0 otherwise.
func (c *Conn) bufferedNext() msgType {
	avail := c.br.Buffered() - c.pending
	if avail < headerLen+1 {
		return 0
	}
	h, err := c.br.Peek(c.pending + headerLen + 1)
	if err != nil {
		return 0
	}
	h = h[c.pending:]
	if avail < headerLen+(int(h[2])<<8|int(h[3])) {
		return 0
	}
	return msgType(h[headerLen])
}

// ioKind classifies a socket error: a passed deadline is a timeout,
// everything else (EOF, reset, closed) is I/O.
func ioKind(err error) Kind {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return KindTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return KindTimeout
	}
	return KindIO
}

// errEOFBeforeEnd wraps io.EOF when the backend closed mid-exchange, so
// errors.Is(err, io.EOF) still holds.
var errEOFBeforeEnd = fmt.Errorf("backend closed the connection before END_RESPONSE: %w", io.EOF)

// rawConn returns the connection's syscall handle, or nil when it has
// none (in-memory connections in tests).
func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
