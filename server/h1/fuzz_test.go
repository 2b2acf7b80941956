package h1

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// memConn is a connection whose client sent in and then closed; what the
// server writes is kept.
type memConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *memConn) Read(p []byte) (int, error)         { return c.in.Read(p) }
func (c *memConn) Write(p []byte) (int, error)        { return c.out.Write(p) }
func (c *memConn) Close() error                       { return nil }
func (c *memConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000} }
func (c *memConn) SetDeadline(t time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { return nil }

// FuzzServeConn feeds any bytes to the server as one client connection.
// Nothing may panic; every request the handler sees had a whole head in
// the input; and what the server wrote is a sequence of well-formed
// responses, one per request answered.
func FuzzServeConn(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /n HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
		"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET http://h/a?b HTTP/1.1\r\nHost: x\r\n\r\nCONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var methods []string
		s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			methods = append(methods, r.Method)
			b, _ := io.ReadAll(r.Body)
			if r.URL.Path == "/flush" {
				w.(http.Flusher).Flush()
			}
			w.Write(b)
		})}
		c := &memConn{in: bytes.NewReader(in)}
		s.ServeConn(c)
		if heads := strings.Count(string(in), "\r\n\r\n"); len(methods) > heads {
			t.Fatalf("%d handler calls from %d heads", len(methods), heads)
		}
		wrote := c.out.String()
		br := bufio.NewReader(&c.out)
		for n := 0; br.Buffered() > 0 || c.out.Len() > 0; {
			if n > len(methods) {
				t.Fatalf("more responses than requests: %q", wrote)
			}
			if n == len(methods) {
				// A refusal, whose request the handler never saw: its
				// answer has no body when that request was a HEAD
				// (httpd's header_only), so it is either reading.
				rest, _ := io.ReadAll(br)
				if !lastResponse(rest) {
					t.Fatalf("response %d (a refusal) is not one response: %q\nwrote %q", n+1, rest, wrote)
				}
				break
			}
			r, err := http.ReadResponse(br, &http.Request{Method: methods[n]})
			if err != nil {
				t.Fatalf("response %d: %v\nwrote %q", n+1, err, wrote)
			}
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				t.Fatalf("response %d body: %v\nwrote %q", n+1, err, wrote)
			}
			if r.StatusCode != http.StatusContinue {
				n++
			}
		}
	})
}

// lastResponse reports whether b is exactly one response to a GET or to
// a HEAD, with nothing after it.
func lastResponse(b []byte) bool {
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		src := bytes.NewReader(b)
		br := bufio.NewReader(src)
		r, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			continue
		}
		if _, err := io.Copy(io.Discard, r.Body); err == nil && br.Buffered() == 0 && src.Len() == 0 {
			return true
		}
	}
	return false
}
