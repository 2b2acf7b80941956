package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// nopAJPWriter discards the container's answer.
type nopAJPWriter struct{ status int }

func (w *nopAJPWriter) WriteHead(status int, _ []ajp.Header) error { w.status = status; return nil }
func (w *nopAJPWriter) Write(p []byte) (int, error)                { return len(p), nil }
func (w *nopAJPWriter) Flush() error                               { return nil }

// TestChunkedBodyOnTheAJPWire: a chunked upload as the server turns it
// into a forward request (appendHeaders, readBody) and an exchange puts it
// on the wire. Like mod_jk (captured by TestChunkedRequestLikeModJK): the
// header Transfer-Encoding: chunked, no Content-Length, no body packet
// before the container asks, packets of at most 8186 bytes, an empty
// packet at the end, and trailers not forwarded. Tomcat's
// Request.parseParameters reads a form body of unknown length only when
// it sees that header.
func TestChunkedBodyOnTheAJPWire(t *testing.T) {
	capt := newAJPCapture(t)
	want := map[string][]int{
		"form":                 {6, 0},
		"larger than a packet": {8186, 8186, 7628, 0},
		"empty":                {0},
		"trailers":             {17, 0},
	}
	for _, tc := range chunkedCases() {
		t.Run(tc.name, func(t *testing.T) {
			raw := chunkedRequest("/form", "localhost", "application/x-www-form-urlencoded", tc.chunks, tc.trailers...)
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			var rq request
			rq.HTTP = r
			if err := rq.readBody(r, 8192); err != nil {
				t.Fatal(err)
			}
			areq := ajp.Request{Method: "POST", Protocol: "HTTP/1.1", URI: "/form", RemoteAddr: "127.0.0.1",
				ServerName: "localhost", ServerPort: 80, SSLKeySize: -1, Headers: appendHeaders(nil, &rq)}
			nc, err := net.Dial("tcp", capt.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			c := ajp.NewConn(nc, 8192)
			defer c.Close()
			var w nopAJPWriter
			if _, err := c.Exchange(&areq, rq.Body, &w, nil); err != nil || w.status != 200 {
				t.Fatalf("exchange: %v, status %d", err, w.status)
			}
			recs := capt.take()
			if len(recs) != 1 {
				t.Fatalf("the container got %d requests, want 1", len(recs))
			}
			rec := recs[0]
			if v, ok := rec.header("Transfer-Encoding"); !ok || v != "chunked" {
				t.Errorf("Transfer-Encoding %q (sent: %v), want chunked", v, ok)
			}
			for _, name := range []string{"Content-Length", "X-Trailer", "Trailer"} {
				if v, ok := rec.header(name); ok {
					t.Errorf("%s: %q sent, mod_jk sends none", name, v)
				}
			}
			if got := string(rec.body); got != strings.Join(tc.chunks, "") || rec.err != nil {
				t.Errorf("body %d bytes (err %v), want %d", len(got), rec.err, len(strings.Join(tc.chunks, "")))
			}
			if !equalInts(rec.packets, want[tc.name]) {
				t.Errorf("body packets %v, want %v (mod_jk's)", rec.packets, want[tc.name])
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
