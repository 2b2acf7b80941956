package h1

import (
	"errors"
	"io"
	"net/http"

	"github.com/jkbalancer/jkbalancer/internal/token"
)

// ErrChunked ends a chunked request body whose framing is malformed; the
// connection is closed after the response.
var ErrChunked = errors.New("malformed chunked request body")

// maxChunkLine bounds a chunk-size line and a trailer field (net/http's
// bound on a chunk line).
const maxChunkLine = 4096

// maxDiscard is how much of a request body the handler left unread is
// read away so that the connection can be kept (net/http's
// maxPostHandlerReadBytes); beyond that the connection is closed.
const maxDiscard = 256 << 10

// body is a request body: Content-Length bytes, or chunked.
type body struct {
	c       *conn
	r       *http.Request
	left    int64 // bytes left: of the body, or of the current chunk
	active  bool  // the request has this body
	chunked bool
	inChunk bool // chunked: left counts the current chunk's data
	eof     bool
	closed  bool
	// abandoned: the rest was left unread when the response went out;
	// the connection closes after it.
	abandoned bool
	err       error
	// sendContinue: the client asked for 100 Continue, which the first
	// read sends (net/http's expectContinueReader).
	sendContinue bool
	// expecting is httpd's r->expecting_100: the request carried
	// Expect: 100-continue (any version) and no 100 Continue went out. A
	// response while it holds ends the connection (ap_set_keepalive):
	// the client may still send the body it was holding back.
	expecting bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed || b.abandoned {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.read(p)
}

// read is Read past the handler's Close: settle reads the rest with it.
func (b *body) read(p []byte) (int, error) {
	switch {
	case b.err != nil:
		return 0, b.err
	case b.eof:
		return 0, io.EOF
	}
	if b.sendContinue {
		b.sendContinue, b.expecting = false, false
		if _, err := io.WriteString(b.c.nc, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
			return 0, b.fail(err)
		}
	}
	if b.chunked {
		return b.readChunked(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p)
	b.left -= int64(n)
	if b.left == 0 {
		b.eof = true
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, b.fail(err)
	}
	return n, nil
}

// Close stops the handler's reads; what is left is discarded or the
// connection closed when the response is done.
func (b *body) Close() error {
	b.closed = true
	return nil
}

func (b *body) fail(err error) error {
	b.err = err
	return err
}

// readChunked reads chunk data, stepping over size lines and the final
// chunk's trailers. The framing is checked as strictly as the head.
func (b *body) readChunked(p []byte) (int, error) {
	for !b.inChunk {
		size, err := b.sizeLine()
		if err != nil {
			return 0, b.fail(err)
		}
		if size == 0 {
			if err := b.trailers(); err != nil {
				return 0, b.fail(err)
			}
			b.eof = true
			return 0, io.EOF
		}
		b.left, b.inChunk = size, true
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.c.br.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, b.fail(err)
	}
	if b.left == 0 {
		b.inChunk = false
		if err := b.crlf(); err != nil {
			return n, b.fail(err)
		}
	}
	return n, nil
}

// sizeLine reads "hex-size [BWS] [;ext] CRLF".
func (b *body) sizeLine() (int64, error) {
	budget := maxChunkLine
	line, err := readLine(b.c.br, &budget)
	if err != nil {
		return 0, chunkError(err)
	}
	var size int64
	i := 0
	for ; i < len(line); i++ {
		v, ok := hexValue(line[i])
		if !ok {
			break
		}
		if i == 15 { // net/http refuses a size over 16 digits; 15 keeps it positive
			return 0, ErrChunked
		}
		size = size<<4 | int64(v)
	}
	if i == 0 {
		return 0, ErrChunked
	}
	rest := token.TrimOWS(line[i:])
	if len(rest) > 0 && rest[0] != ';' {
		return 0, ErrChunked
	}
	for _, c := range rest {
		if c < ' ' && c != '\t' || c == 0x7f {
			return 0, ErrChunked
		}
	}
	return size, nil
}

// crlf reads the CRLF after a chunk's data.
func (b *body) crlf() error {
	cr, err := b.c.br.ReadByte()
	if err != nil {
		return chunkError(err)
	}
	lf, err := b.c.br.ReadByte()
	if err != nil {
		return chunkError(err)
	}
	if cr != '\r' || lf != '\n' {
		return ErrChunked
	}
	return nil
}

// trailers reads the trailer section into r.Trailer, up to its empty line.
func (b *body) trailers() error {
	for {
		budget := maxChunkLine
		line, err := readLine(b.c.br, &budget)
		if err != nil {
			return chunkError(err)
		}
		if len(line) == 0 {
			return nil
		}
		if b.r.Trailer == nil {
			b.r.Trailer = make(http.Header)
		}
		if b.c.field(b.r.Trailer, line) != "" {
			return ErrChunked
		}
	}
}

func chunkError(err error) error {
	switch err {
	case io.EOF:
		return io.ErrUnexpectedEOF
	case errTooLarge, errBareLF:
		return ErrChunked
	}
	return err
}

// settle is what happens to the part of a request body the handler did
// not read when the response head goes out (net/http's rules; every
// response has a head, and reads after it cannot change the outcome): a body still waiting for 100 Continue was
// never sent and is not read; a rest up to maxDiscard is read away; a
// larger one, or a broken one, is abandoned. It reports whether the
// connection can carry another request.
func (b *body) settle() bool {
	switch {
	case !b.active || b.eof:
		return true
	case b.err != nil || b.abandoned:
		return false
	case b.sendContinue || !b.chunked && b.left > maxDiscard:
		b.sendContinue, b.abandoned = false, true
		return false
	}
	var buf [4096]byte
	for n := 0; n <= maxDiscard && !b.eof && b.err == nil; {
		k, _ := b.read(buf[:])
		n += k
	}
	b.abandoned = !b.eof
	return b.eof
}

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
