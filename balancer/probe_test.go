package balancer

import (
	"slices"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/worker"
)

// TestProbeGatesRecovery: with a health checker, a member in ERR is not
// readmitted by maintenance on time alone; only after recover_time is it
// offered for a probe, once, and only a successful probe readmits it.
func TestProbeGatesRecovery(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.lb.probed = true
	h.f("t1").script(outcome{err: failure(worker.ClassConnect)})
	if got := h.serve(plain()); got != "t1>t2" || h.state("t1") != StateError {
		t.Fatalf("token %s state %s", got, h.state("t1"))
	}
	if due := h.lb.ProbeDue(h.clock.Now()); len(due) != 0 {
		t.Fatalf("probe due before recover_time: %v", due)
	}
	now := h.clock.Advance(61 * time.Second)
	h.lb.Maintain(now)
	if h.state("t1") != StateError {
		t.Fatalf("maintenance readmitted t1 without a probe: %s", h.state("t1"))
	}
	if due := h.lb.ProbeDue(now); !slices.Equal(due, []string{"t1"}) {
		t.Fatalf("due %v, want [t1]", due)
	}
	if due := h.lb.ProbeDue(now); len(due) != 0 {
		t.Fatalf("a second probe offered while one is out: %v", due)
	}

	// A failed probe restarts the wait.
	h.lb.SetProbeResult("t1", false, now)
	if due := h.lb.ProbeDue(h.clock.Advance(30 * time.Second)); len(due) != 0 || h.state("t1") != StateError {
		t.Fatalf("after failed probe: due %v state %s", due, h.state("t1"))
	}
	now = h.clock.Advance(31 * time.Second)
	if due := h.lb.ProbeDue(now); !slices.Equal(due, []string{"t1"}) {
		t.Fatalf("due %v after another recover_time", due)
	}

	// A successful probe readmits at the current maximum lb value.
	h.lb.SetProbeResult("t1", true, now)
	if s := h.snap("t1"); s.State != StateRecover || s.LBValue != h.snap("t2").LBValue {
		t.Fatalf("after probe: %s value %d (t2 %d)", s.State, s.LBValue, h.snap("t2").LBValue)
	}
	// The next request is t1's recovery request: the rotation offset
	// points past t2, which served last, and the lb values tie. Its
	// success makes t1 OK; from then on the two alternate (t1 readmitted
	// at the lowest value would take every request until it caught up).
	if got := h.serve(plain()); got != "t1" || h.state("t1") != StateOK {
		t.Fatalf("first request after readmission: %s, t1 %s; want t1, OK", got, h.state("t1"))
	}
	if got := h.run(3, plain); !slices.Equal(got, []string{"t2", "t1", "t2"}) {
		t.Fatalf("after recovery %v, want [t2 t1 t2]", got)
	}
}

// TestProbeResultIgnoredWhenStateMoved: a probe that comes back after an
// operator reset (or a forced recovery) must not change the state.
func TestProbeResultIgnoredWhenStateMoved(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.lb.probed = true
	h.f("t1").script(outcome{err: failure(worker.ClassConnect)})
	h.serve(plain())
	now := h.clock.Advance(61 * time.Second)
	h.lb.ProbeDue(now)
	if err := h.lb.Reset("t1", now); err != nil {
		t.Fatal(err)
	}
	h.lb.SetProbeResult("t1", false, now)
	if h.state("t1") != StateIdle {
		t.Fatalf("late probe result changed state to %s", h.state("t1"))
	}
	h.lb.SetProbeResult("nosuch", true, now) // unknown members are ignored
}

// TestWithoutProbingMaintenanceRecovers keeps mod_jk's behaviour when no
// checker runs.
func TestWithoutProbingMaintenanceRecovers(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").script(outcome{err: failure(worker.ClassConnect)})
	h.serve(plain())
	h.lb.Maintain(h.clock.Advance(61 * time.Second))
	if h.state("t1") != StateRecover {
		t.Fatalf("state %s, want ERR/REC", h.state("t1"))
	}
}
