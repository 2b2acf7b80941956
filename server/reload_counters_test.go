package server

import (
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestReloadDropsCountersOfRemovedWorkers: the counters of a worker the
// new configuration no longer has are let go (members discovered by DNS
// come and go under new names), while those of kept workers carry on.
func TestReloadDropsCountersOfRemovedWorkers(t *testing.T) {
	t1 := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer t1.Close()
	t2 := ajptest.NewServer(ajptest.EchoHandler("t2"))
	defer t2.Close()
	both := []*ajptest.Server{t1, t2}
	r := startReloadRig(t, map[string]string{"jkbalancer.yaml": lbYAML(""), "workers.properties": lbWorkers(both, "")})
	kept := r.srv.rt.Load().counters["t1"]
	if kept == nil || r.srv.rt.Load().counters["t2"] == nil {
		t.Fatal("no counters for t1 and t2 before the reload")
	}
	r.mustReload(map[string]string{"workers.properties": lbWorkers(both[:1], "")})
	rt := r.srv.rt.Load()
	if _, ok := rt.counters["t2"]; ok {
		t.Error("the removed worker t2 still has counters after the reload")
	}
	if rt.counters["t1"] != kept {
		t.Error("the kept worker t1 lost its counters")
	}
}
