package server

import (
	"io"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// cl is a Content-Length header.
func cl(n string) ajp.Header { return ajp.Header{Name: "Content-Length", Value: n} }

// edit returns p with its bytes from at replaced by b.
func edit(p []byte, at int, b ...byte) []byte { copy(p[at:], b); return p }

// afterHead sends SEND_HEADERS 200 with Content-Length 100000, then the
// packets, and closes: a failure after the head.
func afterHead(packets ...[]byte) ajptest.Handler {
	return ajptest.RawReply(false, append([][]byte{ajptest.HeadersPacket(200, cl("100000"))}, packets...)...)
}

// ajpHostileCases: every way an AJP member can get its reply wrong, and
// what the client, the next client, the member and the log see. How
// often the member gets the request follows from how it failed (sends).
var ajpHostileCases = []struct {
	name string
	bad  ajptest.Handler
	want hostileWant
}{
	// Framing errors: 502, member error, recoverable.
	{"wrong magic", ajptest.RawReply(false, edit(ajptest.HeadersPacket(200), 0, 'X', 'Y')), hostileWant{502, false, failedNoHead, failed502}},
	{"garbage instead of a packet", ajptest.RawReply(false, []byte("HTTP/1.1 200 OK\r\n\r\n")), hostileWant{502, false, failedNoHead, failed502}},
	{"length beyond the packet size", ajptest.RawReply(false, edit(ajptest.HeadersPacket(200), 2, 0xff, 0xff)), hostileWant{502, false, failedNoHead, failed502}},
	{"length beyond what was sent", ajptest.RawReply(false, edit(ajptest.HeadersPacket(200), 2, 0x10, 0)), hostileWant{502, false, failedNoHead, failed502}},
	{"header count beyond the packet", ajptest.RawReply(false, edit(ajptest.HeadersPacket(200, cl("2")), 9, 0xff, 0xff)), hostileWant{502, false, failedNoHead, failed502}},
	// Invalid messages: 500.
	{"unknown message type", ajptest.RawReply(false, ajptest.Packet(0x0b)), hostileWant{500, false, failedNoHead, failed500}},
	{"CPONG mid-request", ajptest.RawReply(false, ajptest.Packet(9)), hostileWant{500, false, failedNoHead, failed500}},
	{"body chunk before the headers", ajptest.RawReply(false, ajptest.BodyPacket([]byte("a"))), hostileWant{500, false, failedNoHead, failed500}},
	{"END_RESPONSE before the headers", ajptest.RawReply(false, ajptest.EndPacket(1)), hostileWant{500, false, failedNoHead, failed500}},
	// A status, even a refused 1xx, is the member's answer: never resent.
	{"status 101", ajptest.RawReply(false, ajptest.HeadersPacket(101), ajptest.EndPacket(1)), hostileWant{500, false, failedAnswered, failed500}},
	{"status 0", ajptest.RawReply(false, ajptest.HeadersPacket(0), ajptest.EndPacket(1)), hostileWant{500, false, failedNoHead, failed500}},
	{"body chunk longer than its packet", afterHead(edit(ajptest.BodyPacket([]byte("abc")), 5, 0, 0x10)), hostileWant{500, false, failedAfterHead, failed500}},
	{"second SEND_HEADERS", afterHead(ajptest.HeadersPacket(200)), hostileWant{500, false, failedAfterHead, failed500}},
	{"second SEND_HEADERS after body", afterHead(ajptest.BodyPacket([]byte("a")), ajptest.HeadersPacket(200)), hostileWant{500, false, failedAfterHead, failed500}},
	// Closes at every stage: 502 while nothing reached the client.
	{"close before the head", ajptest.RawReply(false), hostileWant{502, false, failedNoHead, failed502}},
	{"close after the head", afterHead(), hostileWant{502, false, failedAfterHead, failed502}},
	{"close mid-body", afterHead(ajptest.BodyPacket(make([]byte, 100))), hostileWant{502, false, failedAfterHead, failed502}},
	{"close before END_RESPONSE", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("3")), ajptest.BodyPacket([]byte("abc"))), hostileWant{502, false, failedAfterHead, failed502}},
	{"truncated END_RESPONSE", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("3")), ajptest.BodyPacket([]byte("abc")), ajptest.Packet(5)), hostileWant{502, false, failedAfterHead, failed502}},
	// Once more than the responder keeps back went out: cut, never resent.
	{"close mid-body after bytes went out", afterHead(ajptest.BodyPacket(make([]byte, 8184)), ajptest.BodyPacket(make([]byte, 100))), hostileWant{200, true, failedCut, failed502}},
	{"flush, then close", afterHead(ajptest.BodyPacket([]byte("a")), ajptest.BodyPacket(nil)), hostileWant{200, true, failedCut, failed502}},
	// Repaired: the client gets a well-formed response, the connection is
	// not reused where bytes are left over, and one WARN line says so.
	{"data after END_RESPONSE", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("ok")),
		ajptest.EndPacket(1), []byte("junk")), hostileWant{200, false, answered, repaired}},
	{"packet after END_RESPONSE", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("ok")),
		ajptest.EndPacket(1), ajptest.HeadersPacket(200, cl("4")), ajptest.BodyPacket([]byte("evil")), ajptest.EndPacket(1)), hostileWant{200, false, answered, repaired}},
	{"NUL in a header value", ajptest.RawReply(true, ajptest.HeadersPacket(200, ajp.Header{Name: "X-A", Value: "a\x00b"}, cl("2")),
		ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)), hostileWant{200, false, answered, repaired}},
	{"204 with a body", ajptest.RawReply(true, ajptest.HeadersPacket(204, cl("4")), ajptest.BodyPacket([]byte("body")),
		ajptest.EndPacket(1)), hostileWant{204, false, answered, repaired}},
	{"304 with a body", ajptest.RawReply(true, ajptest.HeadersPacket(304), ajptest.BodyPacket([]byte("body")),
		ajptest.EndPacket(1)), hostileWant{304, false, answered, repaired}},
	// A body kept back whole goes out with its own length, as httpd's
	// content-length filter sets it; one that went out before it ended is
	// cut to the announced length.
	{"body longer than its Content-Length", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("okay")),
		ajptest.EndPacket(1)), hostileWant{200, false, answered, repaired}},
	{"body short of its Content-Length", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("10")), ajptest.BodyPacket([]byte("ok")),
		ajptest.EndPacket(1)), hostileWant{200, false, answered, repaired}},
	{"body beyond a large Content-Length", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("9000")),
		ajptest.BodyPacket(make([]byte, 8184)), ajptest.BodyPacket(make([]byte, 8184)), ajptest.EndPacket(1)), hostileWant{200, false, answered, repaired}},
	// A huge head (1000 headers, just under max_packet_size 8192) is
	// passed on; one in a packet longer than max_packet_size is mod_jk's
	// "wrong message size", a protocol error: 502.
	{"huge header count", ajptest.RawReply(true, manyHeaders(1000), ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)),
		hostileWant{200, false, answered, ""}},
	{"head beyond the packet size", ajptest.RawReply(false, manyHeaders(2000), ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)),
		hostileWant{502, false, failedNoHead, failed502}},
	// Reuse flags: 0 is obeyed even if the member keeps the connection
	// open, any other value means reuse; a member that closes after a
	// reuse END_RESPONSE is found stale and the next request goes to a new
	// connection. Nothing to log.
	{"reuse flag 0, connection kept open", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("ok")),
		ajptest.EndPacket(0)), hostileWant{200, false, answered, ""}},
	{"reuse flag 1, then close", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("ok")),
		ajptest.EndPacket(1)), hostileWant{200, false, answered, ""}},
	{"reuse flag 2", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("ok")),
		ajptest.EndPacket(2)), hostileWant{200, false, answered, ""}},
	// A body chunk in a packet longer than max_packet_size: mod_jk's
	// "wrong message size" (ajp_connection_tcp_get_message), 502.
	{"body chunk beyond the packet size", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("9000")),
		ajptest.BodyPacket(make([]byte, 9000)), ajptest.EndPacket(1)), hostileWant{502, false, failedAfterHead, failed502}},
	// Endless: the client stops reading; the response was cut.
	{"endless body", func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200)
		for i := 0; i < 8192 && r.Context().Err() == nil; i++ {
			if _, err := w.Write(make([]byte, 8184)); err != nil {
				break
			}
		}
		w.CloseConn()
	}, hostileWant{200, true, failedCut, failed400}},
	// Slow: reply_timeout (300 ms) ends the wait; 504.
	{"no reply", silent(false), hostileWant{504, false, failedTimeout, failed504}},
	{"head, then no body", silent(true), hostileWant{504, false, failedTimeout, failed504}},
}

// manyHeaders is SEND_HEADERS with n small headers.
func manyHeaders(n int) []byte {
	hs := make([]ajp.Header, n)
	for i := range hs {
		hs[i] = ajp.Header{Name: "X", Value: "1"}
	}
	return ajptest.HeadersPacket(200, hs...)
}

// silent answers nothing (or only the head) until the proxy gives up and
// closes the connection.
func silent(head bool) ajptest.Handler {
	return func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		if head {
			w.SendHeaders(200, cl("1000"))
			w.Raw(nil)
		}
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
		w.CloseConn()
	}
}

func TestHostileAJPMember(t *testing.T) {
	for _, c := range ajpHostileCases {
		t.Run(c.name, func(t *testing.T) {
			var cnt hostileCounter
			ts := hostileServer(t, "ajp13", ajpHostile(t, c.bad, &cnt))
			hostileCheck(t, ts, &cnt, c.want)
			if t.Failed() {
				t.Log(ts.log.String())
			}
		})
	}
}
