package worker

import (
	"io"
	"net/http"
	"strconv"
)

// The responder's body side: what is kept back until the head is
// committed, and how the body is held to the member's Content-Length.

// Write implements ajp.ResponseWriter. Until the head is committed the
// body is kept back, up to holdBody bytes. A body on a status that has
// none (204, 304) is dropped, as httpd's header filter drops it after a
// mod_jk response: the client gets the status and the headers, and the
// member's connection, framed correctly, stays usable.
func (r *responder) Write(p []byte) (int, error) {
	if r.discard || r.head {
		// Body bytes on an answer to HEAD are not the client's: mod_jk's
		// ws_write drops them (r->header_only), so httpd never counts them
		// into a Content-Length, and neither may the front end here.
		return len(p), nil
	}
	if !bodyAllowed(r.status) {
		if len(p) > 0 {
			r.repaired(fixNoBody, "status", r.status)
		}
		return len(p), nil
	}
	n := len(p)
	if !r.committed && r.status != 0 {
		if len(r.held)+n <= holdBody {
			r.held = append(r.held, p...)
			return n, nil
		}
		if err := r.commit(); err != nil {
			return 0, err
		}
	}
	if p = r.fit(p); len(p) > 0 {
		if err := writeAll(r.w, p); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// fit cuts p to what the member's Content-Length still allows once the
// head is out: net/http refuses more, and the client must get a response
// framed as announced. For an AJP member the excess is simply dropped
// (AJP frames the packets); an HTTP member's body is read by its length
// already.
func (r *responder) fit(p []byte) []byte {
	if r.left < 0 {
		return p
	}
	if int64(len(p)) > r.left {
		r.repaired(fixLength, "dropped", int64(len(p))-r.left)
		p = p[:r.left]
	}
	r.left -= int64(len(p))
	return p
}

// commit writes the pending head, and the body kept back, to the client.
func (r *responder) commit() error {
	if r.committed || r.status == 0 {
		return nil
	}
	r.committed = true
	if r.hw != nil {
		r.hw.SetReason(reasonPhrase(r.status, r.reason, r.keepEmpty))
		for i := 0; i+1 < len(r.names); i += 2 {
			r.hw.SetFieldName(r.names[i], r.names[i+1])
		}
	}
	r.w.WriteHeader(r.status)
	held := r.fit(r.held)
	r.held = r.held[:0]
	if len(held) == 0 {
		return nil
	}
	return writeAll(r.w, held)
}

// end commits a complete response. When all of its body was kept back,
// its Content-Length is the length of that body, as httpd's
// content-length filter sets it for a response it holds whole after
// mod_jk: a member whose body is longer or shorter than the length it
// announced still gives a well-formed response, the body it sent.
func (r *responder) end() error {
	h := r.w.Header()
	if cl := h["Content-Length"]; !r.committed && len(cl) > 0 && !r.head && bodyAllowed(r.status) && !r.discard {
		if n := strconv.Itoa(len(r.held)); cl[0] != n || len(cl) > 1 {
			r.repaired(fixLength, "announced", cl[0], "sent", n)
			h["Content-Length"] = []string{n}
		}
		r.left = -1
	}
	return r.commit()
}

// abandon undoes an uncommitted head, and drops the body kept back, after
// a failed exchange, so that the next member, or the error page, starts
// from nothing.
func (r *responder) abandon() {
	if r.committed {
		return
	}
	clear(r.w.Header())
	r.status, r.left = 0, -1
	r.held = r.held[:0]
	clear(r.names)
	r.names = r.names[:0]
}

// bodyAllowed reports whether a response with status may carry a body
// (RFC 9110 15.3.5, 15.4.5).
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

// writeAll writes p, and reports a short write as an error.
func writeAll(w http.ResponseWriter, p []byte) error {
	n, err := w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}
