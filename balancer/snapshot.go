package balancer

import (
	"time"

	"github.com/jkbalancer/jkbalancer/config"
)

// Snapshot is a copy of an lb's configuration, counters and members, taken
// under the lock, for the status worker and metrics. It holds no lock and
// may be kept.
type Snapshot struct {
	Name string

	// Runtime settings (after status edits).
	StickySession       bool
	StickySessionForce  bool
	Method              config.Method
	Lock                config.Lock
	Retries             int
	LBRetries           int
	RetryInterval       int // ms
	RecoverTime         int // s
	ErrorEscalationTime int // s
	MaxReplyTimeouts    int
	SessionCookie       string
	SessionPath         string
	SetSessionCookie    bool
	SessionCookiePath   string

	Busy, MaxBusy int64 // requests in flight through the lb, and the peak
	LastReset     time.Time
	LastMaintain  time.Time
	Maintain      time.Duration // worker.maintain
	// NextMaintainMin/Max are the seconds until the next possible global
	// maintenance ("Next Maintenance" min/max), never negative.
	NextMaintainMin, NextMaintainMax int

	Members []MemberSnapshot // configuration order
}

// MemberSnapshot is one member's lb-level data (docs/status-worker.md#what-the-pages-show). The
// AJP-level counters are read from Member.Counters().
type MemberSnapshot struct {
	Name       string
	Activation config.Activation
	State      State
	Distance   int
	LBFactor   int
	LBMult     uint64
	LBValue    uint64
	Elected    uint64 // requests sent to the member by this lb
	Sessions   uint64 // requests without session id, not stateless
	Errors     uint64 // lb-level errors ("Err")
	Route      string
	Redirect   string
	Domain     string
	// FirstErrorTime starts the current error period (status "LE");
	// LastErrorTime is the latest error. Zero when unset.
	FirstErrorTime time.Time
	LastErrorTime  time.Time
	// TimeToRecoverMin/Max ("Rs") are the seconds until maintenance may
	// recover a member in ERR; 0/0 in any other state.
	TimeToRecoverMin, TimeToRecoverMax int
	Member                             Member
}

// Snapshot copies the lb's state under the lock.
func (lb *LB) Snapshot() Snapshot {
	now := lb.now()
	lb.mu.Lock()
	defer lb.mu.Unlock()
	s := lb.set
	maint := int(lb.maintain / time.Second)
	msMin := maint - int(elapsed(now, lb.sh.lastMaintain))
	msMax := max(msMin+maint, 0)
	msMin = max(msMin, 0)
	snap := Snapshot{
		Name:          lb.name,
		StickySession: s.sticky, StickySessionForce: s.stickyForce,
		Method: s.method, Lock: s.lock,
		Retries: s.retries, LBRetries: s.lbRetries, RetryInterval: s.retryInterval,
		RecoverTime: s.recoverTime, ErrorEscalationTime: s.escalation,
		MaxReplyTimeouts: s.maxReplyTimeouts,
		SessionCookie:    s.sessionCookie, SessionPath: s.sessionPath,
		SetSessionCookie: s.setSessionCookie, SessionCookiePath: s.sessionCookiePath,
		Busy: lb.sh.busy.Load(), MaxBusy: lb.sh.maxBusy.Load(),
		LastReset: lb.sh.lastReset, LastMaintain: lb.sh.lastMaintain, Maintain: lb.maintain,
		NextMaintainMin: msMin, NextMaintainMax: msMax,
		Members: make([]MemberSnapshot, len(lb.t.recs)),
	}
	for i, r := range lb.t.recs {
		m := MemberSnapshot{
			Name: r.name, Activation: r.activation, State: r.state,
			Distance: r.distance, LBFactor: r.factor, LBMult: r.mult, LBValue: r.value,
			Elected: r.elected.Load(), Sessions: r.sessions.Load(), Errors: r.errors.Load(),
			Route: r.route, Redirect: r.redirect, Domain: r.domain,
			FirstErrorTime: r.firstErr, LastErrorTime: r.lastErr,
			Member: r.m,
		}
		if r.state == StateError {
			// jk_status.c: r = recover_time - (now - last error), at least
			// 0; min is at least the time to the next maintenance, max is
			// r plus one maintenance interval.
			rs := max(s.recoverTime-int(elapsed(now, r.lastErr)), 0)
			m.TimeToRecoverMax = rs + maint
			m.TimeToRecoverMin = max(rs, msMin)
		}
		snap.Members[i] = m
	}
	return snap
}
