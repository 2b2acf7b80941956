//go:build !linux

package ajp

import (
	"net"
	"time"
)

// liveness is the portable fallback for platforms without the MSG_PEEK
// check: a read with a deadline 1 ms ahead (docs/ajp13.md#connection-lifecycle notes that a deadline
// of "now" never touches the socket). It costs up to 1 ms per check.
type liveness struct{}

func (l *liveness) init(net.Conn) {}

// peekAlive has no peek to make: a stale connection shows at its first
// use instead.
func (l *liveness) peekAlive() bool { return true }

func (l *liveness) alive(c *Conn) bool {
	c.setReadDeadline(time.Millisecond)
	c.lease() // kept when the peek finds junk: Alive then says no
	defer c.release()
	_, err := c.br.Peek(1)
	if err == nil {
		return false // junk waiting
	}
	return ioKind(err) == KindTimeout
}
