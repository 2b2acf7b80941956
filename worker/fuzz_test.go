package worker

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReadResponse feeds arbitrary bytes to the HTTP member response
// reader: it must never panic, a framed body never yields more than its
// Content-Length, and a failure is either a malformed head or the input
// running out.
func FuzzReadResponse(f *testing.F) {
	for _, seed := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 42\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil close",
		"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		method := "GET"
		if head {
			method = "HEAD"
		}
		resp, err := readResponse(bufio.NewReaderSize(strings.NewReader(string(data)), 4096), method)
		if err != nil {
			var bad *errMemberHead
			if !errors.As(err, &bad) && err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("unexpected error kind %T: %v", err, err)
			}
			return
		}
		if resp.status < 100 || resp.status > 999 {
			t.Fatalf("status %d", resp.status)
		}
		if resp.body == nil {
			return
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(resp.body, 1<<20))
		if resp.length >= 0 && n > resp.length {
			t.Fatalf("read %d body bytes, Content-Length %d", n, resp.length)
		}
	})
}
