package worker

import (
	"sync"
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
	stalls            atomic.Uint64 // stall episodes (Member.Stalled)
	deadPaths         atomic.Uint64 // dead-path verdicts (Member.notePathDead)
	hist              history       // sampled by Sample, never written per request
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
	// Stalls counts the times the member was found stalling
	// (Member.Stalled).
	Stalls uint64
	// DeadPaths counts the path check's dead-path verdicts on the
	// member's connections (docs/config.md#lossy-members).
	DeadPaths uint64
}

// Snapshot reads the numbers. Each value is read atomically, the set is
// not: a request finishing meanwhile may be seen in one field and not in
// another, which no rate computed from it can notice.
func (x *Metrics) Snapshot() MetricsSnapshot {
	s := MetricsSnapshot{
		Requests: x.requests.Load(), Retries: x.retries.Load(),
		Sent: x.sent.Load(), Received: x.received.Load(),
		FirstByte: x.firstByte.Snapshot(), Total: x.total.Snapshot(), Stalls: x.stalls.Load(),
		DeadPaths: x.deadPaths.Load(),
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

// HistoryStep is how often the server samples a Metrics for the status
// page's sparklines; HistoryLen points of it cover the last 15 minutes
// (docs/metrics.md#sparklines).
const (
	HistoryStep = 10 * time.Second
	HistoryLen  = 90
)

// HistoryPoint is what a member did between two samples.
type HistoryPoint struct {
	At       time.Time     // the end of the interval (the sample)
	Span     time.Duration // its length
	Requests uint64        // requests handed to the member
	Errors   uint64        // requests that failed, client errors excluded
	P99      time.Duration // 99th percentile of the response time; 0 without requests
}

// history is a fixed ring of HistoryLen points: its size does not depend
// on traffic, and requests never touch it.
type history struct {
	mu     sync.Mutex
	last   MetricsSnapshot // the numbers at the last sample
	lastAt time.Time
	pts    [HistoryLen]HistoryPoint
	next   int // where the next point goes
	n      int // points held, <= HistoryLen
}

// Sample records what happened since the previous sample as one point of
// the history. The first call (and a call after the clock went back) only
// sets the baseline; a call less than HistoryStep/2 after the previous one
// does nothing, so a second caller cannot squeeze the window.
func (x *Metrics) Sample(now time.Time) {
	s := x.Snapshot()
	h := &x.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.lastAt.IsZero() && !now.Before(h.lastAt) {
		span := now.Sub(h.lastAt)
		if span < HistoryStep/2 {
			return
		}
		var d HistogramSnapshot
		for i := range d.Counts {
			d.Counts[i] = s.Total.Counts[i] - h.last.Total.Counts[i]
		}
		h.pts[h.next] = HistoryPoint{At: now, Span: span, Requests: s.Requests - h.last.Requests,
			Errors: failures(&s) - failures(&h.last), P99: d.Quantile(0.99)}
		h.next = (h.next + 1) % HistoryLen
		h.n = min(h.n+1, HistoryLen)
	}
	h.last, h.lastAt = s, now
}

// History appends the points held, oldest first, to dst.
func (x *Metrics) History(dst []HistoryPoint) []HistoryPoint {
	h := &x.hist
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := h.n; i > 0; i-- {
		dst = append(dst, h.pts[(h.next-i+HistoryLen)%HistoryLen])
	}
	return dst
}

// failures counts the failed requests of s that are the member's doing:
// every class but the client's.
func failures(s *MetricsSnapshot) uint64 {
	var n uint64
	for c, v := range s.Errors {
		if Class(c) != ClassClient {
			n += v
		}
	}
	return n
}

// Quantile estimates the q-quantile (0 < q <= 1) of the durations counted,
// as Prometheus' histogram_quantile does: linear within the bucket that
// holds it, the largest finite bound for the last bucket; 0 when empty.
func (h *HistogramSnapshot) Quantile(q float64) time.Duration {
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var below uint64
	for i, c := range h.Counts {
		if i == len(latencyBounds) {
			break
		}
		if float64(below+c) >= rank && c > 0 {
			var lo time.Duration
			if i > 0 {
				lo = latencyBounds[i-1]
			}
			frac := (rank - float64(below)) / float64(c)
			return lo + time.Duration(frac*float64(latencyBounds[i]-lo))
		}
		below += c
	}
	return latencyBounds[len(latencyBounds)-1]
}
