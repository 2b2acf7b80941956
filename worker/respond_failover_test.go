package worker

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
)

// TestAbandonedHeadLeavesNoSpelling: a head that was never committed is
// abandoned when its exchange fails, and the next attempt's answer goes
// out as if it were the first: with neither the failed head's header
// spelling nor its order nor its fields, only the answering head's.
func TestAbandonedHeadLeavesNoSpelling(t *testing.T) {
	var n atomic.Int32
	be := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if n.Add(1) == 1 {
			// The member dies after its head, before END_RESPONSE.
			w.Raw(rawHead(200, "First", ajp.Header{Name: "x-first", Value: "1"},
				ajp.Header{Name: "x-both", Value: "a"}))
			w.CloseConn()
			return
		}
		w.Raw(rawHead(200, "Second", ajp.Header{Name: "Content-Length", Value: "0"},
			ajp.Header{Name: "X-Both", Value: "b"}))
		w.End(true)
	})
	defer be.Close()
	m, _ := newTestMember(t, ajpSpec(t, be.Addr(), "retries=2"))
	rec := newHeadRecorder()
	if _, err := m.Forward(unwrapOnly{rec}, newReq("GET", "/x", ""), &Attempt{}); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Fatalf("member got %d requests, want 2 (one resend after the failed head)", n.Load())
	}
	if rec.Header().Get("X-Both") != "b" || rec.Header().Get("X-First") != "" {
		t.Errorf("header %v, want only the second head's fields", rec.Header())
	}
	if got := strings.Join(rec.order, ","); got != "Content-Length,X-Both" || rec.names["X-Both"] != "X-Both" {
		t.Errorf("fields named %s %q, want Content-Length,X-Both as the answering member spelled them", got, rec.names)
	}
	if strings.Join(rec.reasons, ",") != "Second" {
		t.Errorf("reasons %q, want only the answering member's", rec.reasons)
	}
}
