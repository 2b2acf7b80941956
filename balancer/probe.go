package balancer

import "time"

// Out-of-band recovery, where jkbalancer does better than mod_jk. mod_jk
// turns a member in ERR into ERR/REC once recover_time has passed and lets
// the next user request find out whether it really recovered. With a
// health checker (Spec.Probed), the member is probed first, off the request
// path; only a successful probe readmits it.

// ProbeDue returns the members that are in ERR, have waited recover_time
// since their last error, and have no probe out. Each returned member is
// marked as probing until SetProbeResult reports on it.
func (lb *LB) ProbeDue(now time.Time) []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var due []string
	for _, r := range lb.t.recs {
		if r.state != StateError || r.probing || elapsed(now, r.lastErr) <= int64(lb.set.recoverTime) {
			continue
		}
		r.probing = true
		due = append(due, r.name)
	}
	return due
}

// SetProbeResult records the outcome of an out-of-band probe. A success
// turns a member still in ERR into ERR/REC at the current maximum lb value
// (as mod_jk's recovery does, so it is not flooded); a failure restarts its
// recover_time wait, as a failed recovery request does in mod_jk.
func (lb *LB) SetProbeResult(member string, ok bool, now time.Time) {
	_ = lb.editMember(member, func(r *record) error {
		r.probing = false
		switch {
		case r.state != StateError:
			// A request or an operator got there first.
		case ok:
			lb.readmitLocked(r)
		default:
			r.lastErr = now
		}
		return nil
	})
}
