// Package sendwait writes a request on a socket and waits for the answer
// in one step, and waits for a socket to become readable without a read
// buffer. Both run inside the runtime's wait for readability
// (syscall.RawConn.Read): the runtime forgets earlier readiness before
// the callback runs, so the callback first looks at the receive queue
// (recv with MSG_PEEK), and only then writes and waits; anything that
// arrives after that look wakes the wait. The look is the pooled
// connection's liveness check (docs/ajp13.md#connection-lifecycle), so a
// request costs a look, a write and a read that finds the answer, where
// a plain read after the write first finds nothing
// (docs/performance.md#send-and-wait).
package sendwait

import "errors"

var (
	// ErrNotSent: nothing was written (no raw socket, or the runtime
	// refused the wait: the socket is closed or its read deadline passed).
	// The caller writes as it would without this package.
	ErrNotSent = errors.New("sendwait: not sent")
	// ErrWouldBlock: the send buffer filled before all of it went out.
	// The caller writes the rest as usual (that waits for room, within the
	// write deadline) and reads as usual.
	ErrWouldBlock = errors.New("sendwait: send buffer full")
	// ErrNotIdle: the look found the peer's close, bytes nobody asked for,
	// or an error; nothing was written. A pooled connection is stale.
	ErrNotIdle = errors.New("sendwait: the connection is not idle (closed by the peer, or unread bytes)")
)
