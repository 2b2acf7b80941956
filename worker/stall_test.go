package worker

import (
	"testing"
	"time"
)

const sec = int64(time.Second)

// TestStallWatchThreshold: two waiting attempts and no progress for longer
// than stall_min is a stall when the ring is empty; one waiting attempt
// never is, and stall_min 0 switches the watch off.
func TestStallWatchThreshold(t *testing.T) {
	var s stallWatch
	minWait := 2 * time.Second
	s.enter(0)
	if s.stalled(100*sec, minWait, 10) {
		t.Fatal("one attempt waiting 100 s: stalled; a single slow request must never count")
	}
	s.enter(sec) // awaiting 0 -> 1 set the progress time; this one does not
	if s.stalled(2*sec, minWait, 10) {
		t.Fatal("waited exactly stall_min: stalled")
	}
	if !s.stalled(2*sec+1, minWait, 10) {
		t.Fatal("two waiting past stall_min with no reply history: not stalled")
	}
	if s.stalled(100*sec, 0, 10) {
		t.Fatal("stall_min 0 (off): stalled")
	}
	// The first reply byte is progress: the wait starts again.
	if s.replied(3*sec, 0, true) {
		t.Fatal("replied reported a recovery that was never marked")
	}
	s.enter(3 * sec)
	if s.stalled(4*sec, minWait, 10) {
		t.Fatal("stalled 1 s after a reply")
	}
}

// TestStallWatchGivenUpIsNoProgress: attempts that end without a reply
// byte (the client left, a timeout) do not restart the clock for the
// next ones; a reply does.
func TestStallWatchGivenUpIsNoProgress(t *testing.T) {
	var s stallWatch
	minWait := 2 * time.Second
	s.enter(0)
	s.enter(0)
	s.gaveUp()
	s.gaveUp()
	s.enter(5 * sec)
	if s.stalled(5*sec, minWait, 10) {
		t.Fatal("one attempt waiting: stalled")
	}
	s.enter(5 * sec)
	if !s.stalled(5*sec, minWait, 10) {
		t.Fatal("no reply for 5 s, the earlier attempts given up: not stalled (they restarted the clock)")
	}
	s.replied(6*sec, 5*sec, true)
	s.replied(6*sec, 5*sec, true)
	s.enter(100 * sec)
	s.enter(100 * sec)
	if s.stalled(101*sec, minWait, 10) {
		t.Fatal("an idle member that last replied is stalled 1 s into its next requests")
	}
}

// TestStallWatchSlowButHealthy: a member whose replies consistently take
// 3 s is not stalled with two requests waiting 4 s (threshold 10 x 3 s),
// only well past that.
func TestStallWatchSlowButHealthy(t *testing.T) {
	var s stallWatch
	now := int64(0)
	for range stallRing + 5 {
		s.enter(now)
		if s.stalled(now+3*sec, 2*time.Second, 10) {
			t.Fatal("one request in flight at 3 s: stalled")
		}
		now += 3 * sec
		s.replied(now, now-3*sec, true)
	}
	if p := s.p99(); p != 3e6 {
		t.Fatalf("p99 = %d µs, want 3e6", p)
	}
	s.enter(now)
	s.enter(now)
	if s.stalled(now+4*sec, 2*time.Second, 10) {
		t.Fatal("replies at 3 s, two waiting 4 s: stalled (threshold is 30 s)")
	}
	if !s.stalled(now+31*sec, 2*time.Second, 10) {
		t.Fatal("two waiting 31 s with replies at 3 s: not stalled")
	}
}

// TestStallWatchP99: one slow reply in the ring raises the threshold (the
// p99 of 64 samples is the largest); fast replies leave it at stall_min.
func TestStallWatchP99(t *testing.T) {
	var s stallWatch
	for range stallRing {
		s.replied(0, -int64(time.Millisecond), true)
	}
	s.awaiting.Store(2)
	if !s.stalled(2*sec+1, 2*time.Second, 10) {
		t.Fatal("replies at 1 ms: the threshold is not stall_min")
	}
	s.replied(0, -sec, true)
	s.awaiting.Store(2)
	if p := s.p99(); p != 1e6 {
		t.Fatalf("p99 = %d µs after one 1 s reply, want 1e6", p)
	}
	if s.stalled(9*sec, 2*time.Second, 10) || !s.stalled(10*sec+1, 2*time.Second, 10) {
		t.Fatal("one reply at 1 s: the threshold is not 10 s")
	}
}

// TestStallNoAllocation: the watch adds no allocation to a request.
func TestStallNoAllocation(t *testing.T) {
	var s stallWatch
	s.awaiting.Store(1)
	n := testing.AllocsPerRun(100, func() {
		s.enter(0)
		s.stalled(3*sec, 2*time.Second, 10) // p99 computed
		s.replied(sec, 0, true)
	})
	if n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
	var w stallWait
	if testing.AllocsPerRun(100, func() { w.reply(true) }) != 0 {
		t.Fatal("stallWait.reply allocates")
	}
}
