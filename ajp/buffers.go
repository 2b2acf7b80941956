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
	if c.br.Buffered() > 0 {
		return
	}
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
	return c.br.Buffered()
}
