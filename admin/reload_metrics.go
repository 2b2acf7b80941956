package admin

import (
	"github.com/prometheus/client_golang/prometheus"
)

// reloadCollector exports the reload counters (ReloadStats): an operator
// whose SIGHUP was refused learns it from an alert, not only from the log.
type reloadCollector struct {
	stats func() ReloadStats
	total *prometheus.Desc
	last  *prometheus.Desc
}

func newReloadCollector(stats func() ReloadStats) *reloadCollector {
	return &reloadCollector{
		stats: stats,
		total: prometheus.NewDesc("jkbalancer_reloads_total",
			"Reloads since start: kind config (SIGHUP) or mount_file (JkMountFileReload), result ok or failed (refused; the running configuration stayed).",
			[]string{"kind", "result"}, nil),
		last: prometheus.NewDesc("jkbalancer_last_reload_success_timestamp_seconds",
			"Unix time of the last configuration reload that took effect; 0 when there was none.", nil, nil),
	}
}

func (c *reloadCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.total
	ch <- c.last
}

func (c *reloadCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for _, v := range []struct {
		kind, result string
		n            uint64
	}{
		{"config", "ok", st.Reloads}, {"config", "failed", st.Failed},
		{"mount_file", "ok", st.MountReloads}, {"mount_file", "failed", st.MountFailed},
	} {
		ch <- prometheus.MustNewConstMetric(c.total, prometheus.CounterValue, float64(v.n), v.kind, v.result)
	}
	last := 0.0
	if !st.LastReload.IsZero() {
		last = float64(st.LastReload.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(c.last, prometheus.GaugeValue, last)
}
