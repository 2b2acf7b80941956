package worker

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/sendwait"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// memberConn is a countedConn on a real socket, as dialConn makes it,
// and the member's end.
func memberConn(t *testing.T) (*countedConn, io.ReadWriter) {
	a, b := testutil.TCPPair(t)
	cc := &countedConn{Conn: a}
	cc.sender = sendwait.New(cc.rawConn())
	return cc, b
}

// TestRequestSentWithTheWaitForTheResponse: a request that goes out in
// one write is written inside the wait for the response, so writeRequest
// returns once the response can be read and the first read finds it,
// instead of finding nothing and waiting (docs/performance.md#send-and-wait).
func TestRequestSentWithTheWaitForTheResponse(t *testing.T) {
	cc, member := memberConn(t)
	req := toRequest(t, httptest.NewRequest("GET", "/x", nil), 8192)
	body, length := newHTTPBody(req)
	done := make(chan error, 1)
	go func() { done <- writeRequest(bufio.NewWriterSize(cc, memberWriteBuf), cc, req, body, length) }()
	mr := bufio.NewReader(member)
	if _, err := http.ReadRequest(mr); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("writeRequest returned before the member answered (%v)", err)
	default:
	}
	io.WriteString(member, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !cc.armed {
		t.Fatal("the first read's deadline was not taken over from the wait")
	}
	resp, err := readResponse(bufio.NewReader(cc), "GET")
	if err != nil || resp.status != 200 {
		t.Fatalf("response: %v, %v", resp, err)
	}
}

// TestRequestInSeveralWritesIsNotWaitedFor: when part of the request went
// out before its last write (a body larger than the write buffer), the
// member may already have answered (an early 413) before the wait could
// start, and a wait for readiness would not see it: the last write is an
// ordinary one and the read that follows finds what is there.
func TestRequestInSeveralWritesIsNotWaitedFor(t *testing.T) {
	cc, member := memberConn(t)
	cc.timeout = 5 * time.Second                   // a wrong wait ends, and fails below
	big := strings.Repeat("x", memberWriteBuf+100) // its tail waits in the write buffer for the last write
	r := httptest.NewRequest("POST", "/upload", strings.NewReader(big))
	req := toRequest(t, r, 8192)
	body, length := newHTTPBody(req)
	go io.Copy(io.Discard, member) // the member reads and never answers
	if err := writeRequest(bufio.NewWriterSize(cc, memberWriteBuf), cc, req, body, length); err != nil {
		t.Fatal(err)
	}
	if cc.armed || cc.fuse || cc.check {
		t.Fatalf("a request in several writes was sent with the wait (armed %v, fuse %v, check %v)", cc.armed, cc.fuse, cc.check)
	}
}
