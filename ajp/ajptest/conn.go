package ajptest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// Request is one forward request as the handler sees it.
type Request struct {
	*ajp.Request
	// Body reads the request body, pulling it with GET_BODY_CHUNK like
	// Tomcat: the first packet of a body with a Content-Length arrives
	// unasked, and reading to EOF asks once past the end (docs/ajp13.md#request-body-flow).
	Body io.Reader
	// Conn is the sequence number of the connection (1 for the first
	// accepted), to tell fresh connections from reused ones.
	Conn int
	// ContentLength is the parsed content-length header, -1 if absent.
	ContentLength int64

	ctx context.Context
}

// Context is canceled when the connection closes or the server shuts
// down. Handlers that block must watch it, or Close waits for them.
func (r *Request) Context() context.Context { return r.ctx }

// conn is one accepted connection, served by one goroutine.
type conn struct {
	s      *Server
	nc     net.Conn
	seq    int
	br     *bufio.Reader
	bw     *bufio.Writer
	buf    []byte // payload of the last packet read
	ctx    context.Context
	cancel context.CancelFunc
	busy   bool // inside a request; guarded by s.mu
}

func newConn(s *Server, nc net.Conn, seq int) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{s: s, nc: nc, seq: seq, ctx: ctx, cancel: cancel,
		br: bufio.NewReaderSize(nc, 1<<16+4), bw: bufio.NewWriterSize(nc, 1<<16+4),
		buf: make([]byte, 1<<16)}
}

// shut closes the socket and cancels the handler's context.
func (c *conn) shut() {
	c.cancel()
	c.nc.Close()
}

func (c *conn) serve() {
	defer c.s.wg.Done()
	defer c.s.remove(c)
	defer c.shut()
	for {
		p, err := c.readPacket()
		if err != nil {
			return
		}
		if c.s.wait(c.ctx) != nil {
			return
		}
		if len(p) == 0 {
			// Tomcat answers 500/reuse=0; an unsolicited empty body
			// packet lands here (docs/ajp13.md#request-body-flow rule 7).
			c.s.violation(fmt.Errorf("%w: empty packet where a request was expected", errViolation))
			return
		}
		switch p[0] {
		case 0x0A: // CPing
			if !c.cping() {
				return
			}
		case 0x02: // FORWARD_REQUEST
			if !c.request(p) {
				return
			}
		default:
			c.s.violation(fmt.Errorf("%w: message type %#x where a request was expected", errViolation, p[0]))
			return
		}
	}
}

func (c *conn) cping() bool {
	c.s.pings.Add(1)
	switch CPongMode(c.s.cpong.Load()) {
	case CPongIgnore:
		return true
	case CPongClose:
		return false
	}
	c.bw.Write([]byte{'A', 'B', 0, 1, 9})
	return c.flush() == nil
}

// request serves one forward request; it reports whether the connection
// may carry another.
func (c *conn) request(p []byte) bool {
	c.s.requests.Add(1)
	c.s.setBusy(c, true)
	w := &ResponseWriter{c: c}
	if len(p) > c.s.psize-4 {
		c.s.violation(fmt.Errorf("%w: forward request of %d bytes exceeds packetSize %d", errViolation, len(p), c.s.psize))
		w.SendHeaders(400)
		w.End(false)
		return false
	}
	req, err := ajp.DecodeForward(p)
	if err != nil {
		// Tomcat: 500 (bad code) or 400 (bad framing), reuse=0.
		c.s.violation(fmt.Errorf("%w: %v", errViolation, err))
		w.SendHeaders(500)
		w.End(false)
		return false
	}
	cl := contentLength(req)
	// With Content-Length 0 Tomcat treats the body as empty and never
	// asks for it (docs/ajp13.md#request-body-flow rule 2).
	body := &bodyReader{c: c, cl: cl, first: cl > 0, eof: cl == 0}
	w.body = body
	if c.s.secret != "" && req.Secret != c.s.secret {
		w.SendHeaders(403)
		w.End(false)
		return false
	}
	r := &Request{Request: req, Body: body, Conn: c.seq, ContentLength: cl, ctx: c.ctx}
	c.run(w, r)
	if !w.ended && !w.dead {
		if !w.head {
			w.SendHeaders(200)
		}
		w.End(true)
	}
	return w.reuse && !w.dead
}

// run calls the handler; a panic is recorded and closes the connection.
func (c *conn) run(w *ResponseWriter, r *Request) {
	defer func() {
		if v := recover(); v != nil {
			c.s.violation(fmt.Errorf("ajptest: handler panic: %v", v))
			w.CloseConn()
		}
	}()
	c.s.handler(w, r)
}

// readPacket reads one client packet; the payload is valid until the next
// call.
func (c *conn) readPacket() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return nil, err
	}
	if h[0] != 0x12 || h[1] != 0x34 {
		// Tomcat logs "Invalid message received" and closes.
		err := fmt.Errorf("%w: bad magic % x", errViolation, h[:2])
		c.s.violation(err)
		return nil, err
	}
	n := int(h[2])<<8 | int(h[3])
	if _, err := io.ReadFull(c.br, c.buf[:n]); err != nil {
		return nil, err
	}
	return c.buf[:n], nil
}

// flush sends what is buffered, unless the server is hung.
func (c *conn) flush() error {
	if err := c.s.wait(c.ctx); err != nil {
		return err
	}
	return c.bw.Flush()
}

// contentLength finds the content-length header the way Tomcat does:
// coded or by name, case-insensitively; -1 when absent or unparsable.
func contentLength(r *ajp.Request) int64 {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, "content-length") {
			n, err := strconv.ParseInt(h.Value, 10, 64)
			if err != nil || n < 0 {
				return -1
			}
			return n
		}
	}
	return -1
}

// bodyReader pulls the request body with GET_BODY_CHUNK.
type bodyReader struct {
	c     *conn
	cl    int64
	first bool   // the unasked first packet is still in the socket
	buf   []byte // unread data of the current packet
	got   int64
	eof   bool
	err   error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.eof {
			return 0, io.EOF
		}
		if b.err != nil {
			return 0, b.err
		}
		b.err = b.fetch()
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *bodyReader) fetch() error {
	c := b.c
	if b.first {
		b.first = false
	} else {
		want := c.s.psize - 6
		c.bw.Write([]byte{'A', 'B', 0, 3, 6, byte(want >> 8), byte(want)})
		if err := c.flush(); err != nil {
			return err
		}
	}
	p, err := c.readPacket()
	if err != nil {
		return err
	}
	if len(p) == 0 {
		b.eof = true
		return nil
	}
	if len(p) < 2 || int(p[0])<<8|int(p[1]) != len(p)-2 {
		err := fmt.Errorf("%w: malformed body packet of %d bytes", errViolation, len(p))
		c.s.violation(err)
		return err
	}
	b.buf = p[2:]
	b.got += int64(len(b.buf))
	if len(b.buf) == 0 {
		b.eof = true
	}
	if b.cl >= 0 && b.got > b.cl {
		err := fmt.Errorf("%w: %d body bytes for Content-Length %d", errViolation, b.got, b.cl)
		c.s.violation(err)
		return err
	}
	return nil
}

// swallow reads the unasked first body packet if the handler never read
// the body, as Tomcat does when it finishes the response (docs/ajp13.md#request-body-flow rule 6).
func (b *bodyReader) swallow() error {
	if b == nil || !b.first {
		return nil
	}
	b.first = false
	p, err := b.c.readPacket()
	if err == nil && len(p) < 2 {
		err = errors.New("ajptest: missing first body packet")
		b.c.s.violation(fmt.Errorf("%w: %v", errViolation, err))
	}
	return err
}
