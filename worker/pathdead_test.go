package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// deadPathMember is an AJP member whose first hang requests never get a
// reply until their connection closes (or release is closed), and whose
// injected path check says Dead from its first call on: the member's
// kernel never acknowledged them. It counts the requests that arrived.
type deadPathMember struct {
	m       *Member
	got     atomic.Int32
	checks  atomic.Int32
	release chan struct{}
}

func newDeadPathMember(t *testing.T, hang int32, props ...string) *deadPathMember {
	d := &deadPathMember{release: make(chan struct{})}
	s := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
		if d.got.Add(1) <= hang {
			select {
			case <-d.release:
			case <-r.Context().Done():
				return
			}
		}
		io.Copy(io.Discard, r.Body)
		w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "0"})
	})
	t.Cleanup(s.Close)
	props = append([]string{"path_check_interval=5", "reply_timeout=30000"}, props...)
	d.m = NewMember(Spec{Name: "w", Attrs: ajpSpec(t, s.Addr(), props...), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil },
		PathCheck: func(net.Conn) netpath.State {
			d.checks.Add(1)
			return netpath.Dead
		}}})
	t.Cleanup(d.m.Close)
	return d
}

func (d *deadPathMember) pool() *ajp.Pool { return d.m.tr.(*ajpTransport).pool }

// TestPathDeadResendsGET: a GET whose path is found dead is sent once
// more, on a fresh connection (the idle one went with the path), and
// answered; nothing is counted against the member. Checked: with MayAbort
// false in attempt.go the request waits for its reply (30 s) and fails.
func TestPathDeadResendsGET(t *testing.T) {
	d := newDeadPathMember(t, 2) // the warm-up request hangs too
	close(d.release)             // ... not for long
	getOK(t, d.m, "/warm")
	d.release = make(chan struct{})
	defer close(d.release)
	if st := d.m.ConnStats(); st.Idle != 1 {
		t.Fatalf("after the warm-up: %+v", st)
	}
	rec := httptest.NewRecorder()
	_, err := d.m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
	if err != nil || rec.Code != 200 {
		t.Fatalf("GET on a dead path: %v %d", err, rec.Code)
	}
	if d.got.Load() != 3 || d.checks.Load() != 1 {
		t.Errorf("%d requests reached the member, %d checks; want 3 (warm-up, dead, resent) and 1", d.got.Load(), d.checks.Load())
	}
	if d.pool().Suspect() || d.m.Counters().Errors() != 0 {
		t.Errorf("suspect %v, errors %d after the resend succeeded", d.pool().Suspect(), d.m.Counters().Errors())
	}
}

// TestPathDeadKeepsPOST: with recovery_options=1 a POST that reached the
// member is never sent again, so the dead-path verdict does not cut it:
// it waits, as in mod_jk, and its late reply is passed on. Checked: with
// MayAbort true for every method the POST fails.
func TestPathDeadKeepsPOST(t *testing.T) {
	d := newDeadPathMember(t, 1, "recovery_options=1")
	go func() {
		for deadline := time.Now().Add(30 * time.Second); d.checks.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		close(d.release)
	}()
	rec := httptest.NewRecorder()
	_, err := d.m.Forward(rec, newReq("POST", "/buy", "order=42"), &Attempt{})
	if err != nil || rec.Code != 200 {
		t.Fatalf("POST on a dead path: %v %d", err, rec.Code)
	}
	if d.got.Load() != 1 || d.checks.Load() < 1 {
		t.Errorf("the POST reached the member %d times (want 1), %d checks", d.got.Load(), d.checks.Load())
	}
}

// TestPathDeadSendLimit: a member whose every request hangs on a dead
// path receives a GET no more often than SendLimit says, and the client
// gets an error to fail over on, not a wait.
func TestPathDeadSendLimit(t *testing.T) {
	for _, retries := range []string{"retries=1", "retries=3"} {
		d := newDeadPathMember(t, 1<<30, retries)
		_, err := d.m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
		e := classOf(t, err)
		want := SendLimit(d.m.Config(), http.MethodGet, Failure{Phase: PhaseAfterSend})
		if int(d.got.Load()) != want || !e.Recoverable {
			t.Errorf("%s: %d sends (SendLimit %d), recoverable %v: %v", retries, d.got.Load(), want, e.Recoverable, err)
		}
		close(d.release)
	}
}

// TestPathCheckOffModJK: path_check_interval=0 is mod_jk's wait: the
// check is never asked and the reply timeout ends the request.
func TestPathCheckOffModJK(t *testing.T) {
	d := newDeadPathMember(t, 1, "path_check_interval=0", "reply_timeout=100", "retries=1")
	defer close(d.release)
	_, err := d.m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
	if e := classOf(t, err); e.Class != ClassReplyTimeout || d.checks.Load() != 0 {
		t.Errorf("%v, %d checks; want a reply timeout and none", err, d.checks.Load())
	}
}
