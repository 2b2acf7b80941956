//go:build linux

package ajp

import (
	"net"
	"syscall"
)

// liveness checks a pooled socket the way mod_jk does (poll + recv with
// MSG_PEEK, docs/ajp13.md#connection-lifecycle), in one non-blocking syscall and with no allocation:
// the raw handle and the callback are made once per connection.
type liveness struct {
	rc    syscall.RawConn
	fn    func(fd uintptr) bool
	state int8 // result of the last peek: 1 alive, 0 dead
	buf   [1]byte
}

func (l *liveness) init(nc net.Conn) {
	if l.rc = rawConn(nc); l.rc != nil {
		l.fn = l.peek
	}
}

// alive peeks at the receive queue: EAGAIN means nothing is pending and
// the peer has not closed (alive); 0 bytes means EOF; any byte is junk
// that would desynchronize the next exchange. Connections without a
// socket (in-memory pipes in tests) are assumed alive.
func (l *liveness) alive(*Conn) bool { return l.peekAlive() }

func (l *liveness) peekAlive() bool {
	if l.rc == nil {
		return true
	}
	l.state = 0
	if err := l.rc.Read(l.fn); err != nil {
		return false
	}
	return l.state == 1
}

// peek runs inside RawConn.Read. It always returns true: returning false
// would make the runtime wait for readability, which is exactly the
// blocking the check must not do.
func (l *liveness) peek(fd uintptr) bool {
	for {
		n, _, err := syscall.Recvfrom(int(fd), l.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			l.state = 1
		case err == nil && n > 0:
			l.state = 0 // junk: unsolicited bytes from the backend
		default:
			l.state = 0 // EOF (n == 0) or a socket error
		}
		return true
	}
}
