package balancer

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/worker"
)

func TestMultipliers(t *testing.T) {
	tests := []struct {
		factors []int
		mults   []uint64
	}{
		{[]int{1, 5}, []uint64{5, 1}},
		{[]int{1, 1, 1}, []uint64{1, 1, 1}},
		{[]int{2, 3}, []uint64{3, 2}},
		{[]int{4, 6}, []uint64{3, 2}}, // lcm 12, not 24
		{[]int{1, 2, 3}, []uint64{6, 3, 2}},
		{[]int{0, -3, 2}, []uint64{2, 2, 1}}, // factors < 1 become 1
	}
	for _, tt := range tests {
		var defs []mdef
		for i, f := range tt.factors {
			d := member(fmt.Sprintf("t%d", i+1))
			d.ajp.LBFactor = f
			defs = append(defs, d)
		}
		h := newHarness(t, baseLB(), defs...)
		var got []uint64
		for _, m := range h.lb.Snapshot().Members {
			got = append(got, m.LBMult)
		}
		if !slices.Equal(got, tt.mults) {
			t.Errorf("factors %v: mults %v, want %v", tt.factors, got, tt.mults)
		}
	}
}

// TestActivationMatrix is docs/compat.md#activation-and-states: which activation can take
// balanced, sticky, redirected and domain-routed traffic.
func TestActivationMatrix(t *testing.T) {
	type want struct{ balanced, sticky, redirect, domain bool }
	cases := map[config.Activation]want{
		config.Active:   {true, true, true, true},
		config.Disabled: {false, true, true, false},
		config.Stopped:  {false, false, false, false},
	}
	for a, w := range cases {
		t.Run(a.String(), func(t *testing.T) {
			// t1 is the member under test, the others are stopped. t0
			// redirects to t1 only for the redirect check: otherwise the
			// failover worker (first redirect in config order) would hand
			// balanced traffic to a disabled t1, like a hot standby.
			mk := func(withRedirect bool) *harness {
				t0 := member("t0", activation(config.Stopped))
				if withRedirect {
					t0.ajp.Redirect = "t1"
				}
				return newHarness(t, baseLB(), t0,
					member("t1", activation(a), domain("d")),
					member("t9", activation(config.Stopped)))
			}
			check := func(what string, got string, ok bool) {
				t.Helper()
				if ok && got != "t1" || !ok && got != "-:503" {
					t.Errorf("%s with t1 %s: got %s, want served=%v", what, a, got, ok)
				}
			}
			check("balanced", mk(false).serve(plain()), w.balanced)
			check("sticky", mk(false).serve(newReq(session("S.t1"))), w.sticky)
			check("redirect", mk(true).serve(newReq(session("S.t0"))), w.redirect)
			check("domain", mk(false).serve(newReq(session("S.d"))), w.domain)
		})
	}
}

func TestSingleMemberShortcut(t *testing.T) {
	t.Run("active serves even a foreign session, as sticky", func(t *testing.T) {
		c := baseLB()
		c.SetSessionCookie = true
		h := newHarness(t, c, member("t1"))
		if got := h.serve(newReq(session("X.other"))); got != "t1" {
			t.Fatalf("got %s", got)
		}
		if got := h.serve(plain()); got != "t1" {
			t.Fatalf("got %s", got)
		}
		// Counted as sticky: no set_session_cookie, even for a new session.
		for _, at := range h.f("t1").attempts() {
			if at.SetCookie != "" {
				t.Fatalf("single member got Set-Cookie %q", at.SetCookie)
			}
		}
	})
	t.Run("disabled only by session route", func(t *testing.T) {
		h := newHarness(t, baseLB(), member("t1", activation(config.Disabled)))
		if got := h.serve(plain()); got != "-:503" {
			t.Fatalf("plain: got %s", got)
		}
		if got := h.serve(newReq(session("X.t1"))); got != "t1" {
			t.Fatalf("session: got %s", got)
		}
	})
	t.Run("stopped never", func(t *testing.T) {
		h := newHarness(t, baseLB(), member("t1", activation(config.Stopped)))
		if got := h.serve(newReq(session("X.t1"))); got != "-:503" {
			t.Fatalf("got %s", got)
		}
	})
}

func TestStickySessionForce(t *testing.T) {
	force := baseLB()
	force.StickySessionForce = true
	tests := []struct {
		name string
		req  *worker.Request
		want string
	}{
		{"routed member stopped", newReq(session("A.t1")), "-:503"},
		{"unknown route", newReq(session("A.t7")), "-:503"},
		{"session without dot", newReq(session("NODOT")), "-:503"},
		{"usable route", newReq(session("A.t2")), "t2"},
		{"no session balances", plain(), "t2"},
		{"second candidate usable", newReq(cookie("JSESSIONID=A.t1; JSESSIONID=B.t2")), "t2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, force, member("t1", activation(config.Stopped), redirect("t2")), member("t2"))
			if got := h.serve(tt.req); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("redirect ignored under force, 503 after the forced-recovery dance", func(t *testing.T) {
		h := newHarness(t, force, member("t1", redirect("t2")), member("t2"))
		h.f("t1").failWith(worker.ClassConnect)
		if got := h.serve(newReq(session("A.t1"))); got != "t1>t1:503" {
			// t1 fails (ERR); next pick: forced recovery turns t1 into
			// ERR/FRC which is sticky-usable, so it is tried once more.
			t.Fatalf("got %s", got)
		}
		if h.sleepCount() != 1 {
			t.Fatalf("sleeps %d, want 1", h.sleepCount())
		}
		if h.f("t2").attempts() != nil {
			t.Fatal("t2 must not get t1's session under sticky_session_force")
		}
	})
}

func TestStickyIgnoreAndDisabledSticky(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.serve(plain()) // t1 now has the higher value
	if got := h.serve(newReq(session("A.t1"), rule(config.Extensions{StickyIgnore: true}))); got != "t2" {
		t.Fatalf("sticky_ignore: got %s, want t2", got)
	}
	if err := h.lb.EditSettings(func(c *config.LB) { c.StickySession = false }); err != nil {
		t.Fatal(err)
	}
	if got := h.serve(newReq(session("A.t2"))); got != "t1" {
		t.Fatalf("sticky_session off: got %s, want t1", got)
	}
}

func TestSessionNameOverrides(t *testing.T) {
	c := baseLB()
	c.SessionCookie = "ROUTEID"
	h := newHarness(t, c, member("t1"), member("t2"))
	h.serve(plain()) // t1 busier
	tests := []struct {
		name string
		req  *worker.Request
		want string
	}{
		{"lb cookie name", newReq(cookie("ROUTEID=.t1")), "t1"},
		{"JSESSIONID is not the cookie", newReq(session("A.t1")), "t2"},
		// The path parameter stays ;jsessionid (verified).
		{"path parameter independent", newReq(uri("/app/x;jsessionid=A.t1")), "t1"},
		{"rule session_cookie", newReq(session("A.t1"), rule(config.Extensions{SessionCookie: "JSESSIONID"})), "t1"},
		{"rule session_path", newReq(uri("/app/x;ROUTEID=.t1"), rule(config.Extensions{SessionPath: ";ROUTEID"})), "t1"},
	}
	for _, tt := range tests {
		// Reset values so the balanced answer is always t2 then t1...:
		// make t1 clearly busier each time.
		h.lb.mu.Lock()
		h.lb.t.recs[0].value, h.lb.t.recs[1].value = 100, 0
		h.lb.mu.Unlock()
		if got := h.serve(tt.req); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRuleActivationOverrides(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"), member("t3", activation(config.Disabled)))
	stopT1 := rule(config.Extensions{Stopped: []string{"t1"}})
	if got := h.run(4, func() *worker.Request { return newReq(stopT1) }); strings.Join(got, " ") != "t2 t2 t2 t2" {
		t.Fatalf("stopped=t1: %v", got)
	}
	// disabled=t2: no balanced traffic, sticky allowed; JK_LB_ACTIVATION
	// carries the override.
	disT2 := rule(config.Extensions{Disabled: []string{"t2"}})
	if got := h.serve(newReq(disT2)); got != "t1" {
		t.Fatalf("disabled=t2 plain: %s", got)
	}
	if got := h.serve(newReq(disT2, session("A.t2"))); got != "t2" {
		t.Fatalf("disabled=t2 sticky: %s", got)
	}
	ats := h.f("t2").attempts()
	if last := ats[len(ats)-1]; last.Activation != config.Disabled {
		t.Fatalf("activation sent %s, want DIS", last.Activation.Code())
	}
	// active=t3 makes the configured-disabled member balanced; a later
	// list wins for a member named twice.
	onlyT3 := rule(config.Extensions{Active: []string{"t3", "t1"}, Stopped: []string{"t1", "t2"}})
	if got := h.run(3, func() *worker.Request { return newReq(onlyT3) }); strings.Join(got, " ") != "t3 t3 t3" {
		t.Fatalf("active=t3: %v", got)
	}
	if ats := h.f("t3").attempts(); ats[0].Activation != config.Active {
		t.Fatalf("activation sent %s, want ACT", ats[0].Activation.Code())
	}
	// Without a rule nothing is overridden.
	if got := h.serve(plain()); got == "t3" {
		t.Fatal("override leaked into a request without rule")
	}
}

func TestSetSessionCookie(t *testing.T) {
	c := baseLB()
	c.SetSessionCookie = true
	c.SessionCookie = "ROUTEID"
	h := newHarness(t, c, member("t1"), member("t2"))
	h.serve(plain())                                 // new session on t1
	h.serve(newReq(cookie("ROUTEID=.t2")))           // sticky on t2: no cookie (verified)
	h.serve(newReq(cookie("ROUTEID=.t2"), secure())) // still sticky
	h.serve(newReq(secure()))                        // new session, TLS
	want := map[string][]string{
		"t1": {"ROUTEID=.t1;PATH=/;HttpOnly", "ROUTEID=.t1;PATH=/;HttpOnly;Secure"},
		"t2": {"", ""},
	}
	for name, cookies := range want {
		var got []string
		for _, at := range h.f(name).attempts() {
			got = append(got, at.SetCookie)
		}
		if !slices.Equal(got, cookies) {
			t.Errorf("%s: cookies %q, want %q", name, got, cookies)
		}
	}

	t.Run("failover sets one per attempt, for the member tried", func(t *testing.T) {
		h := newHarness(t, c, member("t1"), member("t2"))
		h.f("t2").failWith(worker.ClassConnect)
		if got := h.serve(newReq(cookie("ROUTEID=.t2"))); got != "t2>t1" {
			t.Fatalf("got %s", got)
		}
		if at := h.f("t2").attempts()[0]; at.SetCookie != "" {
			t.Fatalf("sticky attempt got cookie %q", at.SetCookie)
		}
		if at := h.f("t1").attempts()[0]; at.SetCookie != "ROUTEID=.t1;PATH=/;HttpOnly" {
			t.Fatalf("failover attempt cookie %q", at.SetCookie)
		}
	})
	t.Run("rule extension and empty path", func(t *testing.T) {
		c := baseLB()
		c.SessionCookiePath = ""
		h := newHarness(t, c, member("t1", route("node1")), member("t2"))
		h.serve(newReq(rule(config.Extensions{SetSessionCookie: true, SessionCookie: "OTHER"})))
		h.serve(plain())
		got := []string{h.f("t1").attempts()[0].SetCookie, h.f("t2").attempts()[0].SetCookie}
		// The rule's session_cookie only affects reading: the lb's name is
		// written.
		if !slices.Equal(got, []string{"JSESSIONID=.node1;HttpOnly", ""}) {
			t.Fatalf("cookies %q", got)
		}
	})
}

func TestRouteNote(t *testing.T) {
	t.Run("failover keeps the first route", func(t *testing.T) {
		h := newHarness(t, baseLB(), member("t1"), member("t2"))
		h.f("t1").failWith(worker.ClassConnect)
		req := newReq(session("A.t1"))
		if got := h.serve(req); got != "t1>t2" {
			t.Fatalf("got %s", got)
		}
		if r := h.f("t2").attempts()[0].Route; r != "t1" {
			t.Fatalf("route sent to t2: %q, want t1", r)
		}
		if req.Note != (worker.Note{Route: "t1", Member: "t2", Attempts: 2}) {
			t.Fatalf("note %+v", req.Note)
		}
	})
	t.Run("domain routing sends the domain", func(t *testing.T) {
		h := newHarness(t, baseLB(), member("t1", route("d1.a")), member("t2", route("d1.b")))
		req := newReq(session("A.d1"))
		h.serve(req)
		if req.Note.Route != "d1" || h.f("t1").attempts()[0].Route != "d1" {
			t.Fatalf("note %+v", req.Note)
		}
	})
	t.Run("redirect clears it", func(t *testing.T) {
		h := newHarness(t, baseLB(), member("t1", redirect("t2"), activation(config.Stopped)), member("t2"))
		req := newReq(session("A.t1"))
		h.serve(req)
		if req.Note.Route != "t2" {
			t.Fatalf("note %+v", req.Note)
		}
	})
}

func TestDomainFallbackAndRedirectPrecedence(t *testing.T) {
	// t1 is down with both redirect and domain: redirect wins; t3 (same
	// domain) is not used.
	h := newHarness(t, baseLB(),
		member("t1", domain("d"), redirect("t2"), activation(config.Stopped)),
		member("t2"), member("t3", domain("d")))
	if got := h.serve(newReq(session("A.t1"))); got != "t2" {
		t.Fatalf("got %s", got)
	}
	// Redirect to an unusable member: nobody for this candidate, then the
	// normal balancing (t3, lower value than t2).
	_ = h.lb.EditMember("t2", func(c *config.Member) { c.Activation = config.Stopped })
	if got := h.serve(newReq(session("A.t1"))); got != "t3" {
		t.Fatalf("got %s", got)
	}
}

func TestStatelessSkipsValueComparison(t *testing.T) {
	h := newHarness(t, withMethod(config.MethodRequest), member("t1"), member("t2"))
	h.lb.mu.Lock()
	h.lb.t.recs[0].value = 1000
	h.lb.mu.Unlock()
	st := func() *worker.Request { return newReq(rule(config.Extensions{Stateless: true})) }
	if got := strings.Join(h.run(4, st), " "); got != "t1 t2 t1 t2" {
		t.Fatalf("stateless: %s (lb value must not matter)", got)
	}
	if s := h.snap("t1").Sessions + h.snap("t2").Sessions; s != 0 {
		t.Fatalf("stateless requests counted %d sessions", s)
	}
}
