package worker

import (
	"bufio"
	"bytes"
	"io"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// cannedLarge is cannedHTTP for a body of size bytes, with its length.
func cannedLarge(b *testing.B, size int) string {
	reply := append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "+
		strconv.Itoa(size)+"\r\n\r\n"), make([]byte, size)...)
	return testutil.CannedHTTP(b, reply)
}

// BenchmarkHTTPForward1MiB is one GET through an http member answering
// 1 MiB with a Content-Length, passed on to a client's TCP socket through
// a writer that takes a socket source as the plain-HTTP front end does:
// the body path of docs/performance.md#large-bodies.
func BenchmarkHTTPForward1MiB(b *testing.B) {
	const size = 1 << 20
	m := NewMember(Spec{Name: "w", Attrs: httpSpec(b, cannedLarge(b, size))})
	defer m.Close()
	near, far := testutil.TCPPair(b)
	go io.Copy(io.Discard, far)
	req := toRequest(b, httptest.NewRequest("GET", "/big", nil), 8192)
	w := &sockWriter{rec: httptest.NewRecorder(), c: near}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.rec.Header())
		if _, err := m.Forward(w, req, &Attempt{}); err != nil {
			b.Fatal(err)
		}
	}
}

// countWriter counts the writes that reach it, as syscalls on a socket.
type countWriter struct{ writes, bytes int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.writes++
	c.bytes += len(p)
	return len(p), nil
}

// TestLargeRequestBodyWritesLarge: a 1 MiB request body goes to the
// member in writes of the 32 KiB copy buffer, not of the 8 KiB request
// buffer (without the fix: 129 writes).
func TestLargeRequestBodyWritesLarge(t *testing.T) {
	body := bytes.Repeat([]byte("b"), 1<<20)
	req := toRequest(t, httptest.NewRequest("POST", "/up", bytes.NewReader(body)), 8192)
	var cw countWriter
	hb, length := newHTTPBody(req)
	if err := writeRequest(bufio.NewWriterSize(&cw, memberWriteBuf), nil, req, hb, length); err != nil {
		t.Fatal(err)
	}
	if cw.bytes < len(body) || cw.writes > 40 {
		t.Errorf("%d bytes in %d writes, want the body's %d in at most 40", cw.bytes, cw.writes, len(body))
	}
}
