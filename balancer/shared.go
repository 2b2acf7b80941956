package balancer

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Shared is the runtime state of one lb that outlives a configuration
// generation (docs/design.md#how-reload-state-flows): per member name its
// state, error times, lb value, the usage snapshot of the last maintenance,
// the lb-level counters and the metrics; for the lb the selection mutex,
// the rotation offset, busy and max busy, the last maintenance and the last
// reset. A reload builds the next generation of the lb (New) on the same
// Shared: a member that still exists gets the same state object, so a
// request finishing on the old generation updates what the new one reads,
// and both generations serialise on the same lock. Nothing is copied.
//
// What a generation is built from (member attributes, lb settings) is not
// here: that is configuration, with the status worker's edits folded in
// by whoever builds the spec.
type Shared struct {
	// mu is the lb's one selection mutex (the package comment): it guards
	// every field of Shared and of the memberStates below, and the
	// attributes and settings of every generation built on it.
	mu      sync.Mutex
	members map[string]*memberState
	// n is the member count of the newest generation; next is mod_jk's
	// next_offset, a position in the configuration order.
	n, next                 int
	lastMaintain, lastReset time.Time // zero until the first New

	busy, maxBusy atomic.Int64 // requests in flight through this lb
	met           lbMetrics    // never reset (metrics.go)
}

// memberState is the part of mod_jk's per-(lb, member) shared memory that
// is not configuration. It is guarded by Shared.mu, except the atomics.
type memberState struct {
	value             uint64 // lb_value
	state             State
	firstErr, lastErr time.Time // zero = unset
	usedSnapshot      int64     // Counters().Used at the last maintenance

	// Counters nothing compares.
	errors, sessions, elected atomic.Uint64
	met                       memberMetrics // never reset (metrics.go)
}

// NewShared returns the state of an lb that has no generation yet.
func NewShared() *Shared {
	return &Shared{members: make(map[string]*memberState)}
}

// attachLocked gives every record of a new generation its member state:
// the existing one for a name the lb already has, else a fresh one. A
// member the lb did not have starts at the highest lb value among the
// members it keeps, like a member mod_jk recovers (recover_workers): at 0
// it would take every request until it caught up with values that may be
// large. Busyness values count requests in flight: 0 is right there.
func (sh *Shared) attachLocked(recs []*record, method config.Method, now time.Time) {
	var curmax uint64
	var added []*record
	for _, r := range recs {
		st := sh.members[r.name]
		if st == nil {
			st = new(memberState)
			sh.members[r.name] = st
			added = append(added, r)
		} else {
			curmax = max(curmax, st.value)
		}
		r.memberState = st
	}
	for _, r := range added {
		if r.startInError {
			// mod_proxy_balancer +E: a new member starts in error and
			// waits recover_time for its first probe.
			r.state, r.firstErr, r.lastErr = StateError, now, now
		}
		if method != config.MethodBusyness {
			r.value = curmax
		}
	}
	if sh.n != len(recs) {
		// The configuration order changed length: the offset means
		// nothing for it.
		sh.next = 0
	}
	sh.n = len(recs)
	if sh.lastMaintain.IsZero() {
		sh.lastMaintain, sh.lastReset = now, now
	}
}

// keepOnly drops the state of every member not in names.
func (sh *Shared) keepOnly(names map[string]bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for name := range sh.members {
		if !names[name] {
			delete(sh.members, name)
		}
	}
}

// Shared returns the state this lb shares with its other generations;
// the next generation is built on it (Spec.Shared).
func (lb *LB) Shared() *Shared { return lb.sh }

// DropGone forgets the state of every member this generation does not
// have, so members that come and go (DNS) do not grow the lb's state
// without bound. Call it once this generation serves: an older one that
// still finishes requests on a dropped member writes to a state object
// nobody reads any more, which is harmless.
func (lb *LB) DropGone() {
	names := make(map[string]bool, len(lb.t.recs))
	for _, r := range lb.t.recs {
		names[r.name] = true
	}
	lb.sh.keepOnly(names)
}
