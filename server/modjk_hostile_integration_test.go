//go:build integration

// Differential test of members that get their reply wrong
// (docs/compat.md#status-codes): what the client gets through httpd + mod_jk and
// through
// jkbalancer. Where jkbalancer differs on purpose the case says so; the
// test pins both sides, so a change in either shows.

package server

import (
	"fmt"
	"io"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

var hostileDiff = []struct {
	path         string
	bad          ajptest.Handler
	modjk, jkbal string // the client's view, as summarize gives it
}{
	// Failures after the head, before anything left httpd: its error page.
	{"/short", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("1000")), ajptest.BodyPacket(make([]byte, 100))),
		"502 page", "502 page"},
	{"/twice", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("1000")), ajptest.HeadersPacket(200)),
		"500 page", "500 page"},
	// mod_jk only refuses SEND_HEADERS right after SEND_HEADERS; after a
	// body chunk it takes the second head, and the close that follows
	// makes it 502. jkbalancer refuses any second head.
	{"/twice-after-body", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("1000")), ajptest.BodyPacket([]byte("a")),
		ajptest.HeadersPacket(200)), "502 page", "500 page"},
	// mod_jk passes a 101 on, a head the client cannot use; jkbalancer
	// refuses a 1xx in SEND_HEADERS.
	{"/101", ajptest.RawReply(true, ajptest.HeadersPacket(101), ajptest.BodyPacket([]byte("hello")), ajptest.EndPacket(1)),
		"101 body=0", "500 page"},
	// Packets longer than max_packet_size (8192): mod_jk's "wrong message
	// size", a protocol error, 502, in a head or in a body chunk before
	// anything left httpd.
	{"/big-head", ajptest.RawReply(false, manyHeaders(2000), ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)),
		"502 page", "502 page"},
	{"/big-chunk", ajptest.RawReply(false, ajptest.HeadersPacket(200, cl("9000")), ajptest.BodyPacket(make([]byte, 9000)),
		ajptest.EndPacket(1)), "502 page", "502 page"},
	// Bodies on statuses without one: dropped, headers kept.
	{"/204", ajptest.RawReply(true, ajptest.HeadersPacket(204, ajp.Header{Name: "X-App", Value: "1"}),
		ajptest.BodyPacket([]byte("hello")), ajptest.EndPacket(1)), "204 X-App=1 body=0", "204 X-App=1 body=0"},
	{"/304", ajptest.RawReply(true, ajptest.HeadersPacket(304, ajp.Header{Name: "X-App", Value: "1"}),
		ajptest.BodyPacket([]byte("hello")), ajptest.EndPacket(1)), "304 X-App=1 body=0", "304 X-App=1 body=0"},
	// Control bytes in a value: mod_jk ends a value at a NUL; jkbalancer
	// makes it a blank, as it does CR and LF. httpd refuses a head with CR
	// or LF in a value (500); jkbalancer passes it with blanks.
	{"/nul", ajptest.RawReply(true, ajptest.HeadersPacket(200, ajp.Header{Name: "X-App", Value: "a\x00b"}, cl("2")),
		ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)), "200 X-App=a body=2", "200 X-App=a b body=2"},
	{"/crlf", ajptest.RawReply(true, ajptest.HeadersPacket(200, ajp.Header{Name: "X-App", Value: "a\r\nX-Evil: 1"}, cl("2")),
		ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)), "500 page", "200 X-App=a  X-Evil: 1 body=2"},
	// Bodies that do not match their Content-Length: httpd holds the
	// whole response and its content-length filter sends the body's own
	// length.
	{"/long", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("2")), ajptest.BodyPacket([]byte("okay")), ajptest.EndPacket(1)),
		"200 body=4", "200 body=4"},
	{"/short-end", ajptest.RawReply(true, ajptest.HeadersPacket(200, cl("10")), ajptest.BodyPacket([]byte("ok")), ajptest.EndPacket(1)),
		"200 body=2", "200 body=2"},
}

// summarize is the client's view of one reply: status, X-App when set,
// and the body's length or "page" for the proxy's own error page.
func summarize(r *itRawResp, err error) string {
	if err != nil {
		return "no answer"
	}
	s := fmt.Sprint(r.status)
	if v := r.header.Get("X-App"); v != "" {
		s += " X-App=" + v
	}
	if isErrorPage(r) {
		return s + " page"
	}
	return s + fmt.Sprintf(" body=%d", len(r.body))
}

func TestModJKHostileResponses(t *testing.T) {
	itRequireDeps(t, "httpd")
	routes := map[string]ajptest.Handler{}
	for _, c := range hostileDiff {
		routes[c.path] = c.bad
	}
	m := ajptest.NewServer(ajptest.Routes(routes, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		io.Copy(io.Discard, r.Body)
		w.SendHeaders(400)
		w.End(true)
	}))
	t.Cleanup(m.Close)
	h, j := itStartPair(t, m.Addr(), "")
	for _, c := range hostileDiff {
		modjk, jkbal := summarize(itRawGet(h.addr, c.path)), summarize(itRawGet(j.addr, c.path))
		if modjk != c.modjk || jkbal != c.jkbal {
			t.Errorf("%s:\n  mod_jk:     %s (want %s)\n  jkbalancer: %s (want %s)", c.path, modjk, c.modjk, jkbal, c.jkbal)
		}
	}
}
