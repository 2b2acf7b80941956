package statusclient

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// The member takes requests for its first 32 readings (busy in the first
// two, then only its request count moves: 30 readings, at least 75 ms,
// longer than Idle), then none: WaitIdle returns after that, not before.
func TestWaitIdleReturnsOnceTrafficStops(t *testing.T) {
	shows := 0
	_, s := newFake(t, &fakeStatus{onShow: func(f *fakeStatus) {
		shows++
		f.busy["t1"] = 0
		if shows <= 32 {
			f.elected["t1"]++
			if shows <= 2 {
				f.busy["t1"] = 1
			}
		}
		f.elected["t2"]++ // another member's traffic does not matter
	}})
	c := &Client{}
	tg := target(t, c, s.URL+"/jk-status")
	if err := c.SetActivation(context.Background(), tg, "lb", "t1", Disabled); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // failsafe
	defer cancel()
	var progress testutil.LockedBuffer
	busy := c.WaitIdle(ctx, []Target{tg}, "lb", "t1",
		IdleOptions{Idle: 50 * time.Millisecond, Poll: 5 * time.Millisecond, Progress: &progress})
	if len(busy) != 0 {
		t.Fatalf("not idle: %s", busy[0].Describe())
	}
	if ctx.Err() != nil {
		t.Fatal("WaitIdle ran into the failsafe")
	}
	if shows < 34 {
		t.Errorf("returned after %d readings, while the member still took requests in reading 32", shows)
	}
	if !strings.Contains(progress.String(), "busy=1") || !strings.Contains(progress.String(), "0 of 1 instances idle") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

// One instance keeps serving the member, one is idle: at the deadline
// WaitIdle names the busy one only.
func TestWaitIdleNamesTheInstanceStillBusy(t *testing.T) {
	_, quiet := newFake(t, &fakeStatus{})
	_, loud := newFake(t, &fakeStatus{onShow: func(f *fakeStatus) { f.elected["t1"]++ }})
	c := &Client{}
	ts := []Target{target(t, c, quiet.URL+"/jk-status"), target(t, c, loud.URL+"/jk-status")}
	for _, tg := range ts {
		if err := c.SetActivation(context.Background(), tg, "lb", "t1", Disabled); err != nil {
			t.Fatal(err)
		}
	}
	// The deadline must outlast Idle so that quiet gets idle first; polling
	// below waits for that, so the deadline is only a bound.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan []*Watch, 1)
	go func() {
		done <- c.WaitIdle(ctx, ts, "lb", "t1", IdleOptions{Idle: 20 * time.Millisecond, Poll: 5 * time.Millisecond})
	}()
	// Let it run for well over Idle, measured by the loud server's readings.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		loudShows := 0
		func() {
			f := loud.Config.Handler.(*fakeStatus)
			f.mu.Lock()
			defer f.mu.Unlock()
			loudShows = int(f.elected["t1"])
		}()
		if loudShows >= 40 { // 40 readings 5 ms apart (at least every other one): several times Idle
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	var busy []*Watch
	select {
	case busy = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("WaitIdle did not return after its context ended")
	}
	if len(busy) != 1 || busy[0].Target.URL.Host != strings.TrimPrefix(loud.URL, "http://") {
		for _, w := range busy {
			t.Log(w.Describe())
		}
		t.Fatalf("%d instances reported busy, want the loud one alone", len(busy))
	}
	if d := busy[0].Describe(); !strings.Contains(d, "DIS") || !strings.Contains(d, "requests=") {
		t.Errorf("description %q", d)
	}
}

// An instance that cannot be read is never idle, and the report says why.
func TestWaitIdleUnreadableInstance(t *testing.T) {
	_, s := newFake(t, &fakeStatus{errorPage: 503})
	c := &Client{}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	busy := c.WaitIdle(ctx, []Target{target(t, c, s.URL+"/jk-status")}, "lb", "t1", IdleOptions{Idle: time.Millisecond, Poll: time.Millisecond})
	if len(busy) != 1 || busy[0].Err == nil || !strings.Contains(busy[0].Describe(), "503") {
		t.Fatalf("unreadable instance: %v", busy)
	}
}

// A member someone activated again is not idle, however quiet.
func TestWaitIdleActiveMemberIsNotIdle(t *testing.T) {
	_, s := newFake(t, &fakeStatus{})
	c := &Client{}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	busy := c.WaitIdle(ctx, []Target{target(t, c, s.URL+"/jk-status")}, "lb", "t1", IdleOptions{Idle: time.Millisecond, Poll: time.Millisecond})
	if len(busy) != 1 || !strings.Contains(busy[0].Describe(), "active again") {
		t.Fatalf("an active member counted as idle: %v", busy)
	}
}
