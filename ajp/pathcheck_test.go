package ajp_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// pathProbe is an injected path check: it counts its calls and answers
// state from call after+1 on, once the member has the request (seen, when
// set, says so), and Unacked before: a request closed before the member
// read it would not be counted.
type pathProbe struct {
	calls atomic.Int32
	after int32
	state netpath.State
	seen  *atomic.Int32
}

func (p *pathProbe) check(net.Conn) netpath.State {
	if p.calls.Add(1) > p.after && (p.seen == nil || p.seen.Load() > 0) {
		return p.state
	}
	return netpath.Unacked
}

// hangServer answers 200 at once, except /hang, answered once release is
// closed or its connection closes. It counts the /hang requests.
func hangServer(t *testing.T) (*ajptest.Server, chan struct{}, *atomic.Int32) {
	release := make(chan struct{})
	var hung atomic.Int32
	s := newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if r.URI == "/hang" {
			hung.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		ajptest.DrainHandler(w, r)
	})
	return s, release, &hung
}

// twoConns leaves two connections in the pool and returns one of them
// taken out again, with the other idle.
func twoConns(t *testing.T, p *ajp.Pool) *ajp.Conn {
	t.Helper()
	c1, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c2, true)
	if st := p.Stats(); st.Idle != 1 || st.Open != 2 {
		t.Fatalf("pool %+v, want 2 open, 1 idle", st)
	}
	return c1
}

// TestPathDeadAbortsResendable: a request that may be sent again and
// whose path is found dead fails with KindPathDead at StageReply; the
// pool's idle connections are closed and it turns suspect; a connect that
// succeeds clears that. Checked: with readReply never asking the check,
// the exchange waits out its reply timeout and the test fails.
func TestPathDeadAbortsResendable(t *testing.T) {
	s, release, hung := hangServer(t)
	defer close(release)
	probe := &pathProbe{after: 2, state: netpath.Dead, seen: hung}
	p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 5 * time.Millisecond, PathCheck: probe.check})
	c := twoConns(t, p)
	_, err := c.Exchange(get("/hang"), nil, &rec{}, &ajp.ExchangeOptions{ReplyTimeout: 30 * time.Second, MayAbort: true})
	p.Put(c, false)
	wantErr(t, err, ajp.StageReply, ajp.KindPathDead)
	if probe.calls.Load() < 3 || hung.Load() != 1 {
		t.Errorf("%d checks, %d requests sent; want at least 3 and 1", probe.calls.Load(), hung.Load())
	}
	if st := p.Stats(); st.Idle != 0 || st.Open != 0 {
		t.Errorf("after a dead path: %+v, want no connection", st)
	}
	if !p.Suspect() {
		t.Error("the pool is not suspect after a dead path")
	}
	c, err = p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c, true)
	if p.Suspect() {
		t.Error("the pool is still suspect after a connect succeeded")
	}
}

// TestPathDeadKeepsWaitingWhenNotResendable: a request that may not be
// sent again is not cut on a dead path (mod_jk waits; so does it): its
// reply, when it comes, is passed on. The pool still learns of the path.
// Checked: with MayAbort ignored, the exchange fails with KindPathDead.
func TestPathDeadKeepsWaitingWhenNotResendable(t *testing.T) {
	s, release, _ := hangServer(t)
	probe := &pathProbe{state: netpath.Dead}
	p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 5 * time.Millisecond, PathCheck: probe.check})
	c := twoConns(t, p)
	go func() {
		for deadline := time.Now().Add(30 * time.Second); probe.calls.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		close(release)
	}()
	r := &rec{}
	res, err := c.Exchange(get("/hang"), nil, r, &ajp.ExchangeOptions{ReplyTimeout: 30 * time.Second})
	p.Put(c, res.Reuse)
	if err != nil || r.status != 200 {
		t.Fatalf("a request that may not be sent again: %v, status %d; want its 200", err, r.status)
	}
	if !p.Suspect() || p.Stats().Idle != 1 {
		t.Errorf("suspect %v, %+v: want suspect, and only the finished connection idle", p.Suspect(), p.Stats())
	}
}

// TestPathCheckSlowHealthyMember: a member that takes long to answer,
// on a path the kernel says works (the real check on loopback), is never
// cut however many checks pass. The reply is released after 20 checks at
// 2 ms, not after a sleep.
func TestPathCheckSlowHealthyMember(t *testing.T) {
	s, release, _ := hangServer(t)
	var calls atomic.Int32
	var states [5]atomic.Int32
	check := func(nc net.Conn) netpath.State {
		st := netpath.Check(nc)
		states[st].Add(1)
		if calls.Add(1) == 20 {
			close(release)
		}
		return st
	}
	p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 2 * time.Millisecond, PathCheck: check})
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := &rec{}
	res, err := c.Exchange(get("/hang"), nil, r, &ajp.ExchangeOptions{ReplyTimeout: 30 * time.Second, MayAbort: true})
	p.Put(c, res.Reuse)
	if err != nil || r.status != 200 {
		t.Fatalf("slow healthy member: %v, status %d", err, r.status)
	}
	if calls.Load() < 20 || states[netpath.Dead].Load() != 0 || p.Suspect() {
		t.Errorf("%d checks, %d dead, suspect %v", calls.Load(), states[netpath.Dead].Load(), p.Suspect())
	}
}

// TestPathCheckKeepsReplyTimeout: while the path is neither proven dead
// nor fine, the wait still ends at reply_timeout, as a timeout.
func TestPathCheckKeepsReplyTimeout(t *testing.T) {
	s, release, _ := hangServer(t)
	defer close(release)
	probe := &pathProbe{after: 1 << 30}
	p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 5 * time.Millisecond, PathCheck: probe.check})
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exchange(get("/hang"), nil, &rec{}, &ajp.ExchangeOptions{ReplyTimeout: 100 * time.Millisecond, MayAbort: true})
	p.Put(c, false)
	wantErr(t, err, ajp.StageReply, ajp.KindTimeout)
	if probe.calls.Load() == 0 {
		t.Error("the path was never checked")
	}
}

// TestPathCheckOffByDefault: without PathCheckInterval nothing is asked.
func TestPathCheckOffByDefault(t *testing.T) {
	s, release, _ := hangServer(t)
	defer close(release)
	probe := &pathProbe{state: netpath.Dead}
	p := newPool(t, s, ajp.PoolConfig{PathCheck: probe.check})
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Exchange(get("/hang"), nil, &rec{}, &ajp.ExchangeOptions{ReplyTimeout: 50 * time.Millisecond, MayAbort: true})
	p.Put(c, false)
	wantErr(t, err, ajp.StageReply, ajp.KindTimeout)
	if probe.calls.Load() != 0 {
		t.Errorf("%d checks with the check off", probe.calls.Load())
	}
}

// TestPathDeadKeepsStreamedBody: once body beyond what is kept for a
// resend went to the member, the request cannot be sent again: a dead
// path does not cut it, whatever MayAbort says.
func TestPathDeadKeepsStreamedBody(t *testing.T) {
	s, release, _ := hangServer(t)
	defer close(release)
	probe := &pathProbe{state: netpath.Dead}
	p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 5 * time.Millisecond, PathCheck: probe.check})
	c, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	body := &ajp.Body{ContentLength: 100, Rest: &pattern{n: 100}}
	res, err := c.Exchange(post("/hang", 100), body, &rec{}, &ajp.ExchangeOptions{ReplyTimeout: 200 * time.Millisecond, MayAbort: true})
	p.Put(c, false)
	if !res.BodyStreamed {
		t.Fatal("the body was not streamed")
	}
	wantErr(t, err, ajp.StageReply, ajp.KindTimeout)
	if probe.calls.Load() == 0 {
		t.Error("the path was never checked")
	}
}
