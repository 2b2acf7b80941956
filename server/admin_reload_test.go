package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestAdminMetricsSurviveReload: a reload that rebuilds a member (its
// configuration changed) and keeps another leaves every counter of
// /metrics where it was, and both count on afterwards.
func TestAdminMetricsSurviveReload(t *testing.T) {
	t1, t2 := ajptest.NewServer(ajptest.EchoHandler("t1")), ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t1.Close()
	defer t2.Close()
	ms := []*ajptest.Server{t1, t2}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(adminYAML), "workers.properties": lbWorkers(ms, "")})
	send := func(n int) {
		for range n {
			resp, err := http.Get(r.url("/x"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	send(6)
	admin := r.srv.AdminAddr()
	before := scrapeMetrics(t, admin)
	key := instanceKey{lb: "lb", name: "t2"}
	oldT2 := r.srv.rt.Load().instance(key).m

	r.mustReload(map[string]string{"workers.properties": lbWorkers(ms, "worker.t2.socket_timeout=30\n")})
	if r.srv.rt.Load().instance(key).m == oldT2 {
		t.Fatal("the reload kept t2's instance; the test needs one it rebuilds")
	}
	if r.srv.AdminAddr() != admin {
		t.Fatalf("the admin listener moved from %s to %s", admin, r.srv.AdminAddr())
	}
	after := scrapeMetrics(t, admin)
	for series, v := range before {
		if strings.HasSuffix(strings.SplitN(series, "{", 2)[0], "_total") && after[series] < v {
			t.Errorf("%s went down across the reload: %v -> %v", series, v, after[series])
		}
	}
	send(4)
	now := scrapeMetrics(t, admin)
	for _, m := range []string{"t1", "t2"} {
		b := before.get("jkbalancer_member_requests_total", "lb", "lb", "member", m)
		if n := now.get("jkbalancer_member_requests_total", "lb", "lb", "member", m); n <= b {
			t.Errorf("%s requests %v after the reload and 4 more requests, %v before", m, n, b)
		}
	}
	if got := now.get("jkbalancer_lb_requests_total", "lb", "lb"); got != 10 {
		t.Errorf("lb requests %v, want 10", got)
	}
}
