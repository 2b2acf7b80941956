package admin

import (
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/status"
)

// WorkersReady is /readyz's view of the workers ws of the running
// configuration, of which mounted names those an enabled mount rule maps
// requests to: ready when a request would be served, that is when at
// least one mounted lb has a member its pick would send a new request to
// with a chance of an answer, or one mounted worker used directly is not
// in error (or when nothing is mounted to an lb or a worker: a
// status-only configuration). One application whose members are all down
// must not take the whole balancer out of a Kubernetes Service, which
// would cut the applications that still work; the reason lists what is
// down either way.
func WorkersReady(ws []status.Worker, mounted map[string]bool, now time.Time) (bool, string) {
	var down []string
	for _, w := range ws {
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
