package balancer

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// stallRig is an lb of two real AJP members on an injected clock: a
// answers at once, b reads every request and answers only once released
// (a wedged JVM whose acceptor still runs).
type stallRig struct {
	lb      *LB
	a, b    *ajptest.Server
	mb      *worker.Member
	clk     *clock
	release chan struct{}
}

func newStallRig(t *testing.T, props string) *stallRig {
	t.Helper()
	r := &stallRig{clk: newClock(), release: make(chan struct{})}
	r.a = ajptest.NewServer(nil)
	t.Cleanup(r.a.Close)
	r.b = ajptest.NewServer(func(w *ajptest.ResponseWriter, q *ajptest.Request) {
		select {
		case <-r.release:
		case <-q.Context().Done():
		}
	})
	t.Cleanup(r.b.Close)
	text := "worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=a,b\n" +
		"worker.a.host=127.0.0.1\nworker.a.port=" + port(t, r.a) + "\n" +
		"worker.b.host=127.0.0.1\nworker.b.port=" + port(t, r.b) + "\n" + props
	path := filepath.Join(t.TempDir(), "workers.properties")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, problems := config.Load(config.Sources{WorkersFile: path, Mounts: []string{"/*=lb"}})
	if cfg == nil {
		t.Fatalf("config: %v", problems)
	}
	noSleep := func(context.Context, time.Duration) error { return nil }
	spec := Spec{Name: "lb", LB: cfg.Workers["lb"].LB, Maintain: time.Minute, Now: r.clk.Now, Sleep: noSleep}
	for _, name := range []string{"a", "b"} {
		a := cfg.Workers[name].Member
		m := worker.NewMember(worker.Spec{Name: name, Attrs: a, Options: worker.Options{Now: r.clk.Now, Sleep: noSleep}})
		t.Cleanup(m.Close)
		if name == "b" {
			r.mb = m
		}
		spec.Members = append(spec.Members, MemberSpec{Name: name, Attrs: a, Member: m})
	}
	lb, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	r.lb = lb
	return r
}

func port(t *testing.T, s *ajptest.Server) string {
	_, p, err := net.SplitHostPort(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// send serves one request in the background and waits until a member has
// it (polling, with a failsafe). It reports whether b got it; done gets
// the request's result.
func (r *stallRig) send(t *testing.T) (toB bool, done chan error) {
	t.Helper()
	before, beforeB := r.a.Requests()+r.b.Requests(), r.b.Requests()
	done = make(chan error, 1)
	req := newReq()
	req.Forward.Method, req.Forward.Protocol = "GET", "HTTP/1.1"
	go func() { done <- r.lb.Serve(httptest.NewRecorder(), req) }()
	deadline := time.Now().Add(10 * time.Second)
	for r.a.Requests()+r.b.Requests() == before {
		select {
		case err := <-done:
			t.Fatalf("the request ended before a member received it: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("no member received the request")
		}
		time.Sleep(time.Millisecond)
	}
	return r.b.Requests() > beforeB, done
}

// wedge sends requests until two wait at b; a's are answered.
func (r *stallRig) wedge(t *testing.T) []chan error {
	var pending []chan error
	for i := 0; len(pending) < 2; i++ {
		if i == 10 {
			t.Fatal("round robin never reached b")
		}
		toB, done := r.send(t)
		if toB {
			pending = append(pending, done)
		} else if err := <-done; err != nil {
			t.Fatalf("request on a: %v", err)
		}
	}
	return pending
}

// TestStalledMemberEndToEnd: once b's two requests waited past stall_min,
// new requests all go to a and are answered; b's requests are not cut and
// are answered when b is released; b's first reply ends the stall and it
// is back in rotation.
func TestStalledMemberEndToEnd(t *testing.T) {
	r := newStallRig(t, "")
	pending := r.wedge(t)
	r.clk.Advance(2500 * time.Millisecond)
	for range 10 {
		toB, done := r.send(t)
		if toB {
			t.Fatal("a new request went to the stalled member")
		}
		if err := <-done; err != nil {
			t.Fatalf("request while b stalls: %v", err)
		}
	}
	if !r.mb.Stalling() {
		t.Fatal("b is not marked stalling")
	}
	close(r.release)
	for _, done := range pending {
		if err := <-done; err != nil {
			t.Fatalf("request in flight on the stalled member: %v, want an answer", err)
		}
	}
	if r.mb.Stalling() {
		t.Fatal("b still marked stalling after its replies")
	}
	back := 0
	for range 4 {
		toB, done := r.send(t)
		if toB {
			back++
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if back == 0 {
		t.Fatal("b did not come back into rotation")
	}
}

// TestStallOffRoutesLikeModJK: with stall_min=0 the lb keeps sending b
// its share, as mod_jk does; the test fails with stall detection on.
func TestStallOffRoutesLikeModJK(t *testing.T) {
	r := newStallRig(t, "worker.a.stall_min=0\nworker.b.stall_min=0\n")
	pending := r.wedge(t)
	r.clk.Advance(time.Hour)
	toB := 0
	for range 4 {
		b, done := r.send(t)
		if b {
			toB++
			pending = append(pending, done)
		} else if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if toB != 2 {
		t.Fatalf("b got %d of 4 new requests with stall_min=0, want 2 (round robin)", toB)
	}
	close(r.release)
	for _, done := range pending {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
