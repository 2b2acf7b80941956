package worker

import (
	"sync/atomic"
	"time"
)

// ClassCount bounds the Class values: Metrics counts errors in an array
// indexed by Class, and exporters loop over 1..ClassCount-1.
const ClassCount = len(classNames)

// Metrics are the monotonic numbers of one member instance (or one worker
// used directly) for Prometheus. Counters cannot serve: the status
// worker's reset zeroes them, as mod_jk's does, and a Prometheus counter
// that drops reads as a process restart and corrupts every rate. Nothing
// here is ever reset. The server keeps one Metrics per (lb, member) and
// hands it to the member of the same name after a reload, so the numbers
// outlive a configuration change.
//
// Recording costs a few atomic adds per request and allocates nothing;
// the fields are read only by Snapshot, at scrape time.
type Metrics struct {
	requests, retries atomic.Uint64
	sent, received    atomic.Uint64
	errors            [ClassCount]atomic.Uint64
	firstByte, total  Histogram
}

// MetricsSnapshot is one read of a Metrics.
type MetricsSnapshot struct {
	// Requests counts Forward calls: requests handed to the member,
	// including those refused by busy_limit.
	Requests uint64
	// Retries counts the member's own retries (worker retries), on the
	// same member, after a recoverable failure.
	Retries uint64
	// Sent and Received are the bytes written to and read from the backend.
	Sent, Received uint64
	// Errors counts failed Forward calls by the Class of the final failure.
	Errors [ClassCount]uint64
	// FirstByte is the time from handing the request to the member until
	// its response head arrived; Total until the response was complete (or
	// the request failed).
	FirstByte, Total HistogramSnapshot
}

// Snapshot reads the numbers. Each value is read atomically, the set is
// not: a request finishing meanwhile may be seen in one field and not in
// another, which no rate computed from it can notice.
func (x *Metrics) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		Requests: x.requests.Load(), Retries: x.retries.Load(),
		Sent: x.sent.Load(), Received: x.received.Load(),
		FirstByte: x.firstByte.Snapshot(), Total: x.total.Snapshot(),
	}
	for i := range x.errors {
		s.Errors[i] = x.errors[i].Load()
	}
	return s
}

// finish records the end of one Forward that started at start: bytes,
// the error class, and the latencies. head is when the response head
// arrived, zero when none did.
func (x *Metrics) finish(out *Outcome, e *Error, start, head time.Time) {
	x.sent.Add(uint64(max(out.Sent, 0)))
	x.received.Add(uint64(max(out.Received, 0)))
	if e != nil && int(e.Class) < ClassCount {
		x.errors[e.Class].Add(1)
	}
	if !head.IsZero() {
		x.firstByte.Observe(head.Sub(start))
	}
	x.total.Observe(time.Since(start))
}

// latencyBounds are the upper bounds of the latency histograms: from a
// cached page (1 ms) to a report that runs into reply_timeout (60 s).
// Read-only.
var latencyBounds = [...]time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond,
	25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2500 * time.Millisecond, 5 * time.Second,
	10 * time.Second, 30 * time.Second, time.Minute,
}

// LatencyBounds returns the upper bounds of the latency histograms'
// buckets (the last bucket, +Inf, is implied).
func LatencyBounds() []time.Duration { return append([]time.Duration(nil), latencyBounds[:]...) }

// Histogram counts durations in the fixed buckets of LatencyBounds with
// atomics only: Prometheus' own histogram cannot be used below the server
// and status packages (docs/design.md#import-rules import rules), and this one costs a
// short scan and two adds.
type Histogram struct {
	counts [len(latencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

// HistogramSnapshot is one read of a Histogram. Counts are per bucket,
// not cumulative; Counts[i] holds durations <= LatencyBounds()[i], the
// last one the rest.
type HistogramSnapshot struct {
	Counts [len(latencyBounds) + 1]uint64
	Sum    time.Duration
}

// Observe counts one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// Snapshot reads the histogram.
func (h *Histogram) Snapshot() HistogramSnapshot {
	var s HistogramSnapshot
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	s.Sum = time.Duration(h.sum.Load())
	return s
}
