package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/admin"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/discover"
	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/status"
)

// adminSource is the Server as the admin listener reads it (admin.Source):
// each method reads the runtime current when it is called.
type adminSource struct{ s *Server }

func (a adminSource) Workers() []status.Worker {
	if rt := a.s.rt.Load(); rt != nil {
		return rt.metricWorkers()
	}
	return nil
}

func (a adminSource) Ready() (bool, string) { return workersReady(a.s.rt.Load(), a.s.now()) }

func (a adminSource) Findings() []doctor.Finding { return a.s.Findings() }

func (a adminSource) SessionFailovers() []doctor.FailoverCount { return a.s.SessionFailovers() }

func (a adminSource) Reloads() admin.ReloadStats { return admin.ReloadStats(a.s.ReloadStats()) }

func (a adminSource) Files() []admin.FileStats {
	var out []admin.FileStats
	for _, f := range []struct {
		name string
		g    *accesslog.Guarded
	}{{"request_log", a.s.logs.requestFile}, {"error_log", a.s.logs.errorFile}} {
		if f.g != nil {
			failing, n := f.g.Stats()
			out = append(out, admin.FileStats{Name: f.name, Failing: failing, Log: true, Failures: n})
		}
	}
	if rt := a.s.rt.Load(); rt != nil && rt.store.Path() != "" {
		out = append(out, admin.FileStats{Name: "state_file", Failing: rt.store.Unsaved()})
	}
	return out
}

func (a adminSource) MemoryReleases() uint64 { return a.s.mem.count.Load() }

func (a adminSource) Discovery() prometheus.Collector { return discover.NewCollector(a.s.disc) }

// initAdmin prepares the admin listener and its registry in New.
func (s *Server) initAdmin(cfg config.Admin) error {
	l, err := admin.New(cfg, s.log, adminSource{s})
	if err != nil {
		return err
	}
	s.admin = l
	return nil
}

// AdminAddr returns the admin listener's bound address, "" when there is
// none (turned off, or its default address was taken).
func (s *Server) AdminAddr() string { return s.admin.Addr() }
