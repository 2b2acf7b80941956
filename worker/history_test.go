package worker

import (
	"testing"
	"time"
)

func TestHistorySamplesDeltas(t *testing.T) {
	var m Metrics
	t0 := time.Unix(1_000_000, 0)
	m.Sample(t0) // baseline only
	if got := m.History(nil); len(got) != 0 {
		t.Fatalf("baseline made points: %+v", got)
	}
	for range 100 {
		m.requests.Add(1)
		m.total.Observe(3 * time.Millisecond) // bucket (2.5ms, 5ms]
	}
	m.errors[ClassConnect].Add(4)
	m.errors[ClassClient].Add(7) // the client's doing: not counted
	m.Sample(t0.Add(HistoryStep))
	m.Sample(t0.Add(HistoryStep + time.Second)) // too soon: ignored
	m.requests.Add(5)
	m.Sample(t0.Add(2 * HistoryStep))
	got := m.History(nil)
	if len(got) != 2 {
		t.Fatalf("points = %+v", got)
	}
	p := got[0]
	if p.Requests != 100 || p.Errors != 4 || p.Span != HistoryStep || !p.At.Equal(t0.Add(HistoryStep)) {
		t.Errorf("first point = %+v", p)
	}
	if p.P99 <= 2500*time.Microsecond || p.P99 > 5*time.Millisecond {
		t.Errorf("p99 = %v, want within (2.5ms, 5ms]", p.P99)
	}
	if q := got[1]; q.Requests != 5 || q.Errors != 0 || q.P99 != 0 {
		t.Errorf("second point = %+v", q)
	}
}

func TestHistoryRingIsBounded(t *testing.T) {
	var m Metrics
	t0 := time.Unix(1_000_000, 0)
	for i := range 3 * HistoryLen {
		m.requests.Add(uint64(i))
		m.Sample(t0.Add(time.Duration(i) * HistoryStep))
	}
	got := m.History(nil)
	if len(got) != HistoryLen {
		t.Fatalf("%d points, want %d", len(got), HistoryLen)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].At.After(got[i-1].At) {
			t.Fatalf("points out of order at %d: %v then %v", i, got[i-1].At, got[i].At)
		}
	}
	last := 3*HistoryLen - 1
	if got[len(got)-1].Requests != uint64(last) {
		t.Errorf("newest point = %+v, want %d requests", got[len(got)-1], last)
	}
	// the clock going back rebases without a point or a wrapped counter
	m.Sample(t0)
	m.Sample(t0.Add(HistoryStep))
	if got := m.History(nil); got[len(got)-1].Requests != 0 {
		t.Errorf("after the clock went back: %+v", got[len(got)-1])
	}
}

func TestQuantile(t *testing.T) {
	var h HistogramSnapshot
	if h.Quantile(0.99) != 0 {
		t.Error("empty histogram has a quantile")
	}
	h.Counts[len(h.Counts)-1] = 1 // beyond the last bound
	if got := h.Quantile(0.99); got != time.Minute {
		t.Errorf("overflow quantile = %v", got)
	}
	h = HistogramSnapshot{}
	h.Counts[0] = 50 // <= 1ms
	h.Counts[6] = 50 // (50ms, 100ms]
	if got := h.Quantile(0.5); got != time.Millisecond {
		t.Errorf("median = %v, want 1ms", got)
	}
	if got := h.Quantile(0.99); got != 99*time.Millisecond {
		t.Errorf("p99 = %v, want 99ms", got)
	}
}

// Recording a request must stay free of allocations with the ring in
// Metrics: requests never touch it.
func TestHistoryAddsNoAllocationToRequests(t *testing.T) {
	var m Metrics
	start := time.Now()
	allocs := testing.AllocsPerRun(100, func() {
		m.requests.Add(1)
		m.finish(&Outcome{Sent: 10}, &Error{Class: ClassConnect}, start, start)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request", allocs)
	}
}
