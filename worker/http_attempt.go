package worker

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"os"
)

// attempt sends the request once on a connection slot. Like the AJP
// transport, a reused keep-alive connection on which not a byte of the
// request could be written is given up for another connection without
// using up one of the worker's retries: the member closed it while it sat
// in the pool, and never saw the request. Any failure after the request
// was (partly) written goes back to Member.Forward, which spends a retry
// and applies recovery_options (see classifyTrip).
func (t *httpTransport) attempt(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (Outcome, *Error) {
	m := t.m
	if t.initErr != nil {
		return Outcome{}, &Error{Member: m.name, Class: ClassConnect, Recoverable: true, Unreachable: true, Err: t.initErr}
	}
	if e := t.acquire(ctx); e != nil {
		return Outcome{}, e
	}
	defer t.release()
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

// once is one round trip on one connection and, when a response came,
// its copy to the client. again reports a stale keep-alive connection
// worth another try.
func (t *httpTransport) once(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (out Outcome, e *Error, again bool) {
	m := t.m
	if err := checkTarget(req); err != nil {
		return out, &Error{Member: m.name, Class: ClassInternal, Err: err}, false
	}
	body, length := newHTTPBody(req)
	c, err := t.getConn(ctx)
	if err != nil {
		return out, t.classifyDial(err, req), false
	}
	w0, r0 := c.cc.written.Load(), c.cc.read.Load()
	keep, relayed := false, false
	defer func() {
		out.Sent, out.Received = c.cc.written.Load()-w0, c.cc.read.Load()-r0
		m.counters.CountBytes(out.Sent, out.Received)
		if !relayed {
			t.putConn(c, keep)
		}
	}()
	if m.beforeSend != nil {
		m.beforeSend(c.reused, c.cc)
	}
	c.cc.replyTO = m.replyTimeout(req)
	if every := m.spec.PathCheckIntervalDuration(); every > 0 {
		c.cc.armPath(every, m.mayAbort(req, at), m.late)
	}
	resp, err := roundTrip(c, req, body, length)
	if err != nil {
		e, again = t.classifyTrip(err, req, c, w0, body)
		return out, e, again
	}
	out.Status = resp.status
	resp.cc = c.cc
	if c.cc.restEvery > 0 && (resp.status == http.StatusSwitchingProtocols || !m.mayAbortAfterHead(req, at)) {
		c.cc.restEvery = 0 // the rules keep an answer whose head came: its rest is read unchecked
	}
	if resp.status == http.StatusSwitchingProtocols {
		relayed = true
		return out, t.relay(w, req, resp, c), false
	}
	e = t.respond(w, req, at, resp, body)
	keep = e == nil && !resp.close
	return out, e, false
}

// writerOnly hides a writer's ReadFrom from io.CopyBuffer.
type writerOnly struct{ io.Writer }

// writeError is a failure to send the request.
type writeError struct{ err error }

func (e *writeError) Error() string { return "send request: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// roundTrip sends the request and reads the response head. When sending
// fails, a response the member sent before it stopped reading (an early
// 413, say) is still taken; the connection is then not used again.
func roundTrip(c *hconn, req *Request, body *httpBody, length int64) (*memberResponse, error) {
	werr := writeRequest(c.bw, c.cc, req, body, length)
	if streamed, _ := body.result(); streamed {
		c.cc.pathAbort, c.cc.restEvery = false, 0 // body beyond the kept part went out: never resent
	}
	if werr != nil {
		if _, clientErr := body.result(); clientErr != nil {
			return nil, clientErr
		}
	}
	resp, err := c.readResponse(req.HTTP.Method)
	switch {
	case werr == nil:
		return resp, err
	case err == nil:
		resp.close = true
		return resp, nil
	}
	return nil, &writeError{werr}
}

// writeRequest writes the head and the body, chunked when its length is
// unknown, and flushes. A large body with a length may go from the
// client's socket to cc's in the kernel (httpBody.splice); cc nil: never.
func writeRequest(bw *bufio.Writer, cc *countedConn, req *Request, body *httpBody, length int64) error {
	var w0 int64
	if cc != nil {
		w0 = cc.written.Load()
		defer func() { cc.check, cc.fuse = false, false }()
	}
	if err := writeHead(bw, req, length); err != nil {
		return err
	}
	if body != nil && length >= 0 && cc != nil {
		if err := body.splice(bw, cc); err != nil {
			return err
		}
	}
	if body != nil {
		var dst io.Writer = bw
		var chunked io.WriteCloser
		if length < 0 {
			chunked = httputil.NewChunkedWriter(bw)
			dst = chunked
		}
		// Through the 32 KiB copy buffer, not bw's ReadFrom: that reads
		// and writes in pieces of bw's size (8 KiB), four times the
		// syscalls for a large body; a piece larger than bw goes to the
		// socket directly.
		bufp := copyBufPool.Get().(*[]byte)
		_, err := io.CopyBuffer(writerOnly{dst}, body, *bufp)
		copyBufPool.Put(bufp)
		if err != nil {
			return err
		}
		if chunked != nil {
			chunked.Close()
			bw.WriteString("\r\n")
		}
	}
	if cc != nil && cc.written.Load() == w0 {
		cc.fuse = true // the whole request in one write: sent with the wait for the response
	}
	return bw.Flush()
}

// classifyDial maps a failure to get a connection to a Class: nothing was
// sent.
func (t *httpTransport) classifyDial(err error, req *Request) *Error {
	e := &Error{Member: t.m.name, Err: err}
	if req.HTTP.Context().Err() != nil {
		e.Class = ClassClient
		return e
	}
	e.Class, e.Unreachable = ClassConnect, true
	e.Recoverable = t.m.mayResend(PhaseBeforeSend, false, false, req.HTTP.Method)
	return e
}

// classifyTrip maps a round trip that brought no response to a Class, and
// decides whether the request may be sent again: before anything was
// written always, after that per recovery_options, never once body beyond
// the kept part went out. again is a stale keep-alive connection: reused
// and not a byte of the request written. A failure after the request was
// written is never again: the member may have read it and closed without
// answering, and resending it here on every pooled connection in turn
// delivered one POST up to pool-size times; Member.Forward resends it
// instead, spending one of worker.retries, like mod_jk's ajp_service.
func (t *httpTransport) classifyTrip(err error, req *Request, c *hconn, w0 int64, body *httpBody) (*Error, bool) {
	m := t.m
	streamed, clientErr := body.result()
	method := req.HTTP.Method
	e := &Error{Member: m.name, Err: err}
	var head *errMemberHead
	switch {
	case clientErr != nil:
		e.Class, e.Err = ClassClient, clientErr
		return e, false
	case req.HTTP.Context().Err() != nil:
		// The client went away: nobody to answer, not the member's fault.
		e.Class = ClassClient
		return e, false
	case errors.As(err, &head) || errors.Is(err, os.ErrDeadlineExceeded):
		e.Class = m.responseFailure(err, req)
		e.Recoverable = m.mayResend(PhaseAfterSend, false, streamed, method)
		return e, false
	}
	if c.cc.written.Load() == w0 {
		e.Class = ClassConnect
		e.Recoverable = m.mayResend(PhaseBeforeSend, false, streamed, method)
		return e, c.reused && e.Recoverable
	}
	e.Class = ClassClosed
	e.Recoverable = m.mayResend(PhaseAfterSend, false, streamed, method)
	return e, false
}
