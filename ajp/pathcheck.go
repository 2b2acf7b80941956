package ajp

import (
	"errors"
	"net"
	"time"

	"github.com/jkbalancer/jkbalancer/netpath"
)

// The path check (docs/config.md#safe-defaults): while the first reply
// packet of an exchange is late, the kernel is asked whether the request's
// bytes reached the member's kernel. A slow but healthy member acknowledges
// them at once and is waited for as long as reply_timeout and
// socket_timeout allow; bytes retransmitted without an answer prove the
// path dead (a firewall forgot the connection, the host vanished), and a
// request that may be sent again is given up at once rather than after
// the client's patience.
const (
	// SuspectConnectTimeout bounds the connects of a pool whose path was
	// just found dead, until one succeeds: on a working path the SYN-ACK
	// is back within one round trip (well under a millisecond on a LAN, a
	// few hundred on the longest WAN path anyone runs AJP over), so a
	// connect still pending after 500 ms, right after the kernel proved
	// packets lost, says the path is still dead. It is the last step
	// before a blackholed member's request fails over, so it decides
	// whether that request beats a 2 s client timeout
	// (docs/config.md#safe-defaults). Other connects keep the configured
	// timeout: an overloaded Tomcat's full accept queue drops SYNs and
	// needs it.
	SuspectConnectTimeout = 500 * time.Millisecond
	// pathRecheck is the wait before the next check while the request's
	// bytes are outstanding but not yet proven lost (the kernel's
	// retransmissions on loopback come at about 0.2 s and 0.6 s).
	pathRecheck = 100 * time.Millisecond
	// maxPathChecks bounds the checks of one reply wait; after them the
	// wait goes on unchecked, as mod_jk's.
	maxPathChecks = 1000
)

// ErrPathDead and ErrPathLate end a wait the path check gave up on, for
// AJP here and for http members in worker.
var (
	ErrPathDead = errors.New("the member's kernel does not acknowledge the request: the network path is dead")
	ErrPathLate = errors.New("no reply for far longer than the member's replies take, on a path that lost a request")
)

// readReply reads the first packet of the reply. Without a path check, or
// when the packet is already buffered, it is readPacket: the fast path
// arms no extra deadline. Otherwise the read returns every check interval
// to ask the kernel; a dead path ends the exchange with KindPathDead when
// the caller may send the request again (ExchangeOptions.MayAbort) and
// nothing of the body was streamed, and otherwise only tells the pool.
func (c *Conn) readChecked(x *exchange, may bool) ([]byte, Kind, error) {
	if c.pathEvery <= 0 || c.pathCheck == nil || c.br.Buffered()-c.pending >= headerLen {
		return c.readPacket(x.readTO)
	}
	start, armed := c.armedAt, c.armed
	if !armed {
		start = time.Now() // sendFirst read the clock for an armed wait
	}
	every := c.pathEvery
	for range maxPathChecks {
		var wait time.Duration
		var last bool
		if armed {
			last, armed = c.armedLast, false // readPacket keeps sendFirst's deadline
		} else {
			wait, last = PathWait(x.readTO, every, start)
		}
		p, k, err := c.readPacket(wait)
		if last || k != KindTimeout {
			return p, k, err
		}
		switch c.pathCheck(c.nc) {
		case netpath.Dead:
			if c.pool != nil {
				c.pool.pathDead()
			}
			if may && !x.res.BodyStreamed {
				return nil, KindPathDead, ErrPathDead
			}
			return c.readPacket(leftOf(x.readTO, start))
		case netpath.Losing:
			if c.pool != nil {
				c.pool.pathLosing()
			}
			every = min(c.pathEvery, pathRecheck)
		case netpath.Unacked:
			every = min(c.pathEvery, pathRecheck)
		default:
			every = c.pathEvery
		}
		if w := x.opt.Watch; w != nil && may && !x.res.BodyStreamed && w.Late(time.Since(start)) {
			return nil, KindPathDead, ErrPathLate
		}
	}
	return c.readPacket(leftOf(x.readTO, start))
}

// PathWait is the next wait of a checked read that started at start:
// the check interval every, or what is left of the timeout d (last);
// HTTP members' checked reads use it too.
func PathWait(d, every time.Duration, start time.Time) (wait time.Duration, last bool) {
	if d > 0 {
		if left := d - time.Since(start); left <= every {
			return max(left, time.Nanosecond), true
		}
	}
	return every, false
}

// restAbortable reports whether the wait for a packet after the reply's
// first is checked too: while nothing reached the client and the rules
// allow a resend after the head. An answer split in two segments whose
// second the network keeps losing waits otherwise as long as TCP
// retransmits it (docs/config.md#lossy-members). Whether the member is
// lossy is not asked here but at each check (PathWatch.Late): the first
// requests that meet a lossy path get their head before any verdict, and
// a wait that was not checked from its start could not be cut when the
// verdict comes. The check sets a read deadline only when the packet is
// not buffered yet (the read blocks anyway), where the unchecked read
// lifted the one the first packet's wait left: as many deadline changes
// per exchange as before. A committed answer, or one the rules keep, is
// read unchecked.
func (c *Conn) restAbortable(x *exchange) bool {
	if c.pathEvery <= 0 || c.pathCheck == nil || !x.opt.MayAbortAfterHead || x.res.BodyStreamed ||
		x.opt.Watch == nil || c.br.Buffered()-c.pending >= headerLen {
		return false
	}
	cr, ok := x.w.(CommitReporter)
	return ok && !cr.Committed()
}

// leftOf is what remains of the per-packet timeout d (0 = none) since
// start, at least a nanosecond so that a spent timeout still fires.
func leftOf(d time.Duration, start time.Time) time.Duration {
	if d <= 0 {
		return 0
	}
	return max(d-time.Since(start), time.Nanosecond)
}

// pathDead is told by a connection that its path is dead: a firewall that
// forgot one connection forgot them all, and a dead path kills them all,
// so the idle connections are closed, and the next connects are bounded
// by SuspectConnectTimeout until one succeeds.
func (p *Pool) pathDead() {
	p.suspect.Store(true)
	p.CloseIdle()
	if f := p.cfg.OnPathDead; f != nil {
		f()
	}
}

// pathLosing is told by a connection whose request is being retransmitted
// without an acknowledgement yet: the path loses packets, the member is
// lossy (docs/config.md#lossy-members), but nothing is proven dead.
func (p *Pool) pathLosing() {
	if f := p.cfg.OnPathLoss; f != nil {
		f()
	}
}

// connectTimeout is the timeout of the next connect: the configured one,
// or at most SuspectConnectTimeout while the path is suspect.
func (p *Pool) connectTimeout() time.Duration {
	return SuspectBound(p.cfg.ConnectTimeout, p.suspect.Load())
}

// SuspectBound is connect timeout t (0 = none), bounded by
// SuspectConnectTimeout while the path is suspect.
func SuspectBound(t time.Duration, suspect bool) time.Duration {
	if suspect && (t <= 0 || t > SuspectConnectTimeout) {
		return SuspectConnectTimeout
	}
	return t
}

// Suspect reports whether the pool's path was found dead and no connect
// succeeded since.
func (p *Pool) Suspect() bool { return p.suspect.Load() }

// initPathCheck gives a pooled connection the pool's path check.
func (p *Pool) initPathCheck(c *Conn) {
	if p.cfg.PathCheckInterval <= 0 {
		return
	}
	c.pathEvery = p.cfg.PathCheckInterval
	c.pathCheck = p.cfg.PathCheck
	if c.pathCheck == nil {
		c.pathCheck = netpath.Check
	}
}

// PathCheckFunc reports what the kernel says about a connection's sent
// bytes; netpath.Check unless a test injects another.
type PathCheckFunc = func(net.Conn) netpath.State
