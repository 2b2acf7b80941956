package balancer

import (
	"testing"

	"github.com/jkbalancer/jkbalancer/worker"
)

// TestRequestFinishingOnReplacedGeneration: a request that started on
// generation 1 is held by its member while generation 2 is built, then
// fails. Its ERR, error count, lb values and metrics land in the state both
// generations share, so generation 2 sees them (a copy made at build time
// would have lost them).
func TestRequestFinishingOnReplacedGeneration(t *testing.T) {
	old := newHarness(t, baseLB(), member("t1"), member("t2"))
	old.f("t1").failWith(worker.ClassConnect)
	var next *harness
	old.f("t1").hook = func(*fake) {
		if next == nil { // the reload, while t1 holds the request
			next = newHarnessPrev(t, baseLB(), old, member("t1"), member("t2"))
		}
	}
	old.serve(plain())
	if next == nil {
		t.Fatal("the request never reached t1")
	}
	t1, t2 := next.snap("t1"), next.snap("t2")
	if t1.State != StateError || t1.Errors != 1 || t1.LastErrorTime.IsZero() {
		t.Errorf("t1 in generation 2: %+v, want the failure of the old generation's request", t1)
	}
	if t2.Elected != 1 || t2.LBValue == 0 {
		t.Errorf("t2 in generation 2: %+v, want the failover of the old generation's request", t2)
	}
	if m := next.lb.Metrics(); m.Requests != 1 || memberMetric(t, m, "t1").Failovers != 1 {
		t.Errorf("generation 2 metrics %+v", m)
	}
}

// TestDropGone: the state of a member a generation no longer has is
// dropped once that generation serves; a member of that name coming back
// later starts fresh, and a kept member keeps its state.
func TestDropGone(t *testing.T) {
	g1 := newHarness(t, baseLB(), member("t1"), member("gone"))
	g1.f("gone").failWith(worker.ClassConnect)
	g1.f("t1").succeed()
	for range 4 {
		g1.serve(plain())
	}
	if g1.snap("gone").Errors == 0 || g1.snap("t1").Elected == 0 {
		t.Fatalf("setup: %+v", g1.lb.Snapshot())
	}
	g2 := newHarnessPrev(t, baseLB(), g1, member("t1"))
	g2.lb.DropGone()
	if n := len(g2.lb.Shared().members); n != 1 {
		t.Fatalf("%d member states after DropGone, want 1", n)
	}
	g3 := newHarnessPrev(t, baseLB(), g2, member("t1"), member("gone"))
	if s := g3.snap("gone"); s.Errors != 0 || s.State != StateIdle {
		t.Errorf("gone came back with old state: %+v", s)
	}
	if s := g3.snap("t1"); s.Elected != g1.snap("t1").Elected {
		t.Errorf("t1 lost its state: %+v", s)
	}
}
