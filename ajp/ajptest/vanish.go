package ajptest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Vanisher is a loopback TCP relay in front of a member that forgets its
// connections the way a firewall forgets idle ones: after Vanish, the
// bytes of every connection open so far go nowhere (no FIN, no RST),
// while connections made later pass.
type Vanisher struct {
	ln      net.Listener
	to      string
	epoch   atomic.Int64
	dropped atomic.Int64
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

// NewVanisher relays a new loopback listener to the address to; Close
// stops it.
func NewVanisher(to string) (*Vanisher, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	v := &Vanisher{ln: ln, to: to}
	v.wg.Add(1)
	go v.accept()
	return v, nil
}

// Addr is the relay's address.
func (v *Vanisher) Addr() string { return v.ln.Addr().String() }

// Vanish makes every connection open now a black hole.
func (v *Vanisher) Vanish() { v.epoch.Add(1) }

// Dropped is how many bytes the client side wrote into black holes.
func (v *Vanisher) Dropped() int64 { return v.dropped.Load() }

func (v *Vanisher) accept() {
	defer v.wg.Done()
	for {
		a, err := v.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", v.to)
		if err != nil {
			a.Close()
			continue
		}
		v.mu.Lock()
		v.conns = append(v.conns, a, b)
		v.mu.Unlock()
		ep := v.epoch.Load()
		v.wg.Add(2)
		go v.pipe(a, b, ep, nil)
		go v.pipe(b, a, ep, &v.dropped)
	}
}

// pipe copies src to dst until src ends, dropping (and counting into
// drop) everything once the connection's epoch has passed; a vanished
// connection's end is not passed on either.
func (v *Vanisher) pipe(dst, src net.Conn, ep int64, drop *atomic.Int64) {
	defer v.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		gone := v.epoch.Load() != ep
		if n > 0 && gone && drop != nil {
			drop.Add(int64(n))
		}
		if n > 0 && !gone {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF || !gone {
				dst.Close()
			}
			return
		}
	}
}

// Close stops the relay and closes every connection it made.
func (v *Vanisher) Close() {
	v.ln.Close()
	v.mu.Lock()
	for _, c := range v.conns {
		c.Close()
	}
	v.mu.Unlock()
	v.wg.Wait()
}
