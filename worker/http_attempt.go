package worker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// attempt sends the request once on a connection slot. Like the AJP
// transport, a failure on a reused keep-alive connection that the member
// closed under us is retried at once on another connection, without using
// up one of the worker's retries, when nothing was sent yet, or when the
// request was sent but recovery_options allow sending it again and no
// body beyond the kept part went out (spec/ajp13.md 6.4, 6.5).
func (t *httpTransport) attempt(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (Outcome, *Error) {
	m := t.m
	if t.initErr != nil {
		return Outcome{}, &Error{Member: m.name, Class: ClassConnect, Recoverable: true, Unreachable: true, Err: t.initErr}
	}
	release, e := t.acquire(ctx)
	if e != nil {
		return Outcome{}, e
	}
	defer release()
	var total Outcome
	for stale := 0; stale <= cap(t.slots); stale++ {
		out, err, again := t.once(ctx, w, req, at)
		total.Status = out.Status
		total.Sent += out.Sent
		total.Received += out.Received
		if err == nil || !again {
			return total, err
		}
		m.log.Debug("pooled connection was stale, retrying on another", "err", err)
	}
	return total, &Error{Member: m.name, Class: ClassConnect, Recoverable: true,
		Err: errors.New("every pooled connection was stale")}
}

// once is one round trip and, when a response came, its copy to the
// client. again reports a stale keep-alive connection worth another try.
func (t *httpTransport) once(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (out Outcome, e *Error, again bool) {
	m := t.m
	body, hb, length := t.attemptBody(req)
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	rt := &replyTimer{d: m.replyTimeout(req), cancel: cancel}
	defer rt.stop()
	st := new(connTrace)
	defer func() {
		out.Sent, out.Received = st.bytes()
		m.counters.Transferred.Add(out.Sent)
		m.counters.Read.Add(out.Received)
		if t.closedF.Load() {
			t.tr.CloseIdleConnections() // the member was closed meanwhile
		}
	}()
	trace := &httptrace.ClientTrace{GotConn: st.gotConn, WroteRequest: func(httptrace.WroteRequestInfo) { rt.waitHead() }}
	outReq, err := t.outRequest(httptrace.WithClientTrace(actx, trace), req, body, length)
	if err != nil {
		hb.detach()
		return out, &Error{Member: m.name, Class: ClassInternal, Err: err}, false
	}
	resp, err := t.tr.RoundTrip(outReq)
	rt.gotHead()
	if err != nil {
		e, again = t.classifyTrip(err, req, st, hb, rt)
		return out, e, again
	}
	defer resp.Body.Close()
	out.Status = resp.StatusCode
	if resp.StatusCode == http.StatusSwitchingProtocols {
		hb.detach()
		return out, t.relay(w, req, resp, st), false
	}
	return out, t.respond(w, req, at, resp, rt, hb), false
}

// classifyTrip maps a round trip that brought no response to a Class, and
// decides whether the request may be sent again: before anything was
// written always, after that per recovery_options, never once body beyond
// the kept part went out.
func (t *httpTransport) classifyTrip(err error, req *Request, st *connTrace, hb *httpBody, rt *replyTimer) (*Error, bool) {
	m := t.m
	streamed, clientErr := hb.detach()
	method := req.HTTP.Method
	e := &Error{Member: m.name, Err: err}
	var de *dialError
	switch {
	case clientErr != nil:
		e.Class, e.Err = ClassClient, clientErr
		return e, false
	case req.HTTP.Context().Err() != nil:
		// The client went away: nobody to answer, not the member's fault.
		e.Class = ClassClient
		return e, false
	case errors.As(err, &de):
		e.Class, e.Unreachable = ClassConnect, true
		e.Recoverable = m.mayResend(phaseBeforeSend, false, streamed, method)
		return e, false
	case rt.fired.Load():
		e.Class = ClassReplyTimeout
		e.Recoverable = m.mayResend(phaseAfterSend, false, streamed, method)
		return e, false
	}
	conn, reused, wrote := st.state()
	switch {
	case conn == nil:
		// No connection was used: net/http refused the request itself.
		e.Class = ClassInternal
		return e, false
	case wrote == 0:
		e.Class = ClassConnect
		e.Recoverable = m.mayResend(phaseBeforeSend, false, streamed, method)
		return e, reused && e.Recoverable
	}
	e.Class = ClassClosed
	e.Recoverable = m.mayResend(phaseAfterSend, false, streamed, method)
	return e, reused && e.Recoverable
}

// connTrace follows the connection(s) net/http uses for one round trip
// (it may switch to another after a failure before anything was written).
type connTrace struct {
	mu       sync.Mutex
	conn     *countedConn
	reused   bool
	w0, r0   int64 // the connection's counts when it was taken
	sent     int64 // bytes on connections given up before this one
	received int64
}

func (s *connTrace) gotConn(info httptrace.GotConnInfo) {
	c, _ := info.Conn.(*countedConn)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.sent += s.conn.written.Load() - s.w0
		s.received += s.conn.read.Load() - s.r0
	}
	s.conn, s.reused = c, info.Reused
	if c != nil {
		s.w0, s.r0 = c.written.Load(), c.read.Load()
	}
}

// state returns the connection in use, whether it came from the idle
// pool, and how many bytes were written to it since.
func (s *connTrace) state() (*countedConn, bool, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil, false, 0
	}
	return s.conn, s.reused, s.conn.written.Load() - s.w0
}

// bytes returns what the round trip wrote and read on every connection.
func (s *connTrace) bytes() (sent, received int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sent, received = s.sent, s.received
	if s.conn != nil {
		sent += s.conn.written.Load() - s.w0
		received += s.conn.read.Load() - s.r0
	}
	return sent, received
}

// errReplyTimeout is the cause of a round trip cancelled by reply_timeout.
var errReplyTimeout = errors.New("reply_timeout passed")

// replyTimer is mod_jk's reply_timeout for HTTP: the longest wait for the
// response head once the request is written, and for each read of the
// body after it. When it fires, the round trip is cancelled. net/http's
// ResponseHeaderTimeout is not used because the rule extension
// reply_timeout changes the value per request.
type replyTimer struct {
	d      time.Duration
	cancel context.CancelCauseFunc
	fired  atomic.Bool

	mu   sync.Mutex
	t    *time.Timer
	head bool // the head arrived: a late WroteRequest must not start the wait
}

// waitHead starts the wait for the head (the request is written).
func (rt *replyTimer) waitHead() {
	if rt.d <= 0 {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !rt.head {
		rt.startLocked()
	}
}

// gotHead ends the wait for the head.
func (rt *replyTimer) gotHead() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.head = true
	if rt.t != nil {
		rt.t.Stop()
	}
}

// start begins the wait for one read of the body.
func (rt *replyTimer) start() {
	if rt.d <= 0 {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.startLocked()
}

func (rt *replyTimer) startLocked() {
	if rt.t == nil {
		rt.t = time.AfterFunc(rt.d, rt.fire)
		return
	}
	rt.t.Reset(rt.d)
}

// stop ends a wait.
func (rt *replyTimer) stop() {
	if rt.d <= 0 {
		return
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.t != nil {
		rt.t.Stop()
	}
}

func (rt *replyTimer) fire() {
	rt.fired.Store(true)
	rt.cancel(errReplyTimeout)
}
