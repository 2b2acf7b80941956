// Package server turns a compiled configuration into a running daemon: the
// HTTP/1.1 and HTTP/2 (over TLS) front end, the mapping of request paths to
// workers, maintenance, logs and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/admin"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/discover"
	"github.com/jkbalancer/jkbalancer/registry"
	"github.com/jkbalancer/jkbalancer/server/h1"
)

// Options are the dependencies a Server takes from its owner.
type Options struct {
	// Logger is the error log; nil builds one from the config's log
	// settings.
	Logger *slog.Logger
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// Resolve resolves worker host names; nil = the system resolver.
	Resolve func(host string, preferIPv6 bool) (string, error)
	// Discover answers the DNS questions of lbs that discover their
	// members (package discover); nil = net.DefaultResolver.
	Discover DiscoverResolver
	// Inherited are listening sockets passed by systemd's socket
	// activation: Listen gives each to the configured listener of the
	// same address and closes the rest with a warning
	// (docs/deploy.md#socket-activation).
	Inherited []net.Listener
	// Stderr is the error log without log.file, and its fallback while
	// log.file cannot be written; nil = os.Stderr.
	Stderr io.Writer
}

// Server is one running jkbalancer. Create it with New, bind with Listen,
// run with Serve.
type Server struct {
	log     *slog.Logger
	logs    *logFiles
	now     func() time.Time
	resolve func(string, bool) (string, error)
	rt      atomic.Pointer[runtime]
	reqlog  atomic.Pointer[accesslog.Log]
	admin   *admin.Listener     // /metrics, /healthz, /readyz (adminsource.go)
	lim     limitState          // connection cap, rate limiter (limits.go)
	disc    *discover.Discovery // lb members from DNS (discovery.go)
	mem     *memRelease         // memory back to the OS when quiet (reloadloop.go)

	mu        sync.Mutex // guards fronts, listening and serving
	fronts    []*front   // the client listeners, in configuration order
	listening bool       // Listen ran: a reload binds added addresses
	serving   bool       // Serve ran: a reload serves added listeners
	serveErr  chan error // a listener that failed (cap 1)
	inherit   *inherited // socket activation's sockets, until Listen

	// reload (reload.go): reloadMu serialises Reload, the mount file
	// check and the start of a drain; closed (under reloadMu) refuses
	// reloads once draining began. base ends when Close runs: the
	// retiring runtimes and removed listeners stop waiting. bg counts
	// their goroutines. loopReset wakes the maintenance loop to re-read
	// its intervals.
	reloadMu  sync.Mutex
	closed    bool
	base      context.Context
	cancel    context.CancelFunc
	bg        sync.WaitGroup
	loopReset chan struct{}
	stats     reloadCounters
}

// New builds the workers of cfg. Nothing listens yet.
func New(cfg *config.Config, o Options) (*Server, error) {
	s := &Server{now: o.Now, resolve: o.Resolve, log: o.Logger, inherit: &inherited{lns: o.Inherited},
		serveErr: make(chan error, 1), loopReset: make(chan struct{}, 1), mem: newMemRelease(os.Getenv)}
	s.base, s.cancel = context.WithCancel(context.Background())
	if s.now == nil {
		s.now = time.Now
	}
	if s.resolve == nil {
		s.resolve = resolveHost
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	logs, err := openLogs(&cfg.Server.Log, s.log, stderr)
	if err != nil {
		return nil, err
	}
	s.logs = logs
	s.log = logs.errorLog
	s.disc = discover.New(o.Discover, s.log, discoverOwner{s})
	if err := s.initAdmin(cfg.Server.Admin); err != nil {
		logs.Close()
		return nil, err
	}
	loaded := cfg
	cfg = s.disc.Prepare(s.base, cfg) // with the members DNS gives
	// The state that survives reloads: every build of cfg looks it up.
	reg, err := registry.New(s.now, s.log)
	if err != nil {
		logs.Close()
		return nil, err
	}
	rt, err := buildRuntime(cfg, buildDeps{log: s.log, now: s.now, resolve: s.resolve, reg: reg})
	if err != nil {
		logs.Close()
		return nil, err
	}
	rl, err := accesslog.New(cfg.Server.Log.RequestFormat, logs.requestLog)
	if err != nil {
		rt.close()
		logs.Close()
		return nil, err
	}
	rt.start()
	s.rt.Store(rt)
	s.reqlog.Store(rl)
	s.disc.Adopt(s.base, loaded)
	return s, nil
}

// ErrorLog is the configured error log (log.file, log.format), for the
// command's own lines at start.
func (s *Server) ErrorLog() *slog.Logger { return s.log }

// Listen binds every configured listener.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fronts, err := bindFronts(s.rt.Load().cfg.Server.Listen, s.now(), s.inherit)
	if err != nil {
		s.inherit.closeRest(nil)
		return err
	}
	s.inherit.closeRest(s.log)
	if err := s.admin.Listen(); err != nil {
		for _, f := range fronts {
			f.close()
		}
		return err
	}
	s.fronts, s.listening = fronts, true
	return nil
}

// Addrs returns the bound listener addresses.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.fronts))
	for i, f := range s.fronts {
		out[i] = f.Addr().String()
	}
	return out
}

// Serve serves on the bound listeners until ctx ends, then stops accepting
// and lets in-flight requests finish within the shutdown timeout.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	s.serving = true
	for _, f := range s.fronts {
		s.startFrontLocked(f)
	}
	s.admin.Serving() // /readyz may say ready
	s.mu.Unlock()
	s.log.Info("jkbalancer serving", "listen", s.Addrs(), "workers", s.rt.Load().names())

	stopMaint := s.startMaintenance()
	defer stopMaint()
	var err error
	select {
	case <-ctx.Done():
	case err = <-s.serveErr:
	}
	s.shutdown()
	return err
}

// startFrontLocked serves one listener; a failure other than a shutdown
// ends Serve.
func (s *Server) startFrontLocked(f *front) {
	hs := s.newHTTPServer(f)
	f.hs, f.h1 = hs, s.newH1Server(f)
	f.ln = s.wrapListener(f.ln, s.currentLimits()) // max_connections, strict_http
	go func() {
		err := hs.Serve(f)
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !f.removed.Load() {
			select {
			case s.serveErr <- fmt.Errorf("listen %s: %w", f.addr, err):
			default:
			}
		}
	}()
}

func (s *Server) newHTTPServer(f *front) *http.Server {
	hs := &http.Server{
		Handler:     s,
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnContext: f.connContext, // the connection's address text and TLS facts, once
	}
	lim := s.currentLimits()
	httpServerLimits(hs, &lim) // read_header_timeout, idle_timeout, max_header_bytes
	return hs
}

// newH1Server is the listener's server for plain HTTP/1 under
// limits.strict_http, with the same limits as its http.Server.
func (s *Server) newH1Server(f *front) *h1.Server {
	lim := s.currentLimits()
	return &h1.Server{Handler: s, Log: s.log, ReadHeaderTimeout: lim.ReadHeaderTimeout,
		IdleTimeout: lim.IdleTimeout, MaxHeaderBytes: lim.MaxHeaderBytes, ConnContext: f.connContext}
}

// shutdown drains: stop accepting, wait for in-flight requests up to the
// configured timeout, then close what is left.
func (s *Server) shutdown() {
	s.admin.Drain()   // /readyz: 503 from now on
	s.reloadMu.Lock() // waits for a reload in progress; refuses later ones
	s.closed = true
	s.reloadMu.Unlock()
	timeout := s.shutdownTimeout()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.mu.Lock()
	var fronts []*front
	for _, f := range s.fronts {
		if f.hs != nil {
			fronts = append(fronts, f)
		}
	}
	s.mu.Unlock()
	drained := s.logDrain(len(fronts), timeout)
	var wg sync.WaitGroup
	for _, f := range fronts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.drain(ctx); err != nil {
				s.log.Warn("shutdown timeout reached, closing remaining connections", "err", err)
			}
		}()
	}
	wg.Wait()
	s.waitBackground(ctx) // listeners a reload removed, runtimes it retired
	drained(ctx)
	s.Close()
}

// logDrain logs the start of a SIGTERM drain (docs/reload.md#sigterm)
// and returns what logs its end: how many requests finished during it and
// how many the timeout cut (still in flight when ctx ended).
func (s *Server) logDrain(listeners int, timeout time.Duration) func(ctx context.Context) {
	rt := s.rt.Load()
	if rt == nil {
		return func(context.Context) {}
	}
	rt.draining.Store(true)
	start := s.now()
	s.log.Info("drain started: listeners closing, in-flight requests finishing",
		"listeners", listeners, "in_flight", rt.inflight.Load(), "shutdown_timeout", timeout.String())
	return func(ctx context.Context) {
		s.log.Info("drain finished", "finished", rt.drained.Load(), "cut", rt.inflight.Load(),
			"timed_out", ctx.Err() != nil, "elapsed", s.now().Sub(start).Round(time.Millisecond).String()) // text in JSON too, not nanoseconds
	}
}

// Close stops listening and releases the workers' pools and the logs.
// Runtimes retired by a reload and listeners it removed stop waiting for
// their requests.
func (s *Server) Close() error {
	s.reloadMu.Lock()
	s.closed = true
	s.reloadMu.Unlock()
	s.cancel()
	s.disc.Stop()
	s.mu.Lock()
	for _, f := range s.fronts {
		f.close()
	}
	s.fronts = nil
	s.mu.Unlock()
	s.bg.Wait()
	s.admin.Close()
	if rt := s.rt.Swap(nil); rt != nil {
		rt.close()
	}
	return s.logs.Close()
}
