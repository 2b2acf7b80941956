//go:build unix

package sendwait

import (
	"os"
	"syscall"
)

// A Sender belongs to one socket and is used by one goroutine at a time.
// Its callback is made once, so a Send allocates nothing.
type Sender struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	wait func() bool

	p      []byte
	n      int
	err    error
	called bool
}

// New returns a Sender for rc (nil when rc is nil). wait, when not nil,
// runs after everything was written and before the wait: false skips the
// wait (a connection that is shutting down).
func New(rc syscall.RawConn, wait func() bool) *Sender {
	if rc == nil {
		return nil
	}
	s := &Sender{rc: rc, wait: wait}
	s.fn = s.step
	return s
}

// Send writes p and, once all of it is written, waits until the socket
// is readable or its read deadline passes. It returns how much of p was
// written and why not all of it: ErrNotSent, ErrWouldBlock, or the
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

// step runs inside RawConn.Read: the first call writes, and returns
// false (wait for readability) when everything went out; the call after
// the wake-up ends the wait. A wake-up without data costs the caller's
// read one EAGAIN, as before.
func (s *Sender) step(fd uintptr) bool {
	if s.called {
		return true
	}
	s.called = true
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
	return s.wait != nil && !s.wait()
}
