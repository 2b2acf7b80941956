package server

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// discoverCollector exports member discovery (discover*.go): an operator
// learns from an alert that DNS stopped answering while the lb serves on
// with the members it had.
type discoverCollector struct {
	dc                        *discovery
	lookups, changes, members *prometheus.Desc
	failing                   *prometheus.Desc
}

func newDiscoverCollector(dc *discovery) *discoverCollector {
	return &discoverCollector{
		dc: dc,
		lookups: prometheus.NewDesc("jkbalancer_discover_lookups_total",
			"DNS lookups of lbs that discover their members, by result: ok, empty (no member: the lb kept its members) or failed (the lb kept its members).",
			[]string{"result"}, nil),
		changes: prometheus.NewDesc("jkbalancer_discover_changes_total",
			"Changes of discovered members put to use (result ok), or refused by the reload (result failed; the current members kept serving).",
			[]string{"result"}, nil),
		members: prometheus.NewDesc("jkbalancer_discover_members",
			"Members the last usable DNS answer gave the lb (fixed balance_workers not counted).",
			[]string{"lb"}, nil),
		failing: prometheus.NewDesc("jkbalancer_discover_failures_in_a_row",
			"Lookups of the lb that failed or came back empty since the last usable answer; 0 when DNS answers.",
			[]string{"lb"}, nil),
	}
}

func (c *discoverCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lookups
	ch <- c.changes
	ch <- c.members
	ch <- c.failing
}

func (c *discoverCollector) Collect(ch chan<- prometheus.Metric) {
	dc := c.dc
	failed, empty := dc.failed.Load(), dc.empty.Load()
	ok := dc.lookups.Load() - min(dc.lookups.Load(), failed+empty)
	for _, v := range []struct {
		desc   *prometheus.Desc
		result string
		n      uint64
	}{
		{c.lookups, "ok", ok}, {c.lookups, "empty", empty}, {c.lookups, "failed", failed},
		{c.changes, "ok", dc.changes.Load()}, {c.changes, "failed", dc.applyFailed.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(v.desc, prometheus.CounterValue, float64(v.n), v.result)
	}
	dc.mu.Lock()
	lbs := make([]string, 0, len(dc.count))
	for lb := range dc.count {
		lbs = append(lbs, lb)
	}
	sort.Strings(lbs)
	for _, lb := range lbs {
		ch <- prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(dc.count[lb]), lb)
		ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, float64(dc.streak[lb]), lb)
	}
	dc.mu.Unlock()
}
