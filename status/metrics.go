package status

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// Collector exports the lbs and workers as Prometheus metrics. It holds no
// numbers of its own: every scrape asks Workers for the workers of the
// configuration in use right then and reads their state, so a reload
// (which swaps the workers) needs nothing from it. Counters come from the
// never-reset worker.Metrics and balancer.Metrics, not from the numbers
// the status worker's reset zeroes, so they only ever grow. Gauges (busy,
// state, lb_value...) are the status worker's own values.
type Collector struct {
	workers func() []Worker
	bounds  []float64 // the latency buckets' upper bounds, in seconds

	lb     lbDescs
	member backendDescs // an lb member: labels lb, member
	direct backendDescs // a worker used without an lb: label worker

	// lb members only
	state, activation, lbValue, lbFactor, distance *prometheus.Desc
	stickyHits, stickyMisses, failovers            *prometheus.Desc
	stalled, stalls                                *prometheus.Desc
	// workers used directly only
	directState *prometheus.Desc
}

// lbDescs are the lb-wide families (label lb).
type lbDescs struct {
	requests, errors, mismatches, busy, maxBusy *prometheus.Desc
}

// backendDescs are the families of every backend, lb member or worker
// used directly.
type backendDescs struct {
	requests, errors, retries, sent, received *prometheus.Desc
	busy, maxBusy, replyTimeouts              *prometheus.Desc
	firstByte, total, conns, connsMax         *prometheus.Desc
	deadPaths                                 *prometheus.Desc
}

// NewCollector builds a collector over the workers the function returns at
// each scrape (worker.list order; status workers are skipped).
func NewCollector(workers func() []Worker) *Collector {
	c := &Collector{workers: workers, member: newBackendDescs("jkbalancer_member_", "lb", "member"),
		direct: newBackendDescs("jkbalancer_worker_", "worker")}
	for _, b := range worker.LatencyBounds() {
		c.bounds = append(c.bounds, b.Seconds())
	}
	lb := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("jkbalancer_lb_"+name, help, append([]string{"lb"}, extra...), nil)
	}
	c.lb = lbDescs{
		requests: lb("requests_total", "Requests the lb served or failed."),
		errors: lb("errors_total", "Requests that failed in the end, by error class "+
			"(unavailable: no member could be chosen).", "class"),
		mismatches: lb("route_mismatches_total", "Requests whose session route names no member of the lb "+
			"(e.g. a Tomcat jvmRoute that differs from every member's route)."),
		busy:    lb("busy", "Requests in flight through the lb."),
		maxBusy: lb("max_busy", "Most requests in flight through the lb since the last status reset."),
	}
	m := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc("jkbalancer_member_"+name, help, append([]string{"lb", "member"}, extra...), nil)
	}
	c.state = m("state", "1 for the member's current state (mod_jk's OK/IDLE, OK, ERR/REC, ERR/FRC, OK/BUSY, ERR, ERR/PRB), 0 for the others.", "state")
	c.activation = m("activation", "1 for the member's activation (ACT, DIS, STP), 0 for the others.", "activation")
	c.lbValue = m("lb_value", "The member's lb_value: the load the balancing method compares.")
	c.lbFactor = m("lbfactor", "The member's lbfactor.")
	c.distance = m("distance", "The member's distance.")
	c.stickyHits = m("sticky_hits_total", "Requests whose session route named the member and that it was given.")
	c.stickyMisses = m("sticky_misses_total", "Requests whose session route named the member but that went elsewhere or failed.")
	c.failovers = m("failovers_total", "Requests that failed on the member, after which the lb looked for another one.")
	c.stalled = m("stalled", "1 while the member's requests all stall (no reply byte for far longer than its recent replies took): "+
		"new non-sticky requests go to other members (stall_min).")
	c.stalls = m("stalls_total", "Times the member was found stalling.")
	c.directState = prometheus.NewDesc("jkbalancer_worker_state",
		"1 for the worker's current state (OK/IDLE, OK, ERR), 0 for the others.", []string{"worker", "state"}, nil)
	return c
}

func newBackendDescs(prefix string, labels ...string) backendDescs {
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(prefix+name, help, append(append([]string(nil), labels...), extra...), nil)
	}
	return backendDescs{
		requests: d("requests_total", "Requests handed to the backend."),
		errors: d("errors_total", "Requests the backend failed, by error class "+
			"(client: the client failed or went away; reply-timeout: reply_timeout passed).", "class"),
		retries:       d("retries_total", "Retries on the same backend (the worker's retries)."),
		sent:          d("sent_bytes_total", "Bytes sent to the backend."),
		received:      d("received_bytes_total", "Bytes received from the backend."),
		busy:          d("busy", "Requests in flight on the backend (shared by every use of the worker)."),
		maxBusy:       d("max_busy", "Most requests in flight on the backend since the last status reset."),
		replyTimeouts: d("reply_timeouts", "Reply timeouts counted against max_reply_timeouts (decays with maintenance)."),
		firstByte:     d("first_byte_seconds", "Time from handing a request to the backend until its response head arrived."),
		total:         d("response_seconds", "Time from handing a request to the backend until the response was complete or failed."),
		conns:         d("connections", "Backend connections by state (idle, in_use).", "state"),
		connsMax:      d("connections_max", "The connection pool's size (connection_pool_size)."),
		deadPaths: d("dead_paths_total", "Requests the path check found lost in the network: their bytes retransmitted "+
			"without an acknowledgement (path_check_interval)."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.lb.requests, c.lb.errors, c.lb.mismatches, c.lb.busy, c.lb.maxBusy,
		c.state, c.activation, c.lbValue, c.lbFactor, c.distance, c.stickyHits, c.stickyMisses, c.failovers,
		c.stalled, c.stalls, c.directState} {
		ch <- d
	}
	for _, b := range []*backendDescs{&c.member, &c.direct} {
		for _, d := range []*prometheus.Desc{b.requests, b.errors, b.retries, b.sent, b.received, b.busy,
			b.maxBusy, b.replyTimeouts, b.firstByte, b.total, b.conns, b.connsMax, b.deadPaths} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, w := range c.workers() {
		switch {
		case w.LB != nil:
			c.collectLB(ch, w.LB)
		case w.Member != nil:
			c.collectBackend(ch, &c.direct, w.Member, w.Name)
			for _, s := range [...]string{"OK/IDLE", "OK", "ERR"} {
				gauge(ch, c.directState, oneIf(w.Member.State() == s), w.Name, s)
			}
		}
	}
}

func (c *Collector) collectLB(ch chan<- prometheus.Metric, lb *balancer.LB) {
	snap, met := lb.Snapshot(), lb.Metrics()
	name := snap.Name
	counter(ch, c.lb.requests, met.Requests, name)
	for cl := worker.Class(1); int(cl) < worker.ClassCount; cl++ {
		counter(ch, c.lb.errors, met.Errors[cl], name, cl.String())
	}
	counter(ch, c.lb.mismatches, met.RouteMismatches, name)
	gauge(ch, c.lb.busy, float64(snap.Busy), name)
	gauge(ch, c.lb.maxBusy, float64(snap.MaxBusy), name)
	for i := range snap.Members {
		ms := &snap.Members[i]
		var mm balancer.MemberMetrics
		if i < len(met.Members) && met.Members[i].Name == ms.Name {
			mm = met.Members[i]
		}
		c.collectMember(ch, name, ms, &mm)
	}
}

func (c *Collector) collectMember(ch chan<- prometheus.Metric, lb string, ms *balancer.MemberSnapshot, mm *balancer.MemberMetrics) {
	name := ms.Name
	for s := balancer.StateIdle; s <= balancer.StateProbe; s++ {
		gauge(ch, c.state, oneIf(ms.State == s), lb, name, s.String())
	}
	for a := config.Active; a <= config.Stopped; a++ {
		gauge(ch, c.activation, oneIf(ms.Activation == a), lb, name, a.Code())
	}
	gauge(ch, c.lbValue, float64(ms.LBValue), lb, name)
	gauge(ch, c.lbFactor, float64(ms.LBFactor), lb, name)
	gauge(ch, c.distance, float64(ms.Distance), lb, name)
	counter(ch, c.stickyHits, mm.StickyHits, lb, name)
	counter(ch, c.stickyMisses, mm.StickyMisses, lb, name)
	counter(ch, c.failovers, mm.Failovers, lb, name)
	if b, ok := ms.Member.(backend); ok {
		c.collectBackend(ch, &c.member, b, lb, name)
		counter(ch, c.stalls, b.Metrics().Snapshot().Stalls, lb, name)
	}
	if s, ok := ms.Member.(stalling); ok {
		gauge(ch, c.stalled, oneIf(s.Stalling()), lb, name)
	}
}

// stalling is the member's stall watch as the collector reads it
// (*worker.Member).
type stalling interface {
	Stalling() bool
}

// backend is what the collector reads from a member (*worker.Member).
type backend interface {
	Metrics() *worker.Metrics
	Counters() *worker.Counters
	ConnStats() worker.ConnStats
}

func (c *Collector) collectBackend(ch chan<- prometheus.Metric, d *backendDescs, b backend, labels ...string) {
	s := b.Metrics().Snapshot()
	counter(ch, d.requests, s.Requests, labels...)
	for cl := worker.Class(1); int(cl) < worker.ClassCount; cl++ {
		if cl != worker.ClassUnavailable { // only an lb is ever unavailable
			counter(ch, d.errors, s.Errors[cl], append(labels, cl.String())...)
		}
	}
	counter(ch, d.retries, s.Retries, labels...)
	counter(ch, d.sent, s.Sent, labels...)
	counter(ch, d.received, s.Received, labels...)
	ctr := b.Counters()
	gauge(ch, d.busy, float64(ctr.Busy()), labels...)
	gauge(ch, d.maxBusy, float64(ctr.MaxBusy()), labels...)
	gauge(ch, d.replyTimeouts, float64(ctr.ReplyTimeouts()), labels...)
	c.histogram(ch, d.firstByte, &s.FirstByte, labels...)
	c.histogram(ch, d.total, &s.Total, labels...)
	cs := b.ConnStats()
	gauge(ch, d.conns, float64(cs.Idle), append(labels, "idle")...)
	gauge(ch, d.conns, float64(cs.InUse), append(labels, "in_use")...)
	gauge(ch, d.connsMax, float64(cs.MaxOpen), labels...)
	counter(ch, d.deadPaths, s.DeadPaths, labels...)
}

// histogram exports a worker.Histogram with cumulative buckets.
func (c *Collector) histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, h *worker.HistogramSnapshot, labels ...string) {
	buckets := make(map[float64]uint64, len(c.bounds))
	var n uint64
	for i, b := range c.bounds {
		n += h.Counts[i]
		buckets[b] = n
	}
	n += h.Counts[len(c.bounds)]
	ch <- prometheus.MustNewConstHistogram(d, n, h.Sum.Seconds(), buckets, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
