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
