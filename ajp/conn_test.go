package ajp

import (
	"net"
	"testing"
	"time"
)

// tcpPair returns a client Conn and the server side of a loopback socket.
func tcpPair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := NewConn(nc, 0)
	t.Cleanup(func() { c.Close(); srv.Close() })
	return c, srv
}

// A deadline that passed while the connection was idle must not make a
// live connection look dead.
func TestAliveAfterStaleDeadline(t *testing.T) {
	c, _ := tcpPair(t)
	c.nc.SetReadDeadline(time.Now().Add(-time.Second))
	c.rdl = true
	if !c.Alive() {
		t.Fatal("stale deadline made a live connection look dead")
	}
}

func TestAliveStates(t *testing.T) {
	c, srv := tcpPair(t)
	if !c.Alive() {
		t.Fatal("fresh connection not alive")
	}
	srv.Write([]byte{'A'})
	// The byte reaches the socket asynchronously; wait for it with a
	// blocking peek through the buffer (leased, as an exchange would),
	// then the check must see junk.
	c.lease()
	if _, err := c.br.Peek(1); err != nil {
		t.Fatal(err)
	}
	if c.Alive() {
		t.Fatal("junk pending, still alive")
	}
	c2, srv2 := tcpPair(t)
	srv2.Close() // the FIN arrives asynchronously
	deadline := time.Now().Add(5 * time.Second)
	for c2.Alive() {
		if time.Now().After(deadline) {
			t.Fatal("peer close not seen")
		}
	}
}
