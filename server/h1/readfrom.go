package h1

import (
	"io"
	"net/http"
	"syscall"

	"github.com/jkbalancer/jkbalancer/internal/splice"
)

// SocketSource is a body source that can put its bytes on the client's
// socket itself, without this response's buffers: a member's body that
// the kernel moves from socket to socket (docs/performance.md#large-bodies).
// WriteToSocket writes at most max bytes to dst, the raw connection,
// and returns how many reached it.
type SocketSource interface {
	WriteToSocket(dst io.Writer, max int64) (int64, error)
}

// ReadFrom implements io.ReaderFrom. Once the head is out with a
// Content-Length, a SocketSource writes the body straight onto the
// socket, up to what the length still allows; anything else is copied
// through Write. An error ends the connection after this response: the
// client got less than the head announced, or the socket failed.
func (w *response) ReadFrom(src io.Reader) (int64, error) {
	s, ok := src.(SocketSource)
	if !ok || !w.committed || w.chunked || w.cl < 0 || w.req.Method == http.MethodHead || !bodyAllowed(w.status) {
		return io.Copy(writerOnly{w}, src)
	}
	if w.flush(); w.err != nil {
		return 0, w.err
	}
	n, err := s.WriteToSocket(w.c.raw(), w.cl-w.written)
	w.written += n
	if err != nil {
		w.fail(err)
	}
	return n, err
}

// writerOnly hides ReadFrom from io.Copy, which would call it again.
type writerOnly struct{ io.Writer }

// SpliceTo moves up to max bytes of a request body with a
// Content-Length to dst, the member's socket (a writer that is also a
// syscall.Conn): what the connection's buffer holds through dst's Write,
// the rest from the client's socket in the kernel
// (docs/performance.md#large-bodies). arm is called before each wait for
// the client with the bytes taken so far (a body deadline), armDst before
// each wait for dst. It returns 0 and no error when it cannot (chunked,
// no socket, nothing left): the caller reads the body instead. A
// failure is the client's (readErr, and the body fails as a read would)
// or dst's (writeErr).
func (b *body) SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (n int64, readErr, writeErr error) {
	ds, ok := dst.(syscall.Conn)
	ss, ok2 := b.c.wr.(syscall.Conn)
	if !ok || !ok2 || !splice.Available() || b.closed || b.abandoned || b.err != nil || b.eof || b.chunked || max <= 0 {
		return 0, nil, nil
	}
	if b.sendContinue {
		b.sendContinue, b.expecting = false, false
		if _, err := io.WriteString(b.c.nc, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return 0, b.fail(err), nil
		}
	}
	want := min(max, b.left)
	if k := min(int64(b.c.br.Buffered()), want); k > 0 {
		p, _ := b.c.br.Peek(int(k))
		w, err := dst.Write(p)
		b.c.br.Discard(w)
		b.took(int64(w))
		if n += int64(w); err != nil {
			return n, nil, err
		}
	}
	if n == want {
		return n, nil, nil
	}
	draw, derr := ds.SyscallConn()
	sraw, serr := ss.SyscallConn()
	if derr != nil || serr != nil {
		return n, nil, nil
	}
	var armAt func(int64)
	if arm != nil {
		armAt = func(read int64) { arm(n + read) }
	}
	read, written, rerr, werr := splice.Copy(draw, sraw, want-n, armAt, armDst)
	if rerr == splice.ErrUnsupported {
		return n, nil, nil
	}
	b.took(read)
	n += written
	switch {
	case rerr != nil:
		return n, b.fail(rerr), nil // io.ErrUnexpectedEOF when the client closed early, as read
	case werr != nil:
		return n, nil, werr
	}
	return n, nil, nil
}

// took counts n body bytes as read.
func (b *body) took(n int64) {
	if b.left -= n; b.left == 0 {
		b.eof = true
	}
}
