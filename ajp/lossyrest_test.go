package ajp_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// lateWatch is a member's PathWatch that finds every wait late once the
// member turned lossy (lossy set).
type lateWatch struct{ lossy atomic.Bool }

func (w *lateWatch) Late(time.Duration) bool { return w.lossy.Load() }

// headRec is rec that records when the head came and never reports the
// answer committed: nothing reached the client.
type headRec struct {
	rec
	head atomic.Bool
}

func (r *headRec) WriteHead(status int, h []ajp.Header) error {
	r.head.Store(true)
	return r.rec.WriteHead(status, h)
}

func (r *headRec) Committed() bool { return false }

// splitServer sends /split's head at once and its end only once release
// is called (an AJP answer in two segments whose second the network keeps
// losing); it counts the /split requests. A failsafe releases the end
// after 10 s, so that a wait the code under test does not cut ends (not
// an assertion: the tests check what the exchange returned).
func splitServer(t *testing.T) (s *ajptest.Server, release func(), got *atomic.Int32) {
	ch := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(ch) }) }
	failsafe := time.AfterFunc(10*time.Second, release)
	t.Cleanup(func() { failsafe.Stop(); release() })
	got = new(atomic.Int32)
	s = newServer(t, func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		got.Add(1)
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
		w.Raw(nil) // the head alone on the wire
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
		w.Write([]byte("ok"))
	})
	return s, release, got
}

// TestRestCutWhenLossyAfterHead: the member turns lossy only after the
// head of an answer came, while its rest is awaited (the first requests
// that meet a lossy path get their head before any verdict): the wait for
// the rest is still checked, so it ends with KindPathDead, for the
// request to be sent again (docs/config.md#lossy-members). The member
// turns lossy at the first path check made after the head reached the
// writer, so only a checked wait for the rest can see it. Checked: with
// restAbortable asking whether the member is lossy when the wait starts,
// as before, the wait goes on unchecked until the failsafe releases the
// answer, and the test fails (the cause of a 15 s client timeout in
// TestFaultPacketLoss, docs/testing.md#network-faults-on-loopback).
func TestRestCutWhenLossyAfterHead(t *testing.T) {
	s, _, got := splitServer(t)
	w, r := &lateWatch{}, &headRec{}
	var checks atomic.Int32
	check := func(net.Conn) netpath.State {
		checks.Add(1)
		if r.head.Load() {
			w.lossy.Store(true) // a verdict on another request of the member
		}
		return netpath.Acked // the request was acknowledged: the answer is what is lost
	}
	p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 5 * time.Millisecond, PathCheck: check})
	c := dial0(t, p)
	res, err := c.Exchange(get("/split"), nil, r, &ajp.ExchangeOptions{MayAbort: true, MayAbortAfterHead: true, Watch: w})
	p.Put(c, res.Reuse)
	wantErr(t, err, ajp.StageResponse, ajp.KindPathDead)
	if got.Load() != 1 || !w.lossy.Load() {
		t.Errorf("%d requests, lossy %v; want 1, true", got.Load(), w.lossy.Load())
	}
}

// TestRestKeptWhenNeverLate: the same checked wait for the rest is never
// cut while the member's watch finds nothing late (a member that is not
// lossy), nor when the rules forbid a resend after the head; the answer
// is passed on whole when it comes. The end is released after 20 checks,
// not after a sleep.
func TestRestKeptWhenNeverLate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lossy bool
		opt   ajp.ExchangeOptions
	}{
		{"sound member", false, ajp.ExchangeOptions{MayAbort: true, MayAbortAfterHead: true}},
		{"no resend after the head", true, ajp.ExchangeOptions{MayAbort: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, release, got := splitServer(t)
			w, r := &lateWatch{}, &headRec{}
			w.lossy.Store(tc.lossy)
			var checks atomic.Int32
			check := func(net.Conn) netpath.State {
				if r.head.Load() && checks.Add(1) == 20 {
					release()
				}
				return netpath.Acked
			}
			if !tc.opt.MayAbortAfterHead {
				// No check is made for the rest: release it at the head.
				check = func(net.Conn) netpath.State { return netpath.Acked }
				go func() {
					for deadline := time.Now().Add(30 * time.Second); !r.head.Load() && time.Now().Before(deadline); {
						time.Sleep(time.Millisecond)
					}
					release()
				}()
			}
			p := newPool(t, s, ajp.PoolConfig{PathCheckInterval: 2 * time.Millisecond, PathCheck: check})
			c := dial0(t, p)
			opt := tc.opt
			opt.Watch = w
			res, err := c.Exchange(get("/split"), nil, r, &opt)
			p.Put(c, res.Reuse)
			if err != nil || r.status != 200 || r.body.String() != "ok" || got.Load() != 1 {
				t.Errorf("%v, %d %q after %d requests; want 200 ok after 1", err, r.status, r.body.String(), got.Load())
			}
		})
	}
}

// dial0 takes one connection from p.
func dial0(t *testing.T, p *ajp.Pool) *ajp.Conn {
	t.Helper()
	c, err := p.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
