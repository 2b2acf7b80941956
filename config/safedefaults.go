package config

import (
	"slices"
	"strings"
	"time"
)

// Safe defaults (docs/config.md#safe-defaults): where workers.properties
// leaves a setting at mod_jk's "wait forever" default, jkbalancer uses a
// bounded value instead. A key the file sets, even to mod_jk's own
// default, is used as written, so a tuned file means what it meant.
const (
	// SafeConnectTimeout bounds a connect when neither socket_connect_timeout
	// nor socket_timeout is set (mod_jk: the OS's, minutes on a blackhole).
	SafeConnectTimeout = 3000 // ms
	// SafeIdlePingAfter: a pooled AJP connection idle longer than this is
	// checked with a CPing before a request is written on it, when neither
	// prepost_timeout nor a ping_mode with P is set (mod_jk: no check).
	SafeIdlePingAfter = 5 // s
	// SafeIdlePingTimeout is how long that CPing waits for its CPong.
	SafeIdlePingTimeout = 1000 // ms
	// SafeKeepaliveIdle, SafeKeepaliveInterval and SafeKeepaliveCount are
	// the TCP keepalive timing when socket_keepalive is unset (mod_jk: no
	// keepalive; the OS's timing starts probing after 2 hours).
	SafeKeepaliveIdle     = 30 // s
	SafeKeepaliveInterval = 10 // s
	SafeKeepaliveCount    = 3
	// SafePathCheckInterval: while the first reply packet of a request is
	// late, the kernel is asked this often whether the request's bytes
	// were acknowledged, and a request that may be sent again is given up
	// when they were retransmitted in vain (mod_jk: waits).
	SafePathCheckInterval = 500 // ms
)

// Names of the safe defaults in Member.SafeDefaults, as `check --json`
// shows them: the workers.properties key each one stands in for.
const (
	SafeDefaultConnect   = "socket_connect_timeout"
	SafeDefaultIdlePing  = "prepost_timeout"
	SafeDefaultKeepalive = "socket_keepalive"
	SafeDefaultHTTPIdle  = "connection_pool_timeout" // http members: idle connections are not reused
	SafeDefaultPathCheck = "path_check_interval"     // jkbalancer's own key; 0 is mod_jk's behaviour
)

// applySafeDefaults sets the bounded defaults on a compiled member and
// records which ones apply. It runs after deriveAJP, so ping_mode's
// derivations are already in place.
func applySafeDefaults(r attrReader, a *Member) {
	if !r.has("socket_connect_timeout") && !r.has("socket_timeout") {
		a.SocketConnectTimeout = SafeConnectTimeout
		a.SafeDefaults = append(a.SafeDefaults, SafeDefaultConnect)
	}
	if !r.has("prepost_timeout") && !strings.Contains(a.PingMode, "P") {
		a.IdlePingAfter, a.IdlePingTimeout = SafeIdlePingAfter, SafeIdlePingTimeout
		a.SafeDefaults = append(a.SafeDefaults, SafeDefaultIdlePing)
	}
	if !r.has("socket_keepalive") {
		a.SocketKeepalive = true
		a.KeepaliveIdle = SafeKeepaliveIdle
		a.SafeDefaults = append(a.SafeDefaults, SafeDefaultKeepalive)
	}
	readStall(r, a)
	if !r.has("path_check_interval") {
		a.PathCheckInterval = SafePathCheckInterval
		a.SafeDefaults = append(a.SafeDefaults, SafeDefaultPathCheck)
	}
}

// httpIdleDefault replaces the idle CPing default of an http member,
// which cannot CPing, with its cheap equivalent: a pooled connection idle
// longer than SafeIdlePingAfter is not reused but replaced by a fresh one
// (one connect, the cost of a CPing), unless connection_pool_timeout (or
// its old name cache_timeout) is set.
func httpIdleDefault(r attrReader, a *Member) {
	a.IdlePingAfter, a.IdlePingTimeout = 0, 0
	a.SafeDefaults = slices.DeleteFunc(a.SafeDefaults, func(s string) bool { return s == SafeDefaultIdlePing })
	if !r.has("connection_pool_timeout") && !r.has("cache_timeout") {
		a.IdlePingAfter = SafeIdlePingAfter
		a.SafeDefaults = append(a.SafeDefaults, SafeDefaultHTTPIdle)
	}
}

// IdlePingAfterDuration is how long a pooled connection may idle before
// it is checked with a CPing; 0 means never (mod_jk).
func (a *Member) IdlePingAfterDuration() time.Duration { return sec(a.IdlePingAfter) }

// IdlePingTimeoutDuration is the timeout of that CPing.
func (a *Member) IdlePingTimeoutDuration() time.Duration { return ms(a.IdlePingTimeout) }

// PathCheckIntervalDuration is how often a late reply's path is checked;
// 0 means never (mod_jk).
func (a *Member) PathCheckIntervalDuration() time.Duration { return ms(a.PathCheckInterval) }

// KeepaliveIdleDuration is the idle time before the first TCP keepalive
// probe; 0 means the OS's timing (mod_jk with socket_keepalive=true).
func (a *Member) KeepaliveIdleDuration() time.Duration { return sec(a.KeepaliveIdle) }

// Stall detection (docs/config.md#stall-detection): a member whose requests
// all wait for their first reply byte far longer than its recent replies
// took gets no new non-sticky requests while that lasts. jkbalancer
// extensions: mod_jk has no such keys and keeps choosing the member.
const (
	// SafeStallMin is stall_min's default (ms): no member is called
	// stalled before its oldest awaited reply is this late.
	SafeStallMin = 2000
	// DefaultStallFactor is stall_factor's default: the wait must also
	// exceed this many times the p99 of the member's recent times to the
	// first reply byte.
	DefaultStallFactor = 10
	// maxStallFactor bounds stall_factor so the threshold cannot overflow.
	maxStallFactor = 1000
	// SafeDefaultStall names the stall detection in Member.SafeDefaults.
	SafeDefaultStall = "stall_min"
)

// readStall reads stall_min and stall_factor. stall_min=0 switches the
// detection off (mod_jk's behaviour); unset, it is SafeStallMin.
func readStall(r attrReader, a *Member) {
	v, ok := r.int("stall_min", SafeStallMin)
	if !ok {
		a.SafeDefaults = append(a.SafeDefaults, SafeDefaultStall)
	}
	if v < 0 {
		r.c.Warnf(r.pos("stall_min", Pos{}), r.name, "stall_min", "%d is negative; 0 (no stall detection, as mod_jk) is used", v)
		v = 0
	}
	a.StallMin = v
	f, _ := r.int("stall_factor", DefaultStallFactor)
	if f < 1 || f > maxStallFactor {
		r.c.Warnf(r.pos("stall_factor", Pos{}), r.name, "stall_factor", "%d is not in [1, %d]; %d is used", f, maxStallFactor, DefaultStallFactor)
		f = DefaultStallFactor
	}
	a.StallFactor = f
}

// StallMinDuration is stall_min; 0 means no stall detection (mod_jk).
func (a *Member) StallMinDuration() time.Duration { return ms(a.StallMin) }
