package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/limits"
	"github.com/jkbalancer/jkbalancer/server/h1"
)

// front is one client listener: the bound socket, the http.Server serving
// it, and its TLS settings. A reload matches listeners by their configured
// address: the socket of an address that remains is kept, so clients'
// idle keep-alive connections and the accept queue survive, and its TLS
// settings are swapped in place (including between HTTP and HTTPS: the
// choice is made per accepted connection).
type front struct {
	addr string // as configured
	ln   net.Listener
	tls  atomic.Pointer[tlsListener] // nil = plain HTTP
	hs   *http.Server                // set when served; guarded by Server.mu
	// h1 serves the plain HTTP/1 connections when limits.strict_http is
	// on (the default); hs serves TLS, HTTP/2 and strict_http: false.
	h1 *h1.Server
	// removed is set before a reload closes the socket: the accept error
	// that follows is the drain, not a failure that should stop Serve.
	removed atomic.Bool
}

// bindFronts binds every listener of ls, or none. A listener whose
// address matches a socket in pool (socket activation, inherit.go) takes
// that socket instead of binding.
func bindFronts(ls []config.Listener, now time.Time, pool *inherited) ([]*front, error) {
	var out []*front
	for _, l := range ls {
		f, err := bindFront(l, now, pool)
		if err != nil {
			closeFronts(out)
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func bindFront(l config.Listener, now time.Time, pool *inherited) (*front, error) {
	f := &front{addr: l.Addr}
	if l.TLS != nil {
		tl, err := newTLSListener(l, now)
		if err != nil {
			return nil, fmt.Errorf("listen %s: tls: %w", l.Addr, err)
		}
		f.tls.Store(tl)
	}
	if ln := pool.take(l.Addr); ln != nil {
		f.ln = ln
		return f, nil
	}
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", l.Addr, err)
	}
	f.ln = ln
	return f, nil
}

func closeFronts(fs []*front) {
	for _, f := range fs {
		f.close()
	}
}

// Accept makes front the net.Listener its http.Server serves: a
// connection accepted while the listener is HTTPS starts TLS (HTTP/2 is
// chosen by ALPN, as with tls.NewListener).
// Plain connections under limits.strict_http go to the front's own
// HTTP/1 server instead (server/h1), which parses each head once and
// strictly.
func (f *front) Accept() (net.Conn, error) {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return nil, err
		}
		if tl := f.tls.Load(); tl != nil {
			return tls.Server(c, tl.base), nil
		}
		if gc, ok := c.(*limits.Conn); ok && gc.Strict() {
			f.h1.Go(c) // registered before the next Accept: a drain serves it
			continue
		}
		return c, nil
	}
}

// Close closes the socket (http.Server.Shutdown calls it).
func (f *front) Close() error { return f.ln.Close() }

// Addr returns the bound address.
func (f *front) Addr() net.Addr { return f.ln.Addr() }

// close stops the listener and its connections at once.
func (f *front) close() {
	f.ln.Close()
	if f.hs != nil {
		f.hs.Close()
		f.h1.Close()
	}
}

// drain stops accepting and lets the requests in flight on both of the
// listener's servers finish; when ctx ends first, the rest is closed.
func (f *front) drain(ctx context.Context) error {
	err := f.hs.Shutdown(ctx)
	if err == nil {
		err = f.h1.Shutdown(ctx)
	}
	if err != nil {
		f.hs.Close()
		f.h1.Close()
	}
	return err
}

// connContext is the ConnContext of the listener's servers: the
// connection's local address as text, and for TLS connections a cache of
// their TLS facts, both made once per connection instead of per request.
func (f *front) connContext(ctx context.Context, c net.Conn) context.Context {
	ctx = context.WithValue(ctx, connAddrKey{}, newConnAddr(c.LocalAddr()))
	if _, ok := c.(*tls.Conn); !ok {
		return ctx
	}
	if tl := f.tls.Load(); tl != nil {
		return tl.connContext(ctx, c)
	}
	return ctx // switched to plain HTTP since: requestTLS reads the connection state
}

// frontPlan is how a reload changes the listeners: computed (and new
// sockets bound, new certificates loaded) before anything changes, applied
// only when the whole reload can go ahead.
type frontPlan struct {
	order  []*front // the listeners after the reload, in configuration order
	added  []*front
	remove []*front
	swaps  []tlsSwap
}

// tlsSwap is the new TLS state of a kept listener: tl (nil = plain), and
// st to install into tl when tl is the listener's current one (a new
// certStore keeps the session ticket keys of tl.base).
type tlsSwap struct {
	f  *front
	tl *tlsListener
	st *certStore
}

// planFronts prepares the listeners of ls against cur. On an error
// nothing changed and nothing stays bound.
func planFronts(cur []*front, ls []config.Listener, now time.Time) (*frontPlan, error) {
	byAddr := make(map[string][]*front, len(cur))
	for _, f := range cur {
		byAddr[f.addr] = append(byAddr[f.addr], f)
	}
	p := &frontPlan{}
	kept := make(map[*front]bool, len(cur))
	for _, l := range ls {
		if fs := byAddr[l.Addr]; len(fs) > 0 {
			f := fs[0]
			byAddr[l.Addr] = fs[1:]
			sw, err := planTLS(f, l, now)
			if err != nil {
				closeFronts(p.added)
				return nil, err
			}
			kept[f] = true
			p.swaps = append(p.swaps, sw)
			p.order = append(p.order, f)
			continue
		}
		nf, err := bindFront(l, now, nil)
		if err != nil {
			closeFronts(p.added)
			return nil, err
		}
		p.added = append(p.added, nf)
		p.order = append(p.order, nf)
	}
	for _, f := range cur {
		if !kept[f] {
			p.remove = append(p.remove, f)
		}
	}
	return p, nil
}

func planTLS(f *front, l config.Listener, now time.Time) (tlsSwap, error) {
	sw := tlsSwap{f: f}
	if l.TLS == nil {
		return sw, nil
	}
	cur := f.tls.Load()
	if cur == nil {
		tl, err := newTLSListener(l, now)
		if err != nil {
			return sw, fmt.Errorf("listen %s: tls: %w", l.Addr, err)
		}
		sw.tl = tl
		return sw, nil
	}
	st, _, err := loadCertStore(l.TLS, now)
	if err != nil {
		return sw, fmt.Errorf("listen %s: tls: %w", l.Addr, err)
	}
	sw.tl, sw.st = cur, st
	return sw, nil
}

// apply installs the TLS settings of the kept listeners.
func (sw tlsSwap) apply() {
	if sw.st != nil {
		sw.tl.cur.Store(sw.st)
	}
	sw.f.tls.Store(sw.tl)
}

// commitFronts applies p: kept listeners take their new TLS settings,
// added ones start serving (when the server serves), removed ones stop
// accepting at once and finish their requests within timeout.
func (s *Server) commitFronts(p *frontPlan, timeout time.Duration) {
	s.mu.Lock()
	for _, sw := range p.swaps {
		sw.apply()
	}
	s.fronts = p.order
	if s.serving {
		for _, f := range p.added {
			s.startFrontLocked(f)
		}
	}
	s.mu.Unlock()
	for _, f := range p.remove {
		s.drainFront(f, timeout)
	}
}

// drainFront shuts a removed listener down gracefully: stop accepting,
// close idle connections, let requests finish (http.Server.Shutdown); at
// the timeout or at Close the rest is closed.
func (s *Server) drainFront(f *front, timeout time.Duration) {
	s.mu.Lock()
	hs := f.hs
	s.mu.Unlock()
	f.removed.Store(true)
	f.ln.Close() // not accepting once Reload returns; Shutdown closes it again, harmlessly
	if hs == nil {
		return
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.base, timeout)
		defer cancel()
		f.drain(ctx)
	}()
}
