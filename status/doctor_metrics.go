package status

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/doctor"
)

// DoctorCollector exports the session-route doctor's findings as the gauge
// jkbalancer_session_route_problems{lb,member,kind}: how many distinct
// causes of that kind the doctor holds for the member (member "" for
// unknown routes clients send). It holds nothing itself: each scrape reads
// the findings, so a status reset (which clears them) takes the series
// away, and an alert on "> 0" fires once per broken member.
type DoctorCollector struct {
	findings func() []doctor.Finding
	desc     *prometheus.Desc
}

// NewDoctorCollector builds the collector over the function that returns
// the current findings (Server.Findings).
func NewDoctorCollector(findings func() []doctor.Finding) *DoctorCollector {
	return &DoctorCollector{findings: findings, desc: prometheus.NewDesc("jkbalancer_session_route_problems",
		"Distinct causes found by the session-route doctor that break sticky sessions or lose them "+
			"(kind: route_mismatch, no_route, cookie_name, unknown_route, session_lost); see the status page for the fix.",
		[]string{"lb", "member", "kind"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *DoctorCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *DoctorCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct {
		lb, member string
		kind       doctor.FindingKind
	}
	var order []key
	n := map[key]int{}
	for _, f := range c.findings() {
		k := key{f.LB, f.Member, f.Kind}
		if n[k] == 0 {
			order = append(order, k)
		}
		n[k]++
	}
	for _, k := range order {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[k]), k.lb, k.member, k.kind.String())
	}
}

// FailoverCollector exports the doctor's failover classification as the
// counter jkbalancer_session_failovers_total{lb,from,to,result}: requests
// whose session belonged to member from, served by member to, by what
// to's answer showed (result kept, lost or unknown;
// docs/sessions.md#the-metric). The numbers stay with the doctor; each
// scrape reads them. A pair has its three series from its first failover
// on.
type FailoverCollector struct {
	failovers func() []doctor.FailoverCount
	desc      *prometheus.Desc
}

// NewFailoverCollector builds the collector over the function that
// returns the current counts (Server.SessionFailovers).
func NewFailoverCollector(failovers func() []doctor.FailoverCount) *FailoverCollector {
	return &FailoverCollector{failovers: failovers, desc: prometheus.NewDesc("jkbalancer_session_failovers_total",
		"Requests whose session route named member from that member to served, by what to's answer showed: "+
			"kept (the same session id), lost (a new session id: replication is not working), unknown (no session id).",
		[]string{"lb", "from", "to", "result"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *FailoverCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *FailoverCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.failovers() {
		for _, r := range []doctor.FailoverResult{doctor.FailoverKept, doctor.FailoverLost, doctor.FailoverUnknown} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(p.Count[r]),
				p.LB, p.From, p.To, r.String())
		}
	}
}
