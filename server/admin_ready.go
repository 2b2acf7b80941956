package server

import (
	"time"

	"github.com/jkbalancer/jkbalancer/admin"
	"github.com/jkbalancer/jkbalancer/status"
)

// What the admin listener reads from the running configuration: the
// workers for /metrics, their readiness for /readyz. Both read whatever
// runtime is current when asked, so a reload needs nothing from them.

// metricWorkers lists the workers of worker.list for the collector.
func (rt *runtime) metricWorkers() []status.Worker {
	out := make([]status.Worker, 0, len(rt.cfg.List))
	for _, name := range rt.cfg.List {
		t := rt.targets[name]
		if t == nil {
			continue
		}
		w := status.Worker{Name: name, Type: t.typ, LB: rt.lbByName[name]}
		if dw, ok := t.h.(directWorker); ok {
			w.Member = dw.m
		}
		if w.LB != nil || w.Member != nil {
			out = append(out, w)
		}
	}
	return out
}

// workersReady is /readyz's view of rt's workers (admin.WorkersReady).
func workersReady(rt *runtime, now time.Time) (bool, string) {
	if rt == nil {
		return false, "shutting down"
	}
	return admin.WorkersReady(rt.metricWorkers(), rt.mountedWorkers(), now)
}

// mountedWorkers names the workers an enabled mount rule maps requests to.
func (rt *runtime) mountedWorkers() map[string]bool {
	out := make(map[string]bool)
	if t := rt.mounts.Load(); t != nil {
		for _, m := range t.Rules {
			if !m.Exclude && !m.Disabled {
				out[m.Worker] = true
			}
		}
	}
	return out
}
