package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/discover"
)

// adminListener is the admin listener of jkbalancer.yaml's admin: section:
// a second HTTP server, apart from the front end, so that a scrape or a
// probe never competes with client traffic, never goes through mount
// rules, and stays up while the front end drains. It serves
//
//	/metrics  Prometheus metrics (admin.metrics_path) of reg
//	/healthz  200 while the process serves: a liveness probe
//	/readyz   200 once the front end serves and a worker can take a
//	          request; 503 and one line saying why otherwise, and from the
//	          start of a drain (SIGTERM), so that a Kubernetes readiness
//	          probe takes the pod out before it stops
//
// The Server owns it: init in New, listen (and serve) in Listen, serving
// in Serve, draining at the start of shutdown, close in Close. It serves
// from Listen on, so that /healthz answers and /readyz says "not yet"
// while the front end is bound but not serving.
type adminListener struct {
	cfg config.Admin
	log *slog.Logger
	// reg is the Server's registry (never the process-global default
	// one, so two Servers in one process do not mix). This is the hook
	// for metrics of the running configuration: initAdmin registers
	// collectors once, in New, that read s.rt at each scrape
	// (workersCollector, doctorCollector), so a reload needs nothing
	// from them.
	reg *prometheus.Registry
	// ready reports whether the workers can take requests, and why not.
	ready func() (bool, string)

	serving  atomic.Bool // the front end's listeners are serving
	draining atomic.Bool // shutdown began: stop accepting, finish in flight

	mu   sync.Mutex // guards ln, hs, done
	ln   net.Listener
	hs   *http.Server
	done chan struct{} // closed when hs.Serve returned
}

// init prepares the registry: the lbs and workers (collectors), plus
// the process and Go runtime collectors.
func (a *adminListener) init(cfg config.Admin, log *slog.Logger, ready func() (bool, string), cs ...prometheus.Collector) error {
	a.cfg, a.log, a.ready = cfg, log, ready
	a.reg = prometheus.NewRegistry()
	cs = append(cs, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	for _, c := range cs {
		if err := a.reg.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

// listen binds the admin address and serves it. While it is the built-in
// default, a port in use is only a warning: an operator who never asked
// for the admin listener must not lose the balancer over it.
func (a *adminListener) listen() error {
	if a.cfg.Listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		if a.cfg.Implicit {
			a.log.Warn("admin listener not started: its default address cannot be bound; "+
				"set admin.listen or --admin (off to silence this)", "addr", a.cfg.Listen, "err", err)
			return nil
		}
		return fmt.Errorf("admin listen %s: %w", a.cfg.Listen, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		ln.Close() // Listen twice: keep the first
		return nil
	}
	a.ln = ln
	a.serveLocked()
	return nil
}

// addr is the bound admin address, "" when there is none.
func (a *adminListener) addr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// serveLocked starts serving on the bound address.
func (a *adminListener) serveLocked() {
	mux := http.NewServeMux()
	mux.Handle(a.cfg.MetricsPath, promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError, // a broken collector must not hide the others
	}))
	mux.HandleFunc("/healthz", a.healthz)
	mux.HandleFunc("/readyz", a.readyz)
	if a.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index) // also heap, goroutine, allocs, block, mutex
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	a.hs = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	a.done = make(chan struct{})
	hs, ln, done := a.hs, a.ln, a.done
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("admin listener failed", "addr", ln.Addr().String(), "err", err)
		}
	}()
	a.log.Info("admin listener serving", "addr", ln.Addr().String(),
		"metrics", a.cfg.MetricsPath, "health", "/healthz", "ready", "/readyz")
}

// close stops the admin listener. Scrapes and probes are short; whatever
// is left is cut.
func (a *adminListener) close() {
	a.mu.Lock()
	hs, done := a.hs, a.done
	a.hs, a.ln, a.done = nil, nil, nil
	a.mu.Unlock()
	if hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		hs.Close()
	}
	<-done
}

func (a *adminListener) healthz(w http.ResponseWriter, r *http.Request) {
	plain(w, http.StatusOK, "ok")
}

// readyz answers the readiness probe, 503 with the reason in one line
// until the front end serves, once it drains, and while no worker can
// take a request.
func (a *adminListener) readyz(w http.ResponseWriter, r *http.Request) {
	switch {
	case a.draining.Load():
		plain(w, http.StatusServiceUnavailable, "not ready: draining, new connections are refused")
	case !a.serving.Load():
		plain(w, http.StatusServiceUnavailable, "not ready: the listeners are not serving yet")
	default:
		if ok, why := a.ready(); !ok {
			plain(w, http.StatusServiceUnavailable, "not ready: "+why)
			return
		}
		plain(w, http.StatusOK, "ready")
	}
}

func plain(w http.ResponseWriter, status int, line string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(line + "\n"))
}

// initAdmin prepares the admin listener and its registry in New.
func (s *Server) initAdmin(cfg config.Admin) error {
	ready := func() (bool, string) { return workersReady(s.rt.Load(), s.now()) }
	return s.admin.init(cfg, s.log, ready, workersCollector(&s.rt), doctorCollector(&s.rt), newReloadCollector(s),
		discover.NewCollector(s.disc))
}

// AdminAddr returns the admin listener's bound address, "" when there is
// none (turned off, or its default address was taken).
func (s *Server) AdminAddr() string { return s.admin.addr() }
