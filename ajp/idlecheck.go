package ajp

import (
	"context"
	"net"
	"time"
)

// idleAlive is jkbalancer's idle CPing (docs/config.md#safe-defaults): a
// pooled connection unused for longer than IdlePingAfter answers a CPing
// within IdlePingTimeout before a request is written on it. A busy
// connection is not pinged, so it costs nothing. c is out of the pool.
func (p *Pool) idleAlive(c *Conn) bool {
	if !p.idlePingDue(c) {
		return true
	}
	return c.Ping(p.cfg.IdlePingTimeout) == nil
}

// idlePingDue reports whether c sat idle long enough for the idle CPing.
func (p *Pool) idlePingDue(c *Conn) bool {
	return p.cfg.IdlePingAfter > 0 && p.now().Sub(c.lastUsed) > p.cfg.IdlePingAfter
}

// dialFresh dials a new connection for a caller that holds a slot and
// whose idle connection was just forgotten.
func (p *Pool) dialFresh(ctx context.Context) (*Conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, p.closedErr()
	}
	p.inUse++
	p.open++
	p.maxOpen = max(p.maxOpen, p.open)
	addr, gen := p.addr, p.gen
	p.mu.Unlock()
	return p.dial(ctx, addr, gen)
}

// KeepAliveConfig is the TCP keepalive of a member connection: off, the
// OS's timing (idle 0, mod_jk's socket_keepalive=true), or probes after
// idle, then every idle/3, 3 of them (jkbalancer's default,
// docs/config.md#safe-defaults): a dead peer is noticed within 2*idle.
func KeepAliveConfig(on bool, idle time.Duration) net.KeepAliveConfig {
	if !on || idle <= 0 {
		return net.KeepAliveConfig{Enable: on, Idle: -1, Interval: -1, Count: -1}
	}
	return net.KeepAliveConfig{Enable: true, Idle: idle, Interval: idle / 3, Count: 3}
}
