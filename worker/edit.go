package worker

import (
	"errors"
	"fmt"

	"github.com/jkbalancer/jkbalancer/config"
)

// Runtime edits of a member's AJP attributes, for the status worker's
// update command (docs/status-worker.md#updates-and-ranges; jk_status.c commit_member). mod_jk
// writes the new value into the worker and every later use reads it. Here
// the current attributes are an immutable *config.Member published through an
// atomic pointer: an edit copies it, changes one field and publishes the
// copy, so a request reads one consistent set and never takes a lock.
//
// What takes effect when:
//
//   - immediately, for the next request: retries, retry_interval,
//     recovery_options, reply_timeout, busy_limit, and ping_timeout for the
//     out-of-band probe;
//   - immediately, for new connections: host and port (SetAddress; pooled
//     connections to the old address are closed as they come back);
//   - at the next start or reload, when the pool is built again:
//     connection_pool_timeout, connect_timeout, prepost_timeout,
//     connection_ping_interval, max_packet_size, and ping_timeout for the
//     pool's interval CPing. Config reports the new value at once, and a
//     persisted edit is applied before the pool is built.
//
// The setters validate mod_jk's ranges and return an error wrapping
// ErrEditRange without changing anything.

// ErrEditRange is returned by a setter given a value mod_jk would ignore.
var ErrEditRange = errors.New("value out of range")

// cfg returns the member's current attributes (the compiled ones plus any
// edits). The result must not be modified.
func (m *Member) cfg() *config.Member { return m.live.Load() }

// edit publishes a copy of the current attributes changed by f. editMu
// serialises edits so that two concurrent edits of different fields both
// survive.
func (m *Member) edit(f func(a *config.Member)) {
	m.editMu.Lock()
	defer m.editMu.Unlock()
	a := *m.live.Load()
	f(&a)
	m.live.Store(&a)
}

func (m *Member) setInt(name string, v, lo, hi int, field func(a *config.Member) *int) error {
	if v < lo || v > hi {
		return fmt.Errorf("worker %q: %s %d: %w", m.name, name, v, ErrEditRange)
	}
	m.edit(func(a *config.Member) { *field(a) = v })
	return nil
}

const maxInt = int(^uint(0) >> 1)

// SetReplyTimeout sets reply_timeout in ms (status vart, >= 0).
func (m *Member) SetReplyTimeout(ms int) error {
	return m.setInt("reply_timeout", ms, 0, maxInt, func(a *config.Member) *int { return &a.ReplyTimeout })
}

// SetRetries sets the worker's retries (status var, >= 1).
func (m *Member) SetRetries(n int) error {
	return m.setInt("retries", n, 1, maxInt, func(a *config.Member) *int { return &a.Retries })
}

// SetRetryInterval sets retry_interval in ms (status vari, >= 1).
func (m *Member) SetRetryInterval(ms int) error {
	return m.setInt("retry_interval", ms, 1, maxInt, func(a *config.Member) *int { return &a.RetryInterval })
}

// SetRecoveryOptions sets the recovery_options bitmask (status varo, >= 0).
func (m *Member) SetRecoveryOptions(bits int) error {
	return m.setInt("recovery_options", bits, 0, maxInt, func(a *config.Member) *int { return &a.RecoveryOptions })
}

// SetBusyLimit sets busy_limit (status vabl, >= 0; 0 = off).
func (m *Member) SetBusyLimit(n int) error {
	return m.setInt("busy_limit", n, 0, maxInt, func(a *config.Member) *int { return &a.BusyLimit })
}

// SetPingTimeout sets ping_timeout in ms (status vapng, >= 0).
func (m *Member) SetPingTimeout(ms int) error {
	return m.setInt("ping_timeout", ms, 0, maxInt, func(a *config.Member) *int { return &a.PingTimeout })
}

// SetConnectTimeout sets connect_timeout in ms (status vact, >= 0).
func (m *Member) SetConnectTimeout(ms int) error {
	return m.setInt("connect_timeout", ms, 0, maxInt, func(a *config.Member) *int { return &a.ConnectTimeout })
}

// SetPrepostTimeout sets prepost_timeout in ms (status vapt, >= 0).
func (m *Member) SetPrepostTimeout(ms int) error {
	return m.setInt("prepost_timeout", ms, 0, maxInt, func(a *config.Member) *int { return &a.PrepostTimeout })
}

// SetConnectionPoolTimeout sets connection_pool_timeout in s (status
// vacpt, >= 0).
func (m *Member) SetConnectionPoolTimeout(sec int) error {
	return m.setInt("connection_pool_timeout", sec, 0, maxInt, func(a *config.Member) *int { return &a.ConnectionPoolTimeout })
}

// SetConnectionPingInterval sets connection_ping_interval in s (status
// vacpi, >= 1).
func (m *Member) SetConnectionPingInterval(sec int) error {
	return m.setInt("connection_ping_interval", sec, 1, maxInt, func(a *config.Member) *int { return &a.ConnectionPingInterval })
}

// SetMaxPacketSize sets max_packet_size (status vamps): rounded up to a
// multiple of 1024 first, then it must lie in [8192, 65536].
func (m *Member) SetMaxPacketSize(n int) error {
	if n > 0 && n%1024 != 0 {
		n += 1024 - n%1024
	}
	return m.setInt("max_packet_size", n, 8192, 65536, func(a *config.Member) *int { return &a.MaxPacketSize })
}

// SetAddress points the member at host:port (status vahst, vaprt). addr
// is the resolved "ip:port" to dial; the caller resolves, as mod_jk does
// before it changes anything. New connections go to addr at once.
func (m *Member) SetAddress(host string, port int, addr string) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("worker %q: port %d: %w", m.name, port, ErrEditRange)
	}
	m.editMu.Lock()
	defer m.editMu.Unlock()
	a := *m.live.Load()
	a.Host, a.Port = host, port
	m.live.Store(&a)
	m.tr.setAddress(host, port, addr)
	return nil
}

// Addr returns the address the member dials: "ip:port" for AJP, the
// configured host:port for HTTP (the URL its requests are made for).
func (m *Member) Addr() string { return m.tr.dest() }

// State is the informational state of a worker used without an lb, as
// mod_jk's status worker shows it for a plain ajp13 worker: OK/IDLE before
// the first request, ERR while the last request failed, else OK.
func (m *Member) State() string {
	switch {
	case m.lastFail.Load() != 0:
		return "ERR"
	case m.counters.Used() == 0:
		return "OK/IDLE"
	}
	return "OK"
}
