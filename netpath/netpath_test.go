package netpath

import (
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		unacked            uint32
		retransmits, probe uint8
		want               State
	}{
		{0, 0, 0, Acked},
		{0, 5, 0, Acked}, // an acknowledgement came: the path works
		{1, 0, 0, Unacked},
		{3, 1, 0, Losing},
		{1, DeadRetransmits, 0, Dead},
		{7, 9, 0, Dead},
		{0, 0, 1, Losing}, // dropped on this host: probed once
		{0, 0, DeadRetransmits, Dead},
	} {
		if got := classify(c.unacked, c.retransmits, c.probe); got != c.want {
			t.Errorf("classify(%d, %d, %d) = %v, want %v", c.unacked, c.retransmits, c.probe, got, c.want)
		}
	}
}

// TestCheckLoopback: a healthy loopback connection whose bytes were
// written is Acked (on Linux; Unknown elsewhere), and a connection
// without a socket is Unknown.
func TestCheckLoopback(t *testing.T) {
	c, s := testutil.TCPPair(t)
	if _, err := c.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 18)
	if _, err := s.Read(buf); err != nil { // received, so acknowledged on loopback
		t.Fatal(err)
	}
	want := Acked
	if runtime.GOOS != "linux" {
		want = Unknown
	}
	// The acknowledgement may trail the delivery (delayed ACK): poll.
	if got := pollState(c, want, 5*time.Second); got != want {
		t.Errorf("healthy loopback connection: %v, want %v", got, want)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if got := Check(p1); got != Unknown {
		t.Errorf("pipe: %v, want unknown", got)
	}
}

// pollState checks c every 10 ms until it is in state want or the
// failsafe timeout passes, and returns the last state seen.
func pollState(c net.Conn, want State, timeout time.Duration) State {
	deadline := time.Now().Add(timeout)
	for {
		got := Check(c)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}
