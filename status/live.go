package status

import (
	"fmt"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/editable"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Reading the running values in configuration form (so one attribute
// table serves the live objects and the state file), and writing them
// through the lb's and the member's setters.

// liveLB returns the lb's running settings as a config.LB.
func liveLB(s balancer.Snapshot) *config.LB {
	return &config.LB{
		StickySession: s.StickySession, StickySessionForce: s.StickySessionForce,
		Method: s.Method, Lock: s.Lock, Retries: s.Retries, RetryInterval: s.RetryInterval,
		RecoverTime: s.RecoverTime, ErrorEscalationTime: s.ErrorEscalationTime,
		MaxReplyTimeouts: s.MaxReplyTimeouts,
	}
}

// liveMember returns a member's running lb attributes as a config.Member.
func liveMember(lb *balancer.LB, name string) *config.Member {
	for _, m := range lb.Snapshot().Members {
		if m.Name == name {
			return &config.Member{Activation: m.Activation, LBFactor: m.LBFactor, Route: m.Route,
				Redirect: m.Redirect, Domain: m.Domain, Distance: m.Distance}
		}
	}
	return &config.Member{}
}

// apply writes val (in Format's form) to the running objects: the lb's
// settings, member's lb attributes, or the AJP attributes of every
// instance in ms. The address (host, port) is not applied here: setAddress
// resolves it first.
func apply(a *attr, lb *balancer.LB, member string, ms []*worker.Member, val string) error {
	switch a.Scope {
	case scopeLB:
		return setLB(lb, a, val)
	case scopeMember:
		return setMember(lb, member, a, val)
	}
	for _, m := range ms {
		if err := setMemberAJP(m, a, val); err != nil {
			return err
		}
	}
	return nil
}

// setLB applies an lb setting (val as format prints it).
func setLB(lb *balancer.LB, a *attr, val string) error {
	n := editable.Atoi(val)
	switch a.Name {
	case "retries":
		return lb.SetRetries(n)
	case "retry_interval":
		return lb.SetRetryInterval(n)
	case "recover_time":
		return lb.SetRecoverTime(n)
	case "error_escalation_time":
		return lb.SetErrorEscalationTime(n)
	case "max_reply_timeouts":
		return lb.SetMaxReplyTimeouts(n)
	case "sticky_session":
		return lb.SetStickySession(val == "True")
	case "sticky_session_force":
		return lb.SetStickySessionForce(val == "True")
	case "method":
		return lb.SetMethod(config.ParseMethod(val))
	case "lock":
		return lb.SetLock(config.ParseLock(val))
	}
	return fmt.Errorf("%s is not an lb setting", a.Name)
}

// setMember applies a member's lb attribute.
func setMember(lb *balancer.LB, name string, a *attr, val string) error {
	switch a.Name {
	case "activation":
		return lb.SetActivation(name, config.ParseActivation(val))
	case "lbfactor":
		return lb.SetLBFactor(name, editable.Atoi(val))
	case "route":
		return lb.SetRoute(name, val)
	case "redirect":
		return lb.SetRedirect(name, val)
	case "domain":
		return lb.SetDomain(name, val)
	case "distance":
		return lb.SetDistance(name, editable.Atoi(val))
	}
	return fmt.Errorf("%s is not a member attribute", a.Name)
}

// setMemberAJP applies an AJP attribute to one instance (host and port go
// through SetAddress).
func setMemberAJP(m *worker.Member, a *attr, val string) error {
	n := editable.Atoi(val)
	switch a.Name {
	case "connection_pool_timeout":
		return m.SetConnectionPoolTimeout(n)
	case "ping_timeout":
		return m.SetPingTimeout(n)
	case "connect_timeout":
		return m.SetConnectTimeout(n)
	case "prepost_timeout":
		return m.SetPrepostTimeout(n)
	case "reply_timeout":
		return m.SetReplyTimeout(n)
	case "retries":
		return m.SetRetries(n)
	case "retry_interval":
		return m.SetRetryInterval(n)
	case "connection_ping_interval":
		return m.SetConnectionPingInterval(n)
	case "recovery_options":
		return m.SetRecoveryOptions(n)
	case "busy_limit":
		return m.SetBusyLimit(n)
	case "max_packet_size":
		return m.SetMaxPacketSize(n)
	}
	return fmt.Errorf("%s is not an AJP attribute", a.Name)
}

// reset is reset_worker: a whole lb, one member, or a plain worker's
// counters.
func (rq *request) reset() bool {
	w, sw := rq.target()
	switch {
	case w.LB != nil:
		if err := w.LB.Reset(sw, rq.now); err != nil {
			return false
		}
		if sw == "" {
			// mod_jk also clears every member's max_connected; the pools
			// keep their own peak, which is what Con/MaxCon show.
			rq.h.log.Info("status worker reset an lb", "lb", w.Name, "user", rq.user)
		} else {
			rq.h.log.Info("status worker reset a member", "lb", w.Name, "member", sw, "user", rq.user)
		}
		return true
	case w.Member != nil:
		w.Member.Counters().Reset(rq.now)
		rq.h.log.Info("status worker reset a worker", "worker", w.Name, "user", rq.user)
		return true
	}
	return false
}

// recover is recover_worker: a member in ERR becomes ERR/REC.
func (rq *request) recover() bool {
	w, sw := rq.target()
	if w.LB == nil || sw == "" {
		return false
	}
	if err := w.LB.Recover(sw); err != nil {
		rq.h.log.Warn("status worker could not mark a member for recovery", "lb", w.Name, "member", sw, "err", err)
		return false
	}
	rq.h.log.Info("status worker marked a member for recovery", "lb", w.Name, "member", sw, "user", rq.user)
	return true
}
