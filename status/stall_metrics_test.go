package status

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// stallingMember is an lb member whose stall watch says stalling.
type stallingMember struct {
	ctr      worker.Counters
	met      worker.Metrics
	stalling bool
}

func (m *stallingMember) Forward(http.ResponseWriter, *worker.Request, *worker.Attempt) (worker.Outcome, error) {
	return worker.Outcome{}, nil
}
func (m *stallingMember) Counters() *worker.Counters  { return &m.ctr }
func (m *stallingMember) Available() bool             { return true }
func (m *stallingMember) Metrics() *worker.Metrics    { return &m.met }
func (m *stallingMember) ConnStats() worker.ConnStats { return worker.ConnStats{} }
func (m *stallingMember) Stalling() bool              { return m.stalling }
func (m *stallingMember) Stalled(now time.Time) bool  { return m.stalling }

// TestCollectorStalled: jkbalancer_member_stalled is 1 for the member
// that stalls, 0 for the other, and stalls_total is exported for both.
func TestCollectorStalled(t *testing.T) {
	spec := balancer.Spec{Name: "lb", LB: &config.LB{StickySession: true, Retries: 1, LBRetries: 1}}
	for _, name := range []string{"a", "b"} {
		spec.Members = append(spec.Members, balancer.MemberSpec{Name: name, Attrs: &config.Member{LBFactor: 1},
			Member: &stallingMember{stalling: name == "b"}})
	}
	lb, err := balancer.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(NewCollector(func() []Worker { return []Worker{{Name: "lb", Type: "lb", LB: lb}} })); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	totals := 0
	for _, mf := range mfs {
		switch mf.GetName() {
		case "jkbalancer_member_stalled":
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "member" {
						got[l.GetValue()] = m.GetGauge().GetValue()
					}
				}
			}
		case "jkbalancer_member_stalls_total":
			totals = len(mf.GetMetric())
		}
	}
	if got["a"] != 0 || got["b"] != 1 || len(got) != 2 || totals != 2 {
		t.Fatalf("stalled %v, %d stalls_total series; want a=0 b=1 and 2 series", got, totals)
	}
}
