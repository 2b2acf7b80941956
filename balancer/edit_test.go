package balancer

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

func TestNewErrors(t *testing.T) {
	c := baseLB()
	ok := func(name string) MemberSpec {
		return MemberSpec{Name: name, Attrs: &config.Member{LBFactor: 1}, Member: newFake(name)}
	}
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"no lb config", Spec{Name: "lb", Members: []MemberSpec{ok("a")}}, "no lb configuration"},
		{"no members", Spec{Name: "lb", LB: &c}, "no members"},
		{"duplicate name", Spec{Name: "lb", LB: &c, Members: []MemberSpec{ok("a"), ok("a")}}, "listed twice"},
		{"duplicate route", Spec{Name: "lb", LB: &c, Members: []MemberSpec{ok("a"),
			{Name: "b", Attrs: &config.Member{Route: "a"}, Member: newFake("b")}}}, "share the route"},
		{"nil member", Spec{Name: "lb", LB: &c, Members: []MemberSpec{{Name: "a", Attrs: &config.Member{}}}}, "incomplete"},
		{"no name", Spec{Name: "lb", LB: &c, Members: []MemberSpec{{Attrs: &config.Member{}, Member: newFake("")}}}, "without a name"},
	}
	for _, tt := range tests {
		if _, err := New(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := config.LB{} // a hand-built, empty config
	lb, err := New(Spec{Name: "lb", LB: &c, Members: []MemberSpec{
		{Name: "a", Attrs: &config.Member{Route: "x.1"}, Member: newFake("a")},
		{Name: "b", Attrs: &config.Member{Route: "x.2", Domain: "own"}, Member: newFake("b")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s := lb.Snapshot()
	if s.Retries != 1 || s.LBRetries != 1 || s.RecoverTime != 1 || s.SessionCookie != "JSESSIONID" || s.SessionPath != ";jsessionid" {
		t.Fatalf("defaults %+v", s)
	}
	if s.Members[0].Domain != "x" || s.Members[1].Domain != "own" || s.Members[0].LBFactor != 1 {
		t.Fatalf("members %+v", s.Members)
	}
}

func TestMemberEditRanges(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"), member("t3"))
	for _, e := range []struct {
		name string
		err  error
		want error
	}{
		{"activation range", h.lb.EditMember("t1", func(c *config.Member) { c.Activation = config.Activation(7) }), ErrRange},
		{"unknown member", h.lb.EditMember("t9", func(c *config.Member) { c.Activation = config.Stopped }), ErrUnknownMember},
		{"lbfactor 0", h.lb.EditMember("t1", func(c *config.Member) { c.LBFactor = 0 }), ErrRange},
		{"distance -1", h.lb.EditMember("t1", func(c *config.Member) { c.Distance = -1 }), ErrRange},
		{"empty route", h.lb.EditMember("t1", func(c *config.Member) { c.Route = "" }), ErrRange},
		{"long route", h.lb.EditMember("t1", func(c *config.Member) { c.Route = strings.Repeat("r", 61) }), ErrRange},
		{"duplicate route", h.lb.EditMember("t1", func(c *config.Member) { c.Route = "t2" }), ErrDuplicate},
		{"long redirect", h.lb.EditMember("t1", func(c *config.Member) { c.Redirect = strings.Repeat("r", 61) }), ErrRange},
		{"long domain", h.lb.EditMember("t1", func(c *config.Member) { c.Domain = strings.Repeat("d", 61) }), ErrRange},
		{"recover not in error", h.lb.Recover("t1"), ErrNotInError},
		{"reset unknown", h.lb.Reset("t9", time.Now()), ErrUnknownMember},
	} {
		if !errors.Is(e.err, e.want) {
			t.Errorf("%s: %v, want %v", e.name, e.err, e.want)
		}
	}
}

func TestActivationEditResetsValues(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"), member("t3"))
	// Activation change resets lb values (not for Busyness).
	h.setValues(5, 6, 7)
	if err := h.lb.EditMember("t3", func(c *config.Member) { c.Activation = config.Disabled }); err != nil {
		t.Fatal(err)
	}
	if v := h.values(); !slices.Equal(v, []uint64{0, 0, 0}) {
		t.Fatalf("values %v", v)
	}
	h.setValues(5, 6, 7)
	_ = h.lb.EditMember("t3", func(c *config.Member) { c.Activation = config.Disabled }) // no change, no reset
	if v := h.values(); !slices.Equal(v, []uint64{5, 6, 7}) {
		t.Fatalf("values %v", v)
	}
	_ = h.lb.EditSettings(func(c *config.LB) { c.Method = config.MethodBusyness })
	_ = h.lb.EditMember("t3", func(c *config.Member) { c.Activation = config.Active })
	if v := h.values(); !slices.Equal(v, []uint64{5, 6, 7}) {
		t.Fatalf("busyness values reset: %v", v)
	}
}

func TestLBFactorEdit(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"), member("t3"))
	// lbfactor recomputes every multiplier.
	if err := h.lb.EditMember("t2", func(c *config.Member) { c.LBFactor = 4 }); err != nil {
		t.Fatal(err)
	}
	if err := h.lb.EditMember("t3", func(c *config.Member) { c.LBFactor = 6 }); err != nil {
		t.Fatal(err)
	}
	var mults []uint64
	for _, m := range h.lb.Snapshot().Members {
		mults = append(mults, m.LBMult)
	}
	if !slices.Equal(mults, []uint64{12, 3, 2}) {
		t.Fatalf("mults %v", mults)
	}
}

func TestRouteEdits(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"), member("t3"))
	// Route: domain derived only when empty; cookie follows the route.
	_ = h.lb.EditSettings(func(c *config.LB) { c.StickySession = true })
	if err := h.lb.EditMember("t1", func(c *config.Member) { c.Route = "dom.node1" }); err != nil {
		t.Fatal(err)
	}
	if s := h.snap("t1"); s.Route != "dom.node1" || s.Domain != "dom" {
		t.Fatalf("%+v", s)
	}
	_ = h.lb.EditMember("t2", func(c *config.Member) { c.Domain = "keep" })
	_ = h.lb.EditMember("t2", func(c *config.Member) { c.Route = "other.node2" })
	if s := h.snap("t2"); s.Domain != "keep" {
		t.Fatalf("domain overwritten: %+v", s)
	}
	_ = h.lb.EditSettings(func(c *config.LB) { c.Method = config.MethodRequest })
	if got := h.serve(newReq(session("A.dom.node1"))); got != "t1" {
		t.Fatalf("new route not used: %s", got)
	}
	if err := h.lb.EditMember("t1", func(c *config.Member) { c.Redirect = "other.node2" }); err != nil {
		t.Fatal(err)
	}
	if err := h.lb.EditMember("t1", func(c *config.Member) { c.Distance = 3 }); err != nil {
		t.Fatal(err)
	}
	if s := h.snap("t1"); s.Redirect != "other.node2" || s.Distance != 3 {
		t.Fatalf("%+v", s)
	}
}

func TestSetRouteUpdatesSessionCookie(t *testing.T) {
	c := baseLB()
	c.SetSessionCookie = true
	h := newHarness(t, c, member("t1"), member("t2"))
	_ = h.lb.EditMember("t1", func(c *config.Member) { c.Route = "n1" })
	h.serve(plain())
	if got := h.f("t1").attempts()[0].SetCookie; got != "JSESSIONID=.n1;PATH=/;HttpOnly" {
		t.Fatalf("cookie %q", got)
	}
}

func TestLBEdits(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	for _, e := range []struct {
		name string
		err  error
	}{
		{"retries 0", h.lb.EditSettings(func(c *config.LB) { c.Retries = 0 })},
		{"retry_interval 0", h.lb.EditSettings(func(c *config.LB) { c.RetryInterval = 0 })},
		{"recover_time 0", h.lb.EditSettings(func(c *config.LB) { c.RecoverTime = 0 })},
		{"error_escalation_time 0", h.lb.EditSettings(func(c *config.LB) { c.ErrorEscalationTime = 0 })},
		{"max_reply_timeouts -1", h.lb.EditSettings(func(c *config.LB) { c.MaxReplyTimeouts = -1 })},
		{"method 9", h.lb.EditSettings(func(c *config.LB) { c.Method = config.Method(9) })},
		{"lock 5", h.lb.EditSettings(func(c *config.LB) { c.Lock = config.Lock(5) })},
	} {
		if !errors.Is(e.err, ErrRange) {
			t.Errorf("%s: %v", e.name, e.err)
		}
	}
	for _, err := range []error{
		h.lb.EditSettings(func(c *config.LB) { c.Retries = 3 }),
		h.lb.EditSettings(func(c *config.LB) { c.RetryInterval = 250 }),
		h.lb.EditSettings(func(c *config.LB) { c.RecoverTime = 90 }),
		h.lb.EditSettings(func(c *config.LB) { c.ErrorEscalationTime = 45 }),
		h.lb.EditSettings(func(c *config.LB) { c.MaxReplyTimeouts = 4 }),
		h.lb.EditSettings(func(c *config.LB) { c.StickySession = false }),
		h.lb.EditSettings(func(c *config.LB) { c.StickySessionForce = true }),
		h.lb.EditSettings(func(c *config.LB) { c.Method = config.MethodNext }),
		h.lb.EditSettings(func(c *config.LB) { c.Lock = config.LockPessimistic }),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := h.lb.Snapshot()
	got := fmt.Sprint(s.Retries, s.RetryInterval, s.RecoverTime, s.ErrorEscalationTime, s.MaxReplyTimeouts,
		s.StickySession, s.StickySessionForce, s.Method, s.Lock)
	if got != "3 250 90 45 4 false true Next Pessimistic" {
		t.Fatalf("settings %s", got)
	}
	// The loop uses them: 3 rounds with 250 ms sleeps.
	h.f("t1").failWith(worker.ClassConnect)
	h.f("t2").failWith(worker.ClassConnect)
	h.serve(plain())
	if !slices.Equal(h.sleeps, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}) {
		t.Fatalf("sleeps %v", h.sleeps)
	}
}

func TestResetAndRecover(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassConnect)
	h.serve(plain())
	h.serve(plain())
	setReplyTimeouts(&h.f("t1").ctr, 3)
	h.setValues(40, 90)
	if err := h.lb.Recover("t1"); err != nil {
		t.Fatal(err)
	}
	if s := h.snap("t1"); s.State != StateRecover || s.LBValue != 90 || h.f("t1").ctr.ReplyTimeouts() != 0 {
		t.Fatalf("recover: %+v", s)
	}
	if err := h.lb.Recover("t1"); !errors.Is(err, ErrNotInError) {
		t.Fatalf("second recover: %v", err)
	}

	now := h.clock.Advance(time.Minute)
	if err := h.lb.Reset("t1", now); err != nil {
		t.Fatal(err)
	}
	s := h.snap("t1")
	if s.State != StateIdle || s.LBValue != 0 || s.Errors != 0 || s.Sessions != 0 || s.Elected != 0 ||
		!s.FirstErrorTime.IsZero() || h.f("t1").ctr.Used() != 0 || !h.f("t1").ctr.LastReset().Equal(now) {
		t.Fatalf("member reset: %+v", s)
	}
	if h.snap("t2").Sessions == 0 {
		t.Fatal("reset of t1 touched t2")
	}
	if err := h.lb.Reset("", now); err != nil {
		t.Fatal(err)
	}
	snap := h.lb.Snapshot()
	if snap.MaxBusy != 0 || !snap.LastReset.Equal(now) || snap.Members[1].Sessions != 0 || snap.Members[1].State != StateIdle {
		t.Fatalf("lb reset: %+v", snap)
	}
}

func TestReloadCarriesState(t *testing.T) {
	old := newHarness(t, baseLB(), member("t1"), member("t2"), member("gone"))
	old.f("t2").failWith(worker.ClassConnect)
	for range 4 {
		old.serve(plain())
	}
	before := old.lb.Snapshot()
	// The new generation drops "gone", adds "t4" and changes t1's factor.
	h := newHarnessPrev(t, baseLB(), old, member("t1", factor(2)), member("t2"), member("t4"))
	after := h.lb.Snapshot()
	for i, name := range []string{"t1", "t2"} {
		b := before.Members[i]
		a := after.Members[i]
		if a.Name != name || a.LBValue != b.LBValue || a.State != b.State || a.Errors != b.Errors ||
			a.Sessions != b.Sessions || a.Elected != b.Elected || !a.LastErrorTime.Equal(b.LastErrorTime) {
			t.Errorf("%s not carried:\nbefore %+v\nafter  %+v", name, b, a)
		}
	}
	if a := after.Members[0]; a.LBFactor != 2 {
		t.Errorf("new config not applied: %+v", a)
	}
	// A new member starts at the highest carried lb value (mod_jk's
	// recovered members do too), not at 0 where it would take every
	// request until it caught up.
	curmax := max(before.Members[0].LBValue, before.Members[1].LBValue)
	if a := after.Members[2]; a.State != StateIdle || a.LBValue != curmax || curmax == 0 || a.Elected != 0 {
		t.Errorf("new member not fresh at lb value %d: %+v", curmax, a)
	}
	if after.MaxBusy != before.MaxBusy || !after.LastReset.Equal(before.LastReset) || !after.LastMaintain.Equal(before.LastMaintain) {
		t.Errorf("lb counters not carried")
	}
}

// TestConcurrentUse runs requests, maintenance, snapshots and edits at the
// same time; run with -race.
func TestConcurrentUse(t *testing.T) {
	for _, m := range []config.Method{config.MethodRequest, config.MethodBusyness, config.MethodTraffic} {
		h := newHarness(t, withMethod(m), member("t1"), member("t2", factor(3)), member("t3"))
		h.f("t2").setDefault(outcome{out: worker.Outcome{Sent: 10, Received: 20}})
		h.f("t3").script(outcome{err: failure(worker.ClassConnect)}, outcome{err: failure(worker.ClassBusy)})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					req := plain()
					if i%3 == 0 {
						req = newReq(session(fmt.Sprintf("S%d.t%d", g, i%3+1)))
					}
					_ = h.lb.Serve(httptest.NewRecorder(), req)
				}
			})
		}
		wg.Go(func() {
			for range 100 {
				h.lb.Maintain(h.clock.Advance(time.Second))
				_ = h.lb.Snapshot()
				_ = h.lb.EditMember("t1", func(c *config.Member) { c.LBFactor = 2 })
				_ = h.lb.EditMember("t3", func(c *config.Member) { c.Activation = config.Active })
			}
		})
		wg.Wait()
		snap := h.lb.Snapshot()
		if snap.Busy != 0 {
			t.Fatalf("%s: lb busy %d after all requests", m, snap.Busy)
		}
		if m == config.MethodBusyness {
			for _, mm := range snap.Members {
				if mm.LBValue != 0 {
					t.Fatalf("busyness value %d left for %s", mm.LBValue, mm.Name)
				}
			}
		}
	}
}

func TestEditSeesCurrentValues(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2", factor(3)))
	if err := h.lb.EditMember("t2", func(c *config.Member) { c.Distance = 2 }); err != nil {
		t.Fatal(err)
	}
	a, err := h.lb.MemberAttrs("t2")
	if err != nil || a.LBFactor != 3 || a.Distance != 2 || a.Route != "t2" {
		t.Errorf("t2 %+v, %v", a, err)
	}
	if _, err := h.lb.MemberAttrs("t9"); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("unknown member: %v", err)
	}
	if err := h.lb.EditSettings(func(c *config.LB) { c.Retries = 5 }); err != nil {
		t.Fatal(err)
	}
	if s := h.lb.Settings(); s.Retries != 5 || s.StickySession != h.lb.Snapshot().StickySession {
		t.Errorf("settings %+v", s)
	}
}
