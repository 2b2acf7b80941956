package h1

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jkbalancer/jkbalancer/internal/token"
)

// heldMax is how much body a response holds back before its head goes
// out, so that a short response gets a Content-Length (net/http's
// bufferBeforeChunkingSize).
const heldMax = 2048

// outMax is the write buffer: head and body bytes gathered for one write.
// A body write that does not fit goes out with the gathered bytes in one
// writev.
const outMax = 4096

// response is the http.ResponseWriter of one request. It also offers
// Flush, FlushError, Hijack and SetReadDeadline (http.ResponseController
// finds them).
type response struct {
	c          *conn
	req        *http.Request
	h          http.Header
	status     int
	committed  bool  // the head is in out or on the wire
	*buffers         // held: body bytes before the head is committed; out: bytes not yet written
	cl         int64 // Content-Length in the head; -1: none
	written    int64 // body bytes passed on after the head
	chunked    bool
	closeAfter bool
	err        error
	reason     string              // the final status line's reason phrase, when reasonSet
	reasonSet  bool                // SetReason gave one (maybe empty); else the standard phrase
	names      []string            // pairs of canonical key and the spelling to write it with
	namedSet   map[string]struct{} // the keys in names, once there are many (named)
}

func (c *conn) newResponse(r *http.Request) *response {
	w := &c.resp
	h := w.h
	if h == nil {
		h = make(http.Header, 8)
	} else {
		clear(h)
	}
	names := w.names[:0]
	if names == nil {
		names = c.names[:0]
	}
	*w = response{c: c, req: r, h: h, buffers: c.srv.getBuffers(), cl: -1, names: names}
	return w
}

// release gives the buffers back: an idle connection holds none.
func (w *response) release() {
	if w.buffers == nil {
		return
	}
	w.held, w.out = w.held[:0], w.out[:0]
	clear(w.names) // the names may hold a member's whole packet
	w.c.srv.bufs.Put(w.buffers)
	w.buffers = nil
}

func (w *response) Header() http.Header { return w.h }

// WriteHeader records the status; the head goes out with the first body
// bytes that do not fit heldMax, on Flush, or when the handler is done.
// An informational status (1xx but 101) goes out at once.
func (w *response) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.status != 0 || w.committed {
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.appendStatusLine(code)
		w.appendFields(false)
		w.out = append(w.out, "\r\n"...)
		w.flush()
		return
	}
	w.status = code
}

func (w *response) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	if !w.committed {
		if len(w.held)+len(p) <= heldMax {
			w.held = append(w.held, p...)
			return len(p), nil
		}
		w.commit(false, p)
	}
	return w.writeBody(p)
}

// writeBody passes body bytes on in the head's framing.
func (w *response) writeBody(p []byte) (int, error) {
	if w.req.Method == http.MethodHead || len(p) == 0 {
		return len(p), nil
	}
	if w.cl >= 0 && w.written+int64(len(p)) > w.cl {
		return 0, http.ErrContentLength
	}
	if w.chunked {
		w.out = strconv.AppendInt(w.out, int64(len(p)), 16)
		w.out = append(w.out, "\r\n"...)
	}
	if len(w.out)+len(p) <= outMax {
		w.out = append(w.out, p...)
	} else {
		bufs := net.Buffers{w.out, p}
		if _, err := bufs.WriteTo(w.c.raw()); err != nil {
			w.fail(err)
			return 0, err
		}
		w.out = w.out[:0]
	}
	if w.chunked {
		w.out = append(w.out, "\r\n"...)
	}
	w.written += int64(len(p))
	return len(p), nil
}

// commit decides the framing and puts the head in out. done: the handler
// returned, so the held bytes are the whole body; next: the body bytes
// about to follow the held ones.
func (w *response) commit(done bool, next []byte) {
	w.committed = true
	if !w.c.body.settle() {
		w.closeAfter = true
	}
	h, r := w.h, w.req
	if v := h["Content-Length"]; len(v) > 0 {
		if n, ok := parseLength(v[0]); ok {
			w.cl = n
		}
	}
	switch {
	case !bodyAllowed(w.status) || w.cl >= 0:
	case done && (r.Method != http.MethodHead || len(w.held) > 0):
		w.cl = int64(len(w.held))
	case r.Method == http.MethodHead:
	case r.ProtoMinor >= 1 && !w.c.body.expecting:
		// httpd's ap_set_keepalive gives up on an unanswered
		// 100-continue before it considers chunking: such a body
		// goes out unframed, up to the close.
		w.chunked = true
	default:
		w.closeAfter = true // the body ends with the connection
	}
	if !w.closeAfter && (r.Close || hasToken(h["Connection"], "close") || w.c.srv.shutdown.Load() ||
		w.c.body.expecting || dropsConnection(w.status)) {
		w.closeAfter = true
	}
	w.appendStatusLine(w.status)
	if _, ok := h["Date"]; !ok {
		w.out = append(w.out, w.c.srv.dateField(time.Now())...) // first, as httpd writes it
	}
	w.appendNamed(true)
	sample := w.held
	if len(sample) == 0 {
		sample = next
	}
	w.appendFraming()
	w.appendRest(true)
	if _, ok := h["Content-Type"]; !ok && len(sample) > 0 && bodyAllowed(w.status) {
		w.appendField("Content-Type", http.DetectContentType(sample))
	}
	w.out = append(w.out, "\r\n"...)
	held := w.held
	w.held = w.held[:0]
	w.writeBody(held)
}

// appendFields writes the handler's fields: those named with
// SetFieldName first, in the order they were named (a member's order, as
// httpd keeps it: apr tables keep the order of adding), then the others.
// In the final head (final) those the framing decides are left to
// appendFraming.
func (w *response) appendFields(final bool) {
	w.appendNamed(final)
	w.appendRest(final)
}

// appendNamed writes the fields named with SetFieldName, in that order.
func (w *response) appendNamed(final bool) {
	noBody := !bodyAllowed(w.status)
	for i := 0; i+1 < len(w.names); i += 2 {
		w.appendKey(w.names[i], w.names[i+1], final, noBody)
	}
}

// appendRest writes the fields nobody named, in map order: httpd writes
// the type mod_jk or mod_proxy set (r->content_type) after the member's
// other fields, and a member's Content-Type is left unnamed for that.
func (w *response) appendRest(final bool) {
	noBody := !bodyAllowed(w.status)
	for k := range w.h {
		if len(w.names) == 0 || !w.named(k) {
			w.appendKey(k, k, final, noBody)
		}
	}
}

// appendKey writes every value of the field of canonical key k as name.
func (w *response) appendKey(k, name string, final, noBody bool) {
	if final && w.framingField(k, noBody) || strings.HasPrefix(k, http.TrailerPrefix) || !token.Is(k) {
		return
	}
	for _, v := range w.h[k] {
		w.appendField(name, v)
	}
}

// framingField reports a handler's field the final head decides itself:
// the transfer coding, Connection when it closes, a length it does not
// use, and no length or type on a status without a body (RFC 9110 8.6,
// 6.4.1, as net/http).
func (w *response) framingField(k string, noBody bool) bool {
	switch k {
	case "Transfer-Encoding":
		return true
	case "Connection":
		return w.closeAfter
	case "Content-Length":
		return w.cl < 0 || noBody
	case "Content-Type":
		return noBody
	}
	return false
}

// appendFraming writes the fields the final head adds: length or coding
// and Connection (Date, first, and a sniffed type, last, are commit's).
func (w *response) appendFraming() {
	h := w.h
	noBody := !bodyAllowed(w.status)
	if _, ok := h["Content-Length"]; !ok && w.cl >= 0 && !noBody {
		w.out = append(w.out, "Content-Length: "...)
		w.out = strconv.AppendInt(w.out, w.cl, 10)
		w.out = append(w.out, "\r\n"...)
	}
	if w.chunked {
		w.out = append(w.out, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case w.closeAfter:
		w.out = append(w.out, "Connection: close\r\n"...)
	case h["Connection"] == nil && (w.req.ProtoMinor == 0 || hasToken(w.req.Header["Connection"], "keep-alive")):
		// httpd's ap_set_keepalive: a client that sent the keep-alive
		// token (HTTP/1.0 must, to keep the connection) gets Keep-Alive
		// with the timeout and "Connection: Keep-Alive" back.
		w.out = append(w.out, w.c.srv.keepAliveFields()...)
	}
}

// appendField writes one field; a CR or LF in a value becomes a space, as
// net/http does, so that no value can end the head early.
func (w *response) appendField(k, v string) {
	w.out = append(w.out, k...)
	w.out = append(w.out, ": "...)
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.out = append(w.out, c)
	}
	w.out = append(w.out, "\r\n"...)
}

// appendStatusLine writes "HTTP/1.1" whatever the client's version, as
// httpd does (RFC 9110 6.2: the highest version the server supports); the
// HTTP/1.0 connection rules still apply (commit).
func (w *response) appendStatusLine(code int) {
	w.out = append(w.out, "HTTP/1.1 "...)
	w.out = strconv.AppendInt(w.out, int64(code), 10)
	w.out = append(w.out, ' ')
	if w.reasonSet && code == w.status {
		w.out = append(w.out, w.reason...)
	} else if text := statusText(code); text != "" {
		w.out = append(w.out, text...)
	} else {
		w.out = append(w.out, "status code "...)
		w.out = strconv.AppendInt(w.out, int64(code), 10)
	}
	w.out = append(w.out, "\r\n"...)
}

// finish ends the response once the handler returned and reports whether
// the connection can carry another request.
func (w *response) finish() bool {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(true, nil)
	}
	if w.chunked && w.err == nil {
		w.out = append(w.out, "0\r\n"...)
		w.appendTrailers()
		w.out = append(w.out, "\r\n"...)
	}
	if w.cl >= 0 && w.written < w.cl && w.req.Method != http.MethodHead && bodyAllowed(w.status) {
		w.closeAfter = true // a short body: the client must not wait for the rest
	}
	w.flush()
	w.release()
	return !w.closeAfter && w.err == nil
}

// appendTrailers writes the trailers the handler set: those the Trailer
// field announced, and those under http.TrailerPrefix.
func (w *response) appendTrailers() {
	for _, v := range w.h["Trailer"] {
		for name := range strings.SplitSeq(v, ",") {
			name = http.CanonicalHeaderKey(strings.TrimSpace(name))
			for _, tv := range w.h[name] {
				w.appendField(name, tv)
			}
		}
	}
	for k, vs := range w.h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && token.Is(name) {
			for _, v := range vs {
				w.appendField(name, v)
			}
		}
	}
}

func (w *response) flush() {
	if w.buffers == nil || len(w.out) == 0 || w.err != nil {
		return
	}
	if _, err := w.c.raw().Write(w.out); err != nil {
		w.fail(err)
	}
	w.out = w.out[:0]
}

func (w *response) fail(err error) {
	w.err, w.closeAfter = err, true
}

// Flush sends the head (chunked unless a length was set) and what is
// gathered.
func (w *response) Flush() { w.FlushError() }

func (w *response) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit(false, nil)
	}
	w.flush()
	return w.err
}

// Hijack hands the connection to the handler (a protocol switch); the
// server forgets it.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c := w.c
	if c.hijacked {
		return nil, nil, http.ErrHijacked
	}
	w.flush()
	if w.err != nil {
		return nil, nil, w.err
	}
	c.setReadDeadline(0) // the idle wait's deadline may still be set (armIdle)
	c.hijacked = true
	c.state.Store(stateClosed)
	c.srv.track(c, false)
	return c.nc, bufio.NewReadWriter(c.br, bufio.NewWriter(c.nc)), nil
}

// SetReadDeadline bounds the handler's body reads (limits.read_body_timeout).
func (w *response) SetReadDeadline(t time.Time) error {
	w.c.readDL, w.c.idleDL = t, false
	return w.c.nc.SetReadDeadline(t)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}
