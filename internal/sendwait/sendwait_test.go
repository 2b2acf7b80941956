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

func sender(t *testing.T, c *net.TCPConn) *Sender {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return New(rc)
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
	s := sender(t, a)
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
	s := sender(t, a)
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
	s := sender(t, a)
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

// SendPooled: a pooled connection whose send the runtime refuses before
// the look (its socket closed) is not idle; Send leaves it to the caller.
func TestSendPooledRefusedIsNotIdle(t *testing.T) {
	a, _ := testutil.TCPPair(t)
	s := sender(t, a)
	a.Close()
	if n, err := s.Send([]byte("ping")); n != 0 || err != ErrNotSent {
		t.Fatalf("Send = %d, %v; want 0, ErrNotSent", n, err)
	}
	if n, err := s.SendPooled([]byte("ping")); n != 0 || err != ErrNotIdle {
		t.Fatalf("SendPooled = %d, %v; want 0, ErrNotIdle", n, err)
	}
	var nilSender *Sender
	if _, err := nilSender.SendPooled([]byte("x")); err != ErrNotSent {
		t.Fatalf("nil Sender: %v, want ErrNotSent", err)
	}
}

// Send looks before it writes: a connection whose peer closed it, or
// sent bytes nobody asked for, is not idle, and nothing is written on it
// (the pooled connection's liveness check).
func TestSendRefusesAConnectionThatIsNotIdle(t *testing.T) {
	for _, tc := range []struct {
		name string
		peer func(b *net.TCPConn)
	}{
		{"closed by the peer", func(b *net.TCPConn) { b.Close() }},
		{"unread bytes", func(b *net.TCPConn) { b.Write([]byte("HTTP/1.1 200 OK\r\n")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := testutil.TCPPair(t)
			if !sender(t, a).Idle() {
				t.Fatal("a fresh connection is not idle")
			}
			tc.peer(b)
			// What the peer did reaches a's receive queue before a's
			// own read of it returns; the peek then sees it.
			if !sender(t, a).Wait() {
				t.Fatal("Wait refused")
			}
			if sender(t, a).Idle() {
				t.Fatal("Idle: true")
			}
			if n, err := sender(t, a).Send([]byte("GET / HTTP/1.1\r\n\r\n")); n != 0 || err != ErrNotIdle {
				t.Fatalf("Send = %d, %v; want 0, ErrNotIdle", n, err)
			}
		})
	}
}

// Wait returns at once when bytes are already there (a pipelined
// request): the look finds them, however the runtime learnt of their
// arrival; and the read after it does not wait.
func TestWaitSeesBytesAlreadyThere(t *testing.T) {
	a, b := testutil.TCPPair(t)
	b.Write([]byte("x"))
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1)
	s := sender(t, a)
	for i := range 3 {
		if !s.Wait() {
			t.Fatal("Wait refused")
		}
		if _, err := a.Read(buf); err != nil {
			t.Fatalf("read after Wait: %v", err)
		}
		b.Write([]byte{byte('a' + i)}) // the next one arrives while a reads
	}
}

// A full send buffer ends Send with what it wrote and ErrWouldBlock
// (the caller's ordinary write sends the rest, waiting for room).
func TestSendFullBuffer(t *testing.T) {
	a, b := testutil.TCPPair(t)
	a.SetWriteBuffer(4096)
	b.SetReadBuffer(4096)
	s := sender(t, a)
	p := make([]byte, 1<<20)
	n, err := s.Send(p)
	if err != ErrWouldBlock || n <= 0 || n >= len(p) {
		t.Fatalf("Send = %d, %v; want part of it and ErrWouldBlock", n, err)
	}
}

// A write the socket refuses (here: its sending side was shut down) is
// the write's error, so the caller classifies it as a failure to send.
func TestSendWriteError(t *testing.T) {
	a, _ := testutil.TCPPair(t)
	a.CloseWrite()
	n, err := sender(t, a).Send([]byte("ping"))
	var se *os.SyscallError
	if n != 0 || !errors.As(err, &se) {
		t.Fatalf("Send = %d, %v; want 0 and the write's error", n, err)
	}
}
