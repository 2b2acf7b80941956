package balancer

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jkbalancer/jkbalancer/worker"
)

// TestClassification is docs/compat.md#classifying-an-attempt: t1 fails once with each class,
// t2 serves.
func TestClassification(t *testing.T) {
	tests := []struct {
		class  worker.Class
		token  string
		state  State
		errors uint64
		errSet bool // error times set
	}{
		{worker.ClassConnect, "t1>t2", StateError, 1, true},
		{worker.ClassClosed, "t1>t2", StateError, 1, true},
		{worker.ClassInvalid, "t1>t2", StateError, 1, true},
		{worker.ClassUnavailable, "t1>t2", StateError, 1, true},
		{worker.ClassProtocol, "t1>t2", StateOK, 0, false},
		{worker.ClassInternal, "t1>t2", StateOK, 0, false},
		{worker.ClassFailStatus, "t1>t2", StateError, 1, true},
		{worker.ClassFailStatusSoft, "t1>t2", StateOK, 0, false},
		{worker.ClassBusy, "t1>t2", StateBusy, 0, false},
		{worker.ClassNoEndpoint, "t1>t2", StateBusy, 0, false},
		{worker.ClassReplyTimeout, "t1>t2", StateError, 1, true}, // max_reply_timeouts 0
		{worker.ClassClient, "t1:400", StateOK, 0, false},
		{worker.ClassTooLarge, "t1:413", StateOK, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			h := newHarness(t, baseLB(), member("t1"), member("t2"))
			h.f("t1").script(outcome{err: failure(tt.class)})
			if got := h.serve(plain()); got != tt.token {
				t.Fatalf("token %s, want %s", got, tt.token)
			}
			s := h.snap("t1")
			if s.State != tt.state || s.Errors != tt.errors || s.FirstErrorTime.IsZero() == tt.errSet {
				t.Fatalf("t1 %s errors=%d first=%v; want %s errors=%d errSet=%v",
					s.State, s.Errors, s.FirstErrorTime, tt.state, tt.errors, tt.errSet)
			}
			if strings.Contains(tt.token, "t2") && h.state("t2") != StateOK {
				t.Fatalf("t2 %s", h.state("t2"))
			}
		})
	}
}

func TestMemberContractViolation(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	bad := &badMember{fake: h.f("t1")}
	h.lb.t.recs[0].m = bad
	err := h.lb.Serve(httptest.NewRecorder(), plain())
	var we *worker.Error
	if !errors.As(err, &we) || we.Class != worker.ClassInternal || we.Member != "t1" {
		t.Fatalf("got %#v", err)
	}
}

type badMember struct{ *fake }

func (b *badMember) Forward(http.ResponseWriter, *worker.Request, *worker.Attempt) (worker.Outcome, error) {
	return worker.Outcome{}, errors.New("not classified")
}

func TestEscalation(t *testing.T) {
	setup := func(eet int) *harness {
		c := baseLB()
		c.ErrorEscalationTime = eet
		h := newHarness(t, c, member("t1"), member("t2"))
		h.f("t1").failWith(worker.ClassConnect)
		return h
	}
	t.Run("busy member: local error only", func(t *testing.T) {
		h := setup(30)
		h.f("t1").ctr.EnterBusy()
		h.serve(plain())
		s := h.snap("t1")
		if s.State != StateOK || s.Errors != 1 || s.FirstErrorTime.IsZero() {
			t.Fatalf("%+v", s)
		}
		// 29 s later: still local; 30 s after the first error: ERR.
		h.clock.Advance(29 * time.Second)
		h.lb.mu.Lock()
		*h.lb.t.next = 0 // make t1 the next pick
		h.lb.t.recs[0].value, h.lb.t.recs[1].value = 0, 0
		h.lb.mu.Unlock()
		h.serve(plain())
		if s := h.snap("t1"); s.State != StateOK || s.Errors != 2 {
			t.Fatalf("after 29s: %+v", s)
		}
		h.clock.Advance(time.Second)
		h.lb.mu.Lock()
		*h.lb.t.next = 0
		h.lb.t.recs[0].value, h.lb.t.recs[1].value = 0, 0
		h.lb.mu.Unlock()
		h.serve(plain())
		if s := h.snap("t1"); s.State != StateError || s.Errors != 3 {
			t.Fatalf("after 30s: %+v", s)
		}
	})
	t.Run("idle member: ERR at once", func(t *testing.T) {
		h := setup(30)
		h.serve(plain())
		if h.state("t1") != StateError {
			t.Fatal(h.state("t1"))
		}
	})
	t.Run("escalation time 0: ERR even when busy", func(t *testing.T) {
		h := setup(0)
		h.f("t1").ctr.EnterBusy()
		h.serve(plain())
		if h.state("t1") != StateError {
			t.Fatal(h.state("t1"))
		}
	})
	t.Run("maintenance escalates", func(t *testing.T) {
		h := setup(30)
		h.f("t1").ctr.EnterBusy()
		h.serve(plain())
		h.lb.Maintain(h.clock.Advance(60 * time.Second))
		if h.state("t1") != StateError {
			t.Fatal(h.state("t1"))
		}
	})
}

func TestReplyTimeouts(t *testing.T) {
	c := baseLB()
	c.MaxReplyTimeouts = 1
	h := newHarness(t, c, member("t1"), member("t2"))
	h.f("t1").failWith(worker.ClassReplyTimeout)
	_ = h.f("t2").ctr.Busy()
	h.serve(plain()) // 1st timeout: not more than 1 -> local
	if s := h.snap("t1"); s.State != StateOK || s.Errors != 0 || h.f("t1").ctr.ReplyTimeouts() != 1 {
		t.Fatalf("after one: %+v rt=%d", s, h.f("t1").ctr.ReplyTimeouts())
	}
	h.lb.mu.Lock()
	*h.lb.t.next = 0
	h.lb.t.recs[0].value, h.lb.t.recs[1].value = 0, 0
	h.lb.mu.Unlock()
	h.serve(plain()) // 2nd: 2 > 1 -> ERR
	if s := h.snap("t1"); s.State != StateError || s.Errors != 1 {
		t.Fatalf("after two: %+v", s)
	}
}

func TestBusyClearedWhenAvailable(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").script(outcome{err: failure(worker.ClassBusy)})
	h.serve(plain())
	if h.state("t1") != StateBusy {
		t.Fatal(h.state("t1"))
	}
	h.f("t1").avail.Store(false)
	if got := h.serve(plain()); got != "t2" {
		t.Fatalf("busy member picked: %s", got)
	}
	if h.state("t1") != StateBusy {
		t.Fatal("cleared while not available")
	}
	h.f("t1").avail.Store(true)
	if got := h.serve(plain()); got != "t1" {
		t.Fatalf("got %s, want t1 once available", got)
	}
}

func TestErrOnlyClearedBySuccess(t *testing.T) {
	// While a request runs on t1, a concurrent one puts t1 into ERR. A
	// protocol error (which keeps the shared state) leaves it in ERR; a
	// client error sets OK explicitly; a success clears it.
	tests := []struct {
		class worker.Class // 0 = success
		want  State
	}{
		{worker.ClassProtocol, StateError},
		{worker.ClassInternal, StateError},
		{worker.ClassBusy, StateBusy},
		{worker.ClassNoEndpoint, StateError}, // get_endpoint failure leaves ERR alone
		{worker.ClassClient, StateOK},
		{0, StateOK},
	}
	for _, tt := range tests {
		h := newHarness(t, baseLB(), member("t1"), member("t2"))
		h.f("t1").hook = func(*fake) {
			h.lb.mu.Lock()
			h.lb.t.recs[0].state = StateError
			h.lb.mu.Unlock()
		}
		if tt.class != 0 {
			h.f("t1").script(outcome{err: failure(tt.class)})
		}
		h.serve(plain())
		if got := h.state("t1"); got != tt.want {
			t.Errorf("%s: t1 %s, want %s", tt.class, got, tt.want)
		}
	}
}

// TestNoEndpointCountsNothing: mod_jk updates lb_value, sessions and
// elected only once a connection was obtained; a member whose pool had no
// free slot keeps its numbers (unlike busy_limit, which counts).
func TestNoEndpointCountsNothing(t *testing.T) {
	h := newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").script(outcome{err: failure(worker.ClassNoEndpoint)})
	if got := h.serve(plain()); got != "t1>t2" {
		t.Fatalf("token %s, want t1>t2", got)
	}
	s := h.snap("t1")
	if s.LBValue != 0 || s.Sessions != 0 || s.Elected != 0 || s.State != StateBusy {
		t.Fatalf("t1 after no endpoint: value=%d sessions=%d elected=%d state=%s; want 0 0 0 OK/BUSY",
			s.LBValue, s.Sessions, s.Elected, s.State)
	}
	h = newHarness(t, baseLB(), member("t1"), member("t2"))
	h.f("t1").script(outcome{err: failure(worker.ClassBusy)})
	h.serve(plain())
	if s := h.snap("t1"); s.LBValue == 0 || s.Elected != 1 {
		t.Fatalf("busy_limit must still count: value=%d elected=%d", s.LBValue, s.Elected)
	}
}

// TestUnreachableIsGlobalDespiteBusy: another request in flight keeps a
// plain failure local (mod_jk), but not a failed connect or CPing.
func TestUnreachableIsGlobalDespiteBusy(t *testing.T) {
	for _, unreachable := range []bool{false, true} {
		h := newHarness(t, baseLB(), member("t1"), member("t2"))
		h.f("t1").ctr.EnterBusy() // someone else's request is in flight on t1
		e := failure(worker.ClassConnect)
		e.Unreachable = unreachable
		h.f("t1").script(outcome{err: e})
		h.serve(plain())
		want := StateOK
		if unreachable {
			want = StateError
		}
		if got := h.state("t1"); got != want {
			t.Errorf("unreachable=%v: t1 %s, want %s", unreachable, got, want)
		}
	}
}
