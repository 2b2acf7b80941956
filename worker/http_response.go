package worker

import (
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/jkbalancer/jkbalancer/internal/splice"
)

// copyBufPool holds the buffers response bodies are copied through, of
// copyBuf bytes.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }}

const copyBuf = 32 << 10

// respond carries the member's response to the client through the
// responder (fail_on_status, use_server_errors, set_session_cookie, the
// lazily committed head), then the body and the trailers. It returns nil
// only when the whole body was read, so the connection may be kept.
func (t *httpTransport) respond(w http.ResponseWriter, req *Request, at *Attempt, resp *memberResponse, hb *httpBody) *Error {
	m := t.m
	rw := getResponder(w, req, at, m)
	defer putResponder(rw)
	fix := func(h http.Header) { t.reverseLocation(h, req.HTTP); firstContentType(h) }
	rw.reason, rw.keepEmpty = resp.reason, true
	if err := rw.writeHTTPHead(resp.status, resp.header, resp.trailer, fix); err != nil {
		streamed, _ := hb.result()
		e := &Error{Member: m.name, Class: ClassFailStatus, Status: resp.status, Err: err}
		var fs *failStatus
		if errors.As(err, &fs) && fs.soft {
			e.Class = ClassFailStatusSoft
		}
		// mod_jk fails over on fail_on_status whatever recovery_options
		// say; only a body already streamed to this member forbids it.
		e.Recoverable = m.mayResendStatus(streamed, req.HTTP.Method)
		return e
	}
	for i := 0; i+1 < len(resp.names); i += 2 {
		rw.spellHTTP(resp.names[i], resp.names[i+1]) // as httpd keeps mod_proxy's spelling and order
	}
	if m.opts.FlushHeader {
		if err := rw.Flush(); err != nil {
			return &Error{Member: m.name, Class: ClassClient, HeadSent: true, Status: resp.status, Err: err}
		}
	}
	if resp.cc != nil {
		resp.cc.answer = rw // the body's reads are checked while it commits nothing
	}
	clientErr, backendErr := copyBody(rw, resp, m.opts.FlushPackets || streams(resp))
	if resp.cc != nil {
		resp.cc.answer, resp.cc.restEvery = nil, 0
	}
	if resp.outgrew {
		t.outgrown()
	}
	switch {
	case clientErr != nil || (backendErr != nil && req.HTTP.Context().Err() != nil):
		return &Error{Member: m.name, Class: ClassClient, HeadSent: rw.committed, Status: resp.status,
			Err: cmpErr(clientErr, backendErr)}
	case backendErr != nil:
		streamed, _ := hb.result()
		e := &Error{Member: m.name, Class: m.responseFailure(backendErr, req), HeadSent: rw.committed,
			Status: resp.status, Err: backendErr}
		e.Recoverable = m.mayResend(PhaseAfterHead, rw.committed, streamed, req.HTTP.Method)
		rw.abandon()
		return e
	}
	// The head, and the body when it was short enough to be kept back
	// whole, go out now.
	if err := rw.end(); err != nil {
		return &Error{Member: m.name, Class: ClassClient, HeadSent: true, Status: resp.status, Err: err}
	}
	if !rw.discard {
		copyTrailers(w.Header(), resp.trailer)
	}
	switch {
	case resp.framed:
		rw.repaired(fixAnnounce, "status", resp.status)
	case !resp.close && resp.br != nil && resp.br.Buffered() > 0:
		// More than the response came (a body longer than its length,
		// an unasked response): it would be read as the next response.
		rw.repaired(fixTrailing, "bytes", resp.br.Buffered())
		resp.close = true
	}
	return nil
}

// responseFailure is the Class of a member response that broke off: a
// malformed head or body is a protocol error, a read that waited past
// reply_timeout a reply timeout, anything else a closed connection.
func (m *Member) responseFailure(err error, req *Request) Class {
	var head *errMemberHead
	switch {
	case errors.As(err, &head):
		return ClassProtocol
	case errors.Is(err, os.ErrDeadlineExceeded) && m.replyTimeout(req) > 0:
		return ClassReplyTimeout
	}
	return ClassClosed
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// streams reports a response the member produces as it goes: without a
// length (chunked, or up to the close), or an event stream. Each piece is
// flushed to the client as it arrives, as httputil.ReverseProxy does; a
// response with a length is flushed only when FlushPackets asks for it.
func streams(resp *memberResponse) bool {
	if resp.length < 0 {
		return true
	}
	// Only a type that starts like one is parsed: ParseMediaType builds a
	// map, and nearly every response is something else.
	const eventStream = "text/event-stream"
	ct := strings.TrimLeft(resp.header.Get("Content-Type"), " \t")
	if len(ct) < len(eventStream) || !strings.EqualFold(ct[:len(eventStream)], eventStream) {
		return false
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == eventStream
}

// announcesBody reports a 204 or 304 head that frames a body all the
// same: chunked, or a 204 with a length other than 0. (A 304's
// Content-Length is the representation's and says nothing about this
// response.)
func announcesBody(status int, h http.Header) bool {
	if status != http.StatusNoContent && status != http.StatusNotModified {
		return false
	}
	if _, chunked := h["Transfer-Encoding"]; chunked {
		return true
	}
	cl := h["Content-Length"]
	return status == http.StatusNoContent && len(cl) > 0 && strings.TrimSpace(cl[0]) != "0"
}

// copyBody copies the response body; the connection bounds each read by
// reply_timeout.
func copyBody(rw *responder, resp *memberResponse, flush bool) (clientErr, backendErr error) {
	if resp.body == nil {
		return nil, nil
	}
	// The copy buffer is taken only for a body beyond what the head's
	// read brought: a small response needs none.
	var bufp *[]byte
	defer func() {
		if bufp != nil {
			copyBufPool.Put(bufp)
		}
	}()
	for {
		if !flush {
			if rf, ok := rw.spliceable(resp); ok {
				resp.outgrew = true
				return rw.spliceBody(rf, resp)
			}
		}
		var p []byte
		var rerr error
		// What the head's read brought of the body is written from the
		// read buffer itself, not copied into buf first.
		inPlace := resp.body == &resp.fixed && resp.br.Buffered() > 0
		if inPlace {
			p = resp.fixed.buffered(resp.br)
		} else {
			if bufp == nil {
				bufp = copyBufPool.Get().(*[]byte)
				resp.outgrew = true
			}
			n, err := resp.body.Read(*bufp)
			p, rerr = (*bufp)[:n], err
		}
		if len(p) > 0 {
			if _, err := rw.Write(p); err != nil {
				return err, nil
			}
			if flush {
				if err := rw.Flush(); err != nil {
					return err, nil
				}
			}
			if inPlace && resp.fixed.consume(resp.br, len(p)) {
				rerr = io.EOF
			}
		}
		if rerr == io.EOF {
			return nil, nil
		}
		if rerr != nil {
			return nil, rerr
		}
	}
}

// writeHTTPHead is WriteHead for an HTTP response: src minus the
// hop-by-hop headers (and those named in Connection), fixed by fix, with
// the member's announced trailers declared again.
func (r *responder) writeHTTPHead(status int, src, trailer http.Header, fix func(http.Header)) error {
	r.stamp()
	if err := r.refuse(status); err != nil {
		return err
	}
	if r.replaced(status) {
		r.writeServerError(status, src["Www-Authenticate"])
		return nil
	}
	h := r.w.Header()
	if k := copyEndToEnd(h, src); k != "" { // resp is not used again
		r.repaired(fixNUL, "header", k)
	}
	fix(h)
	for name := range trailer {
		h["Trailer"] = append(h["Trailer"], name)
	}
	r.finishHead(status)
	return nil
}

// copyEndToEnd copies src's end-to-end fields into dst, sharing the
// values: not the hop-by-hop ones, nor those src's Connection names (RFC
// 9110 7.6.1). A NUL in a value is made a blank (fieldValue); nul names
// a field that had one, for the repair log, in the same pass.
func copyEndToEnd(dst, src http.Header) (nul string) {
	conn := src["Connection"]
	for name, values := range src {
		if !isHopByHop(name) && !ListedIn(conn, name) {
			for i, v := range values {
				if values[i] = fieldValue(v); values[i] != v {
					nul = name
				}
			}
			dst[name] = values
		}
	}
	return nul
}

// copyTrailers sets the member's trailers on the client's response, after
// the body: announced ones under their names, others with
// http.TrailerPrefix.
func copyTrailers(h http.Header, trailer http.Header) {
	if len(trailer) == 0 {
		return
	}
	announced := h["Trailer"]
	for name, values := range trailer {
		if len(values) == 0 {
			continue
		}
		key := http.TrailerPrefix + name
		for _, a := range announced {
			if a == name {
				key = name
				break
			}
		}
		for i, v := range values {
			values[i] = fieldValue(v)
		}
		h[key] = values
	}
}

// reverseLocation is ProxyPassReverse for the 1:1 path mapping a mount
// gives: a Location or Content-Location that points at the member's own
// scheme://host:port (as configured, or the address dialed) is made to
// point at the scheme and Host the client used. Anything after the
// authority is kept byte for byte.
func (t *httpTransport) reverseLocation(h http.Header, r *http.Request) {
	if r.Host == "" {
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	for _, key := range [...]string{"Location", "Content-Location"} {
		vs := h[key]
		if len(vs) != 1 {
			continue
		}
		if rest, ok := t.ownURL(vs[0]); ok {
			h[key] = []string{scheme + "://" + r.Host + rest}
		}
	}
}

// ownURL reports whether v is an absolute URL of this member, and returns
// what follows its authority.
func (t *httpTransport) ownURL(v string) (string, bool) {
	d := t.to.Load()
	scheme, rest, ok := strings.Cut(v, "://")
	if !ok || !strings.EqualFold(scheme, t.h.Scheme) {
		return "", false
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if strings.Contains(authority, "@") {
		return "", false
	}
	host, port := authority, ""
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, port = authority[:i], authority[i+1:]
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if port == "" {
		port = "80"
		if strings.EqualFold(scheme, "https") {
			port = "443"
		}
	}
	if port != strconv.Itoa(d.port) {
		return "", false
	}
	dialHost := d.addr
	if i := strings.LastIndexByte(dialHost, ':'); i >= 0 {
		dialHost = strings.TrimSuffix(strings.TrimPrefix(dialHost[:i], "["), "]")
	}
	if !strings.EqualFold(host, d.host) && host != dialHost {
		return "", false
	}
	return tail, true
}

// spliceMin is the least body left for the kernel to move it: less comes
// in one read through the copy buffer anyway.
const spliceMin = copyBuf

// spliceable reports the plain case the kernel can move from the member's
// socket to the client's (docs/performance.md#large-bodies): a body of a
// known length, of which at least spliceMin is still in the member's
// socket (nothing in the read buffer), the head already out with that
// length unchanged, passed on as it is, and a client writer that takes a
// body source (io.ReaderFrom). Anything else is copied.
func (r *responder) spliceable(resp *memberResponse) (io.ReaderFrom, bool) {
	if !splice.Available() || resp.body != &resp.fixed || resp.cc == nil || resp.fixed.left < spliceMin ||
		resp.br.Buffered() > 0 || !r.committed || r.discard || r.head || !bodyAllowed(r.status) || r.left != resp.fixed.left {
		return nil, false
	}
	if _, ok := resp.cc.Conn.(*net.TCPConn); !ok {
		return nil, false // https: the bytes must pass through TLS
	}
	rf, ok := r.w.(io.ReaderFrom)
	return rf, ok
}

// spliceBody hands the rest of the body to the client's writer as a
// memberBody, and sorts its failure out as copyBody does.
func (r *responder) spliceBody(rf io.ReaderFrom, resp *memberResponse) (clientErr, backendErr error) {
	src := &resp.rest // part of resp: no allocation of its own
	*src = memberBody{fixed: &resp.fixed, cc: resp.cc}
	n, err := rf.ReadFrom(src)
	r.left -= n
	switch {
	case src.err != nil:
		return nil, src.err
	case err != nil:
		return err, nil
	case resp.fixed.left > 0:
		// The client's writer took less than the length: it is not ours
		// to cut, but the connection is not in step any more.
		return io.ErrShortWrite, nil
	}
	return nil, nil
}

// memberBody is the rest of a member's body of known length, on a plain
// TCP connection. Read reads it as copyBody would; WriteToSocket (the
// plain-HTTP front end's h1.SocketSource) has the kernel move it onto
// the client's socket, each wait for the member bounded as a read's, its
// bytes counted as a read's.
type memberBody struct {
	fixed *lengthBody
	cc    *countedConn
	err   error // the member's side failed
}

func (b *memberBody) Read(p []byte) (int, error) {
	n, err := b.fixed.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

func (b *memberBody) WriteToSocket(dst io.Writer, max int64) (int64, error) {
	want := min(max, b.fixed.left)
	sc, ok := dst.(syscall.Conn)
	if sraw := b.cc.rawConn(); ok && sraw != nil && want > 0 {
		if draw, err := sc.SyscallConn(); err == nil {
			read, written, rerr, werr := splice.Copy(draw, sraw, want, b.cc.armReadAt, nil)
			if rerr != splice.ErrUnsupported {
				b.cc.read.Add(read)
				b.fixed.left -= read
				if rerr != nil {
					b.err = rerr
					return written, rerr
				}
				return written, werr
			}
		}
	}
	return io.Copy(dst, io.LimitReader(b, want)) // no splice here: through a buffer
}
