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
	if c.set != nil {
		return
	}
	s := c.bufs.Get().(*bufferSet)
	s.br.Reset(c.nc)
	c.set, c.br, c.wbuf, c.held = s, s.br, s.wbuf, s.held[:0]
}

// release gives the buffers back after an exchange or a ping, unless
// something is still in them: unread bytes (junk the next Alive must see,
// on a connection that is not reused anyway) or held body bytes.
func (c *Conn) release() {
	s := c.set
	if s == nil {
		return
	}
	c.discard()
	if c.br.Buffered() > 0 || len(c.held) > 0 {
		return
	}
	s.br.Reset(nil) // no reference to the socket from the pool
	s.held = c.held[:0]
	c.set, c.br, c.wbuf, c.held = nil, nil, nil, nil
	c.bufs.Put(s)
}

// unread reports bytes received and not yet consumed.
func (c *Conn) unread() int {
	if c.br == nil {
		return 0
	}
	return c.br.Buffered()
}
