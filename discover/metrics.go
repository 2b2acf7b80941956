package discover

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats is what discovery counted since New.
type Stats struct {
	// Lookups asked, of which Failed failed and Empty gave no member
	// (both kept the lb's members).
	Lookups, Failed, Empty uint64
	// Changes of members put to use, and ApplyFailed refused by the
	// reload (the current members kept serving).
	Changes, ApplyFailed uint64
	// Members is, by lb that discovers, how many members the last usable
	// answer gave (fixed balance_workers not counted); Streak how many
	// lookups failed or came back empty since (0 once DNS answers).
	Members, Streak map[string]int
}

// Stats returns the counts so far.
func (dc *Discovery) Stats() Stats {
	st := Stats{Lookups: dc.lookups.Load(), Failed: dc.failed.Load(), Empty: dc.empty.Load(),
		Changes: dc.changes.Load(), ApplyFailed: dc.applyFailed.Load()}
	dc.mu.Lock()
	st.Members, st.Streak = maps.Clone(dc.count), maps.Clone(dc.streak)
	dc.mu.Unlock()
	return st
}

// collector exports member discovery: an operator learns from an alert
// that DNS stopped answering while the lb serves on with the members it
// had.
type collector struct {
	dc                        *Discovery
	lookups, changes, members *prometheus.Desc
	failing                   *prometheus.Desc
}

// NewCollector returns the /metrics collector of dc.
func NewCollector(dc *Discovery) prometheus.Collector {
	return &collector{
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

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lookups
	ch <- c.changes
	ch <- c.members
	ch <- c.failing
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.dc.Stats()
	ok := st.Lookups - min(st.Lookups, st.Failed+st.Empty)
	for _, v := range []struct {
		desc   *prometheus.Desc
		result string
		n      uint64
	}{
		{c.lookups, "ok", ok}, {c.lookups, "empty", st.Empty}, {c.lookups, "failed", st.Failed},
		{c.changes, "ok", st.Changes}, {c.changes, "failed", st.ApplyFailed},
	} {
		ch <- prometheus.MustNewConstMetric(v.desc, prometheus.CounterValue, float64(v.n), v.result)
	}
	// Only the lbs of the running configuration (Members); a streak of an
	// lb that no longer discovers is not shown.
	for _, lb := range slices.Sorted(maps.Keys(st.Members)) {
		ch <- prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(st.Members[lb]), lb)
		ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, float64(st.Streak[lb]), lb)
	}
}
