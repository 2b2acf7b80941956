package balancer

import (
	"errors"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// finish does what mod_jk does after the member's service returned: the
// "after" lb value update of the method, lb busy, and the classification of
// the result into shared and per-request states (docs/compat.md#classifying-an-attempt). we is
// nil on success; stop reports that the loop must end (success, or an
// error that must not be retried elsewhere); state is the member's shared
// state afterwards (anything but ERR after a failure means a local error).
func (lb *LB) finish(r *run, i int, out worker.Outcome, err error) (we *worker.Error, stop bool, state State) {
	rec := lb.t.recs[i]
	we = asError(err, rec.name)
	now := lb.now()

	lb.mu.Lock()
	if we != nil && we.Class == worker.ClassNoEndpoint {
		lb.unelectLocked(r, rec)
	}
	switch r.set.method {
	case config.MethodTraffic:
		rec.value += uint64(max(out.Sent+out.Received, 0)) * rec.mult
	case config.MethodBusyness:
		rec.value -= min(rec.value, rec.mult) // floor 0
	}
	classifyLocked(rec, r.states, i, we, now, &r.set)
	if rec.ignoreErrors && rec.state == StateError {
		// +I (PROXY_WORKER_IGNORE_ERRORS): the member stays in rotation;
		// only this request moves on (states[i] stays a local error).
		rec.state, rec.firstErr, rec.lastErr = StateOK, time.Time{}, time.Time{}
	}
	state = rec.state
	lb.mu.Unlock()
	lb.sh.busy.Add(-1)

	if we == nil {
		return nil, true, state
	}
	switch {
	case we.Class == worker.ClassClient, we.Class == worker.ClassTooLarge:
		// mod_jk JK_CLIENT_ERROR: never failed over.
		stop = true
	case !we.Recoverable, we.HeadSent:
		stop = true
	}
	return we, stop, state
}

// asError returns err as a classified error. Anything else is a contract
// violation by the member; it is treated as an internal error that must not
// be replayed, since nobody knows what reached the client.
func asError(err error, member string) *worker.Error {
	if err == nil {
		return nil
	}
	var we *worker.Error
	if errors.As(err, &we) {
		return we
	}
	return &worker.Error{Member: member, Class: worker.ClassInternal, Err: err}
}

// classifyLocked applies mod_jk's table of results (docs/compat.md#classifying-an-attempt,
// jk_lb_worker.c service after end->service). states is the per-request
// copy: setting states[i] to ERR while the shared state stays is a "local
// error", which only excludes the member for the rest of this round.
func classifyLocked(rec *record, states []State, i int, we *worker.Error, now time.Time, set *settings) {
	// The endpoint was obtained and the request ran: OK, unless the member
	// was in ERR (only a success clears ERR). Refined below.
	if rec.state != StateError && (we == nil || we.Class != worker.ClassNoEndpoint) {
		rec.state, states[i] = StateOK, StateOK
	}
	if we == nil {
		rec.state, states[i] = StateOK, StateOK
		rec.firstErr, rec.lastErr = time.Time{}, time.Time{}
		return
	}
	switch we.Class {
	case worker.ClassClient, worker.ClassTooLarge, worker.ClassFailStatusSoft:
		// The member is fine: the client failed (no failover), or a
		// negative fail_on_status code matched (failover, member OK).
		rec.state, states[i] = StateOK, StateError
		rec.firstErr, rec.lastErr = time.Time{}, time.Time{}
	case worker.ClassInternal, worker.ClassProtocol:
		// JK_SERVER_ERROR / JK_AJP_PROTOCOL_ERROR: keep the shared state,
		// do not use the member again for this request.
		states[i] = StateError
	case worker.ClassBusy:
		// JK_BUSY_ERROR: busy_limit reached.
		rec.state, states[i] = StateBusy, StateBusy
	case worker.ClassNoEndpoint:
		// get_endpoint failed: OK/BUSY, except that ERR stays ERR.
		if rec.state != StateError {
			rec.state = StateBusy
		}
		states[i] = StateBusy
	case worker.ClassFailStatus:
		// JK_STATUS_FATAL_ERROR: a positive fail_on_status code.
		markError(rec, now)
		states[i] = StateError
	case worker.ClassReplyTimeout:
		// Only too many reply timeouts take the member out.
		if rec.c.CountReplyTimeout() > int64(set.maxReplyTimeouts) {
			markError(rec, now)
		}
		states[i] = StateError
	default:
		// Connect, send, closed, invalid message, anything unknown: a
		// global error only when the member has no other request in flight,
		// escalation is off, or the error period is old enough; otherwise
		// a local error (mod_jk "Keep previous global state, if we are not
		// in local error since too long").
		rec.errors.Add(1)
		// Better than mod_jk: a failed connect or CPing is no one-off, so
		// requests still in flight on the member do not delay its ERR.
		if we.Unreachable || rec.c.Busy() == 0 || set.escalation == 0 ||
			(!rec.firstErr.IsZero() && elapsed(now, rec.firstErr) >= int64(set.escalation)) {
			rec.state = StateError
		}
		states[i] = StateError
		if rec.firstErr.IsZero() {
			rec.firstErr = now
		}
		rec.lastErr = now
	}
}

// unelectLocked takes back what electLocked counted when the member then
// could not get a connection: mod_jk updates lb_value, sessions and elected
// only once the endpoint was obtained, and the member's Forward acquires it.
func (lb *LB) unelectLocked(r *run, rec *record) {
	newSession := r.q.sid == "" && !r.q.stateless
	switch r.set.method {
	case config.MethodRequest:
		rec.value -= min(rec.value, rec.mult)
	case config.MethodSessions, config.MethodNext:
		if newSession {
			rec.value -= min(rec.value, rec.mult)
		}
	}
	// Busyness: the "after" update in finish takes back the "before" one.
	if newSession {
		rec.sessions.Add(^uint64(0))
	}
	rec.elected.Add(^uint64(0))
}

// markError puts a member into ERR and starts a new error period at now.
func markError(rec *record, now time.Time) {
	rec.errors.Add(1)
	rec.state = StateError
	rec.firstErr, rec.lastErr = now, now
}

// forceRecoveryLocked turns every member in ERR into ERR/FRC (mod_jk
// force_recovery): in the shared state and, when states is not nil, in the
// request's copy. It returns how many were forced.
func (lb *LB) forceRecoveryLocked(states []State) int {
	n := 0
	for i, rec := range lb.t.recs {
		if rec.state != StateError {
			continue
		}
		rec.c.ClearReplyTimeouts()
		rec.state = StateForce
		if states != nil {
			states[i] = StateForce
		}
		n++
	}
	return n
}
