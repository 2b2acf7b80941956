package ajp

import (
	"errors"
	"net"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/sendwait"
)

// ErrNotIdle: the pooled connection was closed by the member, or holds
// bytes nobody asked for; nothing was written, so the request can go to
// another connection.
var ErrNotIdle = errors.New("pooled connection closed by the member or holding unread bytes")

// deferCheck leaves the pooled-socket look to the next send, which makes
// it together with the write and the wait for the reply; false when it
// cannot (no raw socket) or the connection is already known stale.
func (c *Conn) deferCheck() bool {
	if c.sw == nil || c.closed || c.unread() > 0 {
		return false
	}
	c.check = true
	return true
}

// sendFirst writes the FORWARD_REQUEST (with the first body packet): on a
// plain TCP socket inside the wait for the reply (sendwait.Send), so the
// first read finds the reply instead of nothing
// (docs/performance.md#send-and-wait). The request is one write that no
// earlier write of this exchange preceded, so nothing the wait must see
// can have come before it; the look at the socket made first is the
// pooled connection's liveness check (mod_jk's jk_is_socket_connected)
// when Get left it (check). A stale connection is KindIO with nothing
// written, which the caller treats as a stale pooled connection.
func (c *Conn) sendFirst(x *exchange, b []byte) (int, Kind, error) {
	check := c.check
	c.check = false
	if c.sw == nil {
		return c.write(b, 0)
	}
	c.armFirst(x) // Send's write never blocks: no write deadline to set
	var n int
	var err error
	if check {
		n, err = c.sw.SendPooled(b)
	} else {
		n, err = c.sw.Send(b)
	}
	if err == nil {
		return n, 0, nil
	}
	c.armed = false // no wait was made: the first read arms its own
	switch err {
	case sendwait.ErrNotIdle:
		return 0, KindIO, ErrNotIdle
	case sendwait.ErrNotSent, sendwait.ErrWouldBlock:
		m, k, err := c.write(b[n:], 0)
		return n + m, k, err
	}
	return n, KindIO, &net.OpError{Op: "write", Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: err}
}

// armFirst sets the deadline of the reply's first packet as receive's
// first read would (readChecked, readPacket), for the wait before it.
func (c *Conn) armFirst(x *exchange) {
	if c.pathEvery > 0 && c.pathCheck != nil {
		c.armedAt = time.Now()
		var wait time.Duration
		wait, c.armedLast = PathWait(x.readTO, c.pathEvery, c.armedAt)
		c.nc.SetReadDeadline(c.armedAt.Add(wait))
		c.rdl = true
	} else {
		c.setReadDeadline(x.readTO)
	}
	c.armed = true
}
