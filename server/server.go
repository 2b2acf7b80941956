// Package server turns a compiled configuration into a running daemon: the
// HTTP/1.1 and HTTP/2 (over TLS) front end, the mapping of request paths to
// workers, maintenance, logs and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
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
}

// Server is one running jkbalancer. Create it with New, bind with Listen,
// run with Serve.
type Server struct {
	log     *slog.Logger
	logs    *logFiles
	now     func() time.Time
	resolve func(string, bool) (string, error)
	rt      atomic.Pointer[runtime]
	reqlog  atomic.Pointer[requestLog]

	mu        sync.Mutex
	listeners []net.Listener
	servers   []*http.Server
	tls       []*tlsListener // per listener; nil for plain HTTP
}

// New builds the workers of cfg. Nothing listens yet.
func New(cfg *config.Config, o Options) (*Server, error) {
	s := &Server{now: o.Now, resolve: o.Resolve, log: o.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.resolve == nil {
		s.resolve = resolveHost
	}
	logs, err := openLogs(&cfg.Server.Log, s.log)
	if err != nil {
		return nil, err
	}
	s.logs = logs
	s.log = logs.errorLog
	rt, err := buildRuntime(cfg, buildDeps{log: s.log, now: s.now, resolve: s.resolve})
	if err != nil {
		logs.Close()
		return nil, err
	}
	s.rt.Store(rt)
	rl, err := newRequestLog(cfg.Server.Log.RequestFormat, logs.requestLog)
	if err != nil {
		rt.close()
		logs.Close()
		return nil, err
	}
	s.reqlog.Store(rl)
	return s, nil
}

// Listen binds every configured listener.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.rt.Load().cfg.Server.Listen {
		var tl *tlsListener
		if l.TLS != nil {
			var err error
			if tl, err = newTLSListener(l, s.now()); err != nil {
				s.closeListenersLocked()
				return fmt.Errorf("listen %s: tls: %w", l.Addr, err)
			}
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			s.closeListenersLocked()
			return fmt.Errorf("listen %s: %w", l.Addr, err)
		}
		s.listeners = append(s.listeners, ln)
		s.tls = append(s.tls, tl)
	}
	return nil
}

// Addrs returns the bound listener addresses.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.listeners))
	for i, ln := range s.listeners {
		out[i] = ln.Addr().String()
	}
	return out
}

// Serve serves on the bound listeners until ctx ends, then stops accepting
// and lets in-flight requests finish within the shutdown timeout.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	errc := make(chan error, len(s.listeners))
	for i, ln := range s.listeners {
		hs := s.newHTTPServer(s.tls[i])
		s.servers = append(s.servers, hs)
		go func(ln net.Listener, tl *tlsListener) {
			errc <- serveOne(hs, ln, tl)
		}(ln, s.tls[i])
	}
	s.mu.Unlock()
	s.log.Info("jkbalancer serving", "listen", s.Addrs(), "workers", s.rt.Load().names())

	stopMaint := s.startMaintenance()
	defer stopMaint()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.shutdown()
	return err
}

func serveOne(hs *http.Server, ln net.Listener, tl *tlsListener) error {
	var err error
	if tl != nil {
		err = tl.serve(hs, ln)
	} else {
		err = hs.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) newHTTPServer(tl *tlsListener) *http.Server {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if tl != nil {
		hs.ConnContext = tl.connContext // caches the TLS facts per connection
	}
	return hs
}

// shutdown drains: stop accepting, wait for in-flight requests up to the
// configured timeout, then close what is left.
func (s *Server) shutdown() {
	timeout := s.rt.Load().cfg.Server.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.mu.Lock()
	servers := s.servers
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, hs := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hs.Shutdown(ctx); err != nil {
				s.log.Warn("shutdown timeout reached, closing remaining connections", "err", err)
				hs.Close()
			}
		}()
	}
	wg.Wait()
	s.Close()
}

// Close stops listening and releases the workers' pools and the logs.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closeListenersLocked()
	for _, hs := range s.servers {
		hs.Close()
	}
	s.servers = nil
	s.mu.Unlock()
	if rt := s.rt.Swap(nil); rt != nil {
		rt.close()
	}
	return s.logs.Close()
}

func (s *Server) closeListenersLocked() {
	for _, ln := range s.listeners {
		ln.Close()
	}
	s.listeners = nil
	s.tls = nil
}

// startMaintenance runs mod_jk's maintenance every worker.maintain seconds
// (the JkWatchdogInterval thread of httpd). It returns the stop function.
func (s *Server) startMaintenance() func() {
	every := s.rt.Load().cfg.MaintainInterval()
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if rt := s.rt.Load(); rt != nil {
					rt.maintain(s.now())
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}
