// Package sendwait sends a request (or a response) on a socket and waits
// for the answer to become readable in one step: the write runs inside
// the runtime's wait for readability (syscall.RawConn.Read), after the
// runtime has forgotten earlier readiness, so the answer's arrival cannot
// be missed, and the read that follows finds it. Without it every
// exchange reads once too early: a goroutine reads, finds nothing, parks,
// and reads again when woken (docs/performance.md#send-and-wait).
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
)
