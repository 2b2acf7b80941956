package status

import (
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
)

// TestMemoryStoreAcrossBuilds: without a state file the server keeps one
// memory store for every build: an edit made while one build serves is
// applied by the next unless the files changed that attribute since, and
// the edits of a worker a build no longer has are dropped once it serves.
func TestMemoryStoreAcrossBuilds(t *testing.T) {
	s := NewMemoryStore(nil)
	act, dist := attrByName(scopeMember, "activation"), attrByName(scopeMember, "distance")
	compiled := &config.Member{LBFactor: 1}
	build := func(members ...string) map[string]*config.Member {
		s.BeginBuild()
		out := make(map[string]*config.Member)
		for _, m := range members {
			out[m] = s.Member("lb", m, compiled)
		}
		return out
	}
	build("t1", "t2")
	for _, e := range []struct {
		member string
		a      *attr
		value  string
	}{{"t1", act, "DIS"}, {"t2", dist, "3"}} {
		if err := s.recordEdit(scopeMember, "lb", e.member, e.a, e.value); err != nil {
			t.Fatal(err)
		}
	}
	s.DropUnused()
	got := build("t1", "t2")
	if got["t1"].Activation != config.Disabled || got["t2"].Distance != 3 {
		t.Fatalf("edits not applied by the next build: t1 %+v, t2 %+v", got["t1"], got["t2"])
	}
	s.DropUnused()

	// The files change t2's distance: they win, and the edit is gone.
	compiled = &config.Member{LBFactor: 1, Distance: 5}
	got = build("t1", "t2")
	if got["t1"].Activation != config.Disabled || got["t2"].Distance != 5 {
		t.Fatalf("t1 %+v, t2 %+v: want the edit for t1, the files for t2", got["t1"], got["t2"])
	}
	s.DropUnused()

	// A build without t1 drops its edit: t1 coming back starts from the
	// files.
	build("t2")
	s.DropUnused()
	if got = build("t1", "t2"); got["t1"].Activation != config.Active {
		t.Errorf("t1 came back with %v, want the compiled Active", got["t1"].Activation)
	}
	if s.Path() != "" || len(s.st.LBs) != 0 {
		t.Errorf("entries left: %+v", s.st.LBs)
	}
}
