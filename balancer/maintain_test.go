package balancer

import (
	"slices"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// setValues puts lb values and states directly, for maintenance tests.
func (h *harness) setValues(v ...uint64) {
	h.lb.mu.Lock()
	defer h.lb.mu.Unlock()
	for i, x := range v {
		h.lb.t.recs[i].value = x
	}
}

func TestDecayPerMethod(t *testing.T) {
	tests := []struct {
		method  config.Method
		elapsed time.Duration
		want    []uint64
	}{
		{config.MethodRequest, 60 * time.Second, []uint64{50, 20, 3}},
		{config.MethodRequest, 119 * time.Second, []uint64{50, 20, 3}}, // k = 1
		{config.MethodRequest, 120 * time.Second, []uint64{25, 10, 1}}, // k = 2
		{config.MethodSessions, 60 * time.Second, []uint64{50, 20, 3}},
		{config.MethodTraffic, 180 * time.Second, []uint64{12, 5, 0}},
		{config.MethodBusyness, 600 * time.Second, []uint64{100, 40, 7}}, // never decays
		// Next: subtract the minimum of the usable active members (t3 is
		// stopped, so 40 is the minimum), floor 0.
		{config.MethodNext, 60 * time.Second, []uint64{60, 0, 0}},
		{config.MethodNext, 600 * time.Second, []uint64{60, 0, 0}},
	}
	for _, tt := range tests {
		h := newHarness(t, withMethod(tt.method), member("t1"), member("t2"), member("t3", activation(config.Stopped)))
		h.setValues(100, 40, 7)
		setReplyTimeouts(&h.f("t1").ctr, 8)
		h.lb.Maintain(h.clock.Advance(tt.elapsed))
		if got := h.values(); !slices.Equal(got, tt.want) {
			t.Errorf("%s after %v: %v, want %v", tt.method, tt.elapsed, got, tt.want)
		}
		k := int64(tt.elapsed / (60 * time.Second))
		if rt := h.f("t1").ctr.ReplyTimeouts(); rt != 8>>k {
			t.Errorf("%s: reply timeouts %d, want %d", tt.method, rt, 8>>k)
		}
	}
}

func TestMaintainInterval(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.setValues(64, 64)
	h.lb.Maintain(h.clock.Advance(59 * time.Second))
	if v := h.values(); v[0] != 64 {
		t.Fatalf("ran before worker.maintain passed: %v", v)
	}
	h.lb.Maintain(h.clock.Advance(time.Second))
	h.lb.Maintain(h.clock.Advance(30 * time.Second)) // 30 s since the last run
	if v := h.values(); v[0] != 32 {
		t.Fatalf("values %v, want one halving", v)
	}
	last := h.lb.Snapshot().LastMaintain
	if !last.Equal(h.clock.Now().Add(-30 * time.Second)) {
		t.Fatalf("last maintain %v", last)
	}

	// worker.maintain 0 disables it.
	c := baseLB()
	spec := Spec{Name: "lb", LB: &c, Now: h.clock.Now, Members: []MemberSpec{{Name: "x", Attrs: &config.Member{}, Member: newFake("x")}}}
	lb, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	lb.t.recs[0].value = 8
	lb.Maintain(h.clock.Advance(time.Hour))
	if lb.t.recs[0].value != 8 {
		t.Fatal("maintenance ran with Maintain 0")
	}
}

func TestRecoverTime(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	setReplyTimeouts(&h.f("t1").ctr, 5)
	h.serve(plain()) // t1 ERR at T
	h.setValues(10, 30)
	// T+60: 60 s is not more than recover_time 60.
	h.lb.Maintain(h.clock.Advance(60 * time.Second))
	if s := h.snap("t1"); s.State != StateError {
		t.Fatalf("T+60: %s", s.State)
	}
	// T+120: ERR -> ERR/REC with lb value = current max (after decay).
	h.lb.Maintain(h.clock.Advance(60 * time.Second))
	s := h.snap("t1")
	if s.State != StateRecover || s.LBValue != 7 || h.f("t1").ctr.ReplyTimeouts() != 0 {
		t.Fatalf("T+120: %+v rt=%d", s, h.f("t1").ctr.ReplyTimeouts())
	}
	// Busyness keeps the value when recovering.
	hb := newHarness(t, withMethod(config.MethodBusyness), member("t1"), member("t2"))
	hb.f("t1").failWith(worker.ClassConnect)
	hb.serve(plain())
	hb.setValues(0, 5)
	hb.lb.Maintain(hb.clock.Advance(61 * time.Second))
	if s := hb.snap("t1"); s.State != StateRecover || s.LBValue != 0 {
		t.Fatalf("busyness: %+v", s)
	}
}

func TestIdleMarking(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.serve(plain())
	h.serve(plain())
	h.lb.Maintain(h.clock.Advance(60 * time.Second)) // both used since start
	if h.state("t1") != StateOK || h.state("t2") != StateOK {
		t.Fatalf("%s %s", h.state("t1"), h.state("t2"))
	}
	h.serve(plain()) // only one of them
	h.lb.Maintain(h.clock.Advance(60 * time.Second))
	states := []State{h.state("t1"), h.state("t2")}
	if !slices.Contains(states, StateIdle) || !slices.Contains(states, StateOK) {
		t.Fatalf("states %v, want one OK and one OK/IDLE", states)
	}
}

func TestMaintenanceForcesRecoveryWhenAllInError(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.f("t2").failWith(worker.ClassConnect)
	h.clock.Advance(30 * time.Second)
	h.serve(plain())
	if h.state("t1") != StateError || h.state("t2") != StateError {
		t.Fatal("setup")
	}
	// 30 s after the errors: not recoverable yet, nobody outside ERR.
	h.lb.Maintain(h.clock.Advance(30 * time.Second))
	if h.state("t1") != StateForce || h.state("t2") != StateForce {
		t.Fatalf("%s %s", h.state("t1"), h.state("t2"))
	}
}

func TestRecoveryCycle(t *testing.T) {
	// ERR -> (recover_time) ERR/REC -> picked: ERR/PRB -> success: OK.
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.serve(plain())
	h.f("t1").succeed()
	var seen []State
	h.f("t1").hook = func(*fake) { seen = append(seen, h.state("t1")) }
	seen = append(seen, h.state("t1"))
	h.lb.Maintain(h.clock.Advance(61 * time.Second))
	seen = append(seen, h.state("t1"))
	for range 2 {
		h.serve(plain())
	}
	seen = append(seen, h.state("t1"))
	want := []State{StateError, StateRecover, StateProbe, StateOK}
	if !slices.Equal(seen, want) {
		t.Fatalf("states %v, want %v", seen, want)
	}
}

func TestTimeToRecover(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.serve(plain())
	// Verified: right after the failure "Rs" shows 60/120.
	if s := h.snap("t1"); s.TimeToRecoverMin != 60 || s.TimeToRecoverMax != 120 {
		t.Fatalf("Rs %d/%d", s.TimeToRecoverMin, s.TimeToRecoverMax)
	}
	if s := h.snap("t2"); s.TimeToRecoverMin != 0 || s.TimeToRecoverMax != 0 {
		t.Fatalf("OK member Rs %d/%d", s.TimeToRecoverMin, s.TimeToRecoverMax)
	}
	// 50 s later: r = 10; next maintenance in 10 s.
	h.clock.Advance(50 * time.Second)
	if s := h.snap("t1"); s.TimeToRecoverMin != 10 || s.TimeToRecoverMax != 70 {
		t.Fatalf("Rs %d/%d", s.TimeToRecoverMin, s.TimeToRecoverMax)
	}
	// 90 s after: r = 0, but the next maintenance is 30 s away.
	h.lb.Maintain(h.clock.Advance(10 * time.Second)) // runs, t1 still ERR
	h.clock.Advance(30 * time.Second)
	snap := h.lb.Snapshot()
	if s := snap.Members[0]; s.State != StateError || s.TimeToRecoverMin != 30 || s.TimeToRecoverMax != 60 {
		t.Fatalf("%s Rs %d/%d", s.State, s.TimeToRecoverMin, s.TimeToRecoverMax)
	}
	if snap.NextMaintainMin != 30 || snap.NextMaintainMax != 90 {
		t.Fatalf("next maintenance %d/%d", snap.NextMaintainMin, snap.NextMaintainMax)
	}
}
