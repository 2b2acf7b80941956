package h1

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/jkbalancer/jkbalancer/internal/token"
)

// errTooLarge is a head over the limit: 431.
var errTooLarge = errors.New("request head too large")

// newRequest resets the connection's request for the next head.
func (c *conn) newRequest() *http.Request {
	h := c.req.Header
	if h == nil {
		h = make(http.Header, 8)
	} else {
		clear(h)
	}
	c.req = *c.tmpl
	c.req.Header = h
	c.req.RemoteAddr = c.remote
	// The last request's values and names stay in the arrays: the next
	// one reuses those it repeats (field).
	c.vals = c.vals[:0]
	c.fields.list = c.fields.list[:0]
	return &c.req
}

// readHead reads and checks one request head into r and sets up its body.
// It returns 0, or the status to refuse the request with and why, or -1
// when the connection ended or timed out (nothing is answered then, as
// net/http does).
func (c *conn) readHead(r *http.Request) (int, string) {
	max := c.srv.MaxHeaderBytes
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	budget := max + headSlack
	line, err := readLine(c.br, &budget)
	if err != nil {
		return lineError(err)
	}
	if status, reason := c.requestLine(r, line); status != 0 {
		return status, reason
	}
	for {
		line, err := readLine(c.br, &budget)
		if err != nil {
			return lineError(err)
		}
		if len(line) == 0 {
			break
		}
		if reason := c.field(r.Header, line); reason != "" {
			return http.StatusBadRequest, reason
		}
	}
	if status, reason := c.host(r); status != 0 {
		return status, reason
	}
	return c.framing(r)
}

func lineError(err error) (int, string) {
	switch err {
	case errTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge, "request head over limits.max_header_bytes"
	case errBareLF:
		return http.StatusBadRequest, "a line ends in a bare LF (RFC 9112 2.2)"
	}
	return -1, ""
}

var errBareLF = errors.New("bare LF")

// readLine returns the next line without its CRLF, valid until the next
// read from br. A line may be longer than br's buffer; budget is what is
// left of the head's limit.
func readLine(br *bufio.Reader, budget *int) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), b...)
		for err == bufio.ErrBufferFull && len(long) <= *budget {
			b, err = br.ReadSlice('\n')
			long = append(long, b...)
		}
		b = long
	}
	if *budget -= len(b); *budget < 0 {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return nil, errBareLF
	}
	return b[:len(b)-2], nil
}

// requestLine parses "METHOD target HTTP/1.x" the way net/http splits it.
func (c *conn) requestLine(r *http.Request, line []byte) (int, string) {
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	if !token.Is(method) {
		return http.StatusBadRequest, "invalid method"
	}
	// The method is known from here on, so a refusal of a HEAD request
	// goes without a body (conn.refuse), as httpd's does.
	r.Method = methodString(method)
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(target) == 0 || bytes.IndexByte(line, '\r') >= 0 {
		return http.StatusBadRequest, "malformed request line"
	}
	switch string(proto) {
	case "HTTP/1.1":
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.0", 1, 0
	default:
		major, minor, ok := http.ParseHTTPVersion(string(proto))
		if !ok {
			return http.StatusBadRequest, "malformed HTTP version"
		}
		if major != 1 {
			return http.StatusHTTPVersionNotSupported, "unsupported HTTP version"
		}
		r.Proto, r.ProtoMajor, r.ProtoMinor = string(proto), major, minor
	}
	if bytes.IndexByte(target, '#') >= 0 {
		// httpd refuses a fragment in the request target with 400 ("URI
		// must not contain a fragment", ap_process_request_internal)
		// instead of passing a mangled path to mod_jk.
		return http.StatusBadRequest, "a fragment in the request target"
	}
	// A client on a kept connection often asks for the same target again
	// (polling, health checks, a load generator): its string is reused.
	if string(target) != c.target {
		c.target = string(target)
	}
	r.RequestURI = c.target
	var err error
	switch {
	case r.Method == http.MethodConnect && target[0] != '/':
		// An authority (CONNECT host:port), as net/http reads it.
		if r.URL, err = url.Parse("http://" + r.RequestURI); err == nil {
			r.URL.Scheme = ""
		}
	case parseOrigin(&c.url, r.RequestURI):
		r.URL = &c.url
	default:
		r.URL, err = url.ParseRequestURI(r.RequestURI)
	}
	if err != nil {
		return http.StatusBadRequest, "malformed request target"
	}
	return 0, ""
}

// parseOrigin is url.ParseRequestURI, without allocating, for the common
// origin-form target: a path of bytes that need neither unescaping nor
// escaping (so Path is the path itself and RawPath empty) and a query
// without control bytes. It reports false for anything else, which
// url.ParseRequestURI then parses (and refuses as it would)
// (docs/performance.md#per-request-work-in-go).
func parseOrigin(u *url.URL, target string) bool {
	if len(target) == 0 || target[0] != '/' {
		return false
	}
	path, query, hasQuery := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if !plainPathByte(path[i]) {
			return false
		}
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	*u = url.URL{Path: path, RawQuery: query, ForceQuery: hasQuery && query == ""}
	return true
}

// plainPathByte reports a byte url.URL keeps as it is in a path: letters,
// digits, the unreserved marks and the reserved characters other than
// '?' (net/url's encodePath).
func plainPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.~/$&+,:;=@", c) >= 0
}

// field adds one header field line to h, or says why it is refused.
// What Go's own parser accepts and this one does not is what request
// smuggling relies on (RFC 9112 5.2, 2.2).
func (c *conn) field(h http.Header, line []byte) string {
	if line[0] == ' ' || line[0] == '\t' {
		return "an obs-fold continuation line (RFC 9112 5.2)"
	}
	if bytes.IndexByte(line, '\r') >= 0 {
		return "a bare CR inside a line (RFC 9112 2.2)"
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !token.Is(line[:colon]) {
		return "a malformed header field name"
	}
	value := token.TrimOWS(line[colon+1:])
	for _, b := range value {
		if b < ' ' && b != '\t' || b == 0x7f {
			return "a control character in a header field value"
		}
	}
	key := canonicalKey(line[:colon], c.fields.nextKey())
	// A kept connection's requests mostly repeat their fields' values
	// (Host, User-Agent, Accept, Cookie) and names: the previous
	// request's string at the same place, still in vals' array (for a
	// name: in the field list's), is reused when it is the same.
	if n := len(c.vals); n < cap(c.vals) && c.vals[:n+1][n] == string(value) {
		c.vals = c.vals[:n+1]
	} else {
		c.vals = append(c.vals, string(value))
	}
	if old := h[key]; old != nil {
		h[key] = append(old, c.vals[len(c.vals)-1])
	} else {
		n := len(c.vals)
		h[key] = c.vals[n-1 : n : n] // full: a later append copies
		c.fields.add(key, line[:colon])
	}
	return ""
}

// host moves Host out of the header map into r.Host, as net/http does:
// required in HTTP/1.1, at most once, well formed; an absolute-form
// target's authority wins over it.
func (c *conn) host(r *http.Request) (int, string) {
	hosts := r.Header["Host"]
	switch {
	case len(hosts) > 1:
		return http.StatusBadRequest, "more than one Host field"
	case len(hosts) == 0 && r.ProtoMinor >= 1:
		return http.StatusBadRequest, "missing required Host header"
	case len(hosts) == 1 && !validHost(hosts[0]):
		return http.StatusBadRequest, "malformed Host header"
	}
	r.Host = r.URL.Host
	if r.Host == "" && len(hosts) == 1 {
		r.Host = hosts[0]
	}
	delete(r.Header, "Host")
	return 0, ""
}

// framing decides the body from the length fields (RFC 9112 6.1-6.3) and
// the connection's fate from Connection.
func (c *conn) framing(r *http.Request) (int, string) {
	h := r.Header
	cls, tes := h["Content-Length"], h["Transfer-Encoding"]
	switch {
	case len(tes) > 0 && r.ProtoMinor == 0:
		return http.StatusBadRequest, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1)"
	case len(tes) > 0 && len(cls) > 0:
		return http.StatusBadRequest, "both Content-Length and Transfer-Encoding (RFC 9112 6.3)"
	case len(cls) > 1:
		return http.StatusBadRequest, "more than one Content-Length (RFC 9110 8.6)"
	case len(tes) > 1 || len(tes) == 1 && !strings.EqualFold(tes[0], "chunked"):
		return http.StatusNotImplemented, "a transfer coding other than chunked"
	}
	r.Close = closeRequested(r)
	c.body = body{c: c, r: r, expecting: hasToken(h["Expect"], "100-continue")}
	switch {
	case len(tes) == 1:
		delete(h, "Transfer-Encoding")
		if c.chunked == nil {
			c.chunked = []string{"chunked"}
		}
		r.TransferEncoding, r.ContentLength = c.chunked, -1
		c.body.chunked = true
		if reason := declareTrailers(r); reason != "" {
			return http.StatusBadRequest, reason
		}
	case len(cls) == 1:
		n, ok := parseLength(cls[0])
		if !ok {
			return http.StatusBadRequest, "a malformed Content-Length"
		}
		r.ContentLength, c.body.left = n, n
	}
	if r.ContentLength == 0 {
		r.Body = http.NoBody
		return 0, ""
	}
	r.Body, c.body.active = &c.body, true
	c.body.sendContinue = r.ProtoMinor >= 1 && c.body.expecting
	return 0, ""
}

// closeRequested reads Connection: HTTP/1.0 closes unless keep-alive is
// asked for, HTTP/1.1 keeps unless close is.
func closeRequested(r *http.Request) bool {
	if r.ProtoMinor == 0 {
		return !hasToken(r.Header["Connection"], "keep-alive")
	}
	return hasToken(r.Header["Connection"], "close")
}

// declareTrailers fills r.Trailer with the fields the Trailer header
// announces, refusing those that may not be trailers (as net/http does).
func declareTrailers(r *http.Request) string {
	for _, v := range r.Header["Trailer"] {
		for name := range strings.SplitSeq(v, ",") {
			name = textproto.CanonicalMIMEHeaderKey(textproto.TrimString(name))
			switch name {
			case "":
				continue
			case "Transfer-Encoding", "Trailer", "Content-Length":
				return "a Trailer field that may not be a trailer"
			}
			if r.Trailer == nil {
				r.Trailer = make(http.Header)
			}
			r.Trailer[name] = nil
		}
	}
	return ""
}

// hasToken reports token in a comma-separated field, case-insensitively.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(part), token) {
				return true
			}
		}
	}
	return false
}

func parseLength(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
