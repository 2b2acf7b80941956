package balancer

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/worker"
)

// stallFlag is a member's stall watch, set by hand.
type stallFlag struct{ atomic.Bool }

func (s *stallFlag) Stalled(time.Time) bool { return s.Load() }

// stallFlags gives every member of h a stall watch the test sets.
func stallFlags(h *harness) map[string]*stallFlag {
	flags := map[string]*stallFlag{}
	for _, rec := range h.lb.t.recs {
		f := new(stallFlag)
		rec.stall = f
		flags[rec.name] = f
	}
	return flags
}

func count(tokens []string, tok string) int {
	n := 0
	for _, t := range tokens {
		if t == tok {
			n++
		}
	}
	return n
}

// TestStalledMemberGetsNoNewRequests: while b stalls, every new
// non-sticky request goes to a; once b no longer stalls, round robin
// resumes.
func TestStalledMemberGetsNoNewRequests(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"))
	st := stallFlags(h)
	if got := h.run(4, plain); count(got, "b") != 2 {
		t.Fatalf("before the stall: %v, want round robin", got)
	}
	st["b"].Store(true)
	if got := h.run(10, plain); count(got, "a") != 10 {
		t.Fatalf("b stalls: %v, want every request on a", got)
	}
	st["b"].Store(false)
	if got := h.run(10, plain); count(got, "b") < 4 {
		t.Fatalf("b recovered: %v, want b back in rotation", got)
	}
}

// TestAllStalledStillServed: when every member stalls, requests are still
// sent (mod_jk would send them; a 503 would be worse), in rotation.
func TestAllStalledStillServed(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"))
	st := stallFlags(h)
	st["a"].Store(true)
	st["b"].Store(true)
	got := h.run(6, plain)
	if count(got, "a") != 3 || count(got, "b") != 3 {
		t.Fatalf("both stall: %v, want every request served in rotation", got)
	}
}

// TestStalledLastResort: a stalled member takes the request when the only
// other one fails: the request is answered, not failed.
func TestStalledLastResort(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"))
	st := stallFlags(h)
	st["b"].Store(true)
	h.f("a").failWith(worker.ClassConnect)
	if got := h.serve(plain()); got != "a>b" {
		t.Fatalf("a fails, b stalls: %q, want a>b", got)
	}
	// a is in ERR now: b, stalled or not, is the only usable member.
	if got := h.serve(plain()); got != "b" {
		t.Fatalf("a in error, b stalls: %q, want b", got)
	}
}

// TestStickyToStalledMember: a request whose session names a stalled
// member still goes to it (its session lives there); only new non-sticky
// requests avoid it.
func TestStickyToStalledMember(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"))
	st := stallFlags(h)
	st["b"].Store(true)
	got := h.run(4, func() *worker.Request { return newReq(session("s1.b")) })
	if !slices.Equal(got, []string{"b", "b", "b", "b"}) {
		t.Fatalf("sticky to a stalled member: %v, want b every time", got)
	}
}

// TestNoStallWatchNoChange: members without a stall watch (and members
// whose watch never reports a stall) are balanced as in mod_jk.
func TestNoStallWatchNoChange(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"))
	stallFlags(h)
	if got := h.run(6, plain); count(got, "a") != 3 || count(got, "b") != 3 {
		t.Fatalf("nobody stalls: %v, want round robin", got)
	}
}
