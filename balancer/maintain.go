package balancer

import (
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Maintain runs mod_jk's global lb maintenance
// (docs/compat.md#activation-and-states, docs/compat.md#global-maintenance;
// jk_lb_worker.c maintain_workers) when at least worker.maintain has passed
// since the last run; otherwise it does nothing, so it may be called at the
// start of every request or from a ticker. With k = elapsed/maintain:
// lb values decay by 2^k (Next subtracts the minimum instead, Busyness
// never decays), reply timeouts decay by 2^k, members in ERR longer than
// recover_time become ERR/REC at the current maximum lb value, local errors
// older than error_escalation_time become ERR, OK members without a
// request since the last run become OK/IDLE, and when no member is out of
// ERR all are forced to ERR/FRC.
func (lb *LB) Maintain(now time.Time) {
	if lb.maintain <= 0 {
		return
	}
	lb.mu.Lock()
	defer lb.mu.Unlock()
	d := now.Sub(lb.sh.lastMaintain)
	if d < lb.maintain {
		return
	}
	lb.sh.lastMaintain = now
	curmax := lb.decayLocked(uint(d / lb.maintain))
	if lb.recoverLocked(curmax, now) == 0 {
		lb.forceRecoveryLocked(nil)
	}
}

// decayLocked is mod_jk's decay_load. It returns the largest lb value after
// the decay (before Next's subtraction), the value recovering members get.
func (lb *LB) decayLocked(k uint) uint64 {
	method := lb.set.method
	var curmax uint64
	for _, r := range lb.t.recs {
		if method != config.MethodBusyness {
			if method != config.MethodNext {
				r.value >>= k
			}
			curmax = max(curmax, r.value)
		}
		r.c.DecayReplyTimeouts(k)
	}
	if method == config.MethodNext {
		// Next keeps handing new sessions round robin: subtract the
		// smallest value among the members usable for new traffic (their
		// configured activation; rule overrides are per request).
		var curmin uint64
		found := false
		for _, r := range lb.t.recs {
			if usable(r.state, r.activation) && (!found || r.value < curmin) {
				curmin, found = r.value, true
			}
		}
		for _, r := range lb.t.recs {
			r.value -= min(r.value, curmin)
		}
	}
	return curmax
}

// recoverLocked is mod_jk's recover_workers. It returns the number of
// members not in error.
func (lb *LB) recoverLocked(curmax uint64, now time.Time) int {
	nonError := 0
	for _, r := range lb.t.recs {
		used := r.c.Used()
		switch {
		case r.state == StateError:
			// Measured from the last error, in whole seconds, strictly
			// greater than recover_time. With health probing the probe
			// does this transition instead (SetProbeResult).
			if !lb.probed && elapsed(now, r.lastErr) > int64(lb.set.recoverTime) {
				if lb.set.method != config.MethodBusyness {
					r.value = curmax // do not flood the recovering member
				}
				r.c.ClearReplyTimeouts()
				r.state = StateRecover
				nonError++
			}
		case !r.firstErr.IsZero() && r.state != StateRecover &&
			elapsed(now, r.firstErr) >= int64(lb.set.escalation):
			// A local error that lasted error_escalation_time.
			r.state = StateError
		default:
			nonError++
			if r.state == StateOK && used == r.usedSnapshot {
				r.state = StateIdle
			}
		}
		r.usedSnapshot = used
	}
	return nonError
}
