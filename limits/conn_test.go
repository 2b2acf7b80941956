package limits

import (
	"errors"
	"net"
	"runtime"
	"testing"
	"time"
)

// waitFor spins (yielding) until cond holds, failing after 5 s: it
// observes a state change another goroutine makes, without sleeping.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (c *ConnLimiter) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waiters
}

// TestConnLimiterWaitsForASlot: beyond the cap Acquire waits until a slot
// is released, or returns false when done closes; no cap never waits.
func TestConnLimiterWaitsForASlot(t *testing.T) {
	var c ConnLimiter
	capOf := func() int { return 2 }
	done := make(chan struct{})
	if !c.Acquire(capOf, done) || !c.Acquire(capOf, done) || c.Count() != 2 {
		t.Fatalf("two slots under a cap of 2: count %d", c.Count())
	}
	got := make(chan bool)
	go func() { got <- c.Acquire(capOf, done) }()
	waitFor(t, "the third Acquire to wait", func() bool { return c.waiting() == 1 })
	select {
	case <-got:
		t.Fatal("a third slot was given under a cap of 2")
	default:
	}
	c.Release()
	if !<-got || c.Count() != 2 {
		t.Fatalf("after a release: count %d, want the waiter in and 2", c.Count())
	}

	go func() { got <- c.Acquire(capOf, done) }()
	waitFor(t, "the next Acquire to wait", func() bool { return c.waiting() == 1 })
	close(done)
	if <-got || c.Count() != 2 {
		t.Fatalf("Acquire after done: got a slot, or count %d != 2", c.Count())
	}
	if !c.Acquire(func() int { return 0 }, nil) || c.Count() != 3 {
		t.Fatalf("cap 0 (none): count %d", c.Count())
	}
}

// TestConnLimiterRereadsTheCap: a raised cap lets a waiter in although no
// slot was released (a reload changes max_connections).
func TestConnLimiterRereadsTheCap(t *testing.T) {
	var c ConnLimiter
	limit := make(chan int, 1)
	limit <- 1
	capOf := func() int { n := <-limit; limit <- n; return n }
	c.Acquire(capOf, nil)
	got := make(chan bool)
	go func() { got <- c.Acquire(capOf, nil) }()
	waitFor(t, "the second Acquire to wait", func() bool { return c.waiting() == 1 })
	<-limit
	limit <- 2
	select {
	case ok := <-got:
		if !ok || c.Count() != 2 {
			t.Fatalf("raised cap: ok %v count %d", ok, c.Count())
		}
	case <-time.After(30 * capRecheck): // a failsafe, not a timing assertion
		t.Fatal("a raised cap did not let the waiter in")
	}
}

// TestListenerCapsAcceptedConnections: a Listener holds a slot per open
// connection (given back once, however often it is closed), marks what
// accepted says, and Close ends an Accept waiting for a slot.
func TestListenerCapsAcceptedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var c ConnLimiter
	calls := 0
	l := NewListener(ln, &c, func() int { return 1 }, func() bool { calls++; return calls == 1 })
	type result struct {
		c   net.Conn
		err error
	}
	accept := func() chan result {
		ch := make(chan result, 1)
		go func() { c, err := l.Accept(); ch <- result{c, err} }()
		return ch
	}
	dial := func() net.Conn {
		d, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	first := accept()
	dial()
	r := <-first
	if r.err != nil {
		t.Fatal(r.err)
	}
	conn, ok := r.c.(*Conn)
	if !ok || !conn.Strict() || c.Count() != 1 {
		t.Fatalf("first connection %T strict %v, count %d", r.c, ok && conn.Strict(), c.Count())
	}
	if _, ok := conn.NetConn().(*net.TCPConn); !ok {
		t.Errorf("NetConn is %T, want the socket", conn.NetConn())
	}

	second := accept()
	dial()
	waitFor(t, "the second Accept to wait for a slot", func() bool { return c.waiting() == 1 })
	conn.Close()
	conn.Close()
	r = <-second
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.c.(*Conn).Strict() || c.Count() != 1 {
		t.Fatalf("second connection strict %v, count %d; want not strict and 1 (one release per conn)", r.c.(*Conn).Strict(), c.Count())
	}

	third := accept()
	waitFor(t, "the third Accept to wait for a slot", func() bool { return c.waiting() == 1 })
	l.Close()
	if r := <-third; !errors.Is(r.err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, want net.ErrClosed", r.err)
	}
	r.c.Close()
	if n := c.Count(); n != 0 {
		t.Fatalf("%d slots taken after every connection closed", n)
	}
}
