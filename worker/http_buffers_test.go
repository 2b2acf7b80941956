package worker

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestReadResponseLongLine: a head line longer than the 8 KiB read buffer
// is read all the same up to memberLineMax, as with the 32 KiB buffer
// before (docs/performance.md#memory), the body after it intact; the
// grown reader keeps its connection out of the pool. A longer line is
// refused.
func TestReadResponseLongLine(t *testing.T) {
	long := strings.Repeat("v", 20<<10)
	body := strings.Repeat("b", 50<<10)
	raw := "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 51200\r\n\r\n" + body + "HTTP/1.1 next"
	br := bufio.NewReaderSize(strings.NewReader(raw), memberReadBuf)
	resp, err := readResponse(br, "GET")
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.header.Get("X-Long"); got != long {
		t.Fatalf("X-Long: %d bytes, want %d", len(got), len(long))
	}
	got, err := io.ReadAll(resp.body)
	if err != nil || string(got) != body {
		t.Fatalf("body: %d bytes (%v), want %d", len(got), err, len(body))
	}
	if rest, _ := io.ReadAll(br); string(rest) != "HTTP/1.1 next" {
		t.Fatalf("after the body: %q", rest)
	}
	c := &hconn{br: br, bw: bufio.NewWriterSize(nil, memberWriteBuf)}
	if c.release() {
		t.Fatal("a connection whose reader grew went back to the pool")
	}

	raw = "HTTP/1.1 200 OK\r\nX-Long: " + strings.Repeat("v", memberLineMax) + "\r\nContent-Length: 0\r\n\r\n"
	_, err = readResponse(bufio.NewReaderSize(strings.NewReader(raw), memberReadBuf), "GET")
	var head *errMemberHead
	if !errors.As(err, &head) {
		t.Fatalf("a line over %d bytes: %v", memberLineMax, err)
	}
}

// TestPooledReaderSizes: a connection leases the 8 KiB reader and gives
// it back; a response head with a 64-byte body needs no copy buffer.
func TestPooledReaderSizes(t *testing.T) {
	c := &hconn{cc: &countedConn{}}
	c.lease()
	if c.br.Size() != memberReadBuf || c.bw.Size() != memberWriteBuf {
		t.Fatalf("leased %d/%d, want %d/%d", c.br.Size(), c.bw.Size(), memberReadBuf, memberWriteBuf)
	}
	if !c.release() || c.br != nil {
		t.Fatal("release kept the buffers")
	}
}
