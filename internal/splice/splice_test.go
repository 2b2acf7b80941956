package splice

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

func raw(t *testing.T, c syscall.Conn) syscall.RawConn {
	t.Helper()
	r, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// setup returns the writer into the source socket, the source and
// destination sockets, and the reader of the destination, with a safety
// deadline so that a broken Copy fails instead of hanging.
func setup(t *testing.T) (in, src, dst, out *net.TCPConn) {
	in, src = testutil.TCPPair(t)
	dst, out = testutil.TCPPair(t)
	for _, c := range []*net.TCPConn{in, src, dst, out} {
		c.SetDeadline(time.Now().Add(20 * time.Second))
	}
	return in, src, dst, out
}

func skipUnlessAvailable(t *testing.T) {
	if !Available() {
		t.Skip("no splice(2) here")
	}
}

func TestCopy(t *testing.T) {
	skipUnlessAvailable(t)
	in, src, dst, out := setup(t)
	body := bytes.Repeat([]byte("splice!"), 3<<20/7)
	go func() { in.Write(body); in.Write([]byte("beyond")) }()
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(out); got <- b }()
	read, written, rerr, werr := Copy(raw(t, dst), raw(t, src), int64(len(body)), nil, nil)
	dst.Close()
	if rerr != nil || werr != nil || read != int64(len(body)) || written != read {
		t.Fatalf("Copy = %d, %d, %v, %v; want %d moved", read, written, rerr, werr, len(body))
	}
	if b := <-got; !bytes.Equal(b, body) {
		t.Fatalf("destination got %d bytes, not the %d sent", len(b), len(body))
	}
	rest := make([]byte, 6) // what is beyond n stays in the source
	if _, err := io.ReadFull(src, rest); err != nil || string(rest) != "beyond" {
		t.Errorf("after Copy the source holds %q, %v", rest, err)
	}
}

// TestCopyArmsEachWait: arm is called before each wait for the source,
// so a caller's read deadline bounds each wait, as a read's: here the
// source sends each piece only after the arm that precedes the wait for
// it.
func TestCopyArmsEachWait(t *testing.T) {
	skipUnlessAvailable(t)
	in, src, dst, out := setup(t)
	const pieces, size = 5, 10000
	armed := make(chan struct{}, pieces+1)
	go func() {
		for range pieces {
			<-armed
			in.Write(make([]byte, size))
		}
	}()
	go io.Copy(io.Discard, out)
	read, _, rerr, werr := Copy(raw(t, dst), raw(t, src), pieces*size, func(int64) {
		select {
		case armed <- struct{}{}:
		default: // a piece that came in two parts
		}
	}, nil)
	if rerr != nil || werr != nil || read != pieces*size {
		t.Fatalf("Copy = %d, %v, %v; want %d read", read, rerr, werr, pieces*size)
	}
}

// TestCopyDeadline: a wait past the deadline arm set is a read error.
func TestCopyDeadline(t *testing.T) {
	skipUnlessAvailable(t)
	_, src, dst, _ := setup(t)
	_, _, rerr, werr := Copy(raw(t, dst), raw(t, src), 100, func(int64) { src.SetReadDeadline(time.Now().Add(-time.Second)) }, nil)
	if !errors.Is(rerr, os.ErrDeadlineExceeded) || werr != nil {
		t.Fatalf("Copy errors = %v, %v; want the deadline as a read error", rerr, werr)
	}
}

// TestCopyShortSource: a source that ends before n is io.ErrUnexpectedEOF,
// after what it sent was passed on.
func TestCopyShortSource(t *testing.T) {
	skipUnlessAvailable(t)
	in, src, dst, out := setup(t)
	go func() { in.Write(make([]byte, 1000)); in.Close() }()
	got := make(chan int, 1)
	go func() { b, _ := io.ReadAll(out); got <- len(b) }()
	read, written, rerr, werr := Copy(raw(t, dst), raw(t, src), 5000, nil, nil)
	dst.Close()
	if rerr != io.ErrUnexpectedEOF || werr != nil || read != 1000 || written != 1000 {
		t.Fatalf("Copy = %d, %d, %v, %v; want 1000 moved, then io.ErrUnexpectedEOF", read, written, rerr, werr)
	}
	if n := <-got; n != 1000 {
		t.Errorf("destination got %d bytes, want 1000", n)
	}
}

// TestCopyWriteFails: a destination that went away is a write error, not
// the source's.
func TestCopyWriteFails(t *testing.T) {
	skipUnlessAvailable(t)
	in, src, dst, out := setup(t)
	out.SetLinger(0)
	out.Close() // a reset: writes to dst fail
	go in.Write(make([]byte, 8<<20))
	_, _, rerr, werr := Copy(raw(t, dst), raw(t, src), 8<<20, nil, nil)
	if rerr != nil || werr == nil {
		t.Fatalf("Copy errors = %v, %v; want a write error", rerr, werr)
	}
}

// TestCopyArmsDestination: armDst is called before bytes go to dst, so a
// write deadline it sets bounds the wait for dst: a deadline already
// past is a write error, not the source's.
func TestCopyArmsDestination(t *testing.T) {
	skipUnlessAvailable(t)
	in, src, dst, _ := setup(t)
	go in.Write(make([]byte, 100))
	armed := 0
	read, written, rerr, werr := Copy(raw(t, dst), raw(t, src), 100, nil, func() {
		armed++
		dst.SetWriteDeadline(time.Now().Add(-time.Second))
	})
	if armed == 0 || !errors.Is(werr, os.ErrDeadlineExceeded) || rerr != nil || read != 100 || written != 0 {
		t.Fatalf("Copy = %d, %d, %v, %v after %d arms; want the write deadline as a write error", read, written, rerr, werr, armed)
	}
}
