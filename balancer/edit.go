package balancer

import (
	"fmt"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/editable"
)

// Runtime edits for the status worker (docs/status-worker.md#updates-and-ranges,
// docs/status-worker.md#reset-recover-dump-and-version;
// jk_status.c commit_worker, commit_member, reset_worker, recover_worker).
// An edit is a function on the attributes in configuration form; the lb
// checks the range of what it set against the one attribute table
// (package editable, Apply), the invariants between members (unique routes),
// then redoes what depends on the changed attributes. A refused edit
// returns an error wrapping ErrRange, ErrDuplicate or ErrUnknownMember and
// changes nothing. The edits are runtime only: the config.LB and
// config.Member the lb was built from stay untouched.

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

func (lb *LB) rangeErr(err error) error {
	return fmt.Errorf("lb %q: %w: %w", lb.name, err, ErrRange)
}

// attrs returns a member's editable attributes in configuration form.
func (r *record) attrs() config.Member {
	return config.Member{Activation: r.activation, LBFactor: r.factor, Route: r.route,
		Redirect: r.redirect, Domain: r.domain, Distance: r.distance}
}

// MemberAttrs returns a member's current lb attributes in configuration
// form, as EditMember's f sees them (other fields are zero).
func (lb *LB) MemberAttrs(member string) (config.Member, error) {
	var a config.Member
	err := lb.editMember(member, func(r *record) error {
		a = r.attrs()
		return nil
	})
	return a, err
}

// EditMember changes a member's lb attributes (editable.ScopeMember): f
// gets a copy of them (record.attrs; any other field it sets is ignored).
// Then, as mod_jk does after each:
//
//   - activation: every lb value is reset to 0, except for method
//     Busyness whose values count requests in flight;
//   - lbfactor: every member's multiplier is recomputed;
//   - route: it must stay unique within the lb (mod_jk refuses duplicates
//     at startup); a member without a domain derives one from a route
//     containing '.'; the session cookie follows the route, and the
//     doctor's findings about the old route are dropped.
func (lb *LB) EditMember(member string, f func(*config.Member)) error {
	return lb.editMember(member, func(r *record) error {
		old := r.attrs()
		next, err := editable.Apply(editable.ScopeMember, &old, f)
		if err != nil {
			return lb.rangeErr(err)
		}
		if next.Route != old.Route {
			for _, o := range lb.t.recs {
				if o != r && o.route == next.Route {
					return fmt.Errorf("lb %q: route %q of %q: %w", lb.name, next.Route, o.name, ErrDuplicate)
				}
			}
		}
		r.redirect, r.domain, r.distance = next.Redirect, next.Domain, next.Distance
		if next.Activation != old.Activation {
			r.activation = next.Activation
			lb.resetValuesLocked()
		}
		if next.LBFactor != old.LBFactor {
			r.factor = next.LBFactor
			lb.t.updateMult()
		}
		if next.Route != old.Route {
			r.route = next.Route
			if r.domain == "" {
				r.domain = domainOf(r.route)
			}
			lb.setCookies(r)
			r.doc.SetRoute(r.route)
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

// config returns the lb settings the status worker edits in
// configuration form.
func (s *settings) config() config.LB {
	return config.LB{Retries: s.retries, RetryInterval: s.retryInterval, RecoverTime: s.recoverTime,
		ErrorEscalationTime: s.escalation, MaxReplyTimeouts: s.maxReplyTimeouts, StickySession: s.sticky,
		StickySessionForce: s.stickyForce, Method: s.method, Lock: s.lock}
}

// Settings returns the current lb settings in configuration form, as
// EditSettings' f sees them (other fields are zero).
func (lb *LB) Settings() config.LB {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	return lb.set.config()
}

// EditSettings changes the lb settings (editable.ScopeLB): f gets a copy
// of them (settings.config; any other field it sets is ignored). They take
// effect with the next request; a method change keeps the lb values, as
// in mod_jk, and the lock mode is kept for the status worker only (a
// single process behaves the same under both).
func (lb *LB) EditSettings(f func(*config.LB)) error {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	old := lb.set.config()
	next, err := editable.Apply(editable.ScopeLB, &old, f)
	if err != nil {
		return lb.rangeErr(err)
	}
	s := &lb.set
	s.retries, s.retryInterval, s.recoverTime = next.Retries, next.RetryInterval, next.RecoverTime
	s.escalation, s.maxReplyTimeouts = next.ErrorEscalationTime, next.MaxReplyTimeouts
	s.sticky, s.stickyForce, s.method, s.lock = next.StickySession, next.StickySessionForce, next.Method, next.Lock
	return nil
}
