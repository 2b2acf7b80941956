package ajp

import (
	"io"
	"testing"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// TestSendFirstWaitsForTheReply: the FORWARD_REQUEST goes out inside the
// wait for the reply, so sendFirst returns once the reply can be read and
// the first read finds it (docs/performance.md#send-and-wait); with the
// look left to it by the pool (check), a member that closed the pooled
// connection gets nothing written.
func TestSendFirstWaitsForTheReply(t *testing.T) {
	a, member := testutil.TCPPair(t)
	c := NewConn(a, 0)
	c.lease()
	defer c.release()
	x := &exchange{}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.sendFirst(x, []byte{0x12, 0x34, 0, 1, 10})
		done <- err
	}()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(member, buf); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("sendFirst returned before the member replied (%v)", err)
	default:
	}
	member.Write([]byte{'A', 'B', 0, 2, 5, 1}) // END_RESPONSE, reuse
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !c.armed {
		t.Fatal("the first read's deadline was not taken over from the wait")
	}
	if p, _, err := c.readPacket(0); err != nil || len(p) != 2 || p[0] != 5 {
		t.Fatalf("reply: %v, %v", p, err)
	}

	c.discard()
	// The member closes the connection while it sits in the pool.
	if !c.deferCheck() {
		t.Fatal("the look was not left to the send")
	}
	member.Close()
	if _, err := io.ReadFull(a, make([]byte, 1)); err == nil {
		t.Fatal("the close did not arrive")
	}
	n, k, err := c.sendFirst(x, []byte{0x12, 0x34, 0, 1, 10})
	if n != 0 || k != KindIO || err != ErrNotIdle {
		t.Fatalf("on a closed pooled connection: %d, %v, %v; want 0, KindIO, ErrNotIdle", n, k, err)
	}
}
