package balancer

import "github.com/jkbalancer/jkbalancer/config"

// State is an lb member's shared state (docs/compat.md#activation-and-states). The numeric
// order is mod_jk's and it matters: a member can take new traffic only in a
// state up to StateForce.
type State uint8

const (
	// StateIdle: initial, or OK without a request since the last global
	// maintenance.
	StateIdle State = iota
	// StateOK: the last request succeeded or failed without marking the
	// member.
	StateOK
	// StateRecover: marked for recovery (recover_time passed, or the status
	// worker's recover); the next request that picks it turns it into
	// StateProbe.
	StateRecover
	// StateForce: forced recovery, every member was in error. Stays FRC
	// while several requests use it.
	StateForce
	// StateBusy: no endpoint or busy_limit reached; cleared at the start of
	// the next request when the member is Available again.
	StateBusy
	// StateError: global error; not used until recovery.
	StateError
	// StateProbe: a recovery probe is in flight; not usable by others.
	StateProbe
)

var stateNames = [...]string{"OK/IDLE", "OK", "ERR/REC", "ERR/FRC", "OK/BUSY", "ERR", "ERR/PRB"}

// String returns the text mod_jk's status worker shows.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText makes states print as mod_jk's text in JSON and logs.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// usable reports whether a member may take non-sticky traffic (mod_jk
// JK_WORKER_USABLE): not busy, in error or probing, and Active.
func usable(s State, a config.Activation) bool {
	return s <= StateForce && a == config.Active
}

// stickyUsable reports whether a member may take traffic routed to it by a
// session (mod_jk 1.2.48 JK_WORKER_USABLE_STICKY): the same states, and
// Disabled is allowed. OK/BUSY is not (later versions changed that).
func stickyUsable(s State, a config.Activation) bool {
	return s <= StateForce && a != config.Stopped
}
