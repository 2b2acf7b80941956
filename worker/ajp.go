package worker

import (
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
)

// ajpTransport reaches an AJP13 backend through a pool of connections.
type ajpTransport struct {
	m    *Member
	pool *ajp.Pool
}

// newAJPTransport builds the member's (lazy) pool; nothing is dialed
// until the first request.
func newAJPTransport(m *Member, addr string) *ajpTransport {
	cfg := poolConfig(m.spec, addr, m.opts)
	cfg.OnPathDead, cfg.OnPathLoss = m.notePathDead, m.notePathLoss
	return &ajpTransport{m: m, pool: ajp.NewPool(cfg)}
}

func (t *ajpTransport) free() bool   { return t.pool.Free() }
func (t *ajpTransport) maintain()    { t.pool.Maintain() }
func (t *ajpTransport) dest() string { return t.pool.Addr() }

func (t *ajpTransport) setAddress(_ string, _ int, addr string) { t.pool.SetAddr(addr) }
func (t *ajpTransport) close()                                  { t.pool.Close() }

func (t *ajpTransport) stats() ConnStats {
	s := t.pool.Stats()
	return ConnStats{Open: s.Open, Idle: s.Idle, InUse: s.InUse, MaxOpen: s.MaxOpen}
}

func poolConfig(a *config.Member, addr string, o Options) ajp.PoolConfig {
	return ajp.PoolConfig{
		Network:         "tcp",
		Addr:            addr,
		Source:          a.Source,
		Size:            a.ConnectionPoolSize,
		MinSize:         a.ConnectionPoolMinsize,
		AcquireTimeout:  a.ConnectionAcquireTimeoutDuration(),
		IdleTimeout:     a.ConnectionPoolTimeoutDuration(),
		ConnectTimeout:  a.SocketConnectTimeoutDuration(),
		SocketTimeout:   a.SocketTimeoutDuration(),
		KeepAlive:       a.SocketKeepalive,
		KeepAliveIdle:   a.KeepaliveIdleDuration(),
		BufferSize:      a.SocketBuffer,
		ConnectPing:     a.ConnectTimeoutDuration(),
		PrepostPing:     a.PrepostTimeoutDuration(),
		IdlePingAfter:   a.IdlePingAfterDuration(),
		IdlePingTimeout: a.IdlePingTimeoutDuration(),
		PingInterval:    pingInterval(a),
		PingTimeout:     a.PingTimeoutDuration(),
		MaxPacketSize:   a.MaxPacketSize,
		DisableReuse:    o.DisableReuse,
		Now:             o.Now,

		PathCheckInterval: a.PathCheckIntervalDuration(),
		PathCheck:         o.PathCheck,
	}
}

// pingInterval applies mod_jk's rule that interval probing needs both a
// positive interval and a positive ping_timeout (docs/compat.md#cping-and-timeouts).
func pingInterval(a *config.Member) time.Duration {
	if a.PingTimeout <= 0 {
		return 0
	}
	return a.ConnectionPingIntervalDuration()
}
