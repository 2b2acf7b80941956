package status

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkbalancer/jkbalancer/doctor"
)

// gatherDoctor registers c in a fresh registry and returns its series as
// "kind lb member value" lines, sorted.
func gatherDoctor(t *testing.T, c prometheus.Collector) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, mf := range mfs {
		if mf.GetName() != "jkbalancer_session_route_problems" || mf.GetType().String() != "GAUGE" {
			t.Fatalf("family %s %s", mf.GetName(), mf.GetType())
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			out = append(out, fmt.Sprintf("%s %s %s %g", l["kind"], l["lb"], l["member"], m.GetGauge().GetValue()))
		}
	}
	sort.Strings(out)
	return out
}

func TestDoctorCollector(t *testing.T) {
	var fs []doctor.Finding
	c := NewDoctorCollector(func() []doctor.Finding { return fs })
	if got := gatherDoctor(t, c); len(got) != 0 {
		t.Fatalf("series without findings: %v", got)
	}
	fs = []doctor.Finding{
		{LB: "lb", Member: "n1", Kind: doctor.KindRouteMismatch, Seen: "a"},
		{LB: "lb", Member: "n1", Kind: doctor.KindRouteMismatch, Seen: "b"},
		{LB: "lb", Member: "n2", Kind: doctor.KindNoRoute},
		{LB: "lb", Kind: doctor.KindUnknownRoute, Seen: "old"},
	}
	want := "no_route lb n2 1|route_mismatch lb n1 2|unknown_route lb  1"
	if got := strings.Join(gatherDoctor(t, NewDoctorCollector(func() []doctor.Finding { return fs })), "|"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFailoverCollector(t *testing.T) {
	var fo []doctor.FailoverCount
	c := NewFailoverCollector(func() []doctor.FailoverCount { return fo })
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	gather := func() string {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, mf := range mfs {
			if mf.GetName() != "jkbalancer_session_failovers_total" || mf.GetType().String() != "COUNTER" {
				t.Fatalf("family %s %s", mf.GetName(), mf.GetType())
			}
			for _, m := range mf.GetMetric() {
				l := map[string]string{}
				for _, p := range m.GetLabel() {
					l[p.GetName()] = p.GetValue()
				}
				out = append(out, fmt.Sprintf("%s %s>%s %s %g", l["lb"], l["from"], l["to"], l["result"], m.GetCounter().GetValue()))
			}
		}
		sort.Strings(out)
		return strings.Join(out, "|")
	}
	if got := gather(); got != "" {
		t.Fatalf("series without failovers: %v", got)
	}
	fo = []doctor.FailoverCount{{LB: "lb", From: "n1", To: "n2", Count: [3]uint64{doctor.FailoverKept: 4, doctor.FailoverLost: 1}}}
	if got, want := gather(), "lb n1>n2 kept 4|lb n1>n2 lost 1|lb n1>n2 unknown 0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
