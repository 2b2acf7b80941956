package worker

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/ajp/ajptest"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// deadPathMember is an AJP member whose first hang requests never get a
// reply until their connection closes (or release is closed), and whose
// injected path check says Dead for each of them once the member has
// it (Unacked before: a request closed before the member read it would
// not be counted): the member's kernel never acknowledged them. It
// counts the requests that arrived, the checks and the Dead verdicts.
type deadPathMember struct {
	m       *Member
	got     atomic.Int32
	checks  atomic.Int32
	dead    atomic.Int32
	release chan struct{}
}

func newDeadPathMember(t *testing.T, hang int32, props ...string) *deadPathMember {
	return newDeadPath(t, "ajp13", hang, props...)
}

// newDeadPath is newDeadPathMember for a worker of type typ: "ajp13",
// against ajptest, or "http", against an httptest server.
func newDeadPath(t *testing.T, typ string, hang int32, props ...string) *deadPathMember {
	d := &deadPathMember{release: make(chan struct{})}
	return d.start(t, typ, hang, d.fakeCheck, props...)
}

// fakeCheck says Dead for each request once the member has it.
func (d *deadPathMember) fakeCheck(net.Conn) netpath.State {
	d.checks.Add(1)
	if d.got.Load() <= d.dead.Load() {
		return netpath.Unacked
	}
	d.dead.Add(1)
	return netpath.Dead
}

// start starts the member's server and builds the member, with check as
// its path check (nil: the kernel's).
func (d *deadPathMember) start(t *testing.T, typ string, hang int32, check ajp.PathCheckFunc, props ...string) *deadPathMember {
	wait := func(done <-chan struct{}) bool {
		if d.got.Add(1) > hang {
			return true
		}
		select {
		case <-d.release:
			return true
		case <-done:
			return false
		}
	}
	var addr string
	if typ == "http" {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if wait(r.Context().Done()) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Length", "0")
			}
		}))
		t.Cleanup(s.Close)
		addr = backendAddr(s)
	} else {
		s := ajptest.NewServer(func(w *ajptest.ResponseWriter, r *ajptest.Request) {
			if wait(r.Context().Done()) {
				io.Copy(io.Discard, r.Body)
				w.SendHeaders(200, ajp.Header{Name: "Content-Length", Value: "0"})
			}
		})
		t.Cleanup(s.Close)
		addr = s.Addr()
	}
	props = append([]string{"path_check_interval=5", "reply_timeout=30000"}, props...)
	d.m = NewMember(Spec{Name: "w", Attrs: workerSpec(t, typ, addr, props...), Options: Options{
		Sleep:     func(context.Context, time.Duration) error { return nil },
		PathCheck: check}})
	t.Cleanup(d.m.Close)
	return d
}

// suspect reports whether the member's connects are bounded by
// ajp.SuspectConnectTimeout now.
func (d *deadPathMember) suspect() bool {
	switch tr := d.m.tr.(type) {
	case *ajpTransport:
		return tr.pool.Suspect()
	case *httpTransport:
		return tr.suspect.Load()
	}
	return false
}

var pathTypes = []string{"ajp13", "http"}

// TestPathDeadResendsGET: a GET whose path is found dead is sent once
// more, on a fresh connection (the idle one went with the path), and
// answered; nothing is counted against the member. Checked: with MayAbort
// false in attempt.go the request waits for its reply (30 s) and fails.
func TestPathDeadResendsGET(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) { pathDeadResendsGET(t, typ) })
	}
}

func pathDeadResendsGET(t *testing.T, typ string) {
	d := newDeadPath(t, typ, 2) // the warm-up request hangs too
	close(d.release)            // ... not for long
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
	if d.got.Load() != 3 || d.dead.Load() != 1 {
		t.Errorf("%d requests reached the member, %d found dead; want 3 (warm-up, dead, resent) and 1", d.got.Load(), d.dead.Load())
	}
	if d.suspect() || d.m.Counters().Errors() != 0 {
		t.Errorf("suspect %v, errors %d after the resend succeeded", d.suspect(), d.m.Counters().Errors())
	}
}

// TestPathDeadKeepsPOST: with recovery_options=1 a POST that reached the
// member is never sent again, so the dead-path verdict does not cut it:
// it waits, as in mod_jk, and its late reply is passed on. Checked: with
// MayAbort true for every method the POST fails.
func TestPathDeadKeepsPOST(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) { pathDeadKeepsPOST(t, typ) })
	}
}

func pathDeadKeepsPOST(t *testing.T, typ string) {
	d := newDeadPath(t, typ, 1, "recovery_options=1")
	go func() {
		for deadline := time.Now().Add(30 * time.Second); d.dead.Load() == 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		close(d.release)
	}()
	rec := httptest.NewRecorder()
	_, err := d.m.Forward(rec, newReq("POST", "/buy", "order=42"), &Attempt{})
	if err != nil || rec.Code != 200 {
		t.Fatalf("POST on a dead path: %v %d", err, rec.Code)
	}
	if d.got.Load() != 1 || d.dead.Load() != 1 || !d.suspect() {
		t.Errorf("the POST reached the member %d times (want 1), %d found dead, suspect %v", d.got.Load(), d.dead.Load(), d.suspect())
	}
}

// TestPathDeadSendLimit: a member whose every request hangs on a dead
// path receives a GET no more often than SendLimit says, and the client
// gets an error to fail over on, not a wait.
func TestPathDeadSendLimit(t *testing.T) {
	for _, typ := range pathTypes {
		t.Run(typ, func(t *testing.T) { pathDeadSendLimit(t, typ) })
	}
}

func pathDeadSendLimit(t *testing.T, typ string) {
	for _, retries := range []string{"retries=1", "retries=3"} {
		d := newDeadPath(t, typ, 1<<30, retries)
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
	for _, typ := range pathTypes {
		d := newDeadPath(t, typ, 1, "path_check_interval=0", "reply_timeout=100", "retries=1")
		_, err := d.m.Forward(httptest.NewRecorder(), newReq("GET", "/", ""), &Attempt{})
		if e := classOf(t, err); e.Class != ClassReplyTimeout || d.checks.Load() != 0 {
			t.Errorf("%s: %v, %d checks; want a reply timeout and none", typ, err, d.checks.Load())
		}
		close(d.release)
	}
}

// TestHTTPPathCheckLeavesBodyUnbounded: the check's deadline ends with
// the response head; without socket_timeout and reply_timeout the body
// that follows later is read without one. The real kernel check answers.
// Checked: without clearing the deadline after the head, the body read
// fails with a timeout.
func TestHTTPPathCheckLeavesBodyUnbounded(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "4")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond) // ten check intervals: a delay, not an assertion
		io.WriteString(w, "body")
	}))
	t.Cleanup(s.Close)
	m := newHTTPMember(t, workerSpec(t, "http", backendAddr(s), "path_check_interval=5", "retries=1"))
	rec := httptest.NewRecorder()
	if _, err := m.Forward(rec, newReq("GET", "/", ""), &Attempt{}); err != nil || rec.Body.String() != "body" {
		t.Fatalf("%v, body %q", err, rec.Body.String())
	}
}

// TestPathDeadDirectLastSendWaits: a worker used on its own (no lb to
// fail over to) gives up a send on a dead path only when a retry
// follows; its last send waits, as in mod_jk, and is answered when the
// reply comes. Checked: with mayAbort ignoring the last send, Serve fails.
func TestPathDeadDirectLastSendWaits(t *testing.T) {
	for _, typ := range pathTypes {
		for _, retries := range []int32{1, 2} {
			d := newDeadPath(t, typ, retries, "retries="+strconv.Itoa(int(retries)))
			go func() {
				for deadline := time.Now().Add(30 * time.Second); d.dead.Load() < retries && time.Now().Before(deadline); {
					time.Sleep(time.Millisecond)
				}
				close(d.release)
			}()
			rec := httptest.NewRecorder()
			if err := d.m.Serve(rec, newReq("GET", "/", "")); err != nil || rec.Code != 200 {
				t.Fatalf("%s retries=%d: %v %d", typ, retries, err, rec.Code)
			}
			if d.got.Load() != retries {
				t.Errorf("%s retries=%d: %d sends", typ, retries, d.got.Load())
			}
		}
	}
}
