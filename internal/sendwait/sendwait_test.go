//go:build unix

package sendwait

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

func sender(t *testing.T, c *net.TCPConn, wait func() bool) *Sender {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return New(rc, wait)
}

// readable reports whether c has bytes to read right now, without waiting
// (MSG_DONTWAIT): what the read after Send finds.
func readable(t *testing.T, c *net.TCPConn) bool {
	t.Helper()
	rc, _ := c.SyscallConn()
	var n int
	var err error
	rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	})
	return err == nil && n > 0
}

// Send returns only once the answer can be read: the read after it finds
// data instead of nothing.
func TestSendWaitsForTheAnswer(t *testing.T) {
	a, b := testutil.TCPPair(t)
	s := sender(t, a, nil)
	done := make(chan error, 1)
	go func() {
		n, err := s.Send([]byte("ping"))
		if err == nil && n != 4 {
			err = errors.New("short")
		}
		done <- err
	}()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("peer read %q, %v", buf, err)
	}
	select {
	case err := <-done:
		t.Fatalf("Send returned before the answer: %v", err)
	default:
	}
	b.Write([]byte("pong"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !readable(t, a) {
		t.Fatal("the answer is not readable after Send")
	}
}

// The wait is bounded by the socket's read deadline; the read after it
// reports the timeout, as the read Send saves would have.
func TestSendWaitEndsAtTheReadDeadline(t *testing.T) {
	a, b := testutil.TCPPair(t)
	s := sender(t, a, nil)
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if n, err := s.Send([]byte("ping")); n != 4 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read after the wait: %v, want the deadline", err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("peer read %q, %v", buf, err)
	}
}

// A passed deadline refuses the wait before anything is written: the
// caller writes as usual.
func TestSendNotSentAfterTheDeadline(t *testing.T) {
	a, b := testutil.TCPPair(t)
	s := sender(t, a, nil)
	a.SetReadDeadline(time.Now().Add(-time.Second))
	if n, err := s.Send([]byte("ping")); n != 0 || err != ErrNotSent {
		t.Fatalf("Send = %d, %v; want 0, ErrNotSent", n, err)
	}
	if readable(t, b) {
		t.Fatal("bytes were written")
	}
	var nilSender *Sender
	if n, err := nilSender.Send([]byte("x")); n != 0 || err != ErrNotSent {
		t.Fatalf("nil Sender: %d, %v", n, err)
	}
}

// wait returning false skips the wait: Send returns with nothing to read.
func TestSendWaitHookSkipsTheWait(t *testing.T) {
	a, b := testutil.TCPPair(t)
	calls := 0
	s := sender(t, a, func() bool { calls++; return false })
	if n, err := s.Send([]byte("ping")); n != 4 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
	if calls != 1 {
		t.Fatalf("wait hook ran %d times, want 1", calls)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("peer read %q, %v", buf, err)
	}
}

// A full send buffer ends Send with what it wrote and ErrWouldBlock
// (the caller's ordinary write sends the rest, waiting for room).
func TestSendFullBuffer(t *testing.T) {
	a, b := testutil.TCPPair(t)
	a.SetWriteBuffer(4096)
	b.SetReadBuffer(4096)
	s := sender(t, a, nil)
	p := make([]byte, 1<<20)
	n, err := s.Send(p)
	if err != ErrWouldBlock || n <= 0 || n >= len(p) {
		t.Fatalf("Send = %d, %v; want part of it and ErrWouldBlock", n, err)
	}
}

// A write the peer refuses (it reset the connection) is the write's
// error, so the caller classifies it as a failure to send.
func TestSendWriteError(t *testing.T) {
	a, b := testutil.TCPPair(t)
	b.SetLinger(0)
	b.Close()
	if _, err := a.Read(make([]byte, 1)); err == nil {
		t.Fatal("the reset did not arrive")
	}
	s := sender(t, a, nil)
	n, err := s.Send([]byte("ping"))
	var se *os.SyscallError
	if n != 0 || !errors.As(err, &se) {
		t.Fatalf("Send = %d, %v; want 0 and the write's error", n, err)
	}
}
