package worker

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/internal/sendwait"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// hconn is one HTTP/1.1 connection to a member. The request's own
// goroutine writes the request and reads the response on it, as the AJP
// path does: net/http's Transport hands every request to two goroutines
// of its own (writeLoop and readLoop), and under wrk that hand-off was
// the largest cost after the syscalls themselves.
type hconn struct {
	cc *countedConn
	// br and bw are leased while the connection carries a request and nil
	// while it sits in the pool (lease, release).
	br      *bufio.Reader
	bw      *bufio.Writer
	readers *sync.Pool // br's
	addr    string     // the address dialed: a status edit may move the member
	since   time.Time  // when it was last put back
	reused  bool       // it carried a request before this one
	// resp is the response being read, kept with its header map for the
	// next one (memberResponse.read).
	resp memberResponse
}

// Buffer sizes of a member connection (docs/performance.md#memory). The
// read buffer holds the response head and what came with it: 8 KiB, the
// longest header line httpd's mod_proxy_http takes (ResponseFieldSize),
// so that 256 busy connections hold 2 MiB, not the 8 of 32 KiB buffers.
// A body beyond it is read straight into the 32 KiB copy buffer, a head
// line beyond it into a reader grown to memberLineMax (readLine). But a
// body of 16 KiB would then take two reads and two writes where one did:
// once a response outgrew the small buffer, the member's next
// largeLeases connections read into memberLargeBuf (readerFor).
// Requests are mostly a head.
const (
	memberReadBuf  = 8 << 10
	memberLargeBuf = 32 << 10
	memberLineMax  = 32 << 10
	memberWriteBuf = 8 << 10
	largeLeases    = 64
)

// getConn returns an idle connection that is still open, newest first, or
// dials a new one. The caller holds a slot (acquire).
func (t *httpTransport) getConn(ctx context.Context) (*hconn, error) {
	idleFor := t.m.spec.ConnectionPoolTimeoutDuration()
	for {
		t.mu.Lock()
		n := len(t.idle)
		if n == 0 {
			t.mu.Unlock()
			break
		}
		c := t.idle[n-1]
		t.idle[n-1] = nil
		t.idle = t.idle[:n-1]
		t.mu.Unlock()
		if t.tooIdle(c, idleFor) {
			c.cc.Close()
			continue
		}
		c.lookOnUse()
		c.reused = true
		c.lease(t.readerFor())
		return c, nil
	}
	return t.dialConn(ctx)
}

// tooIdle reports whether c sat idle longer than connection_pool_timeout
// or, by jkbalancer's default, longer than a firewall may be trusted to
// keep it (docs/config.md#safe-defaults): such a connection is replaced by
// a fresh one before any request is written on it.
func (t *httpTransport) tooIdle(c *hconn, idleFor time.Duration) bool {
	if idleFor <= 0 && t.m.spec.IdlePingAfter <= 0 {
		return false
	}
	d := time.Since(c.since)
	return (idleFor > 0 && d > idleFor) || (t.m.spec.IdlePingAfter > 0 && d > t.m.spec.IdlePingAfterDuration())
}

// lookOnUse leaves the pooled-socket check (the peer has not closed and
// sent nothing) to the request's first write, which makes it together
// with the wait for the response when the request goes out in one write
// (countedConn.writeFirst); a stale one is given up there for another
// (attempt). Bytes already buffered cannot be left: putConn
// closes a connection whose buffers are not empty. Over TLS no look can
// be made (no raw socket, sendwait.Sender nil): a stale connection shows
// at its first use. An upgraded connection, whose deadlines are the
// protocol's (noExpire), never comes back to the pool.
func (c *hconn) lookOnUse() {
	if c.cc.sender == nil {
		c.cc.clearReadDeadline()
		return
	}
	c.cc.check = true // writeFirst settles the read deadline before its look
}

func (t *httpTransport) dialConn(ctx context.Context) (*hconn, error) {
	d := t.to.Load()
	cc, err := t.connect(ctx, d.addr)
	if err != nil {
		return nil, err
	}
	c := &hconn{cc: cc, addr: d.addr}
	c.lease(t.readerFor())
	return c, nil
}

// putConn keeps c for the next request when it may carry one, and closes
// it otherwise.
func (t *httpTransport) putConn(c *hconn, reusable bool) {
	c.cc.replyTO = 0
	c.cc.pathEvery, c.cc.restEvery, c.cc.answer = 0, 0, nil
	if !reusable || t.m.opts.DisableReuse || c.addr != t.to.Load().addr {
		c.cc.Close()
		return
	}
	c.since = time.Now()
	if !c.release() {
		c.cc.Close() // bytes nobody asked for: the next response would be wrong
		return
	}
	t.mu.Lock()
	if t.relays == nil || len(t.idle) >= cap(t.slots) { // closed, or over the pool size
		t.mu.Unlock()
		c.cc.Close()
		return
	}
	t.idle = append(t.idle, c)
	t.mu.Unlock()
}

// closeIdle closes the idle connections older than maxIdle, or all of
// them when maxIdle is 0.
func (t *httpTransport) closeIdle(maxIdle time.Duration) {
	t.mu.Lock()
	keep := t.idle[:0]
	var drop []*hconn
	for _, c := range t.idle {
		if maxIdle > 0 && time.Since(c.since) <= maxIdle {
			keep = append(keep, c)
			continue
		}
		drop = append(drop, c)
	}
	clear(t.idle[len(keep):])
	t.idle = keep
	t.mu.Unlock()
	for _, c := range drop {
		c.cc.Close()
	}
}

// Idle member connections hold no buffers: pools are sized for the peak
// (connection_pool_size per member), and 40 KiB each for every idle
// connection was most of the heap after a load run (ajp/buffers.go has
// the same for AJP connections).
var (
	memberReaders      = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, memberReadBuf) }}
	memberLargeReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, memberLargeBuf) }}
	memberWriters      = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, memberWriteBuf) }}
)

// readerFor is the pool of the read buffer the next connection leases:
// the large one while the member's responses outgrow the small one
// (outgrown), else the small one.
func (t *httpTransport) readerFor() *sync.Pool {
	for {
		n := t.large.Load()
		if n <= 0 {
			return &memberReaders
		}
		if t.large.CompareAndSwap(n, n-1) {
			return &memberLargeReaders
		}
	}
}

// outgrown notes a response whose head or body outgrew what one read
// brought.
func (t *httpTransport) outgrown() { t.large.Store(largeLeases) }

// lease gives c its buffers for a request, the read buffer from readers.
func (c *hconn) lease(readers *sync.Pool) {
	if c.br == nil {
		c.readers = readers
		c.br = readers.Get().(*bufio.Reader)
		c.bw = memberWriters.Get().(*bufio.Writer)
		c.br.Reset(c.cc)
		c.bw.Reset(c.cc)
	}
}

// grown reports a read buffer readLine grew for a long line.
func (c *hconn) grown() bool {
	want := memberReadBuf
	if c.readers == &memberLargeReaders {
		want = memberLargeBuf
	}
	return c.br.Size() != want
}

// release gives the buffers back when c goes idle. It reports false when
// something was left unread, and then keeps them.
func (c *hconn) release() bool {
	if c.br == nil {
		return true
	}
	if c.br.Buffered() > 0 || c.bw.Buffered() > 0 || c.grown() {
		return false // grown for a long line, its first buffer may hold bytes too
	}
	c.br.Reset(nil)
	c.bw.Reset(nil)
	// Nothing of the last response is held while idle, nor a header map
	// grown large: a map does not shrink when cleared.
	h := c.resp.header
	if len(h) > maxKeptFields {
		h = nil
	}
	clear(h)
	c.resp = memberResponse{header: h}
	c.readers.Put(c.br)
	memberWriters.Put(c.bw)
	c.br, c.bw = nil, nil
	return true
}

// The dead-path check of http members, as for AJP members (ajp's
// pathcheck.go, docs/config.md#safe-defaults): while the response head is
// late, the kernel is asked every path_check_interval whether the member's
// kernel acknowledged the request. A dead path closes the idle
// connections and bounds the next connects by ajp.SuspectConnectTimeout
// until one succeeds; the wait ends only for a request the rules would
// send again.

const (
	httpPathRecheck   = 100 * time.Millisecond // while bytes are outstanding, not yet proven lost
	maxHTTPPathChecks = 1000                   // then the wait goes on unchecked, as mod_jk's
)

// armPath makes the connection's next read, the wait for the response
// head, check the path every every; mayAbort says whether a dead path may
// end it. The reads after it are checked too while they may be cut
// (readRestChecked). putConn disarms both.
func (c *countedConn) armPath(every time.Duration, mayAbort bool, late func(time.Duration) bool) {
	c.pathEvery, c.pathAbort, c.pathLate, c.restEvery = every, mayAbort, late, 0
	if mayAbort {
		c.restEvery = every
	}
}

// readChecked is Read for the armed read: it returns every check interval
// to ask the kernel, within the read's own timeout. Its first wait may
// have been made by writeFirst, with the deadline set here otherwise.
func (c *countedConn) readChecked(p []byte) (int, error) {
	every, start, armed := c.pathEvery, c.armedAt, c.armed
	if !armed {
		start = time.Now()
	}
	c.pathEvery, c.armed = 0, false
	return c.checkedRead(p, every, start, armed, c.pathAbort)
}

// readRestChecked is Read for a read after the first while nothing of the
// answer reached the client (answer, the responder, not committed) and
// the rules allow a resend (restEvery): checked as the first, and cut on
// a dead path or once Member.Late finds the wait late, so that the rest
// of a head, or a body kept back, whose segment the network keeps losing
// is sent again instead of waiting for the member's retransmissions
// (docs/config.md#lossy-members). Its first wait keeps the deadline the
// last checked wait left when that comes within the check interval: no
// more deadline changes than the unchecked read, which lifted it.
func (c *countedConn) readRestChecked(p []byte) (int, error) {
	now := time.Now()
	wait, last := ajp.PathWait(shorterPositive(c.timeout, c.replyTO), c.restEvery, now)
	kept := c.rdl && !last && c.rdlAt.After(now) && !c.rdlAt.After(now.Add(wait))
	c.armedLast = false
	return c.checkedRead(p, c.restEvery, now, kept, true)
}

// committed reports whether the client may have seen a byte of the
// answer; before the responder has it, nothing reached the client.
func (c *countedConn) committed() bool { return c.answer != nil && c.answer.committed }

// checkedRead waits for p in checks of every since start; armed: the
// first wait's deadline is set already. abort says whether a dead path
// or a late wait may end it.
func (c *countedConn) checkedRead(p []byte, every time.Duration, start time.Time, armed, abort bool) (int, error) {
	d := shorterPositive(c.timeout, c.replyTO)
	for range maxHTTPPathChecks {
		var last bool
		if armed {
			last, armed = c.armedLast, false
		} else {
			var wait time.Duration
			wait, last = ajp.PathWait(d, every, start)
			c.setCheckDeadline(time.Now().Add(wait), last)
		}
		n, err := c.Conn.Read(p)
		c.read.Add(int64(n))
		if n > 0 || last || !errors.Is(err, os.ErrDeadlineExceeded) {
			// The body's reads have no deadline: the path check's stays
			// for the next request to keep, lifted before any other read.
			c.rdlKept = d <= 0 && c.rdl && !c.rdlAt.IsZero()
			return n, err
		}
		switch c.t.pathState(c.Conn) {
		case netpath.Dead:
			c.t.pathDead()
			if abort {
				return 0, ajp.ErrPathDead
			}
			return c.readRest(p, d, start)
		case netpath.Losing:
			c.t.m.notePathLoss()
			every = min(every, httpPathRecheck)
		case netpath.Unacked:
			every = min(every, httpPathRecheck)
		}
		if abort && c.pathLate != nil && c.pathLate(time.Since(start)) {
			return 0, ajp.ErrPathLate
		}
	}
	return c.readRest(p, d, start)
}

// writeFirst is the first write of a request on a pooled connection
// (check), or the request's only write (fuse), or both. A fused write is
// sendwait.Send: the look at the pooled socket, the write and the wait for
// the response in one step, so the first read finds the response
// (docs/performance.md#send-and-wait). It is fused only when nothing of the
// request went out before: a member cannot answer what it has not
// received, so nothing the wait should see can have come earlier. The
// wait is the first read's, with its deadline (armFirstRead).
func (c *countedConn) writeFirst(p []byte) (int, error) {
	check, fuse := c.check, c.fuse
	c.check, c.fuse = false, false
	if fuse && c.sender != nil && !c.noExpire.Load() {
		c.armFirstRead()
		var n int
		var err error
		if check {
			n, err = c.sender.SendPooled(p)
		} else {
			n, err = c.sender.Send(p)
		}
		c.written.Add(int64(n))
		if err == nil {
			return n, nil
		}
		c.armed = false // no wait was made: the first read arms its own
		switch err {
		case sendwait.ErrNotIdle:
			return 0, ajp.ErrNotIdle
		case sendwait.ErrNotSent, sendwait.ErrWouldBlock:
			m, err := c.write(p[n:])
			return n + m, err
		}
		return n, &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	if check && !c.idle() {
		return 0, ajp.ErrNotIdle
	}
	return c.write(p)
}

// armFirstRead sets the deadline of the response's first read, as Read or
// readChecked would set it, for the wait writeFirst makes before it.
func (c *countedConn) armFirstRead() {
	d := shorterPositive(c.timeout, c.replyTO)
	switch {
	case c.pathEvery > 0:
		c.armedAt = time.Now()
		var wait time.Duration
		wait, c.armedLast = ajp.PathWait(d, c.pathEvery, c.armedAt)
		if c.keepCheck(wait) {
			break
		}
		c.setCheckDeadline(c.armedAt.Add(wait), c.armedLast)
	case d > 0:
		c.armRead()
	default:
		c.clearReadDeadline()
	}
	c.armed = true
}

// setCheckDeadline sets the deadline of a checked wait, at: one the next
// request may keep (rdlAt), unless the wait is the last, which ends in a
// timeout kept by no one.
func (c *countedConn) setCheckDeadline(at time.Time, last bool) {
	c.Conn.SetReadDeadline(at)
	c.rdl, c.rdlKept, c.rdlAt = true, false, at
	if last {
		c.rdlAt = time.Time{}
	}
}

// keepCheck reports whether the path-check deadline the last response
// left (rdlKept) can serve as this wait's, so that a busy connection does
// not change its runtime timer twice per request
// (docs/performance.md#per-request-work-in-go). It can while it comes no
// sooner than an eighth of the wait early: the first check then runs a
// little early, which costs one look at the kernel. A wait that ends in
// a timeout (armedLast) is never shortened.
func (c *countedConn) keepCheck(wait time.Duration) bool {
	kept := c.rdlKept && !c.armedLast
	if left := c.rdlAt.Sub(c.armedAt); left < wait-wait/8 || left > wait {
		kept = false
	}
	c.rdlKept = false // kept, or replaced by the caller
	return kept
}

// readRest waits unchecked for what is left of the timeout d (0 = none).
func (c *countedConn) readRest(p []byte, d time.Duration, start time.Time) (int, error) {
	dl := time.Time{}
	if d > 0 {
		dl = start.Add(d)
	}
	c.Conn.SetReadDeadline(dl)
	c.rdl, c.rdlKept, c.rdlAt = d > 0, false, time.Time{}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// connectTimeout is socket_connect_timeout, or at most
// ajp.SuspectConnectTimeout while the path is suspect.
func (t *httpTransport) connectTimeout() time.Duration {
	return ajp.SuspectBound(t.m.spec.SocketConnectTimeoutDuration(), t.suspect.Load())
}
