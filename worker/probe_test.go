package worker

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

func TestProbeCPing(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"))
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "ping_timeout=200"))
	if err := m.Probe(context.Background()); err != nil {
		t.Fatalf("healthy member: %v", err)
	}
	if be.Pings() != 1 || be.Requests() != 0 {
		t.Fatalf("pings=%d requests=%d, want a CPing and no request", be.Pings(), be.Requests())
	}
	be.SetCPong(ajptest.CPongIgnore) // hung: accepts but never answers
	if err := m.Probe(context.Background()); err == nil {
		t.Fatal("hung member passed the probe")
	}
	be.Close()
	if err := m.Probe(context.Background()); err == nil {
		t.Fatal("dead member passed the probe")
	}
}

// TestProbeAfterReplyTimeoutSendsARequest: a member that answers CPing but
// hangs on requests is not readmitted by a CPing alone.
func TestProbeAfterReplyTimeoutSendsARequest(t *testing.T) {
	var hang atomic.Bool
	hang.Store(true)
	stop := make(chan struct{})
	defer close(stop)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if hang.Load() {
			select {
			case <-stop:
			case <-r.Context().Done():
			}
			return
		}
		w.SendHeaders(200)
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "reply_timeout=100", "ping_timeout=500", "retries=1"))
	if _, err := m.Forward(httptest.NewRecorder(), newReq("GET", "/app", ""), &Attempt{}); err == nil {
		t.Fatal("no reply timeout")
	}
	if err := m.Probe(context.Background()); err == nil {
		t.Fatal("member that hangs on requests passed the probe")
	}
	hang.Store(false)
	if err := m.Probe(context.Background()); err != nil {
		t.Fatalf("recovered member: %v", err)
	}
	before := be.Requests()
	if err := m.Probe(context.Background()); err != nil || be.Requests() != before {
		t.Fatalf("after recovery the probe is a CPing again: err=%v requests %d->%d", err, before, be.Requests())
	}
}

// TestHungMemberIsNotRetried: a CPing timeout ends the member's attempts at
// once so the lb can fail over after one ping_timeout, not retries of them.
func TestHungMemberIsNotRetried(t *testing.T) {
	be := ajptest.NewServer(ajptest.EchoHandler("t1"), ajptest.WithCPong(ajptest.CPongIgnore))
	defer be.Close()
	m, sleeps := newTestMember(t, ajpSpec(t, be.Addr(), "ping_mode=C", "ping_timeout=50", "retries=3"))
	_, err := m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
	we := classOf(t, err)
	if we.Class != ClassConnect || !we.Unreachable || !we.Recoverable {
		t.Fatalf("class=%s unreachable=%v recoverable=%v", we.Class, we.Unreachable, we.Recoverable)
	}
	// The 50 ms ping timeout may pass before a loaded machine ran the
	// member's count of the CPing it already has: wait for it (bounded).
	waitFor(t, "the member to count the CPing", func() bool { return be.Pings() >= 1 })
	if sleeps.Load() != 0 || be.Pings() != 1 {
		t.Fatalf("retried a hung member: sleeps=%d pings=%d", sleeps.Load(), be.Pings())
	}
}

func TestReplyTimeoutIsNotRetriedOnTheSameMember(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	})
	defer be.Close()
	m, sleeps := newTestMember(t, ajpSpec(t, be.Addr(), "reply_timeout=50", "retries=3"))
	_, err := m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
	if we := classOf(t, err); we.Class != ClassReplyTimeout || !we.Recoverable {
		t.Fatalf("class=%s recoverable=%v", we.Class, we.Recoverable)
	}
	waitFor(t, "the member to count the request", func() bool { return be.Requests() >= 1 })
	if sleeps.Load() != 0 || be.Requests() != 1 {
		t.Fatalf("retried on the same member: sleeps=%d requests=%d", sleeps.Load(), be.Requests())
	}
}
