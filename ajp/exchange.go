package ajp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// ExchangeOptions tunes one exchange; a nil *ExchangeOptions means the
// zero value.
type ExchangeOptions struct {
	// ReplyTimeout bounds the wait for each packet from the backend, not
	// the whole response (mod_jk reply_timeout, docs/ajp13.md#connection-lifecycle). 0 = none. The
	// pool's SocketTimeout applies as well; the shorter one wins.
	ReplyTimeout time.Duration
	// FlushPackets flushes the client after every body chunk (JkOptions
	// +FlushPackets); FlushHeader right after the headers (+FlushHeader).
	FlushPackets, FlushHeader bool
	// MayAbort: the request may be sent again should it fail after it was
	// written, before the reply (recovery_options, method). Only then does
	// the path check end the wait for a reply on a dead path
	// (pathcheck.go); otherwise it waits as mod_jk does.
	MayAbort bool
	// MayAbortAfterHead is MayAbort once the reply's head arrived: the
	// wait for the rest may be ended too while nothing reached the
	// client (the ResponseWriter reports Committed), when Watch finds it
	// late.
	MayAbortAfterHead bool
	// Watch, when set, is the member's view of its path
	// (docs/config.md#lossy-members).
	Watch PathWatch
}

// PathWatch is what the exchange asks the member about its network path
// while a reply is late. It may not block.
type PathWatch interface {
	// Late: a reply waited for that long is later than plausible on a
	// path that lost a request lately (the member is lossy); the wait
	// ends as on a dead path, where allowed.
	Late(waited time.Duration) bool
}

// CommitReporter is an optional ResponseWriter method: whether the client
// may have seen a byte of the answer. A writer without it counts as
// committed.
type CommitReporter interface {
	Committed() bool
}

// exchange is the state of one request/response on a Conn. It lives in
// the Conn so an exchange allocates nothing for itself.
type exchange struct {
	req    *Request
	body   *Body
	w      ResponseWriter
	opt    ExchangeOptions
	res    Result
	stage  Stage
	readTO time.Duration // per-packet read deadline, 0 = none
	kept   int           // bytes of body.Kept sent in this exchange
	sent   int64         // body bytes sent in this exchange
	eof    bool          // the client body of unknown length is exhausted
	head   bool          // SEND_HEADERS seen
	bodyIn int           // response body bytes received: past largeRead, the buffers grow
	ahead  *bufio.Reader // a large request body's read-ahead (readAhead)
}

// Exchange sends req and its body and streams the response to w until
// END_RESPONSE (docs/ajp13.md). It returns a *Error on failure, after
// closing the connection; then Result says how far it got (HeadSent,
// BodyStreamed, byte counts) so the caller can decide whether a retry is
// safe. Result.Reuse tells the caller whether to return the connection to
// the pool.
//
// body may be nil (no body). Exchange never changes body: Kept is sent
// again by the next attempt's Exchange, and only reads from Rest make the
// request unreplayable (Result.BodyStreamed).
//
// The headers passed to w.WriteHead are only valid during the call: the
// slice is reused by the next exchange on this connection. The strings in
// it may be kept. The data passed to w.Write aliases the read buffer, as
// io.Writer allows, and must not be retained.
func (c *Conn) Exchange(req *Request, body *Body, w ResponseWriter, opt *ExchangeOptions) (Result, error) {
	x := &c.x
	*x = exchange{req: req, body: body, w: w, stage: StageSend}
	x.res.Sent, x.res.Received = c.pingSent, c.pingRecv
	c.pingSent, c.pingRecv = 0, 0
	if opt != nil {
		x.opt = *opt
	}
	x.readTO = shorter(x.opt.ReplyTimeout, c.socketTimeout)
	c.lease()
	var err error
	if c.closed {
		err = c.fail(x, KindIO, net.ErrClosed)
	} else if err = c.send(x); err == nil {
		err = c.receive(x)
	}
	c.release()
	x.endAhead()
	res := x.res
	*x = exchange{} // drop the references to the caller's request
	if err != nil {
		return res, err
	}
	return res, nil
}

// shorter returns the smaller positive duration, or 0 when neither is set.
func shorter(a, b time.Duration) time.Duration {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}

// send writes FORWARD_REQUEST and, when the body has a positive length,
// the first data packet in the same Write: Tomcat waits for that packet
// without asking for it (docs/ajp13.md#request-body-flow rule 1). A length of 0 or -1 sends
// nothing more (rules 2, 3).
func (c *Conn) send(x *exchange) error {
	b, err := AppendForward(c.wbuf[:0], x.req, c.psize)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Reused = c.reused
		}
		return err // nothing was written: the connection is still clean
	}
	if x.body != nil && x.body.ContentLength > 0 {
		pkt, err := x.dataPacket(b[len(b):], c.psize-6)
		if err != nil {
			return c.fail(x, KindClientRead, err)
		}
		b = b[:len(b)+len(pkt)]
	}
	n, k, err := c.sendFirst(x, b)
	x.res.Sent += int64(n)
	if err != nil {
		return c.fail(x, k, err)
	}
	x.stage = StageReply
	return nil
}

// receive reads packets until END_RESPONSE. GET_BODY_CHUNK may come at
// any time before it, also after SEND_HEADERS (docs/ajp13.md#response-packets).
func (c *Conn) receive(x *exchange) error {
	for first := true; ; first = false {
		if x.bodyIn >= largeRead {
			c.discard()
			c.grow()
		}
		var p []byte
		var k Kind
		var err error
		switch {
		case first:
			p, k, err = c.readChecked(x, x.opt.MayAbort)
		case c.restAbortable(x):
			p, k, err = c.readChecked(x, true)
		default:
			p, k, err = c.readPacket(x.readTO)
		}
		x.res.Received += int64(c.lastRead)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errEOFBeforeEnd
			}
			return c.fail(x, k, err)
		}
		switch msgType(p[0]) {
		case typeSendBodyChunk:
			x.bodyIn += len(p)
			err = c.bodyChunk(x, p)
		case typeSendHeaders:
			err = c.headers(x, p)
		case typeGetBodyChunk:
			err = c.answerGetBody(x, p)
		case typeEndResponse:
			return c.end(x, p)
		default:
			// CPONG mid-request or an unknown type: mod_jk and
			// mod_proxy_ajp abort, and so do we (docs/ajp13.md#connection-lifecycle).
			err = c.fail(x, KindInvalid, errUnexpected(p[0]))
		}
		if err != nil {
			return err
		}
	}
}

func (c *Conn) headers(x *exchange, p []byte) error {
	if x.head {
		return c.fail(x, KindInvalid, errors.New("second SEND_HEADERS"))
	}
	status, hdrs, err := decodeSendHeaders(p, c.hdrs)
	// A status, even one refused (a 1xx), is the member's answer: it has
	// the request (Result.Replied). A head that does not decode may be
	// any garbage, and the request fails over as from mod_jk.
	x.res.Replied = status != 0
	if err != nil {
		return c.failWith(x, err)
	}
	x.head = true
	x.res.Status = status
	if rw, ok := x.w.(ReasonWriter); ok {
		rw.SetReason(statusMessage(p, status))
	}
	herr := x.w.WriteHead(status, hdrs)
	clear(hdrs) // let the header strings go with the response
	c.hdrs = hdrs[:0]
	if herr != nil {
		// fail_on_status: nothing reached the client (docs/config.md#backend-worker-keys).
		return c.fail(x, KindHeadRejected, herr)
	}
	x.res.HeadSent = true
	x.stage = StageResponse
	if x.opt.FlushHeader {
		if err := x.w.Flush(); err != nil {
			return c.fail(x, KindClientWrite, err)
		}
	}
	return nil
}

func (c *Conn) bodyChunk(x *exchange, p []byte) error {
	data, err := decodeBodyChunk(p)
	if err != nil {
		return c.failWith(x, err)
	}
	if !x.head {
		if len(data) == 0 {
			return nil // stray flush before the headers: ignore like mod_jk (docs/ajp13.md#response-packets)
		}
		return c.fail(x, KindInvalid, errors.New("body chunk before SEND_HEADERS"))
	}
	if len(data) > 0 {
		if !x.opt.FlushPackets && c.hold(data) {
			return nil
		}
		if err := c.writeBody(x, data); err != nil {
			return err
		}
		if !x.opt.FlushPackets {
			return nil
		}
	}
	// A zero-length chunk is Tomcat's flush (docs/ajp13.md#response-packets).
	if err := c.writeBody(x, nil); err != nil {
		return err
	}
	if err := x.w.Flush(); err != nil {
		return c.fail(x, KindClientWrite, err)
	}
	return nil
}

// hold keeps data back when the next packet is another body chunk that is
// already buffered: the chunks then reach the client in one write instead
// of a write (a syscall) each; a 16 KiB response comes as three chunks.
// Nothing is held while the backend may still be working, so streaming
// is not delayed; httpd's core output filter coalesces mod_jk's writes
// the same way.
func (c *Conn) hold(data []byte) bool {
	if c.bufferedNext() != typeSendBodyChunk || len(c.held)+len(data) > c.br.Size() {
		return false
	}
	if c.held == nil {
		c.held = make([]byte, 0, c.br.Size())
	}
	c.held = append(c.held, data...)
	return true
}

// writeBody writes the held bytes and data to the client, in one write
// when they fit the hold buffer.
func (c *Conn) writeBody(x *exchange, data []byte) error {
	if len(c.held) > 0 {
		held := c.held
		if len(held)+len(data) <= cap(held) {
			held, data = append(held, data...), nil
		}
		c.held = held[:0] // emptied first: a failing write must not write it again
		if err := c.clientWrite(x, held); err != nil {
			return err
		}
	}
	if len(data) == 0 {
		return nil
	}
	return c.clientWrite(x, data)
}

func (c *Conn) clientWrite(x *exchange, p []byte) error {
	n, err := x.w.Write(p)
	x.res.BodyBytes += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return c.fail(x, KindClientWrite, err)
	}
	return nil
}

// answerGetBody sends exactly one data packet per GET_BODY_CHUNK, empty
// once the body is exhausted, also for every request past the end
// (docs/ajp13.md#response-packets, docs/ajp13.md#request-body-flow rule 5).
func (c *Conn) answerGetBody(x *exchange, p []byte) error {
	want, err := decodeGetBodyChunk(p)
	if err != nil {
		return c.failWith(x, err)
	}
	// The member reads the body: it has the request (Result.Replied),
	// as mod_jk's ajp_get_reply makes it unrecoverable here.
	x.res.Replied = true
	if pw, ok := x.w.(ProgressWriter); ok {
		pw.Progress()
	}
	// Tomcat asks for its own P-6; never send more than ours.
	pkt, err := x.dataPacket(c.wbuf[:0], min(want, c.psize-6))
	if err != nil {
		return c.fail(x, KindClientRead, err)
	}
	n, k, err := c.write(pkt, 0)
	x.res.Sent += int64(n)
	if err != nil {
		return c.fail(x, k, err)
	}
	return nil
}

func (c *Conn) end(x *exchange, p []byte) error {
	reuse, err := decodeEndResponse(p)
	if err != nil {
		return c.failWith(x, err)
	}
	if !x.head {
		return c.fail(x, KindInvalid, errors.New("END_RESPONSE before SEND_HEADERS"))
	}
	c.discard()
	// Bytes after END_RESPONSE are junk that would desynchronize the next
	// exchange (docs/ajp13.md#connection-lifecycle).
	x.res.Trailing = c.unread() != 0
	x.res.Reuse = reuse && !x.res.Trailing
	if !x.res.Reuse {
		c.Close()
	}
	return nil
}

// fail closes the connection and returns the classified error for the
// exchange's current stage. After any failure the connection's state is
// unknown (or Tomcat must notice the abort), so it is never reused.
func (c *Conn) fail(x *exchange, k Kind, err error) error {
	if held := c.held; len(held) > 0 {
		// What would have reached the client unheld still does: whether
		// it saw a byte decides whether the request may be sent again.
		c.held = held[:0]
		n, _ := x.w.Write(held)
		x.res.BodyBytes += int64(n)
	}
	c.Close()
	x.res.Reuse = false
	return &Error{Stage: x.stage, Kind: k, Reused: c.reused, Err: err}
}

// failWith is fail for an *Error from a decoder, which has no stage yet.
func (c *Conn) failWith(x *exchange, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return c.fail(x, e.Kind, e.Err)
	}
	return c.fail(x, KindProtocol, err)
}

type errUnexpected byte

func (t errUnexpected) Error() string {
	if msgType(t) == typeCPong {
		return "unexpected CPONG during a request"
	}
	return fmt.Sprintf("unexpected message type %#x", byte(t))
}
