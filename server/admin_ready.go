package server

import (
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/status"
	"github.com/jkbalancer/jkbalancer/worker"
)

// What the admin listener reads from the running configuration: the
// workers for /metrics, their readiness for /readyz. Both read whatever
// runtime is current when asked, so a reload needs nothing from them.

// instanceMetrics returns the never-reset metrics of rt's instance of key,
// nil (new ones) when there is none or rt is nil: a member a reload
// rebuilds counts on from where the previous instance stood, and a scrape
// never sees its counters go down.
func (rt *runtime) instanceMetrics(key instanceKey) *worker.Metrics {
	if old := rt.instance(key); old != nil {
		return old.m.Metrics()
	}
	return nil
}

// workersCollector exports the lbs and workers of the current runtime
// (status.Collector).
func workersCollector(rt *atomic.Pointer[runtime]) prometheus.Collector {
	return status.NewCollector(func() []status.Worker {
		if r := rt.Load(); r != nil {
			return r.metricWorkers()
		}
		return nil
	})
}

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

// workersReady is /readyz's view of the workers: ready when at least one
// listed lb has a usable member or one worker used directly is not in
// error (or when there is no such worker: a status-only configuration).
// One application whose members are all down must not take the whole
// balancer out of a Kubernetes Service, which would cut the applications
// that still work; the reason lists what is down either way.
func workersReady(rt *runtime) (bool, string) {
	if rt == nil {
		return false, "shutting down"
	}
	var down []string
	for _, w := range rt.metricWorkers() {
		switch {
		case w.LB != nil:
			if why := lbDown(w.LB.Snapshot()); why != "" {
				down = append(down, why)
				continue
			}
			return true, ""
		case w.Member.State() == "ERR":
			down = append(down, "worker "+w.Name+" ERR")
		default:
			return true, ""
		}
	}
	if len(down) == 0 {
		return true, ""
	}
	return false, "no worker can take a request: " + strings.Join(down, "; ")
}

// lbDown says why no member of the lb can take a new request, "" when one
// can. A busy member counts as usable: busy is load, not failure.
func lbDown(s balancer.Snapshot) string {
	parts := make([]string, 0, len(s.Members))
	for _, m := range s.Members {
		switch m.State {
		case balancer.StateIdle, balancer.StateOK, balancer.StateRecover, balancer.StateForce, balancer.StateBusy:
			if m.Activation == config.Active {
				return ""
			}
		}
		parts = append(parts, m.Name+" "+m.State.String()+" "+m.Activation.Code())
	}
	return "lb " + s.Name + ": " + strings.Join(parts, ", ")
}
