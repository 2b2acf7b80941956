package ajp_test

import (
	"net"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

func newVanisher(t *testing.T, to string) *ajptest.Vanisher {
	t.Helper()
	v, err := ajptest.NewVanisher(to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// vanishedPool is a pool of one slot through a vanisher to s, with an
// injected clock, and one connection idle in it.
func vanishedPool(t *testing.T, s *ajptest.Server, cfg ajp.PoolConfig) (*ajp.Pool, *ajptest.Vanisher, *clock) {
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
	eventually(t, "the CPing reaches the black hole", func() bool { return v.Dropped() >= 5 })
	if c.Reused() || s.Requests() != 2 || s.Connections() != 2 || s.Pings() != 0 || v.Dropped() != 5 {
		t.Fatalf("reused %v requests %d connections %d pings %d dropped %d (want the 5-byte CPing only)",
			c.Reused(), s.Requests(), s.Connections(), s.Pings(), v.Dropped())
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
	eventually(t, "the request reaches the black hole", func() bool { return v.Dropped() > 5 })
	if err == nil || !c.Reused() || s.Requests() != 1 || v.Dropped() <= 5 {
		t.Fatalf("err %v reused %v requests %d dropped %d", err, c.Reused(), s.Requests(), v.Dropped())
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
