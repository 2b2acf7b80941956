package worker

import (
	"context"
	"net"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// headOnlyMember is an AJP member whose first request gets its head at
// once and the rest (END_RESPONSE) only when release closes: an answer in
// two segments whose second the network keeps losing. Later requests are
// answered whole.
func headOnlyMember(t *testing.T, flush bool, props ...string) (m *Member, got *atomic.Int32, checks *atomic.Int32, release chan struct{}) {
	got, checks, release = new(atomic.Int32), new(atomic.Int32), make(chan struct{})
	s := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		n := got.Add(1)
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "2"})
		if n == 1 {
			if flush {
				w.Flush() // an AJP flush packet: the head goes to the client
			} else {
				w.Raw(nil) // the head alone on the wire, no AJP flush packet
			}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Write([]byte("ok"))
	})
	t.Cleanup(s.Close)
	check := func(net.Conn) netpath.State { checks.Add(1); return netpath.Acked }
	props = append([]string{"path_check_interval=5", "reply_timeout=30000", "stall_min=50"}, props...)
	m = NewMember(Spec{Name: "w", Attrs: workerSpec(t, "ajp13", s.Addr(), props...), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil }, PathCheck: check}})
	t.Cleanup(m.Close)
	return m, got, checks, release
}

// TestLossyRestOfAnswerResent: on a lossy member, a GET whose head came
// but whose end did not, with nothing sent to the client yet, is sent
// again once late (docs/config.md#lossy-members). Checked: with
// restAbortable always false it waits for the 30 s reply timeout.
func TestLossyRestOfAnswerResent(t *testing.T) {
	m, got, _, release := headOnlyMember(t, false)
	defer close(release)
	m.notePathDead()
	rec := httptest.NewRecorder()
	_, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
	if err != nil || rec.Code != 200 || rec.Body.String() != "ok" || got.Load() != 2 {
		t.Fatalf("GET on a lossy member: %v %d %q after %d sends; want 200 ok after 2", err, rec.Code, rec.Body.String(), got.Load())
	}
}

// TestRestOfAnswerKept: the same wait is never cut on a member that is
// not lossy, nor with recovery_options bit 2 (no resend after the head),
// nor once the head went to the client. Checked: without the Committed
// condition in restAbortable the flushed case is sent twice.
func TestRestOfAnswerKept(t *testing.T) {
	for _, tc := range []struct {
		name         string
		lossy, flush bool
		props        []string
	}{
		{"sound path", false, false, nil},
		{"recovery_options=2", true, false, []string{"recovery_options=2"}},
		{"head flushed to the client", true, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, got, _, release := headOnlyMember(t, tc.flush, tc.props...)
			if tc.lossy {
				m.notePathDead()
			}
			go func() {
				for deadline := time.Now().Add(30 * time.Second); got.Load() == 0 && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				// Not an assertion: the wait is held 4 thresholds (50 ms)
				// long, and checked every 5 ms, before the answer ends.
				time.Sleep(200 * time.Millisecond)
				close(release)
			}()
			rec := httptest.NewRecorder()
			_, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
			if err != nil || rec.Code != 200 || got.Load() != 1 {
				t.Errorf("%v %d after %d sends; want 200 after 1", err, rec.Code, got.Load())
			}
		})
	}
}
