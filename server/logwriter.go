package server

import (
	"net/http"
	"sync"
	"time"
)

// logWriter wraps the client's ResponseWriter to learn what the request
// log needs: status, body bytes, and whether headers went out.
type logWriter struct {
	http.ResponseWriter
	start       time.Time
	status      int
	bytes       int64
	wroteHeader bool
}

var logWriterPool = sync.Pool{New: func() any { return new(logWriter) }}

func getLogWriter(w http.ResponseWriter, start time.Time) *logWriter {
	lw := logWriterPool.Get().(*logWriter)
	*lw = logWriter{ResponseWriter: w, start: start}
	return lw
}

func putLogWriter(lw *logWriter) {
	*lw = logWriter{}
	logWriterPool.Put(lw)
}

func (lw *logWriter) WriteHeader(status int) {
	if !lw.wroteHeader {
		lw.status = status
		lw.wroteHeader = status >= 200
	}
	lw.ResponseWriter.WriteHeader(status)
}

func (lw *logWriter) Write(p []byte) (int, error) {
	if !lw.wroteHeader {
		lw.WriteHeader(http.StatusOK)
	}
	n, err := lw.ResponseWriter.Write(p)
	lw.bytes += int64(n)
	return n, err
}

// Flush passes flushes on (FlushPackets, flush packets from Tomcat).
func (lw *logWriter) Flush() {
	if f, ok := lw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (lw *logWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }
