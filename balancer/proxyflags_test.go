package balancer

import (
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

func proxyFlags(p config.ProxyMember) func(*config.Member) {
	return func(a *config.Member) { a.Proxy = &p }
}

// TestIgnoreErrors is mod_proxy_balancer's +I: a failing member is never
// put in error, so it stays in the rotation; the request itself still
// fails over to the next member.
func TestIgnoreErrors(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1", proxyFlags(config.ProxyMember{IgnoreErrors: true})), member("t2"))
	h.f("t1").script(outcome{err: failure(worker.ClassConnect)}, outcome{err: failure(worker.ClassFailStatus)})
	if got := h.serve(plain()); got != "t1>t2" {
		t.Fatalf("first request %s, want t1>t2 (failover within the request)", got)
	}
	if s := h.snap("t1"); s.State != StateOK || !s.FirstErrorTime.IsZero() {
		t.Fatalf("t1 after a connect failure: %s first error %v; +I keeps it OK", s.State, s.FirstErrorTime)
	}
	got := h.run(4, plain)
	want := []string{"t1>t2", "t1", "t2", "t1"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sequence %v, want %v: t1 must stay in the rotation", got, want)
		}
	}
	if h.state("t1") != StateOK {
		t.Fatalf("t1 %s after a fail_on_status failure, want OK", h.state("t1"))
	}
	// Without +I the same failure takes t1 out.
	h2 := newHarness(t, baseLB(), member("t1"), member("t2"))
	h2.f("t1").failWith(worker.ClassConnect)
	h2.serve(plain())
	if h2.state("t1") != StateError {
		t.Fatalf("control: t1 %s, want ERR", h2.state("t1"))
	}
}

// TestStartInError is +E: the member starts in ERR, gets no traffic, and
// is due for a probe once recover_time has passed.
func TestStartInError(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1", proxyFlags(config.ProxyMember{StartInError: true})), member("t2"))
	if h.state("t1") != StateError {
		t.Fatalf("t1 starts %s, want ERR", h.state("t1"))
	}
	for i, got := range h.run(3, plain) {
		if got != "t2" {
			t.Fatalf("request %d went %s, want t2 only", i+1, got)
		}
	}
	if due := h.lb.ProbeDue(h.clock.Now()); len(due) != 0 {
		t.Fatalf("probe due at once: %v", due)
	}
	now := h.clock.Advance(61 * time.Second)
	if due := h.lb.ProbeDue(now); len(due) != 1 || due[0] != "t1" {
		t.Fatalf("after recover_time, due %v, want [t1]", due)
	}
	h.lb.SetProbeResult("t1", true, now)
	if s := h.state("t1"); s != StateRecover {
		t.Fatalf("after a good probe t1 is %s, want ERR/REC", s)
	}
}
