package h1

import (
	"io"
	"net/http"
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
