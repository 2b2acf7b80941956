package ajp

import (
	"bytes"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// vectorDir holds the hex dumps of docs/ajp13.md#test-vectors.
const vectorDir = "../testdata/ajp"

// loadHex reads a vector file: '#' comments, offsets and spaces ignored.
func loadHex(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return parseHex(tb, string(b))
}

func parseHex(tb testing.TB, s string) []byte {
	var out []byte
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for i, f := range strings.Fields(line) {
			if i == 0 && len(f) == 4 {
				continue // offset
			}
			b, err := hex.DecodeString(f)
			if err != nil {
				tb.Fatalf("bad hex %q: %v", f, err)
			}
			out = append(out, b...)
		}
	}
	return out
}

// scriptConn is an in-memory backend: reads come from a canned reply
// stream, writes are recorded. Deadlines are accepted and ignored.
type scriptConn struct {
	r      io.Reader
	w      bytes.Buffer
	closed bool
}

func newScriptConn(reply []byte) *scriptConn { return &scriptConn{r: bytes.NewReader(reply)} }

func (s *scriptConn) Read(p []byte) (int, error) {
	if s.closed {
		return 0, net.ErrClosed
	}
	return s.r.Read(p)
}
func (s *scriptConn) Write(p []byte) (int, error) {
	if s.closed {
		return 0, net.ErrClosed
	}
	return s.w.Write(p)
}
func (s *scriptConn) Close() error                     { s.closed = true; return nil }
func (s *scriptConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (s *scriptConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (s *scriptConn) SetDeadline(time.Time) error      { return nil }
func (s *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (s *scriptConn) SetWriteDeadline(time.Time) error { return nil }

// recorder is a ResponseWriter that keeps everything.
type recorder struct {
	status   int
	headers  []Header
	body     bytes.Buffer
	flushes  int
	heads    int
	headErr  error
	writeErr error
}

func (r *recorder) WriteHead(status int, h []Header) error {
	r.heads++
	r.status = status
	r.headers = append([]Header(nil), h...)
	return r.headErr
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.writeErr != nil {
		return 0, r.writeErr
	}
	return r.body.Write(p)
}

func (r *recorder) Flush() error { r.flushes++; return nil }

// The requests of vectors V2, V4, V5 and V6.
func reqV2() *Request {
	return &Request{Method: "GET", Protocol: "HTTP/1.1", URI: "/hello.jsp",
		RemoteAddr: "10.0.0.1", ServerName: "www.example.com", ServerPort: 80,
		Headers: []Header{{"host", "www.example.com"}, {"User-Agent", "curl/8.0"}},
		Secret:  "s3cret", SSLKeySize: -1}
}

func reqV4() *Request {
	return &Request{Method: "POST", Protocol: "HTTP/1.1", URI: "/form",
		RemoteAddr: "10.0.0.1", ServerName: "h", ServerPort: 80,
		Headers: []Header{{"Content-Type", "application/x-www-form-urlencoded"},
			{"Content-Length", "11"}, {"Host", "h"}},
		Secret: "s3cret", SSLKeySize: -1}
}

func reqV5() *Request {
	return &Request{Method: "GET", Protocol: "HTTP/1.1", URI: "/app/list",
		RemoteAddr: "192.0.2.7", ServerName: "h", ServerPort: 80,
		Headers: []Header{{"host", "h"}, {"X-Req-Id", "42"}},
		Secret:  "s3cret", QueryString: "page=2&sort=asc", Route: "tc1",
		SSLKeySize: -1, RemotePort: "51234", LocalAddr: "10.0.0.5"}
}

func reqV6() *Request {
	return &Request{Method: "PATCH", Protocol: "HTTP/1.1", URI: "/x",
		RemoteAddr: "10.0.0.1", ServerName: "h", ServerPort: 443, IsSSL: true,
		Headers: []Header{{"HOST", "h"}}, Secret: "s3cret",
		SSLCipher: "TLS_AES_128_GCM_SHA256", SSLKeySize: 128}
}
