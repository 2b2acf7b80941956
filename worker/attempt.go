package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// attempt is one send of the request on one connection. A pooled
// connection whose write fails is given up for the next pooled or a fresh
// one without using up one of the worker's retries: a member that
// restarted leaves stale pooled connections behind, and they must not
// turn into client errors. Every failure after the request was written
// goes back to Member.Forward and spends a retry (see staleRace).
func (t *ajpTransport) attempt(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (Outcome, *Error) {
	if isUpgrade(req.HTTP) {
		// AJP cannot switch protocols (WebSocket): Tomcat's AJP connector
		// does not upgrade, so the request is refused here, as 501, rather
		// than served as a plain GET the application would misread.
		WriteErrorPage(w, http.StatusNotImplemented)
		return Outcome{Status: http.StatusNotImplemented}, nil
	}
	res, err := t.send(ctx, w, req, at)
	return Outcome{Status: res.Status, Sent: res.Sent, Received: res.Received}, err
}

// send is attempt with the AJP result.
func (t *ajpTransport) send(ctx context.Context, w http.ResponseWriter, req *Request, at *Attempt) (ajp.Result, *Error) {
	m := t.m
	var total ajp.Result
	for stale := 0; stale <= m.spec.ConnectionPoolSize; stale++ {
		conn, err := t.pool.GetForExchange(ctx)
		if err != nil {
			if ctx.Err() != nil {
				// The client went away while we waited for a connection:
				// not the member's fault, and nobody to answer.
				return total, &Error{Member: m.name, Class: ClassClient, Err: ctx.Err()}
			}
			return total, t.classifyPool(err)
		}
		if m.beforeSend != nil {
			m.beforeSend(conn.Reused(), conn)
		}
		res, xerr := t.exchange(conn, w, req, at)
		t.pool.Put(conn, xerr == nil && res.Reuse)
		total.Sent += res.Sent
		total.Received += res.Received
		res.Sent, res.Received = total.Sent, total.Received
		m.counters.CountBytes(res.Sent, res.Received)
		if xerr == nil {
			return res, nil
		}
		var ae *ajp.Error
		if !errors.As(xerr, &ae) {
			return res, &Error{Member: m.name, Class: ClassInternal, Err: xerr}
		}
		if conn.Reused() && t.staleRace(ae, res) {
			m.log.Debug("pooled connection was stale, retrying on another", "err", ae)
			continue
		}
		return res, t.classify(ae, res, req)
	}
	return total, &Error{Member: m.name, Class: ClassConnect, Recoverable: true,
		Err: errors.New("every pooled connection was stale")}
}

// staleRace reports whether a failure on a reused connection may be
// retried at once, without spending one of the worker's retries: only
// when the write of the request itself failed (the member closed the
// connection while it sat in the pool, after the liveness check), so the
// member cannot have started processing it. The forward request and the
// first body packet go out in one write, far below the idle socket's
// buffer: a pending reset refuses it whole. Once the request was
// written, a failure while waiting for the reply may come after the
// member read it: retrying that here, on every pooled connection in turn,
// delivered one POST up to pool-size times. mod_jk's ajp_send_request
// likewise moves to another connection only before the send (liveness
// check, prepost CPing); ajp_get_reply's failures go back to
// ajp_service's loop, which spends one of worker.retries and honours
// recovery_options. mod_jk hands a failed send on a cached socket to that
// loop too; not spending a retry on it is safe: the member never got the
// request.
func (t *ajpTransport) staleRace(ae *ajp.Error, res ajp.Result) bool {
	// At StageSend nothing of the reply was read (CPing bytes may count
	// in Received); body read from the client for the lost write is gone.
	return ae.Kind == ajp.KindIO && ae.Stage == ajp.StageSend && !res.BodyStreamed
}

func (t *ajpTransport) exchange(conn *ajp.Conn, w http.ResponseWriter, req *Request, at *Attempt) (ajp.Result, error) {
	m := t.m
	// Set in place, not on a copy (which would escape to the heap): every
	// attempt sets all three for its own member.
	areq := &req.Forward
	areq.Secret = m.secret
	areq.Route = at.Route
	areq.Activation = at.Activation.Code()

	rw := getResponder(w, req, at, m)
	defer putResponder(rw)

	opt := ajp.ExchangeOptions{
		ReplyTimeout: m.replyTimeout(req),
		FlushPackets: m.opts.FlushPackets,
		FlushHeader:  m.opts.FlushHeader,
		// The path check may end the wait for a reply on a dead path only
		// when the rules would send the request again after it failed
		// there: never more sends than they allow, and a request that may
		// not be resent waits as in mod_jk (docs/config.md#safe-defaults).
		MayAbort:          m.mayAbort(req, at),
		MayAbortAfterHead: m.mayAbortAfterHead(req, at),
		Watch:             m,
	}
	res, err := conn.Exchange(areq, req.Body, rw, &opt)
	if err == nil {
		// The head, and the body when it was short enough to be kept
		// back whole, go out now.
		if cerr := rw.end(); cerr != nil {
			res.HeadSent = true
			return res, &ajp.Error{Stage: ajp.StageResponse, Kind: ajp.KindClientWrite, Err: cerr}
		}
		if res.Trailing {
			rw.repaired(fixTrailing)
		}
		m.noteReply(res, areq.Attributes)
		return res, nil
	}
	// What counts is whether the client may have seen a byte, not whether
	// the backend's head arrived: an uncommitted head is dropped.
	res.HeadSent = rw.committed
	rw.abandon()
	return res, err
}

// classifyPool turns a failure to obtain a connection into an Error.
func (t *ajpTransport) classifyPool(err error) *Error {
	m := t.m
	var ae *ajp.Error
	if errors.As(err, &ae) && ae.Kind == ajp.KindNoSlot {
		// mod_jk: no free endpoint within connection_acquire_timeout; the
		// lb marks the member OK/BUSY and fails over.
		return &Error{Member: m.name, Class: ClassNoEndpoint, Recoverable: true, Err: err}
	}
	unreachable := errors.As(err, &ae) && (ae.Stage == ajp.StageConnect || ae.Stage == ajp.StagePing)
	return &Error{Member: m.name, Class: ClassConnect, Recoverable: true, Unreachable: unreachable, Err: err}
}

// classify maps a failed exchange to a Class and decides whether the
// request may be sent again (docs/compat.md#classifying-an-attempt,
// docs/compat.md#recovery-options, and the rule that
// nothing is replayed once the client saw a byte).
func (t *ajpTransport) classify(ae *ajp.Error, res ajp.Result, req *Request) *Error {
	m := t.m
	e := &Error{Member: m.name, HeadSent: res.HeadSent, Status: res.Status, Err: ae}
	switch ae.Kind {
	case ajp.KindTooLarge:
		e.Class = ClassTooLarge
		return e
	case ajp.KindClientRead, ajp.KindClientWrite:
		e.Class = ClassClient
		return e
	case ajp.KindHeadRejected:
		e.Class = ClassFailStatus
		var fs *failStatus
		if errors.As(ae.Err, &fs) {
			e.Status = fs.status
			if fs.soft {
				e.Class = ClassFailStatusSoft
			}
		}
		// mod_jk fails over on fail_on_status; but once body beyond the
		// kept part went to this member, another one would get a torn body.
		e.Recoverable = m.mayResendStatus(res.BodyStreamed, req.HTTP.Method)
		return e
	case ajp.KindNoSlot:
		e.Class = ClassNoEndpoint
	case ajp.KindProtocol:
		e.Class = ClassProtocol
	case ajp.KindInvalid:
		e.Class = ClassInvalid
		if ae.Stage == ajp.StageSend {
			// The request itself could not be encoded (NUL/CR/LF in a
			// field): the client's fault, like httpd's 400.
			e.Class = ClassClient
			return e
		}
	case ajp.KindTimeout:
		e.Class = ClassConnect
		if ae.Stage >= ajp.StageReply {
			e.Class = ClassClosed
			if m.replyTimeout(req) > 0 {
				e.Class = ClassReplyTimeout
			}
		}
	default:
		e.Class = ClassConnect
		if ae.Stage >= ajp.StageReply {
			e.Class = ClassClosed
		}
	}
	e.Recoverable = t.recoverable(ae.Stage, res, req)
	return e
}

// recoverable maps how far the AJP exchange got onto the member's
// recovery rules.
func (t *ajpTransport) recoverable(stage ajp.Stage, res ajp.Result, req *Request) bool {
	p := PhaseAfterSend
	switch stage {
	case ajp.StageConnect, ajp.StagePing, ajp.StageSend:
		p = PhaseBeforeSend
	case ajp.StageResponse:
		p = PhaseAfterHead
	}
	if res.Replied && p == PhaseAfterSend {
		// Before the failure the member asked for body (GET_BODY_CHUNK)
		// or answered a status jkbalancer refuses (a 1xx): it is
		// processing the request. mod_jk's ajp_get_reply makes the
		// request unrecoverable once Tomcat asks for body; an answer
		// jkbalancer cannot pass on is no better a reason to send again.
		p = PhaseAnswered
	}
	return t.m.mayResend(p, res.HeadSent, res.BodyStreamed, req.HTTP.Method)
}

// failStatus is returned by the responder's WriteHead when the backend's
// status is in fail_on_status.
type failStatus struct {
	status int
	soft   bool // matched a negative code: fail over, keep the member OK
}

func (f *failStatus) Error() string {
	if f.soft {
		return fmt.Sprintf("status %d is in fail_on_status (negative: member stays OK)", f.status)
	}
	return fmt.Sprintf("status %d is in fail_on_status", f.status)
}
