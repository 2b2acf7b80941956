package balancer

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

// TestVerifiedRequest15 pins the sequence measured on real mod_jk in code
// as well, so rewriting the golden files cannot change it.
func TestVerifiedRequest15(t *testing.T) {
	h := newHarness(t, withMethod(config.MethodRequest), member("t1", factor(1)), member("t2", factor(5)))
	got := strings.Join(h.run(36, plain), " ")
	want := strings.TrimSpace(strings.Repeat("t1 t2 t2 t2 t2 t2 ", 6))
	if got != want {
		t.Fatalf("R 1:5\n got %s\nwant %s", got, want)
	}
}

func TestFinalStatusIsLastAttempt(t *testing.T) {
	tests := []struct {
		class worker.Class
		want  string
	}{
		// t1 and t2 fail (ERR); round 2 finds nobody, forces both to
		// ERR/FRC once and tries them again; the last error decides.
		{worker.ClassClosed, "t1>t2>t1>t2:502"},
		{worker.ClassConnect, "t1>t2>t1>t2:503"},
		{worker.ClassFailStatus, "t1>t2>t1>t2:503"},
		{worker.ClassReplyTimeout, "t1>t2>t1>t2:504"},
		{worker.ClassInvalid, "t1>t2>t1>t2:500"},
	}
	for _, tt := range tests {
		h := newHarness(t, baseLB(), member("t1"), member("t2"))
		h.f("t1").failWith(tt.class)
		h.f("t2").failWith(tt.class)
		if got := h.serve(plain()); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.class, got, tt.want)
		}
		if h.sleepCount() != 1 {
			t.Errorf("%s: %d sleeps, want 1", tt.class, h.sleepCount())
		}
	}
}

// TestVerifiedAllRefusing replays the measured mod_jk log
// (docs/compat.md#the-lb-service-loop): t2 already in ERR, t1 refuses -> forcing
// recovery once for 2
// workers -> t2 fails -> sleep -> t1 fails -> all failed, 503.
func TestVerifiedAllRefusing(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"), member("t3", activation(config.Stopped)))
	h.serve(plain()) // t1 ok
	h.f("t2").failWith(worker.ClassConnect)
	if got := h.serve(plain()); got != "t2>t1" {
		t.Fatalf("setup: %s", got)
	}
	h.f("t1").failWith(worker.ClassConnect)
	if got := h.serve(plain()); got != "t1>t2>t1:503" {
		t.Fatalf("got %s, want t1>t2>t1:503", got)
	}
	if h.sleepCount() != 1 {
		t.Fatalf("sleeps %d", h.sleepCount())
	}
	if n := strings.Count(h.logs.String(), "lb forcing recovery once"); n != 1 {
		t.Fatalf("forced recovery logged %d times:\n%s", n, h.logs)
	}
	if !strings.Contains(h.logs.String(), `msg="lb request failed" lb=lb member=t1 class=unavailable attempts=3 rounds=2 status=503`) {
		t.Fatalf("final failure line missing:\n%s", h.logs)
	}
}

func TestForcedRecoveryOncePerRequest(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.f("t2").failWith(worker.ClassConnect)
	h.serve(plain()) // both ERR now
	before := strings.Count(h.logs.String(), "lb forcing recovery once")
	// Everything in ERR: forced once (does not use an attempt), both tried,
	// then the second round finds nobody and does not force again.
	if got := h.serve(plain()); got != "t1>t2:503" {
		t.Fatalf("got %s", got)
	}
	if n := strings.Count(h.logs.String(), "lb forcing recovery once") - before; n != 1 {
		t.Fatalf("forced %d times in one request", n)
	}
	// A member that comes back during forced recovery serves and is OK.
	h.f("t2").succeed()
	if got := h.serve(plain()); got != "t1>t2" {
		t.Fatalf("got %s", got)
	}
	if h.state("t2") != StateOK || h.state("t1") != StateError {
		t.Fatalf("states %s %s", h.state("t1"), h.state("t2"))
	}
}

func TestWorstCaseAttempts(t *testing.T) {
	tests := []struct {
		members, lbRetries, retries int
		attempts                    int
	}{
		{3, 2, 3, 6},   // min(2,3) x 3
		{2, 5, 2, 4},   // min(5,2) x 2
		{4, 4, 1, 4},   // one round, no sleep
		{1, 2, 3, 3},   // single member: one attempt per round
		{5, 1, 4, 4},   // lb_retries 1
		{3, 0, 0, 1},   // minimums: 1 x 1
		{3, 3, 2, 6},   // all members twice
		{2, 2, 10, 20}, //
	}
	for _, tt := range tests {
		c := baseLB()
		c.LBRetries, c.Retries, c.RetryInterval = tt.lbRetries, tt.retries, 250
		var defs []mdef
		for i := range tt.members {
			defs = append(defs, member(string(rune('a'+i))))
		}
		h := newHarness(t, c, defs...)
		for _, f := range h.fakes {
			// Another request in flight on every member: failures stay
			// local, so every round finds all members usable again.
			f.ctr.EnterBusy()
			f.failWith(worker.ClassConnect)
		}
		tok := h.serve(plain())
		if n := strings.Count(tok, ">") + 1; n != tt.attempts || !strings.HasSuffix(tok, ":503") {
			t.Errorf("%+v: %s (%d attempts)", tt, tok, n)
		}
		rounds := max(tt.retries, 1)
		if len(h.sleeps) != rounds-1 {
			t.Errorf("%+v: %d sleeps, want %d", tt, len(h.sleeps), rounds-1)
		}
		for _, d := range h.sleeps {
			if d != 250*time.Millisecond {
				t.Errorf("sleep %v, want 250ms", d)
			}
		}
		for _, f := range h.fakes {
			if s := h.state(f.name); s != StateOK && s != StateIdle {
				t.Errorf("%+v: %s is %s, want OK (local errors only)", tt, f.name, s)
			}
		}
	}
}

func TestNothingSelectableStillSleeps(t *testing.T) {
	// mod_jk keeps looping when nobody can be chosen: the rounds and
	// their sleeps happen, then 503.
	h := newHarness(t, baseLB(), member("t1", activation(config.Stopped)), member("t2", activation(config.Disabled)))
	err := h.lb.Serve(httptest.NewRecorder(), plain())
	var we *worker.Error
	if !errors.As(err, &we) || we.Class != worker.ClassUnavailable || we.Member != "" || worker.Status(err) != 503 {
		t.Fatalf("err %#v", err)
	}
	if h.sleepCount() != 1 {
		t.Fatalf("sleeps %d", h.sleepCount())
	}
}

func TestNonRecoverableStops(t *testing.T) {
	for _, e := range []*worker.Error{
		{Class: worker.ClassClosed},                                    // body streamed / recovery_options
		{Class: worker.ClassClosed, Recoverable: true, HeadSent: true}, // client saw the head
		{Class: worker.ClassConnect, Recoverable: false},
	} {
		h := newHarness(t, baseLB(), member("t1"), member("t2"))
		h.f("t1").script(outcome{err: e})
		req := plain()
		err := h.lb.Serve(httptest.NewRecorder(), req)
		var we *worker.Error
		if !errors.As(err, &we) || we.Member != "t1" || we.HeadSent != e.HeadSent || we.Class != e.Class {
			t.Fatalf("%+v: got %#v", e, err)
		}
		if h.f("t2").attempts() != nil || h.sleepCount() != 0 {
			t.Fatalf("%+v: failed over", e)
		}
		if h.state("t1") != StateError {
			t.Fatalf("%+v: t1 %s", e, h.state("t1"))
		}
	}
}

func TestProbeAfterRecovery(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.serve(plain())
	h.lb.Maintain(h.clock.Advance(61 * time.Second))
	if h.state("t1") != StateRecover {
		t.Fatalf("after maintenance: %s", h.state("t1"))
	}
	var during State
	h.f("t1").succeed()
	h.f("t1").hook = func(*fake) { during = h.state("t1") }
	h.lb.mu.Lock()
	*h.lb.t.next = 0
	h.lb.t.recs[1].value = h.lb.t.recs[0].value + 1
	h.lb.mu.Unlock()
	if got := h.serve(plain()); got != "t1" {
		t.Fatalf("got %s", got)
	}
	if during != StateProbe || h.state("t1") != StateOK {
		t.Fatalf("during %s after %s", during, h.state("t1"))
	}
	if s := h.snap("t1"); !s.FirstErrorTime.IsZero() || !s.LastErrorTime.IsZero() {
		t.Fatalf("error times not cleared: %+v", s)
	}
}

func TestSleepHonoursContext(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.f("t2").failWith(worker.ClassConnect)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := plain()
	req.HTTP = req.HTTP.WithContext(ctx)
	err := h.lb.Serve(httptest.NewRecorder(), req)
	var we *worker.Error
	if !errors.As(err, &we) || we.Class != worker.ClassClient || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %#v", err)
	}
	if len(h.f("t1").attempts())+len(h.f("t2").attempts()) != 2 {
		t.Fatal("attempts after the sleep failed")
	}
}

func TestCountersAndLogs(t *testing.T) {
	h := newHarness(t, withMethod(config.MethodRequest), member("t1"), member("t2"))
	h.f("t1").script(outcome{err: failure(worker.ClassConnect)})
	h.serve(plain())
	h.serve(newReq(session("X.t2")))
	h.serve(newReq(rule(config.Extensions{Stateless: true})))
	snap := h.lb.Snapshot()
	t1, t2 := snap.Members[0], snap.Members[1]
	// Request 1: t1 (failed) and t2, both "new session"; request 2 sticky;
	// request 3 stateless.
	if t1.Elected != 1 || t2.Elected != 3 || t1.Sessions != 1 || t2.Sessions != 1 {
		t.Fatalf("t1 %+v\nt2 %+v", t1, t2)
	}
	if t1.LBValue != 1 || t2.LBValue != 3 {
		t.Fatalf("R values %d %d", t1.LBValue, t2.LBValue)
	}
	if snap.Busy != 0 || snap.MaxBusy != 1 {
		t.Fatalf("busy %d max %d", snap.Busy, snap.MaxBusy)
	}
	want := `msg="lb member failed, failing over" lb=lb member=t1 class=connect attempt=1 round=1 state=ERR`
	if !strings.Contains(h.logs.String(), want) {
		t.Fatalf("failover line missing:\n%s", h.logs)
	}
}
