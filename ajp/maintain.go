package ajp

import (
	"cmp"
	"context"
	"net"
	"slices"
	"time"
)

// Maintain does the periodic pool upkeep of mod_jk's maintenance run
// (docs/compat.md#cping-and-timeouts, docs/compat.md#connection-pool): it closes
// idle connections unused for
// IdleTimeout or longer, oldest first, as long as at least MinSize
// connections stay open; then it CPings idle connections unused and
// unpinged for PingInterval and closes those that do not answer within
// PingTimeout. Sockets are closed and pinged outside the lock. A probe
// holds a slot like a request, so the pool never exceeds Size
// connections; when no slot is free the probe waits for the next run.
//
// Idle age counts from the last request, not the last ping: Tomcat never
// idles out a connection that has seen a CPing (docs/ajp13.md#connection-lifecycle), so the pool's
// own IdleTimeout must not be reset by its probes.
func (p *Pool) Maintain() {
	now := p.now()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	expired := p.takeExpired(now)
	probe := p.takeProbes(now)
	p.mu.Unlock()
	closeAll(expired)
	for _, c := range probe {
		err := c.Ping(p.cfg.PingTimeout)
		p.mu.Lock()
		keep := p.settleLocked(c, err == nil, &c.lastPing)
		p.mu.Unlock()
		p.release()
		if !keep {
			c.Close()
		}
	}
}

// takeExpired removes and returns the idle connections past IdleTimeout,
// oldest first, leaving at least MinSize open. Called with p.mu held.
func (p *Pool) takeExpired(now time.Time) []*Conn {
	budget := p.open - max(p.cfg.MinSize, 0)
	if p.cfg.IdleTimeout <= 0 || budget <= 0 {
		return nil
	}
	var old []*Conn
	for _, c := range p.idle {
		if now.Sub(c.lastUsed) >= p.cfg.IdleTimeout {
			old = append(old, c)
		}
	}
	if len(old) == 0 {
		return nil
	}
	slices.SortFunc(old, func(a, b *Conn) int { return a.lastUsed.Compare(b.lastUsed) })
	old = old[:min(len(old), budget)]
	p.idle = slices.DeleteFunc(p.idle, func(c *Conn) bool { return slices.Contains(old, c) })
	p.open -= len(old)
	return old
}

// takeProbes removes and returns the idle connections due for an interval
// CPing, each holding a slot taken without waiting. Called with p.mu held.
func (p *Pool) takeProbes(now time.Time) []*Conn {
	if p.cfg.PingInterval <= 0 || p.cfg.PingTimeout <= 0 {
		return nil
	}
	var due []*Conn
	for _, c := range p.idle {
		last := c.lastUsed
		if c.lastPing.After(last) {
			last = c.lastPing
		}
		if now.Sub(last) < p.cfg.PingInterval {
			continue
		}
		select {
		case p.slots <- struct{}{}:
		default:
			return p.removeIdle(due) // pool busy: probe the rest next time
		}
		c.out = true
		due = append(due, c)
	}
	return p.removeIdle(due)
}

func (p *Pool) removeIdle(cs []*Conn) []*Conn {
	if len(cs) > 0 {
		p.idle = slices.DeleteFunc(p.idle, func(c *Conn) bool { return c.out })
	}
	return cs
}

// Ping probes the backend out of band: it dials a fresh connection, sends
// a CPing, waits up to timeout for the CPong and closes the connection.
// It takes no slot and touches no pooled connection, so it can re-admit a
// failed member while the pool is idle or full (mod_proxy_ajp's
// hcmethod=CPING). Errors are *Error with StageConnect or StagePing.
func (p *Pool) Ping(ctx context.Context, timeout time.Duration) error {
	nc, err := p.dialNet(ctx, p.Addr())
	if err != nil {
		return err
	}
	c := NewConn(nc, p.psize)
	c.socketTimeout = p.cfg.SocketTimeout
	if timeout <= 0 {
		timeout = p.cfg.PingTimeout
	}
	err = c.Ping(timeout)
	c.Close()
	return err
}

// dial opens a pooled connection for a caller that holds a slot and has
// counted it in p.open and p.inUse.
func (p *Pool) dial(ctx context.Context, addr string, gen uint64) (*Conn, error) {
	nc, err := p.dialNet(ctx, addr)
	if err != nil {
		p.mu.Lock()
		p.open--
		p.inUse--
		p.mu.Unlock()
		return nil, err
	}
	p.suspect.Store(false)
	c := NewConn(nc, p.psize)
	c.socketTimeout = p.cfg.SocketTimeout
	p.initPathCheck(c)
	c.pool, c.gen, c.out = p, gen, true
	c.lastUsed = p.now()
	// A completed connect proves nothing: the kernel accepts for a hung or
	// saturated Tomcat too; a CPong does (docs/ajp13.md#connection-lifecycle). Without a connect
	// ping, the pre-request ping covers the fresh connection as well
	// (mod_jk ajp_send_request: connect_timeout <= 0 && prepost_timeout > 0).
	if timeout := cmp.Or(p.cfg.ConnectPing, p.cfg.PrepostPing); timeout > 0 {
		if err := c.Ping(timeout); err != nil {
			p.forget(c)
			return nil, err
		}
	}
	return c, nil
}

// dialNet connects with mod_jk's socket options: TCP_NODELAY, SO_LINGER 0
// (a close resets, so Tomcat sees aborts at once), SO_KEEPALIVE only when
// configured (with the OS's timing unless KeepAliveIdle is set), and the
// socket buffers.
func (p *Pool) dialNet(ctx context.Context, addr string) (net.Conn, error) {
	d := net.Dialer{
		Timeout:         p.connectTimeout(),
		LocalAddr:       p.local,
		KeepAlive:       -1,
		KeepAliveConfig: KeepAliveConfig(p.cfg.KeepAlive, p.cfg.KeepAliveIdle),
	}
	nc, err := d.DialContext(ctx, p.cfg.Network, addr)
	if err != nil {
		return nil, &Error{Stage: StageConnect, Kind: ioKind(err), Err: err}
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		tc.SetLinger(0)
		if p.cfg.BufferSize > 0 {
			n := max(p.cfg.BufferSize, p.psize)
			tc.SetReadBuffer(n)
			tc.SetWriteBuffer(n)
		}
	}
	return nc, nil
}

// resolveSource resolves the local bind address once. Like mod_jk, an
// unresolvable source is ignored.
func resolveSource(network, source string) net.Addr {
	if source == "" || (network != "tcp" && network != "tcp4" && network != "tcp6") {
		return nil
	}
	if _, _, err := net.SplitHostPort(source); err != nil {
		source = net.JoinHostPort(source, "0")
	}
	a, err := net.ResolveTCPAddr(network, source)
	if err != nil {
		return nil
	}
	return a
}
