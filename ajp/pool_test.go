package ajp_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// clock is an injectable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// roundTrip does one GET on a connection from p and puts it back.
func roundTrip(t *testing.T, p *ajp.Pool) *ajp.Conn {
	t.Helper()
	c, _ := exchangeOnce(t, p)
	return c
}

func TestPoolLIFO(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{})
	c1, _ := p.Get(bg)
	c2, _ := p.Get(bg)
	if c1 == nil || c2 == nil || c1.Reused() || c2.Reused() {
		t.Fatal("fresh connections expected")
	}
	p.Put(c1, true)
	p.Put(c2, true)
	p.Put(c2, true) // a second Put is ignored
	if st := p.Stats(); st.Open != 2 || st.Idle != 2 || st.InUse != 0 || st.MaxOpen != 2 {
		t.Fatalf("stats %+v", st)
	}
	c, _ := p.Get(bg)
	if c != c2 || !c.Reused() {
		t.Fatal("not the most recently used connection")
	}
	if st := p.Stats(); st.Idle != 1 || st.InUse != 1 {
		t.Fatalf("stats %+v", st)
	}
	p.Put(c, false)
	if st := p.Stats(); st.Open != 1 || st.Idle != 1 {
		t.Fatalf("Put(false) kept the connection: %+v", st)
	}
}

func TestPoolStaleConnection(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{})
	c := roundTrip(t, p)
	if !c.Alive() {
		t.Fatal("a kept-alive connection is not Alive")
	}
	s.CloseIdleConns() // member restarted
	eventually(t, "the peer's FIN", func() bool { return !c.Alive() })
	c2 := roundTrip(t, p)
	if c2 == c || c2.Reused() || s.Connections() != 2 {
		t.Fatalf("stale connection handed out (connections %d)", s.Connections())
	}
	if st := p.Stats(); st.Open != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPoolAcquireTimeout(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{Size: 1, AcquireTimeout: 20 * time.Millisecond})
	if !p.Free() {
		t.Fatal("empty pool not Free")
	}
	c, err := p.Get(bg)
	if err != nil {
		t.Fatal(err)
	}
	if p.Free() {
		t.Fatal("full pool is Free")
	}
	_, err = p.Get(bg)
	wantErr(t, err, ajp.StageConnect, ajp.KindNoSlot)

	// A waiting Get gets the slot as soon as it is given back.
	got := make(chan error, 1)
	p2 := newPool(t, s, ajp.PoolConfig{Size: 1, AcquireTimeout: time.Minute})
	c2, _ := p2.Get(bg)
	go func() {
		c, err := p2.Get(bg)
		if err == nil {
			p2.Put(c, true)
		}
		got <- err
	}()
	p2.Put(c2, true)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	p.Put(c, true)
	if !p.Free() {
		t.Fatal("slot not released")
	}
}

func TestPoolNoWait(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{Size: 1})
	c, _ := p.Get(bg)
	defer p.Put(c, true)
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StageConnect, ajp.KindNoSlot)

	zero := ajp.NewPool(ajp.PoolConfig{Addr: s.Addr(), Size: 0, AcquireTimeout: time.Second})
	defer zero.Close()
	if zero.Free() {
		t.Fatal("pool of size 0 is Free")
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	_, err = zero.Get(ctx)
	wantErr(t, err, ajp.StageConnect, ajp.KindIO)
}

func TestPoolMaintainIdle(t *testing.T) {
	s := newServer(t, nil)
	clk := newClock()
	p := newPool(t, s, ajp.PoolConfig{Size: 4, MinSize: 1, IdleTimeout: 10 * time.Second, Now: clk.Now})
	var cs []*ajp.Conn
	for range 3 {
		c, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	p.Put(cs[0], true)
	clk.Advance(5 * time.Second)
	p.Put(cs[1], true)
	p.Put(cs[2], true)
	p.Maintain()
	if st := p.Stats(); st.Open != 3 {
		t.Fatalf("closed too early: %+v", st)
	}
	clk.Advance(6 * time.Second) // cs[0] is 11 s idle, the others 6 s
	p.Maintain()
	if st := p.Stats(); st.Open != 2 || st.Idle != 2 {
		t.Fatalf("stats %+v", st)
	}
	clk.Advance(time.Hour)
	p.Maintain()
	if st := p.Stats(); st.Open != 1 || st.Idle != 1 {
		t.Fatalf("MinSize not kept: %+v", st)
	}
	eventually(t, "the container to see the closes", func() bool { return s.OpenConns() == 1 })
}

func TestPoolMaintainPing(t *testing.T) {
	s := newServer(t, nil)
	clk := newClock()
	p := newPool(t, s, ajp.PoolConfig{PingInterval: 5 * time.Second, PingTimeout: time.Second, Now: clk.Now})
	roundTrip(t, p)
	p.Maintain()
	if s.Pings() != 0 {
		t.Fatal("pinged a fresh connection")
	}
	clk.Advance(6 * time.Second)
	p.Maintain()
	if s.Pings() != 1 || p.Stats().Idle != 1 {
		t.Fatalf("pings %d stats %+v", s.Pings(), p.Stats())
	}
	p.Maintain() // pinged just now: not due again
	if s.Pings() != 1 {
		t.Fatal("pinged twice in one interval")
	}
	clk.Advance(6 * time.Second)
	s.SetCPong(ajptest.CPongIgnore) // hung container
	p2 := newPool(t, s, ajp.PoolConfig{PingInterval: 5 * time.Second, PingTimeout: 30 * time.Millisecond, Now: clk.Now})
	roundTrip(t, p2)
	clk.Advance(6 * time.Second)
	p2.Maintain()
	if st := p2.Stats(); st.Open != 0 || !p2.Free() {
		t.Fatalf("unanswered CPing kept the connection: %+v", st)
	}
}

func TestPoolConnectPing(t *testing.T) {
	s := newServer(t, nil, ajptest.WithCPong(ajptest.CPongClose))
	p := newPool(t, s, ajp.PoolConfig{ConnectPing: time.Second})
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StagePing, ajp.KindIO)
	s.SetCPong(ajptest.CPongIgnore)
	p = newPool(t, s, ajp.PoolConfig{ConnectPing: 30 * time.Millisecond})
	_, err = p.Get(bg)
	wantErr(t, err, ajp.StagePing, ajp.KindTimeout)
	if st := p.Stats(); st.Open != 0 || !p.Free() {
		t.Fatalf("failed connection counted: %+v", st)
	}
	s.SetCPong(ajptest.CPongAnswer)
	roundTrip(t, p)
	if s.Pings() != 3 {
		t.Fatalf("pings %d", s.Pings())
	}
}

func TestPoolPrepostPing(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{PrepostPing: time.Second})
	roundTrip(t, p)
	roundTrip(t, p)
	// One CPing for the fresh connection (there is no connect ping, so the
	// pre-request ping covers it, like mod_jk) and one before its reuse.
	if s.Pings() != 2 || s.Connections() != 1 {
		t.Fatalf("pings %d connections %d", s.Pings(), s.Connections())
	}
	// A pooled connection that does not answer is dropped; the fresh one
	// that replaces it is pinged too, and a stopping Tomcat fails that.
	s.SetCPong(ajptest.CPongClose)
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StagePing, ajp.KindIO)
	if s.Connections() != 2 || !p.Free() {
		t.Fatalf("connections %d free %v", s.Connections(), p.Free())
	}
}

// TestPoolPrepostPingCatchesHungMember: with ping_mode=P alone, a member
// that accepts connections but never answers (SIGSTOP) must fail the CPing
// on a fresh connection instead of receiving the request.
func TestPoolPrepostPingCatchesHungMember(t *testing.T) {
	s := newServer(t, nil)
	s.SetCPong(ajptest.CPongIgnore)
	p := newPool(t, s, ajp.PoolConfig{PrepostPing: 50 * time.Millisecond})
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StagePing, ajp.KindTimeout)
	if s.Requests() != 0 {
		t.Fatalf("hung member got %d requests", s.Requests())
	}
}

func TestPoolConnectFailure(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := ajp.NewPool(ajp.PoolConfig{Addr: addr, Size: 1})
	defer p.Close()
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StageConnect, ajp.KindIO)
	if !p.Free() || p.Stats().Open != 0 {
		t.Fatal("failed dial leaked a slot")
	}
	wantErr(t, p.Ping(bg, time.Second), ajp.StageConnect, ajp.KindIO)
}

func TestPoolClose(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{Size: 1, AcquireTimeout: time.Minute})
	roundTrip(t, p)
	c, _ := p.Get(bg)
	waiting := make(chan error, 1)
	go func() {
		_, err := p.Get(bg)
		waiting <- err
	}()
	p.Close()
	e := wantErr(t, <-waiting, ajp.StageConnect, ajp.KindClosed)
	if !errors.Is(e, ajp.ErrPoolClosed) {
		t.Fatal("not ErrPoolClosed")
	}
	p.Put(c, true)
	if c.Alive() || p.Stats().Open != 0 {
		t.Fatalf("Put after Close kept the connection: %+v", p.Stats())
	}
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StageConnect, ajp.KindClosed)
	p.Close() // twice is fine
}

func TestPoolSetAddr(t *testing.T) {
	a := newServer(t, ajptest.EchoHandler("a"))
	b := newServer(t, ajptest.EchoHandler("b"))
	p := newPool(t, a, ajp.PoolConfig{})
	roundTrip(t, p)
	inUse, _ := p.Get(bg)
	p.SetAddr(b.Addr())
	if p.Addr() != b.Addr() || p.Stats().Idle != 0 {
		t.Fatalf("idle connections kept: %+v", p.Stats())
	}
	p.Put(inUse, true) // dialed for the old address: closed
	var w rec
	c, _ := p.Get(bg)
	c.Exchange(get("/"), nil, &w, safe)
	p.Put(c, true)
	if b.Requests() != 1 || p.Stats().Open != 1 {
		t.Fatalf("b requests %d, stats %+v", b.Requests(), p.Stats())
	}
}

func TestPoolPing(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{Size: 1})
	c, _ := p.Get(bg) // the probe needs no slot
	defer p.Put(c, true)
	if err := p.Ping(bg, time.Second); err != nil {
		t.Fatal(err)
	}
	if s.Connections() != 2 || s.Pings() != 1 || p.Stats().Open != 1 {
		t.Fatalf("connections %d pings %d", s.Connections(), s.Pings())
	}
	s.SetCPong(ajptest.CPongIgnore)
	wantErr(t, p.Ping(bg, 30*time.Millisecond), ajp.StagePing, ajp.KindTimeout)
}

func TestPoolDisableReuse(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{DisableReuse: true})
	roundTrip(t, p)
	roundTrip(t, p)
	if s.Connections() != 2 || p.Stats().Open != 0 {
		t.Fatalf("connections %d stats %+v", s.Connections(), p.Stats())
	}
}

// Many goroutines share a small pool; run with -race.
func TestPoolConcurrent(t *testing.T) {
	s := newServer(t, ajptest.EchoHandler("r"))
	p := newPool(t, s, ajp.PoolConfig{Size: 3, AcquireTimeout: time.Minute})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for range 20 {
				c, err := p.Get(bg)
				if err != nil {
					errs <- err
					return
				}
				res, err := c.Exchange(get("/"), nil, &rec{}, safe)
				p.Put(c, err == nil && res.Reuse)
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := p.Stats(); st.MaxOpen > 3 || st.InUse != 0 || s.Requests() != 320 {
		t.Fatalf("stats %+v requests %d", st, s.Requests())
	}
}

// TestPoolPrepostPingTimeoutStopsAtFirst: a pooled connection whose CPing
// times out means a hung member; the other pooled connections are not
// tried one timeout after another.
func TestPoolPrepostPingTimeoutStopsAtFirst(t *testing.T) {
	s := newServer(t, nil)
	p := newPool(t, s, ajp.PoolConfig{Size: 4, PrepostPing: 200 * time.Millisecond})
	cs := make([]*ajp.Conn, 3)
	for i := range cs {
		c, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	for _, c := range cs {
		p.Put(c, true)
	}
	pings := s.Pings()
	s.SetCPong(ajptest.CPongIgnore)
	start := time.Now()
	_, err := p.Get(bg)
	wantErr(t, err, ajp.StagePing, ajp.KindTimeout)
	if got := s.Pings() - pings; got != 1 {
		t.Fatalf("%d CPings sent, want 1 (stop at the first timeout); took %v", got, time.Since(start))
	}
	if st := p.Stats(); st.Idle != 2 {
		t.Fatalf("idle %d, want the 2 untried connections kept", st.Idle)
	}
}

// TestExchangeCountsThePingsOfItsGet: mod_jk counts the CPing/CPong of the
// request's connect or pre-request ping into the request's bytes, which
// method Traffic adds to the lb value.
func TestExchangeCountsThePingsOfItsGet(t *testing.T) {
	s := newServer(t, nil)
	plain := newPool(t, s, ajp.PoolConfig{})
	pinged := newPool(t, s, ajp.PoolConfig{ConnectPing: time.Second})
	_, ra := exchangeOnce(t, plain)
	_, rb := exchangeOnce(t, pinged)
	if rb.Sent-ra.Sent != 5 || rb.Received-ra.Received != 5 {
		t.Fatalf("with connect ping sent %d received %d; without %d %d: want 5 more each way",
			rb.Sent, rb.Received, ra.Sent, ra.Received)
	}
}

// exchangeOnce sends GET / on a connection from p and gives it back.
func exchangeOnce(t *testing.T, p *ajp.Pool) (*ajp.Conn, ajp.Result) {
	t.Helper()
	c, err := p.Get(bg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Exchange(get("/"), nil, &rec{}, safe)
	p.Put(c, err == nil && res.Reuse)
	if err != nil {
		t.Fatal(err)
	}
	return c, res
}

// TestLargerBackendPacketsAreRefused: a Tomcat configured with a larger
// packetSize than the worker's max_packet_size sends body chunks longer
// than max_packet_size. mod_jk refuses them ("wrong message size", a
// protocol error, in ajp_connection_tcp_get_message), so the two sizes
// must match; with matching sizes the chunks arrive intact and the
// connection serves the next exchange.
func TestLargerBackendPacketsAreRefused(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 4000) // 64000 bytes
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		w.SendHeaders(200)
		w.Write(big)
		w.End(true)
	}, ajptest.WithPacketSize(65536))
	for _, psize := range []int{8192, 65536} {
		p := newPool(t, s, ajp.PoolConfig{MaxPacketSize: psize})
		c, err := p.Get(bg)
		if err != nil {
			t.Fatal(err)
		}
		var r rec
		res, err := c.Exchange(get("/"), nil, &r, safe)
		p.Put(c, err == nil && res.Reuse)
		if psize == 8192 {
			wantErr(t, err, ajp.StageResponse, ajp.KindProtocol)
			if r.body.Len() != 0 || res.Reuse {
				t.Fatalf("max_packet_size 8192: %d body bytes passed on, reuse %v", r.body.Len(), res.Reuse)
			}
			continue
		}
		if err != nil || !bytes.Equal(r.body.Bytes(), big) || !res.Reuse {
			t.Fatalf("max_packet_size 65536: err %v, got %d bytes of %d, reuse %v", err, r.body.Len(), len(big), res.Reuse)
		}
		if c2, _ := exchangeOnce(t, p); c2 != c {
			t.Fatal("connection not reused after a large packet")
		}
	}
}
