package ajp

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// PoolConfig configures a Pool. Durations of 0 mean "off" unless stated.
// The names in parentheses are the workers.properties keys
// (docs/config.md#backend-worker-keys, docs/compat.md#cping-and-timeouts,
// docs/compat.md#connection-pool).
type PoolConfig struct {
	Network, Addr   string        // "tcp" ("" = "tcp"), "host:port"
	Source          string        // local bind address, IP or IP:port ("" = any; unresolvable = ignored, like mod_jk)
	Size, MinSize   int           // connection_pool_size (< 1: every Get fails, like mod_jk's 0), connection_pool_minsize
	AcquireTimeout  time.Duration // wait for a free slot (connection_acquire_timeout); <= 0: try once, don't wait
	IdleTimeout     time.Duration // close idle conns unused this long in Maintain (connection_pool_timeout)
	ConnectTimeout  time.Duration // socket_connect_timeout; 0 = OS default
	SocketTimeout   time.Duration // deadline on every single send/recv (socket_timeout)
	KeepAlive       bool          // SO_KEEPALIVE (socket_keepalive)
	KeepAliveIdle   time.Duration // idle before the first keepalive probe, then every third of it, 3 probes; 0 = the OS's timing
	BufferSize      int           // SO_SNDBUF/SO_RCVBUF when > 0, raised to at least MaxPacketSize (socket_buffer)
	ConnectPing     time.Duration // CPing timeout right after connect (ping_mode C / connect_timeout)
	PrepostPing     time.Duration // CPing timeout before every request on a pooled conn (ping_mode P / prepost_timeout)
	IdlePingAfter   time.Duration // without PrepostPing: CPing a pooled conn idle longer than this first (jkbalancer default); 0 = off
	IdlePingTimeout time.Duration // timeout of that CPing
	PingInterval    time.Duration // CPing idle conns unused this long in Maintain (connection_ping_interval)
	PingTimeout     time.Duration // timeout of those interval pings (ping_timeout); 0 disables them
	MaxPacketSize   int           // max_packet_size, 8192..65536 (0 = 8192)
	DisableReuse    bool          // close every connection after its request (JkOptions +DisableReuse)
	// PathCheckInterval: while the first reply packet is late, ask the
	// kernel this often whether the request's bytes were acknowledged
	// (path_check_interval, pathcheck.go); 0 = off, mod_jk's wait.
	PathCheckInterval time.Duration
	PathCheck         PathCheckFunc // nil = netpath.Check; tests inject one
	// OnPathDead, when set, is told of every dead-path verdict on one of
	// the pool's connections (the member then counts as lossy).
	OnPathDead func()
	// OnPathLoss, when set, is told when a request's bytes are being
	// retransmitted, not yet acknowledged (netpath.Losing).
	OnPathLoss func()
	Now        func() time.Time
}

// PoolStats is a snapshot of a pool's connection counts.
type PoolStats struct {
	Open    int // connections open now (idle, in use, being probed)
	Idle    int // waiting in the pool
	InUse   int // handed out by Get and not yet Put
	MaxOpen int // the most ever open at once
}

// Pool is the connection pool of one AJP member: at most Size requests
// hold a slot at once, each with one connection (mod_jk's endpoint
// slots). Idle connections are reused LIFO, so cold ones age out. It is
// safe for concurrent use and starts no goroutines: Maintain is driven by
// the owner's maintenance loop, and Close only has to close sockets.
type Pool struct {
	cfg   PoolConfig
	now   func() time.Time
	psize int
	local net.Addr

	// slots is a semaphore with one token per request in flight: a send
	// takes a slot, Put gives it back. Waiting needs no polling (mod_jk
	// sleeps 100 ms at a time) and no timer unless the pool is full.
	slots chan struct{}
	done  chan struct{} // closed by Close, wakes waiting Gets
	// suspect: a connection's path was found dead and no connect has
	// succeeded since (pathcheck.go).
	suspect atomic.Bool

	mu      sync.Mutex // guards the fields below
	addr    string
	gen     uint64  // bumped by SetAddr; conns of older generations are not pooled again
	idle    []*Conn // LIFO: the most recently used at the end
	open    int
	inUse   int
	maxOpen int
	closed  bool
}

// NewPool returns a pool; nothing is dialed until the first Get.
func NewPool(cfg PoolConfig) *Pool {
	if cfg.Network == "" {
		cfg.Network = "tcp"
	}
	p := &Pool{
		cfg:   cfg,
		now:   cfg.Now,
		psize: normPacketSize(cfg.MaxPacketSize),
		slots: make(chan struct{}, max(cfg.Size, 0)),
		done:  make(chan struct{}),
		addr:  cfg.Addr,
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.local = resolveSource(cfg.Network, cfg.Source)
	return p
}

// Get returns a connection ready for one exchange. It takes a slot
// (waiting up to AcquireTimeout), then reuses the most recently used idle
// connection that passes the liveness check and, if configured, the
// prepost CPing; connections that fail are closed and the next one is
// tried (docs/compat.md#cping-and-timeouts). Otherwise it dials, with the connect CPing if
// configured. The caller must hand the connection back with Put.
//
// Errors are *Error: KindNoSlot when no slot freed up in time,
// KindClosed after Close, and StageConnect/StagePing failures of a new
// connection (KindIO or KindTimeout).
func (p *Pool) Get(ctx context.Context) (*Conn, error) { return p.get(ctx, false) }

// GetForExchange is Get for a caller that sends a request at once: on a
// plain TCP socket with no CPing due, the liveness check is left to the
// exchange, which makes it together with the write and the wait for the
// reply (docs/performance.md#send-and-wait). A stale connection then fails
// the exchange at StageSend with KindIO and nothing written, Reused: the
// caller takes another, as Get would have.
func (p *Pool) GetForExchange(ctx context.Context) (*Conn, error) { return p.get(ctx, true) }

func (p *Pool) get(ctx context.Context, deferCheck bool) (*Conn, error) {
	if err := p.acquire(ctx); err != nil {
		return nil, err
	}
	c, err := p.conn(ctx, deferCheck)
	if err != nil {
		p.release()
		return nil, err
	}
	return c, nil
}

func (p *Pool) acquire(ctx context.Context) error {
	select {
	case <-p.done:
		return p.closedErr()
	default:
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	if p.cfg.AcquireTimeout <= 0 {
		return &Error{Stage: StageConnect, Kind: KindNoSlot, Err: errNoSlot}
	}
	t := time.NewTimer(p.cfg.AcquireTimeout)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-t.C:
		return &Error{Stage: StageConnect, Kind: KindNoSlot, Err: errNoSlot}
	case <-ctx.Done():
		return &Error{Stage: StageConnect, Kind: ctxKind(ctx.Err()), Err: ctx.Err()}
	case <-p.done:
		return p.closedErr()
	}
}

var errNoSlot = errors.New("no free connection slot")

func (p *Pool) release() { <-p.slots }

func (p *Pool) closedErr() error {
	return &Error{Stage: StageConnect, Kind: KindClosed, Err: ErrPoolClosed}
}

func ctxKind(err error) Kind {
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	return KindIO
}

// conn finds or dials a connection for a caller that holds a slot.
func (p *Pool) conn(ctx context.Context, deferCheck bool) (*Conn, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, p.closedErr()
		}
		p.inUse++
		n := len(p.idle)
		if n == 0 {
			p.open++
			p.maxOpen = max(p.maxOpen, p.open)
			addr, gen := p.addr, p.gen
			p.mu.Unlock()
			return p.dial(ctx, addr, gen)
		}
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		c.out = true
		c.reused = true
		c.pingSent, c.pingRecv = 0, 0 // interval pings while idle are not this request's
		p.mu.Unlock()
		if deferCheck && p.cfg.PrepostPing <= 0 && !p.idlePingDue(c) && c.deferCheck() {
			return c, nil
		}
		if !c.Alive() {
			// Stale (peer closed, junk pending): drop it quietly and try
			// the next one, like mod_jk (docs/compat.md#cping-and-timeouts,
			// docs/compat.md#connection-pool).
			p.forget(c)
			continue
		}
		if p.cfg.PrepostPing <= 0 {
			if p.idleAlive(c) {
				return c, nil
			}
			// The idle CPing failed: a firewall forgot the connection or the
			// member vanished. Nothing was written, so dial a fresh one rather
			// than pay another timeout on an older idle connection.
			p.forget(c)
			return p.dialFresh(ctx)
		}
		err := c.Ping(p.cfg.PrepostPing)
		if err == nil {
			return c, nil
		}
		p.forget(c)
		var ae *Error
		if errors.As(err, &ae) && ae.Kind == KindTimeout {
			// No CPong within prepost_timeout on a live socket: the member
			// is hung. mod_jk tries every other pooled socket, each costing
			// another timeout; failing now lets the lb fail over at once.
			ae.Reused = true
			return nil, err
		}
	}
}

// forget closes a connection that was handed out and is not coming back.
func (p *Pool) forget(c *Conn) {
	c.Close()
	p.mu.Lock()
	c.out = false
	p.open--
	p.inUse--
	p.mu.Unlock()
}

// Put gives back the slot taken by Get and keeps c for reuse when reuse
// is true (END_RESPONSE allowed it and nothing went wrong), DisableReuse
// is off, the pool is open and the address did not change meanwhile;
// otherwise c is closed. A second Put of the same connection is ignored.
func (p *Pool) Put(c *Conn, reuse bool) {
	if c == nil {
		return
	}
	p.mu.Lock()
	if c.pool != p || !c.out {
		p.mu.Unlock()
		return
	}
	p.inUse--
	keep := p.settleLocked(c, reuse && !p.cfg.DisableReuse, &c.lastUsed)
	p.mu.Unlock()
	p.release()
	if !keep {
		c.Close()
	}
}

// settleLocked takes back a connection that was out of the idle stack (a
// request's, or an interval probe's): it goes back on the stack, stamped
// now in *stamp, when keep holds, it is still open, the pool is open and
// its address did not change; otherwise it no longer counts as open and
// the caller closes it after unlocking. It reports whether c was kept.
func (p *Pool) settleLocked(c *Conn, keep bool, stamp *time.Time) bool {
	c.out = false
	keep = keep && !p.closed && !c.closed && c.gen == p.gen
	if keep {
		*stamp = p.now()
		p.idle = append(p.idle, c)
	} else {
		p.open--
	}
	return keep
}

// Free reports whether a slot is free now, so a request would not wait.
// The lb uses it to clear a member's OK/BUSY state.
func (p *Pool) Free() bool { return len(p.slots) < cap(p.slots) }

// Stats returns the current connection counts.
func (p *Pool) Stats() PoolStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PoolStats{Open: p.open, Idle: len(p.idle), InUse: p.inUse, MaxOpen: p.maxOpen}
}

// Addr returns the address new connections are dialed to.
func (p *Pool) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// SetAddr changes the backend address (a status-worker host/port edit):
// idle connections are closed, connections in use are closed when they
// come back, and new ones go to addr (docs/compat.md#connection-pool).
func (p *Pool) SetAddr(addr string) {
	p.mu.Lock()
	p.addr = addr
	p.gen++
	p.mu.Unlock()
	p.CloseIdle()
}

// CloseIdle closes every idle connection.
func (p *Pool) CloseIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	p.mu.Unlock()
	closeAll(idle)
}

// Close closes the idle connections and makes every later Get fail with
// KindClosed; waiting Gets wake up at once. Connections in use are closed
// when they are Put back, so exchanges in flight drain normally.
func (p *Pool) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	p.mu.Unlock()
	p.CloseIdle()
}

func closeAll(cs []*Conn) {
	for _, c := range cs {
		c.Close()
	}
}
