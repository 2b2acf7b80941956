package server

import (
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestFailoverBeforeAnythingReachedTheClient: a member that dies in its
// body before anything of it reached the client (no flush, less than the
// responder keeps back) is failed over like one that dies before its
// head: the client gets the other member's whole response, and nothing
// of the first one (its header, its bytes).
func TestFailoverBeforeAnythingReachedTheClient(t *testing.T) {
	bad := ajptest.NewServer(ajptest.RawReply(false,
		ajptest.HeadersPacket(200, ajp.Header{Name: "X-Leak", Value: "1"}, cl("1000")), ajptest.BodyPacket([]byte("leak"))))
	defer bad.Close()
	good := ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer good.Close()
	ts := startServer(t, map[string]string{"workers.properties": twoMembers(bad, good, "")}, "/*=lb")
	got := hostileGet(t, ts.addr(), "/x;jsessionid=abc.t1") // the bad member first
	if got.status != 200 || got.cut || got.body == "" || got.body[:7] != "method=" {
		t.Fatalf("got %d cut %v %q, want the healthy member's whole response", got.status, got.cut, got.body)
	}
	if bad.Requests() != 1 || good.Requests() != 1 {
		t.Fatalf("members saw %d and %d requests, want 1 and 1", bad.Requests(), good.Requests())
	}
}
