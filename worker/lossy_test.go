package worker

import (
	"context"
	"net"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/netpath"
)

// newLossyPath is a member whose first hang requests get no reply (until
// release), whose path check always finds the request acknowledged (the
// answer, not the request, is what the network loses), and whose stall
// threshold is 50 ms.
func newLossyPath(t *testing.T, typ string, hang int32, props ...string) *deadPathMember {
	d := &deadPathMember{release: make(chan struct{})}
	check := func(net.Conn) netpath.State { d.checks.Add(1); return netpath.Acked }
	return d.start(t, typ, hang, check, append([]string{"stall_min=50"}, props...)...)
}

// TestLossyMemberLateGETResent: on a member whose path just lost a
// request (a dead-path verdict), a GET with no reply for longer than the
// stall threshold is given up and sent again (docs/config.md#lossy-members).
// Checked: with Late left out of the exchange options (attempt.go,
// http_attempt.go) the GET waits for its reply timeout (30 s).
func TestLossyMemberLateGETResent(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) {
			d := newLossyPath(t, typ, 1)
			defer close(d.release)
			d.m.notePathDead()
			rec := httptest.NewRecorder()
			_, err := d.m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
			if err != nil || rec.Code != 200 || d.got.Load() != 2 {
				t.Fatalf("GET on a lossy member: %v %d, %d sends; want 200 after 2", err, rec.Code, d.got.Load())
			}
		})
	}
}

// lateKept sends a request that gets no reply until the path was checked
// often enough to cover the 50 ms threshold 4 times over, then releases
// it: it must be answered by its first send.
func lateKept(t *testing.T, d *deadPathMember, method, body string) {
	t.Helper()
	go func() {
		for deadline := time.Now().Add(30 * time.Second); d.checks.Load() < 40 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		close(d.release)
	}()
	rec := httptest.NewRecorder()
	_, err := d.m.Forward(rec, newReq(method, "/", body), &Attempt{})
	if err != nil || rec.Code != 200 || d.got.Load() != 1 {
		t.Errorf("%s: %v %d after %d sends; want 200 after 1", method, err, rec.Code, d.got.Load())
	}
}

// TestLateOnHealthyPathNotCut: without a dead-path verdict a late reply is
// a slow member, never cut. Checked: with lossy() always true it is resent.
func TestLateOnHealthyPathNotCut(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) { lateKept(t, newLossyPath(t, typ, 1), "GET", "") })
	}
}

// TestLossyMemberKeepsPOST: with recovery_options=1 a POST the member got
// is never sent again, lossy member or not: it waits, as in mod_jk.
func TestLossyMemberKeepsPOST(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) {
			d := newLossyPath(t, typ, 1, "recovery_options=1")
			d.m.notePathDead()
			lateKept(t, d, "POST", "order=42")
		})
	}
}

// TestLossyStallOff: stall_min=0 (mod_jk) cuts nothing on a lossy member.
func TestLossyStallOff(t *testing.T) {
	d := newLossyPath(t, "ajp13", 1, "stall_min=0")
	d.m.notePathDead()
	lateKept(t, d, "GET", "")
}

// TestLossySpell: a dead-path verdict makes the member lossy for lossyFor
// on its clock: the lb skips it for new requests without a session
// (Stalled), then takes it back.
func TestLossySpell(t *testing.T) {
	var clk atomic.Int64
	base := time.Now()
	m := NewMember(Spec{Name: "w", Attrs: workerSpec(t, "ajp13", "127.0.0.1:1"), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		Now:   func() time.Time { return base.Add(time.Duration(clk.Load())) }}})
	t.Cleanup(m.Close)
	at := func() time.Time { return base.Add(time.Duration(clk.Load())) }
	if m.Stalled(at()) {
		t.Fatal("a fresh member is stalled")
	}
	clk.Add(int64(time.Second))
	m.notePathDead()
	if n := m.Metrics().Snapshot().DeadPaths; n != 1 {
		t.Errorf("DeadPaths %d after one verdict, want 1 (jkbalancer_member_dead_paths_total)", n)
	}
	clk.Add(int64(lossyFor - time.Millisecond))
	if !m.Stalled(at()) {
		t.Errorf("not skipped %v after a dead-path verdict", lossyFor-time.Millisecond)
	}
	clk.Add(int64(2 * time.Millisecond))
	if m.Stalled(at()) {
		t.Errorf("still skipped %v after the verdict", lossyFor+time.Millisecond)
	}
}

// TestLossyRepliesNotSampled: a reply that took seconds of retransmissions
// on a lossy path stays out of the ring, so the threshold of the late
// requests on that path stays the member's own pace. Checked: sampled
// anyway, the p99 becomes 5 s (and the threshold 50 s).
func TestLossyRepliesNotSampled(t *testing.T) {
	var clk atomic.Int64
	base := time.Now()
	m := NewMember(Spec{Name: "w", Attrs: workerSpec(t, "ajp13", "127.0.0.1:1"), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		Now:   func() time.Time { return base.Add(time.Duration(clk.Load())) }}})
	t.Cleanup(m.Close)
	reply := func() {
		w := stallWait{m: m, from: m.clock()}
		m.stall.enter(w.from)
		clk.Add(int64(5 * time.Second))
		w.reply(true)
	}
	m.notePathDead()
	reply()
	if p := m.stall.p99(); p != 0 {
		t.Errorf("a reply on a lossy path was sampled: p99 %d µs", p)
	}
	clk.Add(int64(lossyFor))
	reply()
	if p := m.stall.p99(); p != 5e6 {
		t.Errorf("p99 %d µs after a 5 s reply on a sound path, want 5e6", p)
	}
}

// TestLosingMakesLossy: a request whose bytes are being retransmitted
// (netpath.Losing) makes its member lossy before any path is proven dead:
// no dead path counted, no connect bounded, nothing cut. Checked: with
// Losing handled as Unacked the member is not lossy.
func TestLosingMakesLossy(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) {
			d := &deadPathMember{release: make(chan struct{})}
			check := func(net.Conn) netpath.State { d.checks.Add(1); return netpath.Losing }
			d.start(t, typ, 1, check, "stall_min=0")
			go func() {
				for deadline := time.Now().Add(30 * time.Second); d.checks.Load() < 3 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				close(d.release)
			}()
			rec := httptest.NewRecorder()
			_, err := d.m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
			if err != nil || rec.Code != 200 || d.got.Load() != 1 {
				t.Fatalf("%v %d after %d sends; want 200 after 1", err, rec.Code, d.got.Load())
			}
			if !d.m.stall.lossy(d.m.clock()) || d.m.Metrics().Snapshot().DeadPaths != 0 || d.suspect() {
				t.Errorf("lossy %v, dead paths %d, suspect %v; want true, 0, false",
					d.m.stall.lossy(d.m.clock()), d.m.Metrics().Snapshot().DeadPaths, d.suspect())
			}
		})
	}
}

// TestLateAfterSpellEnded: a wait during which the member was lossy is
// late past the threshold even once the spell is over (10 s after the
// last verdict, because the lb sent the member nothing new): it began in
// the spell, or the spell began during it. A wait that began after the
// spell ended is never late. On the member's clock, no sleep. Checked:
// with Late asking lossy(now), the first case is not late.
func TestLateAfterSpellEnded(t *testing.T) {
	var clk atomic.Int64
	base := time.Now()
	m := NewMember(Spec{Name: "w", Attrs: workerSpec(t, "ajp13", "127.0.0.1:1", "stall_min=2000"), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		Now:   func() time.Time { return base.Add(time.Duration(clk.Load())) }}})
	t.Cleanup(m.Close)
	clk.Add(int64(time.Second))
	m.notePathLoss()
	clk.Add(int64(lossyFor - time.Second)) // the spell has 1 s left
	if !m.Late(3 * time.Second) {
		t.Error("a 3 s wait in a lossy spell is not late")
	}
	clk.Add(int64(2 * time.Second)) // the spell ended 1 s ago
	if m.stall.lossy(m.clock()) {
		t.Fatal("still lossy after the spell")
	}
	if !m.Late(3 * time.Second) {
		t.Error("a 3 s wait that began in the spell is not late once the spell is over")
	}
	if m.Late(time.Second) {
		t.Error("a 1 s wait, within stall_min, that began after the spell is late")
	}
	clk.Add(int64(5 * time.Second))
	if m.Late(3 * time.Second) {
		t.Error("a 3 s wait that began 3 s after the spell ended is late")
	}
}
