package balancer

import (
	"fmt"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Runtime edits for the status worker (docs/status-worker.md#updates-and-ranges,
// docs/status-worker.md#reset-recover-dump-and-version;
// jk_status.c commit_worker, commit_member, reset_worker, recover_worker).
// Each validates mod_jk's range and returns an error wrapping ErrRange or
// ErrUnknownMember instead of changing anything. The edits are runtime
// only: the config.LB and config.Member the lb was built from stay untouched.

// recordLocked finds a member by name.
func (lb *LB) recordLocked(member string) (*record, error) {
	for _, r := range lb.t.recs {
		if r.name == member {
			return r, nil
		}
	}
	return nil, fmt.Errorf("lb %q: member %q: %w", lb.name, member, ErrUnknownMember)
}

// editMember runs f on a member under the lock.
func (lb *LB) editMember(member string, f func(r *record) error) error {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	r, err := lb.recordLocked(member)
	if err != nil {
		return err
	}
	return f(r)
}

func (lb *LB) rangeErr(what string, v any) error {
	return fmt.Errorf("lb %q: %s %v: %w", lb.name, what, v, ErrRange)
}

// SetActivation changes a member's activation (status vwa). A change
// resets every lb value to 0, except for method Busyness whose values count
// requests in flight.
func (lb *LB) SetActivation(member string, a config.Activation) error {
	if a > config.Stopped {
		return lb.rangeErr("activation", a)
	}
	return lb.editMember(member, func(r *record) error {
		if r.activation != a {
			r.activation = a
			lb.resetValuesLocked()
		}
		return nil
	})
}

// resetValuesLocked is mod_jk's reset_lb_values.
func (lb *LB) resetValuesLocked() {
	if lb.set.method == config.MethodBusyness {
		return
	}
	for _, r := range lb.t.recs {
		r.value = 0
	}
}

// SetLBFactor changes a member's lbfactor (status vwf, >= 1) and
// recomputes every member's multiplier.
func (lb *LB) SetLBFactor(member string, f int) error {
	if f < 1 {
		return lb.rangeErr("lbfactor", f)
	}
	return lb.editMember(member, func(r *record) error {
		r.factor = f
		lb.t.updateMult()
		return nil
	})
}

// SetRoute changes a member's route (status vwn). When the member has no
// domain, one is derived from a route containing '.'. Routes stay unique
// within the lb (mod_jk refuses duplicates at startup).
func (lb *LB) SetRoute(member, route string) error {
	if route == "" || len(route) > maxAttrLen {
		return lb.rangeErr("route", route)
	}
	return lb.editMember(member, func(r *record) error {
		for _, o := range lb.t.recs {
			if o != r && o.route == route {
				return fmt.Errorf("lb %q: route %q of %q: %w", lb.name, route, o.name, ErrDuplicate)
			}
		}
		r.route = route
		if r.domain == "" {
			r.domain = domainOf(route)
		}
		lb.setCookies(r)
		r.doc.SetRoute(route) // the doctor's findings about the old route are moot
		return nil
	})
}

// SetRedirect changes the route a member's sessions fail over to (status
// vwr); "" clears it.
func (lb *LB) SetRedirect(member, redirect string) error {
	if len(redirect) > maxAttrLen {
		return lb.rangeErr("redirect", redirect)
	}
	return lb.editMember(member, func(r *record) error {
		r.redirect = redirect
		return nil
	})
}

// SetDomain changes a member's domain (status vwc); "" clears it.
func (lb *LB) SetDomain(member, domain string) error {
	if len(domain) > maxAttrLen {
		return lb.rangeErr("domain", domain)
	}
	return lb.editMember(member, func(r *record) error {
		r.domain = domain
		return nil
	})
}

// SetDistance changes a member's distance (status vwd, >= 0).
func (lb *LB) SetDistance(member string, d int) error {
	if d < 0 {
		return lb.rangeErr("distance", d)
	}
	return lb.editMember(member, func(r *record) error {
		r.distance = d
		return nil
	})
}

// Reset is the status worker's reset: member "" resets the whole lb (max
// busy, last reset, every member), else one member: state OK/IDLE, lb
// value, errors, sessions and error times cleared, and the AJP counters
// used, client errors, reply timeouts, bytes and max busy.
func (lb *LB) Reset(member string, now time.Time) error {
	defer lb.doc.Reset(member) // and the doctor's findings, after the unlock
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if member == "" {
		lb.sh.maxBusy.Store(lb.sh.busy.Load())
		lb.sh.lastReset = now
		for _, r := range lb.t.recs {
			resetRecord(r, now)
		}
		return nil
	}
	r, err := lb.recordLocked(member)
	if err != nil {
		return err
	}
	resetRecord(r, now)
	return nil
}

func resetRecord(r *record, now time.Time) {
	r.state = StateIdle
	r.value = 0 // also for Busyness, as mod_jk does
	r.firstErr, r.lastErr = time.Time{}, time.Time{}
	r.usedSnapshot = 0
	r.errors.Store(0)
	r.sessions.Store(0)
	r.elected.Store(0)
	r.c.ResetKeepingErrors(now)
}

// Recover is the status worker's recover: only a member in ERR becomes
// ERR/REC, with the current maximum lb value (not for Busyness) and its
// reply timeouts cleared; the next request that picks it probes it.
func (lb *LB) Recover(member string) error {
	return lb.editMember(member, func(r *record) error {
		if r.state != StateError {
			return fmt.Errorf("lb %q: member %q is %s: %w", lb.name, member, r.state, ErrNotInError)
		}
		lb.readmitLocked(r)
		return nil
	})
}

// readmitLocked turns a member in ERR into ERR/REC at the current maximum
// lb value, so the recovering member is not flooded, and forgets its reply
// timeouts (mod_jk recover_workers and the status worker's recover).
func (lb *LB) readmitLocked(r *record) {
	if lb.set.method != config.MethodBusyness {
		var curmax uint64
		for _, o := range lb.t.recs {
			curmax = max(curmax, o.value)
		}
		r.value = curmax
	}
	r.c.ClearReplyTimeouts()
	r.state = StateRecover
}

// editSettings changes the lb settings under the lock.
func (lb *LB) editSettings(f func(s *settings)) error {
	lb.mu.Lock()
	f(&lb.set)
	lb.mu.Unlock()
	return nil
}

// SetRetries sets the number of lb rounds (status vlr, > 0).
func (lb *LB) SetRetries(n int) error {
	if n <= 0 {
		return lb.rangeErr("retries", n)
	}
	return lb.editSettings(func(s *settings) { s.retries = n })
}

// SetRetryInterval sets the sleep between lb rounds in ms (status vlri,
// > 0).
func (lb *LB) SetRetryInterval(ms int) error {
	if ms <= 0 {
		return lb.rangeErr("retry_interval", ms)
	}
	return lb.editSettings(func(s *settings) { s.retryInterval = ms })
}

// SetRecoverTime sets recover_time in seconds (status vlt, > 0).
func (lb *LB) SetRecoverTime(sec int) error {
	if sec <= 0 {
		return lb.rangeErr("recover_time", sec)
	}
	return lb.editSettings(func(s *settings) { s.recoverTime = sec })
}

// SetErrorEscalationTime sets error_escalation_time in seconds (status
// vlee, > 0: mod_jk cannot set it back to 0 at runtime).
func (lb *LB) SetErrorEscalationTime(sec int) error {
	if sec <= 0 {
		return lb.rangeErr("error_escalation_time", sec)
	}
	return lb.editSettings(func(s *settings) { s.escalation = sec })
}

// SetMaxReplyTimeouts sets max_reply_timeouts (status vlx, >= 0).
func (lb *LB) SetMaxReplyTimeouts(n int) error {
	if n < 0 {
		return lb.rangeErr("max_reply_timeouts", n)
	}
	return lb.editSettings(func(s *settings) { s.maxReplyTimeouts = n })
}

// SetStickySession sets sticky_session (status vls).
func (lb *LB) SetStickySession(on bool) error {
	return lb.editSettings(func(s *settings) { s.sticky = on })
}

// SetStickySessionForce sets sticky_session_force (status vlf).
func (lb *LB) SetStickySessionForce(on bool) error {
	return lb.editSettings(func(s *settings) { s.stickyForce = on })
}

// SetMethod sets the balancing method (status vlm). Lb values are kept,
// as in mod_jk.
func (lb *LB) SetMethod(m config.Method) error {
	if m > config.MethodNext {
		return lb.rangeErr("method", uint8(m))
	}
	return lb.editSettings(func(s *settings) { s.method = m })
}

// SetLock sets the lock mode (status vll). A single process behaves the
// same under both; the value is kept for the status worker.
func (lb *LB) SetLock(l config.Lock) error {
	if l > config.LockPessimistic {
		return lb.rangeErr("lock", uint8(l))
	}
	return lb.editSettings(func(s *settings) { s.lock = l })
}
