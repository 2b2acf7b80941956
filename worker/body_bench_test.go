package worker

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http/httptest"
	"strconv"
	"testing"
)

// cannedLarge is cannedHTTP for a body of size bytes, with its length.
func cannedLarge(b *testing.B, size int) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	reply := append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "+
		strconv.Itoa(size)+"\r\n\r\n"), make([]byte, size)...)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(bytes.TrimSpace(line)) == 0 {
						if _, err := c.Write(reply); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	b.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// BenchmarkHTTPForward1MiB is one GET through an http member answering
// 1 MiB with a Content-Length, passed on to a client's TCP socket through
// a writer that takes a socket source as the plain-HTTP front end does:
// the body path of docs/performance.md#large-bodies.
func BenchmarkHTTPForward1MiB(b *testing.B) {
	const size = 1 << 20
	m := NewMember(Spec{Name: "w", Attrs: httpSpec(b, cannedLarge(b, size))})
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	near, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer near.Close()
	far, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer far.Close()
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
