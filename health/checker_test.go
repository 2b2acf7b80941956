package health

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeTarget offers the members in due once and records results.
type fakeTarget struct {
	mu      sync.Mutex
	due     []string
	results map[string]bool
}

func (f *fakeTarget) ProbeDue(time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.due
	f.due = nil
	return d
}

func (f *fakeTarget) SetProbeResult(m string, ok bool, _ time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.results[m] = ok
}

type proberFunc func(ctx context.Context) error

func (p proberFunc) Probe(ctx context.Context) error { return p(ctx) }

func TestCheckReportsEachDueMember(t *testing.T) {
	tg := &fakeTarget{due: []string{"ok", "bad", "unknown"}, results: map[string]bool{}}
	c := New(Spec{Groups: []Group{{Name: "lb", Target: tg, Members: map[string]Prober{
		"ok":  proberFunc(func(context.Context) error { return nil }),
		"bad": proberFunc(func(context.Context) error { return errors.New("no cpong") }),
	}}}})
	defer c.Close()
	c.Check()
	c.Wait()
	want := map[string]bool{"ok": true, "bad": false, "unknown": false}
	for m, ok := range want {
		if got, seen := tg.results[m]; !seen || got != ok {
			t.Errorf("%s: result %v (seen %v), want %v", m, got, seen, ok)
		}
	}
}

func TestCloseCancelsProbesInFlight(t *testing.T) {
	started := make(chan struct{})
	tg := &fakeTarget{due: []string{"hung"}, results: map[string]bool{}}
	c := New(Spec{Groups: []Group{{Name: "lb", Target: tg, Members: map[string]Prober{
		"hung": proberFunc(func(ctx context.Context) error { close(started); <-ctx.Done(); return ctx.Err() }),
	}}}})
	c.Start()
	c.Check()
	<-started
	c.Close() // must return: the probe honours the context
	if ok, seen := tg.results["hung"]; !seen || ok {
		t.Fatalf("hung probe result %v seen %v, want a failure", ok, seen)
	}
	// After Close nothing starts: a member due now is neither marked as
	// being probed (ProbeDue is not asked, so the lb does not wait for a
	// result that never comes) nor probed.
	var probed int
	tg.mu.Lock()
	tg.due = []string{"late"}
	tg.mu.Unlock()
	c.groups[0].Members["late"] = proberFunc(func(context.Context) error { probed++; return nil })
	c.Check()
	c.Wait()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if probed != 0 || len(tg.due) != 1 {
		t.Fatalf("after Close: %d probes ran, ProbeDue asked: %v", probed, len(tg.due) == 0)
	}
	if _, seen := tg.results["late"]; seen {
		t.Fatal("after Close a result was reported for a member never probed")
	}
}
