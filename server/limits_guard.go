package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"

	"github.com/jkbalancer/jkbalancer/config"
)

// headGuard is limits.strict_http on a plain HTTP/1 connection: it sits
// between the socket and net/http and follows the request framing
// (head, Content-Length or chunked body, next head) byte by byte. A head
// is handed on only once it is complete and unambiguous; one that request
// smuggling relies on is replaced by a line net/http answers with "400
// Bad Request" before closing the connection, so the request never
// reaches a handler, let alone a member. What it refuses, and Go's parser
// alone would accept (RFC 9112 6.1, 6.3, 5.2, 2.2): Content-Length
// together with Transfer-Encoding, repeated Content-Length fields,
// Transfer-Encoding in HTTP/1.0, obs-fold continuation lines, bare LF
// line ends; and, in a chunked body, malformed chunk lines (the body read
// then fails). httpd's HttpProtocolOptions Strict refuses the same.
//
// TLS connections (first byte 0x16) are passed through untouched: the
// guard sees only ciphertext there; HTTP/2 has no such ambiguity, and for
// HTTP/1.1 over TLS admit closes the connection after a chunked request.
type headGuard struct {
	on      bool
	started bool // the first byte was seen (TLS or not)
	queued  bool // refusedHead is in g.in
	log     *slog.Logger
	remote  net.Addr
	maxHead int // a head longer than this is left to net/http (431)

	state guardState
	in    []byte // read from the socket, not yet handed on
	ok    int    // in[:ok] are checked
	scan  int    // head: bytes of the current head already searched for LF
	line  int    // head: where its current line begins
	left  int64  // body bytes left (Content-Length) or chunk data left
	ck    chunkState
	cline int // length of the current chunk-size or trailer line
	err   error

	// upgrading: the last head asked for a protocol switch; switched: the
	// 101 went out (set by the writer, read by the reader).
	upgrading, switched atomic.Bool
}

type guardState uint8

const (
	gHead    guardState = iota // reading a request head
	gLength                    // a Content-Length body
	gChunked                   // a chunked body
	gPass                      // no more checks: TLS, an upgrade, or left to net/http
	gRefused                   // the refusal line was handed on; then EOF
	gBroken                    // a malformed chunked body: every read fails
)

// refusedHead is what net/http gets instead of a refused head: it
// answers a malformed request line with "400 Bad Request" and closes.
const refusedHead = "REFUSED\r\n\r\n"

// errChunked ends a chunked request body whose framing is malformed.
var errChunked = errors.New("malformed chunked request body (limits.strict_http)")

// headSlack is net/http's allowance over MaxHeaderBytes (4096 bytes).
const headSlack = 4096

func (g *headGuard) init(log *slog.Logger, remote net.Addr, lim config.Limits) {
	g.on, g.log, g.remote, g.maxHead = true, log, remote, lim.MaxHeaderBytes+headSlack
	if g.maxHead <= headSlack {
		g.maxHead = config.DefaultMaxHeaderBytes + headSlack
	}
}

// idle reports a connection at a request boundary with nothing held back:
// everything handed on so far was whole requests.
func (g *headGuard) idle() bool {
	return g.started && g.state == gHead && len(g.in) == 0 && !g.switched.Load()
}

// read hands on checked bytes, reading from c as needed. Every pass
// of the loop either returns or reads from c, and a head that grows past
// maxHead stops being checked, so it ends.
func (g *headGuard) read(c net.Conn, p []byte) (int, error) {
	if g.switched.Load() && g.state != gPass {
		g.state, g.ok = gPass, len(g.in)
	}
	for {
		if g.ok > 0 {
			n := copy(p, g.in[:g.ok])
			g.in = g.in[:copy(g.in, g.in[n:])]
			g.ok -= n
			if len(g.in) == 0 && cap(g.in) > 4*headSlack {
				g.in = nil // a large head is over: do not keep its buffer
			}
			return n, nil
		}
		switch g.state {
		case gBroken:
			return 0, g.err
		case gRefused:
			return 0, io.EOF
		case gPass:
			if len(g.in) > 0 {
				g.ok = len(g.in)
				continue
			}
			return c.Read(p)
		}
		var n int
		var err error
		if len(g.in) == 0 && g.state != gHead {
			// Body bytes go straight into p; what follows the body is
			// the start of the next head and waits in g.in.
			n, err = c.Read(p)
			k := g.consume(p[:n])
			if g.state != gRefused && g.state != gBroken && k < n {
				g.in = append(g.in, p[k:n]...)
			}
			g.settle()
			if k > 0 {
				return k, nil
			}
		} else {
			n, err = g.fill(c)
			g.ok += g.consume(g.in[g.ok:])
			g.settle()
		}
		if g.ok == 0 && g.state != gPass {
			switch {
			case g.state == gBroken:
				return 0, g.err
			case err != nil:
				return 0, err
			case n == 0:
				return 0, nil
			}
		}
	}
}

// settle queues refusedHead after the checked bytes once a head was
// refused; what followed the refused head is dropped.
func (g *headGuard) settle() {
	if g.state == gRefused && !g.queued {
		g.in = append(g.in[:g.ok], refusedHead...)
		g.ok, g.queued = len(g.in), true
	}
}

// fill reads more of the socket into g.in.
func (g *headGuard) fill(c net.Conn) (int, error) {
	if cap(g.in)-len(g.in) < 512 {
		grown := make([]byte, len(g.in), max(2*cap(g.in), 4096))
		copy(grown, g.in)
		g.in = grown
	}
	n, err := c.Read(g.in[len(g.in):cap(g.in)])
	g.in = g.in[:len(g.in)+n]
	return n, err
}

// consume follows the framing over b, which starts where the guard's
// state says, and returns how many bytes of b are checked and may be
// handed on. It stops early at an incomplete head, a refusal or a
// malformed chunked body.
func (g *headGuard) consume(b []byte) int {
	i := 0
	for i < len(b) {
		switch g.state {
		case gHead:
			if !g.started {
				g.started = true
				if b[i] == 0x16 { // a TLS handshake record
					g.state = gPass
					return len(b)
				}
			}
			n := g.head(b[i:])
			if n == 0 {
				return i
			}
			i += n
		case gLength:
			k := min(int64(len(b)-i), g.left)
			i += int(k)
			if g.left -= k; g.left == 0 {
				g.state = gHead
			}
		case gChunked:
			n, err := g.chunked(b[i:])
			i += n
			if err != nil {
				g.state, g.err = gBroken, err
				return i
			}
		case gPass:
			return len(b)
		default:
			return i
		}
	}
	return i
}

// head looks for the end of the head that b begins with. It returns the
// head's length once complete and accepted (the framing state set), or
// 0: more bytes are needed, or the head was refused (state gRefused) or
// left to net/http (gPass). net/http ends a line at LF (CR optional), so
// the head ends at the first empty line that way too.
func (g *headGuard) head(b []byte) int {
	for {
		j := bytes.IndexByte(b[g.scan:], '\n')
		if j < 0 {
			g.scan = len(b) // searched: a slowly sent line is not searched again
			if len(b) > g.maxHead {
				g.state = gPass // net/http answers 431 and closes
			}
			return 0
		}
		start := g.line
		end := g.scan + j + 1
		g.scan, g.line = end, end
		if end-start > 2 || end-start == 2 && b[start] != '\r' {
			continue
		}
		g.scan, g.line = 0, 0
		if start == 0 {
			g.state = gPass // an empty request line: net/http refuses it and closes
			return 0
		}
		if reason := g.check(b[:end]); reason != "" {
			g.refuse(reason)
			return 0
		}
		return end
	}
}

// refuse ends the stream: settle puts refusedHead in its place.
func (g *headGuard) refuse(reason string) {
	g.log.Info("request refused with 400: ambiguous HTTP/1 framing (limits.strict_http)",
		"remote", g.remote.String(), "reason", reason)
	g.state = gRefused
}
