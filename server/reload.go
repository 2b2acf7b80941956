package server

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/registry"
)

// Live reload (SIGHUP). A reload builds a complete new runtime next to the
// running one, binds the listeners it adds and loads their certificates;
// only when all of that worked does it swap the runtime in. Nothing is
// dropped on the way:
//
//   - requests in flight finish on the runtime they started on
//     (reloadretire.go); the members the new runtime does not keep are
//     closed after them, at most after the shutdown timeout;
//   - the state that survives a reload (lb_value, ERR and its times,
//     counters, status worker edits) is not copied: every build looks it
//     up by name in the server's registry (package registry), so both
//     generations share it; members whose configuration did not change
//     keep their instance and its warm backend connections
//     (reloadmember.go);
//   - listeners whose address remains keep their socket, so idle
//     keep-alive clients stay connected; TLS settings are swapped in
//     place; removed listeners drain like a SIGTERM (reloadfront.go);
//   - the health checker of the old runtime stops, the new one starts.
//
// The error log's destination, level and format, the request log's file
// and the admin listener are set up once: a reload that changes them says
// a restart is needed and keeps the current ones.

// ErrClosed is returned by Reload once the server drains or is closed.
var ErrClosed = errors.New("server is shutting down")

// ReloadStats counts reloads since start, for logs and metrics.
type ReloadStats struct {
	// Reloads took effect; Failed were refused (a configuration with
	// errors, a listener that cannot bind, ...) and left the running
	// configuration in place.
	Reloads, Failed uint64
	// MountReloads are new mount tables from the mount file
	// (JkMountFileReload); MountFailed were refused.
	MountReloads, MountFailed uint64
	// LastReload is the time of the last successful reload (zero: none).
	LastReload time.Time
}

type reloadCounters struct {
	ok, failed, mountOK, mountFailed atomic.Uint64
	last                             atomic.Int64 // unix ns
}

// ReloadStats returns the reload counters.
func (s *Server) ReloadStats() ReloadStats {
	st := ReloadStats{
		Reloads: s.stats.ok.Load(), Failed: s.stats.failed.Load(),
		MountReloads: s.stats.mountOK.Load(), MountFailed: s.stats.mountFailed.Load(),
	}
	if ns := s.stats.last.Load(); ns != 0 {
		st.LastReload = time.Unix(0, ns)
	}
	return st
}

// LogProblems writes configuration problems to the error log (log.file,
// in log.format), one line each as `jkbalancer check` prints them: serve
// logs the warnings of the configuration it starts with this way.
func (s *Server) LogProblems(problems config.Problems) {
	for _, p := range problems {
		if p.Warning {
			s.log.Warn("configuration warning", "problem", p.String())
		} else {
			s.log.Error("configuration error", "problem", p.String())
		}
	}
}

// ReloadFrom loads a configuration with load (config.Load of the sources
// the server started from) and reloads it. A configuration with errors is
// refused: every problem is logged as `jkbalancer check` prints it
// (file:line), the running configuration keeps serving and the failure is
// counted.
func (s *Server) ReloadFrom(load func() (*config.Config, config.Problems)) error {
	cfg, problems := load()
	s.LogProblems(problems)
	if cfg == nil {
		s.stats.failed.Add(1)
		err := fmt.Errorf("reload refused: %d configuration error(s); the running configuration keeps serving",
			len(problems.Errors()))
		s.log.Error("reload refused: the configuration has errors; the running configuration keeps serving",
			"errors", len(problems.Errors()))
		return err
	}
	return s.Reload(cfg)
}

// Reload replaces the running configuration with cfg without dropping a
// request or an idle client connection. On an error nothing changed.
func (s *Server) Reload(cfg *config.Config) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	err := s.reloadConfig(cfg) // with the members from DNS (discoverrun.go)
	if err != nil {
		s.stats.failed.Add(1)
		s.log.Error("reload failed; the running configuration keeps serving", "err", err)
		return err
	}
	s.stats.ok.Add(1)
	s.stats.last.Store(s.now().UnixNano())
	return nil
}

func (s *Server) reloadLocked(cfg *config.Config) error {
	old := s.rt.Load()
	if s.closed || old == nil {
		return ErrClosed
	}
	next, err := buildRuntime(cfg, buildDeps{log: s.log, now: s.now, resolve: s.resolve, reg: old.reg, previous: old})
	if err != nil {
		return err
	}
	rl, err := accesslog.New(cfg.Server.Log.RequestFormat, s.logs.requestLog)
	if err != nil {
		next.closeMembers(old)
		return err
	}
	var plan *frontPlan
	s.mu.Lock()
	listening, cur := s.listening, append([]*front(nil), s.fronts...)
	s.mu.Unlock()
	if listening {
		if plan, err = planFronts(cur, cfg.Server.Listen, s.now()); err != nil {
			next.closeMembers(old)
			return err
		}
	}
	s.commit(old, next, rl, plan)
	return nil
}

// commit swaps next in. It cannot fail.
func (s *Server) commit(old, next *runtime, rl *accesslog.Log, plan *frontPlan) {
	s.warnRestart(old.cfg, next.cfg)
	next.start()
	s.rt.Store(next)
	s.reqlog.Store(rl)
	timeout := s.shutdownTimeout() // the new configuration's
	if plan != nil {
		s.commitFronts(plan, timeout)
	}
	next.before = s.retire(old, next, old.before, timeout)
	select {
	case s.loopReset <- struct{}{}: // maintenance and mount intervals may have changed
	default:
	}
	kept := 0
	for _, in := range next.instances {
		if old.holds(in.m) {
			kept++
		}
	}
	s.log.Info("configuration reloaded", "workers", next.names(), "listen", s.Addrs(),
		"members_kept", kept, "members_new", len(next.instances)-kept)
}

// start puts a built runtime to use: the registry forgets what it no
// longer has, its health checker runs, the session-route doctor answers
// from its lbs, and the mount file is watched from the version it was
// built with. Not earlier: a reload that is refused after building must
// leave the running generation as it was.
func (rt *runtime) start() {
	workers := make(map[string]bool, len(rt.cfg.Workers))
	for name := range rt.cfg.Workers {
		workers[name] = true
	}
	instances := make(map[registry.Instance]bool, len(rt.instances))
	for key := range rt.instances {
		instances[registry.Instance{LB: key.lb, Name: key.name}] = true
	}
	rt.reg.Commit(registry.Build{LBs: rt.lbs, Workers: workers, Instances: instances, Edits: rt.store})
	rt.health.Start()
	rt.adoptDoctor()
	rt.watchMountFile()
}

// warnRestart logs the settings a reload cannot change: the logs and the
// admin listener are opened once, at start, and three limits live in the
// http.Server of each kept listener.
func (s *Server) warnRestart(old, next *config.Config) {
	o, n := &old.Server.Log, &next.Server.Log
	oa, na := &old.Server.Admin, &next.Server.Admin
	ol, nl := &old.Server.Limits, &next.Server.Limits
	for _, c := range []struct {
		name     string
		was, now string
	}{
		{"log.file", o.File, n.File}, {"log.level", o.Level, n.Level},
		{"log.format", o.Format, n.Format}, {"log.request_file", o.RequestFile, n.RequestFile},
		{"admin.listen", oa.Listen, na.Listen}, {"admin.metrics_path", oa.MetricsPath, na.MetricsPath},
		{"admin.pprof", strconv.FormatBool(oa.Pprof), strconv.FormatBool(na.Pprof)},
		// Held by the http.Server of each listener the reload keeps
		// (limits.go also says so per listener at its next accept).
		{"limits.read_header_timeout", ol.ReadHeaderTimeout.String(), nl.ReadHeaderTimeout.String()},
		{"limits.idle_timeout", ol.IdleTimeout.String(), nl.IdleTimeout.String()},
		{"limits.max_header_bytes", strconv.Itoa(ol.MaxHeaderBytes), strconv.Itoa(nl.MaxHeaderBytes)},
	} {
		if c.was != c.now {
			s.log.Warn("reload: this setting changes only at the next restart; the current value stays",
				"setting", c.name, "current", c.was, "configured", c.now)
		}
	}
}
