package ajp

import (
	"bufio"
	"sync"
)

// A pooled connection spends most of its life idle, and mod_jk-sized
// pools keep hundreds per member: after a 256-connection load run their
// read, write and hold buffers were 17 MiB of a 24 MiB heap. So a
// connection holds buffers only while it works. An exchange or a ping
// leases a set from a process-wide pool (one per packet size) and gives
// it back when it ends with nothing left unread; an idle connection costs
// its struct and nothing more.

// bufferSet is what one connection needs while it works.
type bufferSet struct {
	br   *bufio.Reader // 2 packets: a packet and the next one's head
	wbuf []byte        // 2 packets: FORWARD_REQUEST and the first body packet
	held []byte        // body held back for one larger client write; made on first use
	// While a large response is read (grow), br and held are large's,
	// and the set's own are kept here.
	large     *largeBufs
	small     *bufio.Reader
	smallHeld []byte
}

// largeRead is the read buffer of a large response (grow): a read
// syscall per 64 KiB, several packets of the default 8 KiB, and client
// writes as large (hold), instead of a read and a write per 16 KiB
// (docs/performance.md#large-bodies). Only a response past that many
// body bytes takes one, so that small responses keep their small buffers
// under high concurrency.
const largeRead = 64 << 10

// largeBufs are the read and hold buffers of a large response.
type largeBufs struct {
	br   *bufio.Reader
	held []byte
}

var largePool = sync.Pool{New: func() any {
	return &largeBufs{br: bufio.NewReaderSize(nil, largeRead), held: make([]byte, 0, largeRead)}
}}

// grow moves the rest of a large response onto largeRead buffers, at a
// packet boundary (nothing pending): what the set's reader still holds
// is read first, through it, then the socket, which its Read reads into
// the large buffer directly. Held body bytes move along.
func (c *Conn) grow() {
	if c.large != nil || c.br.Size() >= largeRead || c.pending > 0 {
		return
	}
	l := largePool.Get().(*largeBufs)
	l.br.Reset(c.br)
	held := c.held
	c.large, c.small, c.smallHeld = l, c.br, held[:0]
	c.br, c.held = l.br, append(l.held[:0], held...)
}

// shrink gives the large buffers back (their bytes are all consumed).
func (c *Conn) shrink() {
	if c.large == nil {
		return
	}
	c.large.br.Reset(nil)
	c.large.held = c.held[:0]
	largePool.Put(c.large)
	c.br, c.held = c.small, c.smallHeld
	c.large, c.small, c.smallHeld = nil, nil, nil
}

// buffered is what the read buffers hold: a grown reader's and the set's
// own beneath it.
func (c *Conn) buffered() int {
	n := c.br.Buffered()
	if c.small != nil {
		n += c.small.Buffered()
	}
	return n
}

// bufferPools maps a packet size to the *sync.Pool of its bufferSets.
var bufferPools sync.Map

func bufferPool(psize int) *sync.Pool {
	if p, ok := bufferPools.Load(psize); ok {
		return p.(*sync.Pool)
	}
	p, _ := bufferPools.LoadOrStore(psize, &sync.Pool{New: func() any {
		return &bufferSet{br: bufio.NewReaderSize(nil, 2*psize), wbuf: make([]byte, 2*psize)}
	}})
	return p.(*sync.Pool)
}

// lease gives c its buffers for an exchange or a ping.
func (c *Conn) lease() {
	if c.bufferSet == nil {
		c.bufferSet = c.bufs.Get().(*bufferSet)
		c.br.Reset(c.nc)
	}
}

// release gives the buffers back after an exchange or a ping, unless
// unread bytes are left in them: junk after a response, which the next
// Alive must see (the connection is not reused anyway). Held body bytes
// cannot be left: every way out of an exchange writes them.
func (c *Conn) release() {
	if c.bufferSet == nil {
		return
	}
	c.discard()
	if c.buffered() > 0 {
		return
	}
	c.shrink()
	c.br.Reset(nil) // no reference to the socket from the pool
	c.held = c.held[:0]
	c.bufs.Put(c.bufferSet)
	c.bufferSet = nil
}

// unread reports bytes received and not yet consumed.
func (c *Conn) unread() int {
	if c.bufferSet == nil {
		return 0
	}
	return c.buffered()
}
