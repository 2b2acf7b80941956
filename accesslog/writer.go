package accesslog

import (
	"io"
	"net/http"
	"time"
)

// Writer wraps the client's ResponseWriter to learn what the request log
// needs: status, body bytes, and whether headers went out. The caller
// keeps one in its own pooled request state and Resets it per request:
// the request path allocates nothing per request it can avoid.
type Writer struct {
	http.ResponseWriter
	start       time.Time
	status      int
	bytes       int64
	wroteHeader bool
}

// Reset makes lw wrap w for a request that started at start, nothing of
// its last request left.
func (lw *Writer) Reset(w http.ResponseWriter, start time.Time) {
	*lw = Writer{ResponseWriter: w, start: start}
}

// HeaderSent reports whether a final (non-1xx) status went out: after
// that, nothing else can be said to the client.
func (lw *Writer) HeaderSent() bool { return lw.wroteHeader }

func (lw *Writer) WriteHeader(status int) {
	if !lw.wroteHeader {
		lw.status = status
		lw.wroteHeader = status >= 200
	}
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *Writer) Write(p []byte) (int, error) {
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	n, err := lw.ResponseWriter.Write(p)
	lw.bytes += int64(n)
	return n, err
}

// Flush passes flushes on (FlushPackets, flush packets from Tomcat).
func (lw *Writer) Flush() {
	if f, ok := lw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (lw *Writer) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

// ReadFrom passes a body source on to the writer beneath, which may move
// its bytes without copying them (docs/performance.md#large-bodies), and
// counts them as Write does.
func (lw *Writer) ReadFrom(src io.Reader) (int64, error) {
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := lw.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{lw.ResponseWriter}, src)
	}
	lw.bytes += n
	return n, err
}

// writerOnly hides ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }
