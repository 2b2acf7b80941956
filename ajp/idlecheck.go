package ajp

import "net"

// IdleCheck is mod_jk's check of a pooled socket (docs/ajp13.md#connection-lifecycle) for the pools
// of other protocols (HTTP members): whether an idle connection is still
// open and has nothing unread, in one non-blocking syscall. Where the
// platform has no such peek it reports true, and a stale connection shows
// at its first use instead.
type IdleCheck struct{ l liveness }

// Init binds the check to nc; it is done once per connection.
func (c *IdleCheck) Init(nc net.Conn) { c.l.init(nc) }

// Alive reports whether the idle connection can carry a request.
func (c *IdleCheck) Alive() bool { return c.l.peekAlive() }
