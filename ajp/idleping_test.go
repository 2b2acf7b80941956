package ajp_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// vanisher is a loopback TCP relay in front of a member that can forget
// its connections the way a firewall forgets idle ones: after Vanish,
// the bytes of every connection open so far go nowhere (no FIN, no RST),
// while new connections pass.
type vanisher struct {
	ln    net.Listener
	to    string
	epoch atomic.Int64
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newVanisher(t *testing.T, to string) *vanisher {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v := &vanisher{ln: ln, to: to}
	v.wg.Add(1)
	go v.accept()
	t.Cleanup(v.close)
	return v
}

func (v *vanisher) Addr() string { return v.ln.Addr().String() }

// Vanish makes every connection open now a black hole.
func (v *vanisher) Vanish() { v.epoch.Add(1) }

func (v *vanisher) accept() {
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
		go v.pipe(a, b, ep)
		go v.pipe(b, a, ep)
	}
}

// pipe copies src to dst until src closes, dropping everything once the
// connection's epoch has passed.
func (v *vanisher) pipe(dst, src net.Conn, ep int64) {
	defer v.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && v.epoch.Load() == ep {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF || v.epoch.Load() == ep {
				dst.Close()
			}
			return
		}
	}
}

func (v *vanisher) close() {
	v.ln.Close()
	v.mu.Lock()
	for _, c := range v.conns {
		c.Close()
	}
	v.mu.Unlock()
	v.wg.Wait()
}

// vanishedPool is a pool of one slot through a vanisher to s, with an
// injected clock, and one connection idle in it.
func vanishedPool(t *testing.T, s *ajptest.Server, cfg ajp.PoolConfig) (*ajp.Pool, *vanisher, *clock) {
	t.Helper()
	v := newVanisher(t, s.Addr())
	clk := newClock()
	cfg.Addr, cfg.Size, cfg.Now = v.Addr(), 1, clk.Now
	p := ajp.NewPool(cfg)
	t.Cleanup(p.Close)
	roundTrip(t, p)
	return p, v, clk
}

// TestIdlePingSavesRequestOnVanishedConn: with jkbalancer's defaults, a
// pooled connection whose peer vanished silently while it idled costs
// the request nothing: the idle CPing times out, a fresh connection
// carries the request, and nothing was written on the dead one.
func TestIdlePingSavesRequestOnVanishedConn(t *testing.T) {
	s := newServer(t, nil)
	p, v, clk := vanishedPool(t, s, ajp.PoolConfig{IdlePingAfter: 5 * time.Second, IdlePingTimeout: 100 * time.Millisecond,
		SocketTimeout: 10 * time.Second})
	v.Vanish()
	clk.Advance(6 * time.Second)
	c, _ := exchangeOnce(t, p)
	if c.Reused() || s.Requests() != 2 || s.Connections() != 2 || s.Pings() != 0 {
		t.Fatalf("reused %v requests %d connections %d pings %d", c.Reused(), s.Requests(), s.Connections(), s.Pings())
	}
	if st := p.Stats(); st.Open != 1 || st.Idle != 1 || st.InUse != 0 || !p.Free() {
		t.Fatalf("stats %+v free %v", st, p.Free())
	}
}

// TestIdlePingModJKValues: with mod_jk's values (no idle CPing) the
// request is written into the void and fails when socket_timeout (here
// short, to bound the test) runs out, exactly as through mod_jk.
func TestIdlePingModJKValues(t *testing.T) {
	s := newServer(t, nil)
	p, v, clk := vanishedPool(t, s, ajp.PoolConfig{SocketTimeout: 200 * time.Millisecond})
	v.Vanish()
	clk.Advance(6 * time.Second)
	c, err := p.Get(bg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exchange(get("/"), nil, &rec{}, safe)
	p.Put(c, false)
	if err == nil || !c.Reused() || s.Requests() != 1 {
		t.Fatalf("err %v reused %v requests %d", err, c.Reused(), s.Requests())
	}
}

// TestIdlePingSkipsBusyConn: a connection reused within IdlePingAfter is
// not pinged, so a busy member pays no extra round trip; one idle longer
// is pinged once, and a live one is then reused.
func TestIdlePingSkipsBusyConn(t *testing.T) {
	s := newServer(t, nil)
	p, _, clk := vanishedPool(t, s, ajp.PoolConfig{IdlePingAfter: 5 * time.Second, IdlePingTimeout: time.Second})
	for range 5 {
		clk.Advance(time.Second)
		roundTrip(t, p)
	}
	if s.Pings() != 0 || s.Connections() != 1 {
		t.Fatalf("busy connection: pings %d connections %d", s.Pings(), s.Connections())
	}
	clk.Advance(6 * time.Second)
	if c := roundTrip(t, p); !c.Reused() || s.Pings() != 1 || s.Connections() != 1 {
		t.Fatalf("idle connection: reused %v pings %d connections %d", c.Reused(), s.Pings(), s.Connections())
	}
}

// TestIdlePingBusyGetAllocs: the idle check adds no allocation to taking
// and returning a busy pooled connection.
func TestIdlePingBusyGetAllocs(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{IdlePingAfter: time.Hour, IdlePingTimeout: time.Second})
	roundTrip(t, p)
	allocs := testing.AllocsPerRun(100, func() {
		c, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		p.Put(c, true)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Get/Put", allocs)
	}
}

func TestKeepAliveConfig(t *testing.T) {
	if kc := ajp.KeepAliveConfig(true, 30*time.Second); kc != (net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}) {
		t.Errorf("jkbalancer default: %+v", kc)
	}
	if kc := ajp.KeepAliveConfig(true, 0); kc != (net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}) {
		t.Errorf("OS timing: %+v", kc)
	}
	if kc := ajp.KeepAliveConfig(false, 30*time.Second); kc.Enable {
		t.Errorf("off: %+v", kc)
	}
}
