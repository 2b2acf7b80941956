package worker

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/internal/testutil"
)

// gatedMember is an AJP member whose handler waits for release (after
// reading the body when read is set), on an injected clock, logging into
// logs.
type gatedMember struct {
	m       *Member
	s       *ajptest.Server
	clk     *atomic.Int64
	release chan struct{}
	readAll atomic.Int64 // handlers that read their whole body
	logs    *testutil.LockedBuffer
}

func newGatedMember(t *testing.T, read bool, props ...string) *gatedMember {
	t.Helper()
	g := &gatedMember{clk: new(atomic.Int64), release: make(chan struct{}), logs: new(testutil.LockedBuffer)}
	g.s = ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if read {
			io.Copy(io.Discard, r.Body)
			g.readAll.Add(1)
		}
		select {
		case <-g.release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(g.s.Close)
	base := time.Now()
	g.m = NewMember(Spec{Name: "w", Attrs: ajpSpec(t, g.s.Addr(), props...), Options: Options{
		Logger: slog.New(slog.NewTextHandler(g.logs, nil)),
		Sleep:  func(context.Context, time.Duration) error { return nil },
		Now:    func() time.Time { return base.Add(time.Duration(g.clk.Load())) }}})
	t.Cleanup(g.m.Close)
	return g
}

// now is the member's clock.
func (g *gatedMember) now() time.Time { return g.m.opts.Now() }

// start sends n requests in the background; their errors and statuses
// come back on the channel.
func (g *gatedMember) start(t *testing.T, n int, method, body string) chan string {
	done := make(chan string, n)
	for range n {
		go func() {
			rec := httptest.NewRecorder()
			var r io.Reader
			if body != "" {
				r = strings.NewReader(body)
			}
			_, err := g.m.Forward(rec, toRequest(t, httptest.NewRequest(method, "/", r), 8192), &Attempt{})
			if err != nil {
				done <- err.Error()
				return
			}
			done <- strconv.Itoa(rec.Code)
		}()
	}
	return done
}

// waitFor polls cond (a failsafe, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMemberStallsAndRecovers: a member that reads requests and never
// answers is found stalling once two requests waited past stall_min; that
// is logged and counted once, nothing in flight is cut, and the first
// reply ends it (logged once).
func TestMemberStallsAndRecovers(t *testing.T) {
	g := newGatedMember(t, false)
	done := g.start(t, 2, "GET", "")
	waitFor(t, "two requests at the member", func() bool { return g.s.Requests() == 2 && g.m.stall.awaiting.Load() == 2 })
	if g.m.Stalled(g.now()) {
		t.Fatal("stalled before stall_min passed")
	}
	g.clk.Add(int64(2500 * time.Millisecond))
	for range 3 {
		if !g.m.Stalled(g.now()) || !g.m.Stalling() {
			t.Fatal("two requests waiting 2.5 s, no reply history: not stalled")
		}
	}
	if n := strings.Count(g.logs.String(), "worker stalls"); n != 1 {
		t.Fatalf("%d stall lines, want 1:\n%s", n, g.logs.String())
	}
	if n := g.m.Metrics().Snapshot().Stalls; n != 1 {
		t.Fatalf("Stalls = %d, want 1", n)
	}
	select {
	case r := <-done:
		t.Fatalf("a request in flight ended while the member stalled: %s", r)
	default:
	}
	close(g.release)
	for range 2 {
		if r := <-done; r != "200" {
			t.Fatalf("request in flight after the release: %s, want 200", r)
		}
	}
	if g.m.Stalling() || g.m.Stalled(g.now()) || g.m.stall.awaiting.Load() != 0 {
		t.Fatalf("after the replies: stalling %v awaiting %d", g.m.Stalling(), g.m.stall.awaiting.Load())
	}
	if n := strings.Count(g.logs.String(), "worker no longer stalls"); n != 1 {
		t.Fatalf("%d recovery lines, want 1:\n%s", n, g.logs.String())
	}
}

// TestStallOff: stall_min=0 (mod_jk) never finds a stall and counts
// nothing.
func TestStallOff(t *testing.T) {
	g := newGatedMember(t, false, "stall_min=0")
	done := g.start(t, 2, "GET", "")
	waitFor(t, "two requests at the member", func() bool { return g.s.Requests() == 2 })
	g.clk.Add(int64(time.Hour))
	if g.m.Stalled(g.now()) || g.m.stall.awaiting.Load() != 0 {
		t.Fatalf("stall_min=0: stalled %v, awaiting %d", g.m.Stalled(g.now()), g.m.stall.awaiting.Load())
	}
	close(g.release)
	<-done
	<-done
}

// TestStallBodyRequestIsProgress: a member that asks for the request body
// (GET_BODY_CHUNK) is working on the request: two uploads it is still
// processing are not a stall.
func TestStallBodyRequestIsProgress(t *testing.T) {
	g := newGatedMember(t, true)
	done := g.start(t, 2, "POST", "order=42")
	// The handler's read ends only after the GET_BODY_CHUNK was answered.
	waitFor(t, "two bodies read", func() bool { return g.readAll.Load() == 2 })
	g.clk.Add(int64(time.Minute))
	if g.m.Stalled(g.now()) || g.m.stall.awaiting.Load() != 0 {
		t.Fatalf("member reading the bodies: stalled %v, awaiting %d", g.m.Stalled(g.now()), g.m.stall.awaiting.Load())
	}
	close(g.release)
	for range 2 {
		if r := <-done; r != "200" {
			t.Fatalf("upload: %s", r)
		}
	}
}

// TestStallFailedAttemptEndsWait: an attempt that fails without a reply
// byte stops waiting (no progress); the count returns to zero.
func TestStallFailedAttemptEndsWait(t *testing.T) {
	g := newGatedMember(t, false, "retries=1")
	done := g.start(t, 1, "GET", "")
	waitFor(t, "the request at the member", func() bool { return g.m.stall.awaiting.Load() == 1 })
	g.s.Close() // the member goes away: the attempt fails
	if r := <-done; r == "200" {
		t.Fatal("request to a closed member answered")
	}
	if n := g.m.stall.awaiting.Load(); n != 0 {
		t.Fatalf("awaiting = %d after a failed attempt", n)
	}
}

// TestStallMarkedUntilReply: a stall ends at the member's next reply
// byte, not when its stuck requests are given up: no second pair of log
// lines while requests come and go. While fewer than two wait, the member
// is not avoided, so it can show that it answers.
func TestStallMarkedUntilReply(t *testing.T) {
	g := newGatedMember(t, false, "retries=1")
	done := g.start(t, 2, "GET", "")
	waitFor(t, "two requests at the member", func() bool { return g.m.stall.awaiting.Load() == 2 })
	g.clk.Add(int64(2500 * time.Millisecond))
	if !g.m.Stalled(g.now()) {
		t.Fatal("not stalled")
	}
	g.s.Close() // the stuck requests fail: given up, no reply
	for range 2 {
		if r := <-done; r == "200" {
			t.Fatal("a request to the closed member was answered")
		}
	}
	if g.m.Stalled(g.now()) || !g.m.Stalling() {
		t.Fatalf("after the stuck requests failed: Stalled %v (want false: let a request through), Stalling %v (want true)",
			g.m.Stalled(g.now()), g.m.Stalling())
	}
	close(g.release)
	if err := g.s.Restart(); err != nil {
		t.Fatal(err)
	}
	if r := <-g.start(t, 1, "GET", ""); r != "200" {
		t.Fatalf("request after the restart: %s", r)
	}
	if g.m.Stalling() {
		t.Fatal("still marked stalling after a reply")
	}
	logs := g.logs.String()
	if strings.Count(logs, "worker stalls") != 1 || strings.Count(logs, "worker no longer stalls") != 1 {
		t.Fatalf("want one stall line and one recovery line:\n%s", logs)
	}
}

// BenchmarkStalled is the lb's per-member check at the start of a
// request: "idle" is the common case, "late" the worst one (the p99 of a
// full ring is computed).
func BenchmarkStalled(b *testing.B) {
	m := NewMember(Spec{Name: "w", Attrs: workerSpec(b, "ajp13", "127.0.0.1:9")})
	defer m.Close()
	for i := range stallRing {
		m.stall.ring[i].Store(uint32(1000 + i))
	}
	now := m.stall.base
	b.Run("idle", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			m.Stalled(now)
		}
	})
	m.stall.awaiting.Store(2)
	late := now.Add(3 * time.Second)
	b.Run("late", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			m.Stalled(late)
		}
	})
}

// TestHTTPMemberStallsAndRecovers: the same watch for an http member: two
// requests without a response head past stall_min are a stall, and the
// first response head ends it.
func TestHTTPMemberStallsAndRecovers(t *testing.T) {
	release := make(chan struct{})
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	var clk atomic.Int64
	base := time.Now()
	m := NewMember(Spec{Name: "w", Attrs: workerSpec(t, "http", srv.Listener.Addr().String()), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		Now:   func() time.Time { return base.Add(time.Duration(clk.Load())) }}})
	t.Cleanup(m.Close)
	done := make(chan int, 2)
	for range 2 {
		go func() {
			rec := httptest.NewRecorder()
			m.Forward(rec, toRequest(t, httptest.NewRequest("GET", "/", nil), 8192), &Attempt{})
			done <- rec.Code
		}()
	}
	waitFor(t, "two requests at the member", func() bool { return got.Load() == 2 && m.stall.awaiting.Load() == 2 })
	clk.Add(int64(2500 * time.Millisecond))
	if !m.Stalled(m.opts.Now()) {
		t.Fatal("http member with two requests waiting 2.5 s: not stalled")
	}
	close(release)
	for range 2 {
		if code := <-done; code != 200 {
			t.Fatalf("request in flight: %d, want 200", code)
		}
	}
	if m.Stalling() || m.stall.awaiting.Load() != 0 {
		t.Fatalf("after the replies: stalling %v, awaiting %d", m.Stalling(), m.stall.awaiting.Load())
	}
}
