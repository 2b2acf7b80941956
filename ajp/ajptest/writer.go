package ajptest

import (
	"errors"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// ErrEnded is returned by ResponseWriter methods after End or CloseConn.
var ErrEnded = errors.New("ajptest: response already ended")

// ErrHeadersTooLarge is returned by SendHeaders when the headers do not
// fit in one packet. Like Tomcat 10.1 (docs/ajp13.md#edge-cases) the connection
// is then closed without a byte sent.
var ErrHeadersTooLarge = errors.New("ajptest: response headers do not fit in the packet size")

// ResponseWriter writes the container's side of one exchange. Writes are
// buffered and go out on Flush, on a GET_BODY_CHUNK, at End, or when the
// buffer fills, so a whole small response usually leaves in one segment.
type ResponseWriter struct {
	c      *conn
	body   *bodyReader
	head   bool // SEND_HEADERS written
	ended  bool // END_RESPONSE written
	reuse  bool // the reuse flag of END_RESPONSE
	dead   bool // the connection was closed
	status int
}

// SendHeaders writes SEND_HEADERS the way Tomcat encodes it: status_msg
// is the status number as text, names Tomcat codes (exact spelling) go as
// 0xA0xx codes, others as strings.
func (w *ResponseWriter) SendHeaders(status int, headers ...ajp.Header) error {
	if w.ended || w.dead {
		return ErrEnded
	}
	if w.head {
		return errors.New("ajptest: headers already sent (use Raw to send a second SEND_HEADERS)")
	}
	p := HeadersPacket(status, headers...)
	if len(p)-4 > w.c.s.psize-4 {
		w.CloseConn()
		return ErrHeadersTooLarge
	}
	w.head = true
	w.status = status
	_, err := w.c.bw.Write(p)
	return err
}

// Write sends p as SEND_BODY_CHUNKs of at most P-8 bytes, each with
// Tomcat's trailing 0x00 (docs/ajp13.md#response-packets). Headers 200 go first if none were
// sent, as a servlet's first write commits the response.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	if err := w.commit(); err != nil {
		return 0, err
	}
	max := w.c.s.psize - 8
	done := 0
	for done < len(p) {
		n := min(len(p)-done, max)
		hdr := [...]byte{'A', 'B', byte((n + 4) >> 8), byte(n + 4), 3, byte(n >> 8), byte(n)}
		w.c.bw.Write(hdr[:])
		w.c.bw.Write(p[done : done+n])
		if err := w.c.bw.WriteByte(0); err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// Flush sends a zero-length SEND_BODY_CHUNK (Tomcat's flush packet, V7)
// and pushes everything buffered to the socket.
func (w *ResponseWriter) Flush() error {
	if err := w.commit(); err != nil {
		return err
	}
	w.c.bw.Write([]byte{'A', 'B', 0, 4, 3, 0, 0, 0})
	return w.c.flush()
}

func (w *ResponseWriter) commit() error {
	if w.ended || w.dead {
		return ErrEnded
	}
	if !w.head {
		return w.SendHeaders(200)
	}
	return nil
}

// End writes END_RESPONSE. Before that it reads the unasked first body
// packet if the handler never read the body, as Tomcat does. With reuse
// false the connection is closed afterwards.
func (w *ResponseWriter) End(reuse bool) error {
	if w.ended || w.dead {
		return ErrEnded
	}
	if err := w.body.swallow(); err != nil {
		w.CloseConn()
		return err
	}
	w.ended, w.reuse = true, reuse
	var r byte
	if reuse {
		r = 1
	}
	w.c.bw.Write([]byte{'A', 'B', 0, 2, 5, r})
	// Idle from now on: once the client has this packet, CloseIdleConns
	// must find the connection idle.
	w.c.s.setBusy(w.c, false)
	err := w.c.flush()
	if !reuse {
		w.c.shut()
	}
	return err
}

// Raw writes b as is and flushes it, for malformed packets in tests.
func (w *ResponseWriter) Raw(b []byte) error {
	if w.dead {
		return ErrEnded
	}
	w.c.bw.Write(b)
	return w.c.flush()
}

// CloseConn pushes out what was written and closes the connection: the
// container died mid-response.
func (w *ResponseWriter) CloseConn() {
	if w.dead {
		return
	}
	w.dead = true
	w.c.flush()
	w.c.shut()
}

// Status returns the status sent with SendHeaders, 0 before.
func (w *ResponseWriter) Status() int { return w.status }

func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)>>8), byte(len(s)))
	b = append(b, s...)
	return append(b, 0)
}
