package balancer

import (
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// memberMetric returns one member's metrics.
func memberMetric(t *testing.T, m Metrics, name string) MemberMetrics {
	t.Helper()
	for _, mm := range m.Members {
		if mm.Name == name {
			return mm
		}
	}
	t.Fatalf("no member %q in %+v", name, m.Members)
	return MemberMetrics{}
}

// TestMetricsStickyOutcomes pins the classification of session routes: a
// route honoured by its member is a hit for it; a route whose member is
// down is a miss for that member; a route naming nothing is a mismatch;
// a session id without a route counts nothing.
func TestMetricsStickyOutcomes(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"), member("c", domain("dc")))
	h.serve(newReq(session("S1.a")))
	h.serve(newReq(session("S2.a")))
	h.serve(newReq(session("S3.nobody")))
	h.serve(newReq(session("S4")))
	h.serve(newReq(session("S5.dc"))) // domain routing: honoured by c
	if err := h.lb.EditMember("a", func(c *config.Member) { c.Activation = config.Stopped }); err != nil {
		t.Fatal(err)
	}
	if tok := h.serve(newReq(session("S6.a"))); tok == "a" {
		t.Fatalf("a stopped but served: %s", tok)
	}
	m := h.lb.Metrics()
	if got := memberMetric(t, m, "a"); got.StickyHits != 2 || got.StickyMisses != 1 {
		t.Errorf("a: %+v, want 2 hits 1 miss", got)
	}
	if got := memberMetric(t, m, "c"); got.StickyHits != 1 || got.StickyMisses != 0 {
		t.Errorf("c: %+v, want 1 hit (domain)", got)
	}
	if m.RouteMismatches != 1 {
		t.Errorf("route mismatches %d, want 1", m.RouteMismatches)
	}
	if m.Requests != 6 {
		t.Errorf("requests %d, want 6", m.Requests)
	}
}

// TestMetricsFailoversAndErrors: a failing member counts a failover each
// time the lb moves on; the request's final error is counted by class;
// the status worker's reset does not touch any of it; a reload hands the
// same numbers to the next generation.
func TestMetricsFailoversAndErrors(t *testing.T) {
	h := newHarness(t, baseLB(), member("a"), member("b"))
	h.f("a").failWith(worker.ClassConnect)
	if tok := h.serve(plain()); tok != "a>b" {
		t.Fatalf("first request: %s", tok)
	}
	h.serve(plain()) // b: a is in ERR
	h.f("b").failWith(worker.ClassClient)
	h.clock.Advance(time.Second)
	if tok := h.serve(plain()); tok != "b:400" {
		t.Fatalf("third request: %s", tok)
	}
	m := h.lb.Metrics()
	if a, b := memberMetric(t, m, "a"), memberMetric(t, m, "b"); a.Failovers != 1 || b.Failovers != 0 {
		t.Errorf("failovers a %d b %d, want 1 and 0 (a client error is not failed over)", a.Failovers, b.Failovers)
	}
	if m.Errors[worker.ClassClient] != 1 || m.Errors[worker.ClassConnect] != 0 {
		t.Errorf("final errors %v, want one client error", m.Errors)
	}
	if err := h.lb.Reset("", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	after := h.lb.Metrics()
	if after.Requests != m.Requests || memberMetric(t, after, "a").Failovers != 1 {
		t.Errorf("reset changed the metrics: %+v -> %+v", m, after)
	}

	next := newHarnessPrev(t, baseLB(), h, member("a"), member("b"), member("n"))
	next.f("a").succeed()
	next.f("b").succeed()
	next.serve(plain())
	nm := next.lb.Metrics()
	if nm.Requests != m.Requests+1 || memberMetric(t, nm, "a").Failovers != 1 {
		t.Errorf("after the reload: %+v, want the previous numbers plus one request", nm)
	}
	h.serve(plain()) // the old generation finishing a request counts too
	if got := next.lb.Metrics().Requests; got != m.Requests+2 {
		t.Errorf("requests %d after the old generation served one more, want %d", got, m.Requests+2)
	}
}
