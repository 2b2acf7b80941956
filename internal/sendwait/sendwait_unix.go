//go:build unix

package sendwait

import (
	"os"
	"syscall"
)

// A Sender belongs to one socket and is used by one goroutine at a time.
// Its callback is made once, so Send and Wait allocate nothing.
type Sender struct {
	rc syscall.RawConn
	fn func(fd uintptr) bool

	p      []byte
	n      int
	err    error
	called bool
	look   bool // Idle: the look alone
	buf    [1]byte
}

// New returns a Sender for rc (nil when rc is nil).
func New(rc syscall.RawConn) *Sender {
	if rc == nil {
		return nil
	}
	s := &Sender{rc: rc}
	s.fn = s.step
	return s
}

// Send checks that nothing waits to be read (ErrNotIdle otherwise), writes
// p and, once all of it is written, waits until the socket is readable
// or its read deadline passes. It returns how much of p was written and
// why not all of it: ErrNotIdle, ErrNotSent, ErrWouldBlock, or the
// write's error (an *os.SyscallError). The end of the wait is not
// reported: a passed deadline or a close shows at the next read, as it
// would have without the wait.
func (s *Sender) Send(p []byte) (int, error) {
	if s == nil {
		return 0, ErrNotSent
	}
	s.p, s.n, s.err, s.called = p, 0, nil, false
	err := s.rc.Read(s.fn)
	n, werr := s.n, s.err
	s.p, s.err = nil, nil
	if !s.called && err != nil {
		return 0, ErrNotSent
	}
	return n, werr
}

// SendPooled is Send for a connection that may have sat in a pool, whose
// look is its liveness check: a send the runtime refused before the look
// (the socket closed) reports ErrNotIdle, as a look of its own would be
// refused the same way. The callers arm the read deadline afresh just
// before, so a passed deadline cannot be the refusal.
func (s *Sender) SendPooled(p []byte) (int, error) {
	n, err := s.Send(p)
	if err == ErrNotSent && s != nil {
		return 0, ErrNotIdle
	}
	return n, err
}

// Idle is the look alone, the pooled-socket check mod_jk makes
// (docs/ajp13.md#connection-lifecycle): true when nothing waits to be
// read and the peer has not closed. A nil Sender (no raw socket) reports
// true: a stale connection then shows at its first use.
func (s *Sender) Idle() bool {
	if s == nil {
		return true
	}
	s.p, s.err, s.called, s.look = nil, nil, false, true
	err := s.rc.Read(s.fn)
	idle := err == nil && s.err == nil
	s.err, s.look = nil, false
	return idle
}

// Wait returns once the socket is readable (or closed, or its read
// deadline passed), holding no buffer meanwhile. It reports false when
// the runtime refused the wait (closed, deadline passed).
func (s *Sender) Wait() bool {
	if s == nil {
		return false
	}
	s.p, s.n, s.err, s.called = nil, 0, nil, false
	err := s.rc.Read(s.fn)
	s.err = nil
	return s.called || err == nil
}

// step runs inside RawConn.Read: the first call looks at the receive
// queue, writes, and returns false (wait for readability) when the queue
// was empty and everything went out; the call after the wake-up ends the
// wait. A wake-up without data costs the caller's read one EAGAIN.
func (s *Sender) step(fd uintptr) bool {
	if s.called {
		return true
	}
	s.called = true
	if !s.empty(fd) {
		s.err = ErrNotIdle
		return true
	}
	if s.look {
		return true
	}
	for s.n < len(s.p) {
		m, err := syscall.Write(int(fd), s.p[s.n:])
		if m > 0 {
			s.n += m
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			s.err = ErrWouldBlock
			return true
		case err != nil:
			s.err = os.NewSyscallError("write", err)
			return true
		case m <= 0:
			s.err = ErrWouldBlock // no progress: let the ordinary write deal with it
			return true
		}
	}
	return false
}

// empty peeks at the receive queue without waiting: true when nothing is
// there and the peer has not closed (EAGAIN), false for a byte, EOF or an
// error.
func (s *Sender) empty(fd uintptr) bool {
	for {
		_, _, err := syscall.Recvfrom(int(fd), s.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return true
		}
		return false
	}
}
