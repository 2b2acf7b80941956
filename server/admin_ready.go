package server

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/status"
)

// What the admin listener reads from the running configuration: the
// workers for /metrics, their readiness for /readyz. Both read whatever
// runtime is current when asked, so a reload needs nothing from them.

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

// workersReady is /readyz's view of the workers: ready when a request
// would be served, that is when at least one mounted lb has a member its
// pick would send a new request to with a chance of an answer, or one
// mounted worker used directly is not in error (or when nothing is
// mounted to an lb or a worker: a status-only configuration). One
// application whose members are all down must not take the whole balancer
// out of a Kubernetes Service, which would cut the applications that
// still work; the reason lists what is down either way.
func workersReady(rt *runtime, now time.Time) (bool, string) {
	if rt == nil {
		return false, "shutting down"
	}
	mounted := rt.mountedWorkers()
	var down []string
	for _, w := range rt.metricWorkers() {
		if !mounted[w.Name] {
			continue // no request reaches it
		}
		switch {
		case w.LB != nil:
			if why := lbDown(w.LB.Snapshot(), now); why != "" {
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

// lbDown says why no member of the lb can take a new request, "" when one
// can. A busy member counts: busy is load, not failure. ERR/REC counts:
// its recover_time passed or a health probe readmitted it, and the next
// request probes it. ERR/FRC does not, although the pick uses it: mod_jk
// forces every member of an lb whose members are all in ERR into forced
// recovery (jk_lb_worker.c force_recovery), so FRC means "all were
// failing, try them anyway", and each request then fails on them again.
// An FRC member whose last error is older than recover_time does count,
// as an ERR one would have been recovered by then: otherwise an lb that
// got no traffic while not ready could never become ready again.
func lbDown(s balancer.Snapshot, now time.Time) string {
	parts := make([]string, 0, len(s.Members))
	for _, m := range s.Members {
		ok := false
		switch m.State {
		case balancer.StateIdle, balancer.StateOK, balancer.StateRecover, balancer.StateBusy:
			ok = true
		case balancer.StateForce:
			ok = now.Unix()-m.LastErrorTime.Unix() > int64(s.RecoverTime)
		}
		if ok && m.Activation == config.Active {
			return ""
		}
		parts = append(parts, m.Name+" "+m.State.String()+" "+m.Activation.Code())
	}
	return "lb " + s.Name + ": " + strings.Join(parts, ", ")
}
