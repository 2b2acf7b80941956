package worker

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/internal/token"
)

// memberResponse is the head of a member's response and its body, framed
// per RFC 9112 6.3.
type memberResponse struct {
	status  int
	reason  string   // the status line's reason phrase, passed on like mod_proxy_http's
	names   []string // canonical key, member's spelling: every field, in the member's order
	header  http.Header
	trailer http.Header // the names the Trailer header announced, values after the body
	length  int64       // -1: unknown (chunked, or up to the close)
	body    io.Reader   // nil: no body
	fixed   lengthBody  // body's storage when it has a length
	close   bool        // the connection cannot carry another request
	outgrew bool        // the head or body took reads beyond the first (read, copyBody)
	framed  bool        // a 204 or 304 that frames a body all the same
	// br is what the head and the body are read from, cc the connection
	// beneath it.
	br   *bufio.Reader
	cc   *countedConn
	rest memberBody // what the kernel moves (spliceBody)
}

// errMemberHead is a response head the member got wrong.
type errMemberHead struct{ msg string }

func (e *errMemberHead) Error() string { return "malformed response from member: " + e.msg }

// maxInterim bounds the 1xx responses skipped before the final one, and
// maxMemberHead the bytes of a response head (net/http's transport allows
// 10 MB; httpd's mod_proxy_http a few KiB per line): a member that never
// ends its headers must not exhaust memory.
const (
	maxInterim    = 8
	maxMemberHead = 1 << 20
)

// readResponse reads the final response head for a request of method,
// skipping interim 1xx responses other than 101, and frames the body.
func readResponse(br *bufio.Reader, method string) (*memberResponse, error) {
	resp := new(memberResponse)
	if err := resp.read(br, method); err != nil {
		return nil, err
	}
	return resp, nil
}

// readResponse is readResponse into the connection's own memberResponse.
func (c *hconn) readResponse(method string) (*memberResponse, error) {
	if err := c.resp.read(c.br, method); err != nil {
		return nil, err
	}
	return &c.resp, nil
}

// maxKeptFields bounds the header map a connection keeps for its next
// response (hconn.release): a member's head of thousands of fields is not
// held on to.
const maxKeptFields = 32

// read is readResponse into resp, which a member connection keeps for
// its next response (hconn.resp): resp and its header map are reused, so
// that a response head costs the two allocations of readFields
// (docs/performance.md#per-request-work-in-go).
func (resp *memberResponse) read(br *bufio.Reader, method string) error {
	keep := resp.header
	budget := maxMemberHead
	for range maxInterim {
		line, err := readLine(br, &budget)
		if err != nil {
			return err
		}
		status, http10, err := parseStatusLine(line)
		if err != nil {
			return err
		}
		reason := statusReason(line, status)
		var names []string
		h, err := readFields(br, &budget, &names, keep)
		if err != nil {
			return err
		}
		if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
			continue // 100 Continue, 103 Early Hints: the final response follows
		}
		// A head over the small read buffer took more than one read, as a
		// body beyond it does: the next connections lease the large one
		// (readerFor), so that a member whose heads all carry a long line
		// does not cost a connection per request (hconn.release).
		*resp = memberResponse{status: status, reason: reason, header: h, names: names, br: br,
			outgrew: maxMemberHead-budget > memberReadBuf}
		resp.close = http10 && !ListedIn(h["Connection"], "keep-alive") || ListedIn(h["Connection"], "close")
		return resp.frame(br, method)
	}
	return &errMemberHead{"too many interim responses"}
}

// readLine returns one line without its CRLF (or bare LF), charged to
// budget. A line longer than the read buffer grows it to memberLineMax
// (the connection is then not used again: hconn.release); a longer one
// is refused.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull && br.Size() < memberLineMax {
		grow(br, line)
		line, err = br.ReadSlice('\n')
	}
	if err == bufio.ErrBufferFull {
		return nil, &errMemberHead{"header line longer than the read buffer"}
	}
	if err != nil {
		return nil, err
	}
	if *budget -= len(line); *budget < 0 {
		return nil, &errMemberHead{"response head too large"}
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// grow gives br, in place, a buffer of memberLineMax that reads the
// start of the line ReadSlice gave up on (held, which br counts as read),
// then through a copy of br as it was: what it holds, then the socket.
func grow(br *bufio.Reader, held []byte) {
	inner := new(bufio.Reader)
	*inner = *br
	start := bytes.NewReader(bytes.Clone(held))
	*br = *bufio.NewReaderSize(io.MultiReader(start, inner), memberLineMax)
}

// readFields reads header (or trailer) fields up to the empty line into
// h (cleared first; nil: a new map). Folded lines and names that are not
// tokens are refused, as net/http does. All values, and the names that
// are not common ones, share one string, and the values one slice array:
// a response head costs two allocations, not three per field. names, if
// not nil, gets a pair (canonical key, the member's spelling) for every
// field, first occurrences in the member's order: httpd keeps both (apr
// tables). The pairs share the values' array, so they cost no allocation
// of their own.
func readFields(br *bufio.Reader, budget *int, names *[]string, h http.Header) (http.Header, error) {
	// A field's value is text[start:end]. name is a common name
	// (memberFields) or, when "", the canonical name is text[nameAt:] up
	// to spelledAt (when spelled: the member's own spelling follows) or
	// start.
	type field struct {
		name                          string
		start, end, nameAt, spelledAt int
		spelled                       bool
	}
	var fieldSpace [16]field
	var textSpace [512]byte
	fields, text := fieldSpace[:0], textSpace[:0]
	for {
		line, err := readLine(br, budget)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !token.Is(line[:colon]) {
			return nil, &errMemberHead{fmt.Sprintf("header line %q", line)}
		}
		v := token.TrimOWS(line[colon+1:])
		f := field{name: memberFields[string(line[:colon])]}
		if f.name == "" {
			f.nameAt = len(text)
			text = token.AppendCanonical(text, line[:colon])
			if names != nil && string(line[:colon]) != string(text[f.nameAt:]) {
				f.spelled, f.spelledAt = true, len(text)
				text = append(text, line[:colon]...)
			}
		}
		f.start = len(text)
		text = append(text, v...)
		f.end = len(text)
		fields = append(fields, f)
	}
	all := string(text)
	n := len(fields)
	shared := make([]string, n, n+2*n*btoi(names != nil))
	if names != nil {
		*names = shared[n:n] // capacity for a pair per field
	}
	if h == nil {
		h = make(http.Header, n)
	} else {
		clear(h)
	}
	for i, f := range fields {
		shared[i] = all[f.start:f.end]
		name, spelling := f.name, f.name
		switch {
		case name != "":
		case f.spelled:
			name, spelling = all[f.nameAt:f.spelledAt], all[f.spelledAt:f.start]
		default:
			name = all[f.nameAt:f.start]
			spelling = name
		}
		if prior, ok := h[name]; ok {
			h[name] = append(prior, shared[i])
			continue
		}
		h[name] = shared[i : i+1 : i+1] // an append copies
		if names != nil {
			*names = append(*names, name, spelling)
		}
	}
	return h, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// memberFields interns common response field names; it is never written
// after initialisation.
var memberFields = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Cache-Control", "Connection", "Content-Encoding", "Content-Length",
		"Content-Type", "Date", "Expires", "Keep-Alive", "Last-Modified", "Location", "Server",
		"Set-Cookie", "Transfer-Encoding", "Vary"} {
		m[k] = k
	}
	return m
}()

// parseStatusLine parses "HTTP/1.x NNN reason".
func parseStatusLine(b []byte) (status int, http10 bool, err error) {
	proto, rest, ok := bytes.Cut(b, []byte{' '})
	ok = ok && (string(proto) == "HTTP/1.1" || string(proto) == "HTTP/1.0") &&
		len(rest) >= 3 && (len(rest) == 3 || rest[3] == ' ')
	for i := 0; ok && i < 3; i++ {
		ok = '0' <= rest[i] && rest[i] <= '9'
		status = status*10 + int(rest[i]-'0')
	}
	if !ok || status < 100 {
		return 0, false, &errMemberHead{fmt.Sprintf("status line %q", b)}
	}
	return status, string(proto) == "HTTP/1.0", nil
}

// statusReason returns the reason phrase of a status line that
// parseStatusLine accepted; the standard phrase costs no allocation.
func statusReason(line []byte, status int) string {
	if len(line) <= len("HTTP/1.1 200 ") {
		return ""
	}
	b := line[len("HTTP/1.1 200 "):]
	if text := http.StatusText(status); string(b) == text {
		return text
	}
	return string(b)
}

// frame decides how the body is delimited (RFC 9112 6.3).
func (resp *memberResponse) frame(br *bufio.Reader, method string) error {
	h := resp.header
	if method == http.MethodHead || resp.status == http.StatusNoContent ||
		resp.status == http.StatusNotModified || resp.status < 200 {
		resp.length = 0
		// A body it sends all the same would be read as the next
		// response: the connection is not used again.
		resp.framed = announcesBody(resp.status, h)
		resp.close = resp.close || resp.framed
		delete(h, "Transfer-Encoding")
		return nil
	}
	if te := h["Transfer-Encoding"]; len(te) > 0 {
		if len(te) != 1 || !strings.EqualFold(strings.TrimSpace(te[0]), "chunked") {
			return &errMemberHead{fmt.Sprintf("unsupported Transfer-Encoding %q", te)}
		}
		// A length next to chunked is a smuggling attempt's signature;
		// chunked wins and the connection is not used again.
		if _, ok := h["Content-Length"]; ok {
			delete(h, "Content-Length")
			resp.close = true
		}
		delete(h, "Transfer-Encoding")
		resp.announceTrailers()
		resp.length = -1
		resp.body = &chunkedBody{br: br, r: httputil.NewChunkedReader(br), resp: resp}
		return nil
	}
	if cl := h["Content-Length"]; len(cl) > 0 {
		n, err := parseLength(cl)
		if err != nil {
			return err
		}
		resp.length = n
		if n > 0 {
			resp.fixed = lengthBody{r: br, left: n}
			resp.body = &resp.fixed
		}
		return nil
	}
	resp.length, resp.close = -1, true
	resp.body = br // up to the close
	return nil
}

// parseLength accepts one Content-Length, or several that agree.
func parseLength(values []string) (int64, error) {
	var n int64 = -1
	for _, v := range values {
		for more := true; more; {
			var part string
			part, v, more = strings.Cut(v, ",")
			m, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || m < 0 || (n >= 0 && m != n) {
				return 0, &errMemberHead{fmt.Sprintf("Content-Length %q", values)}
			}
			n = m
		}
	}
	return n, nil
}

// announceTrailers keeps the names the Trailer header announces; their
// values come after the body.
func (resp *memberResponse) announceTrailers() {
	for _, v := range resp.header["Trailer"] {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)); name != "" {
				if resp.trailer == nil {
					resp.trailer = make(http.Header)
				}
				resp.trailer[name] = nil
			}
		}
	}
	delete(resp.header, "Trailer")
}

// lengthBody reads a body of a known length.
type lengthBody struct {
	r    io.Reader
	left int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n, err := b.r.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	if err == io.EOF && b.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if b.left == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// buffered returns the body bytes already in br (b's reader), without
// copying them; consume takes n of them once they are written, and
// reports whether that ended the body.
func (b *lengthBody) buffered(br *bufio.Reader) []byte {
	p, _ := br.Peek(int(min(int64(br.Buffered()), b.left)))
	return p
}

func (b *lengthBody) consume(br *bufio.Reader, n int) bool {
	br.Discard(n)
	b.left -= int64(n)
	return b.left == 0
}

// chunkedBody reads a chunked body and then its trailers.
type chunkedBody struct {
	br   *bufio.Reader
	r    io.Reader
	resp *memberResponse
	done bool
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		if err = b.readTrailers(); err == nil {
			b.done = true
			err = io.EOF
		}
	} else if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !isNetErr(err) {
		err = &errMemberHead{"chunked body: " + err.Error()}
	}
	return n, err
}

// readTrailers reads the trailer section after the last chunk.
func (b *chunkedBody) readTrailers() error {
	if crlf, err := b.br.Peek(2); err == nil && crlf[0] == '\r' && crlf[1] == '\n' {
		b.br.Discard(2)
		return nil
	}
	budget := maxMemberHead
	fields, err := readFields(b.br, &budget, nil, nil)
	if err != nil {
		return err
	}
	for name, values := range fields {
		if b.resp.trailer == nil {
			b.resp.trailer = make(http.Header)
		}
		b.resp.trailer[name] = values
	}
	return nil
}

// isNetErr reports a failure of the connection, not of the member's
// framing; a wait the path check cut is one (docs/config.md#lossy-members).
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, ajp.ErrPathDead) || errors.Is(err, ajp.ErrPathLate)
}
