package admin

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/jkbalancer/jkbalancer/doctor"
	"github.com/jkbalancer/jkbalancer/status"
)

// Source is what the admin listener reads from the running server;
// server implements it (server/adminsource.go), so that admin never
// imports server. Every method reads whatever configuration is in use
// when it is called: a reload needs nothing from admin, and a scrape
// never sees a retired configuration.
type Source interface {
	// Workers lists the lbs and workers of worker.list in the running
	// configuration, in order; nil once the server shut down.
	Workers() []status.Worker
	// Ready says whether a new request would be served, and why not
	// (WorkersReady).
	Ready() (bool, string)
	// Findings are the session-route doctor's findings on the running
	// configuration.
	Findings() []doctor.Finding
	// SessionFailovers are the doctor's failover counts per ordered pair
	// of members (docs/sessions.md#the-metric).
	SessionFailovers() []doctor.FailoverCount
	// Reloads counts the reloads since start.
	Reloads() ReloadStats
	// Files are the files the server writes and whether they can be
	// written (a full disk).
	Files() []FileStats
	// MemoryReleases counts the times the server returned memory to the
	// OS once quiet after a peak (docs/performance.md#memory).
	MemoryReleases() uint64
	// Discovery exports member discovery from DNS. Its numbers stay with
	// discovery, which owns them; admin only registers it.
	Discovery() prometheus.Collector
}

// ReloadStats counts reloads since start (server.ReloadStats).
type ReloadStats struct {
	// Reloads took effect; Failed were refused and left the running
	// configuration in place.
	Reloads, Failed uint64
	// MountReloads are new mount tables from the mount file
	// (JkMountFileReload); MountFailed were refused.
	MountReloads, MountFailed uint64
	// LastReload is the time of the last successful reload (zero: none).
	LastReload time.Time
}

// newRegistry answers "what does /metrics export": every collector is
// registered here, once, and each reads src at every scrape.
func newRegistry(src Source) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		// jkbalancer_lb_*, jkbalancer_member_*, jkbalancer_worker_*: the
		// lbs, their members and the workers used directly (status,
		// over the never-reset worker.Metrics and balancer counters).
		status.NewCollector(src.Workers),
		// jkbalancer_session_route_problems: the session-route doctor.
		status.NewDoctorCollector(src.Findings),
		// jkbalancer_session_failovers_total: the doctor's failover classification.
		status.NewFailoverCollector(src.SessionFailovers),
		// jkbalancer_reloads_total, jkbalancer_last_reload_success_timestamp_seconds.
		newReloadCollector(src.Reloads),
		// jkbalancer_file_write_failing, jkbalancer_log_write_failures_total: a full disk.
		newFileCollector(src.Files),
		// jkbalancer_memory_releases_total: memory returned once quiet.
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "jkbalancer_memory_releases_total",
			Help: "Times the server returned its free memory to the OS once no request had started for a second after a peak (off when GOGC or GOMEMLIMIT is set)."},
			func() float64 { return float64(src.MemoryReleases()) }),
		// jkbalancer_discover_*: lbs whose members come from DNS.
		src.Discovery(),
		// process_* and go_*: the process and the Go runtime.
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}
