package registry

import (
	"net/http"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/balancer"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// member is a balancer.Member that never forwards.
type member struct{ c *worker.Counters }

func (m member) Forward(http.ResponseWriter, *worker.Request, *worker.Attempt) (worker.Outcome, error) {
	return worker.Outcome{}, nil
}
func (m member) Counters() *worker.Counters { return m.c }
func (m member) Available() bool            { return true }

// build makes one generation of lb name over members, the way the
// server's build does: state looked up in r.
func build(t *testing.T, r *Registry, name string, members ...string) *balancer.LB {
	t.Helper()
	spec := balancer.Spec{Name: name, LB: &config.LB{Method: config.MethodRequest}, Shared: r.LB(name)}
	for _, m := range members {
		spec.Members = append(spec.Members, balancer.MemberSpec{Name: m, Attrs: &config.Member{LBFactor: 1},
			Member: member{r.Counters(m)}})
	}
	lb, err := balancer.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	return lb
}

// TestRegistryKeepsAndForgets: builds get the same state for the same
// names; Commit forgets the lbs, members and counters the serving build
// does not have, so names that come and go do not grow the registry.
func TestRegistryKeepsAndForgets(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err := New(func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Counters("a"); c != r.Counters("a") || !c.LastReset().Equal(now) {
		t.Fatal("counters of one name differ, or start without their reset time")
	}
	lb1 := build(t, r, "lb", "a", "b")
	other := build(t, r, "old", "x")
	if lb1.Shared() != r.LB("lb") || other.Shared() == lb1.Shared() {
		t.Fatal("an lb's state is not looked up by its name")
	}
	r.Commit(Build{LBs: []*balancer.LB{lb1, other}, Workers: map[string]bool{"lb": true, "old": true, "a": true, "b": true, "x": true}})
	if lbs, counters := r.Size(); lbs != 2 || counters != 3 {
		t.Fatalf("after the first commit: %d lbs, %d counters", lbs, counters)
	}
	ca, cb := r.Counters("a"), r.Counters("b")
	ma, mb := r.Metrics(Instance{"lb", "a"}), r.Metrics(Instance{"lb", "b"})
	lb2 := build(t, r, "lb", "a", "c")
	if lb2.Shared() != lb1.Shared() || r.Counters("a") != ca || r.Metrics(Instance{"lb", "a"}) != ma {
		t.Fatal("the next build did not get the same state")
	}
	r.Commit(Build{LBs: []*balancer.LB{lb2}, Workers: map[string]bool{"lb": true, "a": true, "c": true},
		Instances: map[Instance]bool{{"lb", "a"}: true, {"lb", "c"}: true}})
	if r.Metrics(Instance{"lb", "a"}) != ma || r.Metrics(Instance{"lb", "b"}) == mb {
		t.Error("instance metrics: a kept instance must keep them, a gone one lose them")
	}
	if lbs, counters := r.Size(); lbs != 1 || counters != 2 {
		t.Errorf("after dropping old, b and x: %d lbs, %d counters", lbs, counters)
	}
	if r.Counters("b") == cb || r.LB("old") == other.Shared() {
		t.Error("a forgotten name must come back fresh")
	}
}

// TestRegistryEdits: without a state file every build gets the same
// memory store; with one, the file is read for each build.
func TestRegistryEdits(t *testing.T) {
	r, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Edits("")
	b, _ := r.Edits("")
	if a == nil || a != b || a.Path() != "" {
		t.Fatal("the memory store is not kept across builds")
	}
	path := t.TempDir() + "/state.json"
	f, err := r.Edits(path)
	if err != nil || f == a || f.Path() != path {
		t.Fatalf("state file store %v, %v", f, err)
	}
	if len(r.Key()) != 32 {
		t.Error("no status form key")
	}
}
