package worker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/netpath"
)

// splitHTTP is an HTTP member whose first request gets the first part of
// its answer at once and the rest only once release is called (an answer
// in two segments whose second the network keeps losing); later requests
// get it whole. A failsafe releases the rest after 10 s, so that a wait
// the code under test does not cut ends (not an assertion: the tests
// check what the client got). Its path check finds every request
// acknowledged (the answer is what is lost) and counts the checks made
// once the first part went out. With verdict lossy, each of them is a
// verdict on another request of the member: it turns lossy at the first
// check made after the first part went out; with dead, that check finds
// this connection's path dead (once).
type splitHTTP struct {
	m       *Member
	got     atomic.Int32 // requests the member read
	sent    atomic.Bool  // the first part went out
	checks  atomic.Int32 // path checks made since
	dead    atomic.Bool  // the dead path was found
	release func()
}

// The verdicts of splitHTTP's path check once the first part went out.
const (
	sound = iota
	lossy
	dead
)

func newSplitHTTP(t *testing.T, first, rest string, verdict int, props ...string) *splitHTTP {
	s := &splitHTTP{}
	ch := make(chan struct{})
	var once sync.Once
	s.release = func() { once.Do(func() { close(ch) }) }
	failsafe := time.AfterFunc(10*time.Second, s.release)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	t.Cleanup(func() { failsafe.Stop(); s.release(); ln.Close(); conns.Wait() })
	serve := func(c net.Conn) {
		defer conns.Done()
		defer c.Close()
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			if s.got.Add(1) > 1 {
				c.Write([]byte(first + rest))
				continue
			}
			c.Write([]byte(first))
			s.sent.Store(true)
			<-ch
			c.Write([]byte(rest))
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go serve(c)
		}
	}()
	check := func(net.Conn) netpath.State {
		if s.sent.Load() {
			s.checks.Add(1)
			switch {
			case verdict == lossy:
				s.m.notePathDead()
			case verdict == dead && s.dead.CompareAndSwap(false, true):
				return netpath.Dead
			}
		}
		return netpath.Acked
	}
	props = append([]string{"path_check_interval=5", "reply_timeout=30000", "stall_min=50"}, props...)
	s.m = NewMember(Spec{Name: "w", Attrs: httpSpec(t, ln.Addr().String(), props...), Options: Options{
		Sleep: func(context.Context, time.Duration) error { return nil }, PathCheck: check}})
	t.Cleanup(s.m.Close)
	return s
}

// holdThenRelease releases s's rest 200 ms after its first part went out:
// a wait that is (wrongly) checked has 4 thresholds (50 ms), checked every
// 5 ms, to be cut. Not an assertion: a busy machine only makes a wrong cut
// less likely to show.
func (s *splitHTTP) holdThenRelease() {
	go func() {
		for deadline := time.Now().Add(30 * time.Second); !s.sent.Load() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		s.release()
	}()
}

const (
	splitHead   = "HTTP/1.1 200 OK\r\nContent-Le"
	restOfHead  = "ngth: 2\r\n\r\nok"
	headOfShort = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
)

// TestHTTPRestCutWhenLossyAfterHead: the member turns lossy only after the
// first part of an answer came, while its rest is awaited (the first
// requests that meet a lossy path get their first segment before any
// verdict): the rest of a head split over segments, or a body the
// responder keeps back, is still checked, so a GET is given up once late
// and sent again, and the client gets the second send's answer
// (docs/config.md#lossy-members); so is it when the check finds the
// path dead. Checked: with the reads after the
// first unchecked (readRestChecked never called), as before, the rest
// waits for the 10 s failsafe and the member sees the GET once.
func TestHTTPRestCutWhenLossyAfterHead(t *testing.T) {
	for _, tc := range []struct {
		name, first, rest string
		verdict           int
	}{
		{"rest of the head", splitHead, restOfHead, lossy},
		{"body kept back", headOfShort, "ok", lossy},
		{"first chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "2\r\nok\r\n0\r\n\r\n", lossy},
		{"body kept back, dead path", headOfShort, "ok", dead},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSplitHTTP(t, tc.first, tc.rest, tc.verdict)
			rec := httptest.NewRecorder()
			_, err := s.m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
			if err != nil || rec.Code != 200 || rec.Body.String() != "ok" || s.got.Load() != 2 {
				t.Errorf("%v, %d %q after %d sends; want 200 ok after 2", err, rec.Code, rec.Body.String(), s.got.Load())
			}
			if n := s.m.Counters().Errors(); n != 0 {
				t.Errorf("%d errors counted against the member; want none, the answer was lost on the path", n)
			}
		})
	}
}

// TestHTTPRestKeptWhenNeverLate: on a member that is not lossy the rest
// of a body kept back is waited for checked (released after 20 checks,
// not after a sleep) and never cut: the answer comes whole from the one
// send. Checked: with the reads after the first unchecked, no check is
// made and the failsafe releases the rest.
func TestHTTPRestKeptWhenNeverLate(t *testing.T) {
	s := newSplitHTTP(t, headOfShort, "ok", sound)
	go func() {
		for deadline := time.Now().Add(30 * time.Second); s.checks.Load() < 20 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		s.release()
	}()
	rec := httptest.NewRecorder()
	_, err := s.m.Forward(rec, newReq("GET", "/", ""), &Attempt{})
	if err != nil || rec.Code != 200 || rec.Body.String() != "ok" || s.got.Load() != 1 || s.checks.Load() < 20 {
		t.Errorf("%v, %d %q after %d sends and %d checks; want 200 ok after 1 and 20",
			err, rec.Code, rec.Body.String(), s.got.Load(), s.checks.Load())
	}
}

// TestHTTPRestKeptByTheRules: on a lossy member the rest is not cut when
// the rules keep the answer: recovery_options bit 2 (no resend after the
// head), a POST with bit 1 (none after the request was sent), or an
// answer committed to the client (a chunked body, streamed: its first
// chunk went out). Checked: without the rules' condition (restEvery
// armed for every request) the first two are sent twice, and without the
// committed one the third fails after its head went out.
func TestHTTPRestKeptByTheRules(t *testing.T) {
	for _, tc := range []struct {
		name, method, body, first, rest string
		props                           []string
	}{
		{"recovery_options=2", "GET", "", headOfShort, "ok", []string{"recovery_options=2"}},
		{"POST, recovery_options=1", "POST", "order=42", headOfShort, "ok", []string{"recovery_options=1"}},
		{"committed", "GET", "", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\no\r\n", "1\r\nk\r\n0\r\n\r\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSplitHTTP(t, tc.first, tc.rest, lossy, tc.props...)
			s.holdThenRelease()
			rec := httptest.NewRecorder()
			_, err := s.m.Forward(rec, newReq(tc.method, "/", tc.body), &Attempt{})
			if err != nil || rec.Code != 200 || rec.Body.String() != "ok" || s.got.Load() != 1 {
				t.Errorf("%v, %d %q after %d sends; want 200 ok after 1", err, rec.Code, rec.Body.String(), s.got.Load())
			}
		})
	}
}

// TestPathCutChunkIsNoMalformedBody: a chunked body's read that the path
// check cut fails as the connection, not as a malformed body (a protocol
// error, "malformed response from member" in the log). Checked: without
// the path errors in isNetErr it is an errMemberHead.
func TestPathCutChunkIsNoMalformedBody(t *testing.T) {
	for _, cut := range []error{ajp.ErrPathDead, ajp.ErrPathLate} {
		br := bufio.NewReader(io.MultiReader(strings.NewReader("2\r\no"), iotest.ErrReader(cut)))
		b := &chunkedBody{br: br, r: httputil.NewChunkedReader(br), resp: &memberResponse{}}
		_, err := io.ReadAll(b)
		var head *errMemberHead
		if !errors.Is(err, cut) || errors.As(err, &head) {
			t.Errorf("%v, want %v as it is", err, cut)
		}
	}
}

// exchangeSplitOn is exchangeOn for an answer whose head and body come in
// two segments, on a connection armed as for a request the rules may send
// again: it returns the number of read deadlines set while the body was
// read, and the deadline the body's read ran under. committed says the
// client already has the head.
func exchangeSplitOn(t *testing.T, cc *countedConn, rc *rdConn, member *bufio.ReadWriter, every time.Duration, committed bool) (int, time.Time) {
	t.Helper()
	cc.armPath(every, true, func(time.Duration) bool { return false })
	resp := sendGET(t, cc, member, headOfShort)
	cc.answer = &responder{committed: committed}
	before, reads := rc.state()
	member.WriteString("ok") // after the head was read: the body's read reaches the socket
	member.Flush()
	if b, err := io.ReadAll(resp.body); err != nil || string(b) != "ok" {
		t.Fatalf("body %q, %v", b, err)
	}
	sets, after := rc.state()
	if len(after) != len(reads)+1 {
		t.Fatalf("%d body reads reached the socket, want 1", len(after)-len(reads))
	}
	cc.replyTO, cc.pathEvery, cc.restEvery, cc.answer = 0, 0, 0, nil // putConn
	return sets - before, after[len(after)-1]
}

// TestRestCheckKeepsThePathCheckDeadline: the checked wait for the body
// runs under the deadline the head's checked wait left, where the
// unchecked one lifted it and the next request set it again: a busy
// connection whose answers come in two segments sets a deadline once per
// eighth of the check interval, not twice per request
// (docs/performance.md#per-request-work-in-go). A committed answer's body
// is read unchecked, with no deadline, as before. Checked: with the
// reads after the first unchecked, 200 deadlines are set for 100
// requests.
func TestRestCheckKeepsThePathCheckDeadline(t *testing.T) {
	cc, rc, member := recordedMemberConn(t)
	const n = 100
	bodySets, unbounded := 0, 0
	for range n {
		sets, dl := exchangeSplitOn(t, cc, rc, member, time.Minute, false)
		bodySets += sets
		if dl.IsZero() {
			unbounded++
		}
	}
	if sets, _ := rc.state(); sets > n/4 || bodySets != 0 || unbounded != 0 {
		t.Errorf("%d read deadlines set for %d requests answered in two segments, %d of them for a body's read, "+
			"%d body reads unchecked; want a few, 0, 0", sets, n, bodySets, unbounded)
	}
	if _, dl := exchangeSplitOn(t, cc, rc, member, time.Minute, true); !dl.IsZero() {
		t.Errorf("a committed answer's body read ran under a deadline %v from now", time.Until(dl).Round(time.Second))
	}
}
