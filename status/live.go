package status

import (
	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Reading the running values in configuration form (so one attribute
// table serves the live objects and the state file), and writing them
// through the lb's and the member's edit functions.

// liveLB returns the lb's running settings as a config.LB.
func liveLB(lb *balancer.LB) *config.LB {
	c := lb.Settings()
	return &c
}

// liveMember returns a member's running lb attributes as a config.Member
// (zero for an unknown member).
func liveMember(lb *balancer.LB, name string) *config.Member {
	c, _ := lb.MemberAttrs(name)
	return &c
}

// apply writes val (in Format's form) to the running objects: the lb's
// settings, member's lb attributes, or the AJP attributes of every
// instance in ms. The address (host, port) is not applied here: setAddress
// resolves it first.
func apply(a *attr, lb *balancer.LB, member string, ms []*worker.Member, val string) error {
	switch a.Scope {
	case scopeLB:
		return lb.EditSettings(func(c *config.LB) { a.Assign(c, val) })
	case scopeMember:
		return lb.EditMember(member, func(c *config.Member) { a.Assign(c, val) })
	}
	for _, m := range ms {
		if err := m.Edit(func(c *config.Member) { a.Assign(c, val) }); err != nil {
			return err
		}
	}
	return nil
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
