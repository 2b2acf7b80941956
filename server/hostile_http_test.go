package server

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// reply returns a misbehaviour that writes s; keep says whether the
// member then goes on reading requests on the connection.
func reply(keep bool, s ...string) func(c net.Conn) bool {
	return func(c net.Conn) bool {
		io.WriteString(c, strings.Join(s, ""))
		return keep
	}
}

// httpHostileCases: every way an HTTP member can get its reply wrong.
// How often the member gets the request follows from how it failed
// (sends).
var httpHostileCases = []struct {
	name string
	bad  func(c net.Conn) bool
	want hostileWant
}{
	// Malformed heads: 502.
	{"garbage instead of a head", reply(false, "\x12\x34 not http\r\n\r\n"), hostileWant{502, false, failedNoHead, failed502}},
	{"bad status line", reply(false, "HTTP/1.1 2x0 OK\r\n\r\n"), hostileWant{502, false, failedNoHead, failed502}},
	{"header line without a colon", reply(false, "HTTP/1.1 200 OK\r\nno colon\r\n\r\n"), hostileWant{502, false, failedNoHead, failed502}},
	{"header line longer than the buffer", reply(false, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("b", 70000)+"\r\n\r\n"),
		hostileWant{502, false, failedNoHead, failed502}},
	{"head beyond 1 MiB", reply(false, "HTTP/1.1 200 OK\r\n"+strings.Repeat("X-Many: "+strings.Repeat("m", 1000)+"\r\n", 1100)+"\r\n"),
		hostileWant{502, false, failedNoHead, failed502}},
	{"1xx flood", reply(false, strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 20)+"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		hostileWant{502, false, failedNoHead, failed502}},
	{"unsupported transfer coding", reply(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx"), hostileWant{502, false, failedNoHead, failed502}},
	{"lengths that disagree", reply(false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"),
		hostileWant{502, false, failedNoHead, failed502}},
	{"101 to a request that asked for no upgrade", reply(false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw"),
		hostileWant{502, false, answered, failed502}},
	// Bad bodies, before anything reached the client: 502.
	{"bad chunk size", reply(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n"),
		hostileWant{502, false, failedAfterHead, failed502}},
	{"body short of its Content-Length", reply(false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok"), hostileWant{502, false, failedAfterHead, failed502}},
	// Closes at every stage.
	{"close before the head", reply(false), hostileWant{502, false, failedNoHead, failed502}},
	{"close mid-head", reply(false, "HTTP/1.1 200 OK\r\nContent-Le"), hostileWant{502, false, failedNoHead, failed502}},
	{"close after the head", reply(false, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"), hostileWant{502, false, failedAfterHead, failed502}},
	// A body without a length is streamed: each piece is flushed as it
	// arrives, so the client saw bytes.
	{"close mid-chunk", reply(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nok"), hostileWant{200, true, failedCut, failed502}},
	{"close mid-body after bytes went out", reply(false, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("x", 9000)),
		hostileWant{200, true, failedCut, failed502}},
	// Repaired: the client gets a well-formed response, the connection is
	// not reused, and one WARN line says so.
	{"body longer than its Content-Length", reply(true, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokay"), hostileWant{200, false, answered, repaired}},
	{"a second response unasked", reply(true, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil"),
		hostileWant{200, false, answered, repaired}},
	{"204 with a body", reply(true, "HTTP/1.1 204 No Content\r\nContent-Length: 4\r\n\r\nbody"), hostileWant{204, false, answered, repaired}},
	{"304 with a chunked body", reply(true, "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n"),
		hostileWant{304, false, answered, repaired}},
	{"NUL in a header value", reply(true, "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok"), hostileWant{200, false, answered, repaired}},
	// Slow: reply_timeout (300 ms) ends the wait; 504, not tried again.
	{"no reply", stall(""), hostileWant{504, false, failedTimeout, failed504}},
	{"head, then no body", stall("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), hostileWant{504, false, failedTimeout, failed504}},
	// Endless: the client stops reading; the response was cut.
	{"endless body", endless, hostileWant{200, true, failedCut, failed400}},
}

// stall writes head and then nothing until the proxy closes.
func stall(head string) func(c net.Conn) bool {
	return func(c net.Conn) bool {
		io.WriteString(c, head)
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		io.Copy(io.Discard, c)
		return false
	}
}

// endless streams a chunked body until the proxy stops taking it (at
// most 64 MiB).
func endless(c net.Conn) bool {
	io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
	chunk := "4000\r\n" + strings.Repeat("e", 0x4000) + "\r\n"
	c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	for range 4096 {
		if _, err := io.WriteString(c, chunk); err != nil {
			break
		}
	}
	return false
}

func TestHostileHTTPMember(t *testing.T) {
	for _, c := range httpHostileCases {
		t.Run(c.name, func(t *testing.T) {
			var cnt hostileCounter
			ts := hostileServer(t, "http", httpHostile(t, c.bad, &cnt))
			hostileCheck(t, ts, &cnt, c.want)
			if t.Failed() {
				t.Log(ts.log.String())
			}
		})
	}
}
