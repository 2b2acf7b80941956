package balancer

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// noop is the cheapest possible member, to measure the lb alone.
type noop struct{ ctr worker.Counters }

func (n *noop) Forward(http.ResponseWriter, *worker.Request, *worker.Attempt) (worker.Outcome, error) {
	return worker.Outcome{Sent: 100, Received: 200}, nil
}
func (n *noop) Counters() *worker.Counters { return &n.ctr }
func (n *noop) Available() bool            { return true }

func benchLB(b *testing.B, n int, m config.Method) *LB {
	c := baseLB()
	c.Method = m
	spec := Spec{Name: "lb", LB: &c}
	for i := range n {
		name := fmt.Sprintf("node%d", i)
		spec.Members = append(spec.Members, MemberSpec{Name: name, Attrs: &config.Member{LBFactor: 1 + i%3}, Member: &noop{}})
	}
	lb, err := New(spec)
	if err != nil {
		b.Fatal(err)
	}
	return lb
}

// BenchmarkPick is one selection under the lock plus the method's lb value
// update, on the per-request state copy: what every request pays.
func BenchmarkPick(b *testing.B) {
	for _, n := range []int{2, 200} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			lb := benchLB(b, n, config.MethodRequest)
			states := make([]State, n)
			q := query{}
			b.ReportAllocs()
			for b.Loop() {
				lb.mu.Lock()
				c := lb.t.pick(states, &q)
				r := lb.t.recs[c.idx]
				r.value += r.mult
				lb.mu.Unlock()
			}
		})
	}
}

// BenchmarkPickSticky routes by session id (exact route match).
func BenchmarkPickSticky(b *testing.B) {
	for _, n := range []int{2, 200} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			lb := benchLB(b, n, config.MethodRequest)
			states := make([]State, n)
			q := query{sid: fmt.Sprintf("0123456789ABCDEF.node%d", n-1)}
			b.ReportAllocs()
			for b.Loop() {
				lb.mu.Lock()
				c := lb.t.pick(states, &q)
				lb.mu.Unlock()
				if c.idx != n-1 {
					b.Fatal("wrong member")
				}
			}
		})
	}
}

// BenchmarkServe is the whole lb path around a no-op member.
func BenchmarkServe(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		req  func() *worker.Request
	}{
		{"members=2", 2, plain},
		{"members=2/session", 2, func() *worker.Request { return newReq(session("0123456789ABCDEF.node1")) }},
		{"members=200", 200, plain},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lb := benchLB(b, tc.n, config.MethodRequest)
			req := tc.req()
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				if err := lb.Serve(w, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestServeDoesNotAllocate: the lb path allocates nothing per request
// but its pooled scratch, and only when the pool has none to give. The
// pool's refills are counted and their cost subtracted, and the rest must
// be exactly zero: under the race detector sync.Pool drops a quarter of
// what is Put on purpose, and any GC may empty it, so a plain
// AllocsPerRun(...) == 0 failed about once in 80 runs with -race.
func TestServeDoesNotAllocate(t *testing.T) {
	c := baseLB()
	spec := Spec{Name: "lb", LB: &c}
	for i := range 3 {
		spec.Members = append(spec.Members, MemberSpec{Name: fmt.Sprintf("t%d", i), Attrs: &config.Member{LBFactor: 1}, Member: &noop{}})
	}
	lb, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	fill := lb.scratch.New
	var refills uint64
	lb.scratch.New = func() any { refills++; return fill() }
	perRefill := uint64(testing.AllocsPerRun(20, func() { _ = fill() }))
	if perRefill == 0 {
		t.Fatal("a scratch costs no allocation: the accounting below would hide nothing")
	}
	w := httptest.NewRecorder()
	for _, req := range []*worker.Request{plain(), newReq(session("A.t2")), newReq(rule(config.Extensions{Stopped: []string{"t0"}}))} {
		_ = lb.Serve(w, req) // warm up, as AllocsPerRun does
		refills = 0
		n := mallocs(200, func() { _ = lb.Serve(w, req) })
		if extra := int64(n) - int64(refills*perRefill); extra != 0 {
			t.Errorf("Serve allocates %d times in 200 requests beyond %d pool refills (%d allocations each)", extra, refills, perRefill)
		}
	}
}

// mallocs counts the heap allocations of runs calls of f, on one P like
// testing.AllocsPerRun, but exactly rather than as a rounded average.
func mallocs(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// *worker.Member is the production Member.
var _ Member = (*worker.Member)(nil)
