package worker

import (
	"errors"
	"fmt"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/editable"
)

// Runtime edits of a member's AJP attributes, for the status worker's
// update command (docs/status-worker.md#updates-and-ranges; jk_status.c commit_member). mod_jk
// writes the new value into the worker and every later use reads it. Here
// the current attributes are an immutable *config.Member published through an
// atomic pointer: an edit copies it, changes the copy and publishes it, so a request reads one consistent set and never takes a lock.
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
// An edit checks the range of what it sets against the one attribute
// table (package editable) and returns an error wrapping ErrEditRange
// without changing anything.

// ErrEditRange is returned by an edit given a value mod_jk would ignore.
var ErrEditRange = errors.New("value out of range")

// cfg returns the member's current attributes (the compiled ones plus any
// edits). The result must not be modified.
func (m *Member) cfg() *config.Member { return m.live.Load() }

// Edit changes the member's AJP attributes: f gets a copy of the current
// attributes, and what it sets of the table's AJP attributes
// (editable.ScopeAJP) takes effect, max_packet_size rounded up to a
// multiple of 1024 as mod_jk does; any other field it sets is ignored, and
// the address goes through SetAddress. editMu serialises edits so that
// two concurrent edits of different fields both survive.
func (m *Member) Edit(f func(*config.Member)) error {
	m.editMu.Lock()
	defer m.editMu.Unlock()
	next, err := editable.Apply(editable.ScopeAJP, m.live.Load(), f)
	if err != nil {
		return fmt.Errorf("worker %q: %w: %w", m.name, err, ErrEditRange)
	}
	m.live.Store(&next)
	return nil
}

// SetAddress points the member at host:port (status vahst, vaprt). addr
// is the resolved "ip:port" to dial; the caller resolves, as mod_jk does
// before it changes anything. New connections go to addr at once.
func (m *Member) SetAddress(host string, port int, addr string) error {
	m.editMu.Lock()
	defer m.editMu.Unlock()
	cur := m.live.Load()
	next := *cur
	next.Host, next.Port = host, port
	// Only what changes is checked: a configured host name may be longer
	// than the status worker accepts, and a port edit keeps it.
	if err := editable.Validate(editable.ScopeAJP, cur, &next); err != nil {
		return fmt.Errorf("worker %q: %w: %w", m.name, err, ErrEditRange)
	}
	m.live.Store(&next)
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
