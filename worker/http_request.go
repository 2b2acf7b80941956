package worker

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/jkbalancer/jkbalancer/ajp"
)

// The headers jkbalancer adds for an HTTP member. The X-Forwarded-* set is
// what httpd's mod_proxy_http adds (ProxyAddHeaders On) plus -Proto and
// -Port, which Tomcat's RemoteIpValve reads; the X-SSL-* set carries what
// AJP members get as is_ssl, ssl_cipher, ssl_key_size, ssl_session and
// ssl_cert (docs/config.md#http-members).
const (
	hdrForwardedFor   = "X-Forwarded-For"
	hdrForwardedProto = "X-Forwarded-Proto"
	hdrForwardedHost  = "X-Forwarded-Host"
	hdrForwardedPort  = "X-Forwarded-Port"
	hdrSSLCipher      = "X-Ssl-Cipher"
	hdrSSLProtocol    = "X-Ssl-Protocol"
	hdrSSLKeySize     = "X-Ssl-Key-Size"
	hdrSSLSession     = "X-Ssl-Session-Id"
	hdrSSLClientCert  = "X-Ssl-Client-Cert"
)

// forwardHeaders passes to add each header a member gets: the client's
// minus hop-by-hop ones (RFC 9110 7.6.1, and those named in Connection),
// Expect (100-continue is answered by the front end) and anything a
// client could use to forge what jkbalancer asserts, then the
// X-Forwarded-* and X-SSL-* set. The fields go straight to the wire
// (writeHead) instead of through a map built per request.
func forwardHeaders(req *Request, add func(name, value string)) {
	r := req.HTTP
	conn := r.Header["Connection"]
	// As httpd hands mod_proxy its merged headers_in: one line per name,
	// in the client's order and spelling.
	req.EachField(func(key, name string, values []string) {
		if !skipForwardHeader(key) && !ListedIn(conn, key) && key != hdrForwardedFor {
			add(name, JoinValues(values)) // X-Forwarded-For goes below, with the client appended
		}
	})
	client := req.ClientIP
	if client == "" {
		client = clientIP(r.RemoteAddr)
	}
	// Appended like mod_proxy: whatever came before is kept for a trusted
	// proxy in front; the last entry is jkbalancer's own and the only one
	// a member should trust without further configuration.
	if prior := r.Header[hdrForwardedFor]; len(prior) > 0 {
		client = strings.Join(prior, ", ") + ", " + client
	}
	add(hdrForwardedFor, client)
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	add(hdrForwardedProto, proto)
	if r.Host != "" {
		add(hdrForwardedHost, r.Host)
	}
	if req.LocalPort != "" {
		add(hdrForwardedPort, req.LocalPort)
	}
	if r.TLS != nil && req.TLS != nil {
		addTLSHeaders(add, req.TLS)
	}
	if isUpgrade(r) {
		add("Connection", "Upgrade")
		for _, v := range r.Header["Upgrade"] {
			add("Upgrade", v)
		}
	}
}

// clientIP is the host part of a client address, the whole address when
// it has no port.
func clientIP(remoteAddr string) string {
	client, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return client
}

// addTLSHeaders passes the facts of the client's TLS connection, the ones
// AJP members get as request attributes (the server computes them once per
// connection). Only called when the client connection really is TLS.
func addTLSHeaders(add func(name, value string), t *TLSInfo) {
	if t.Cipher != "" {
		add(hdrSSLCipher, t.Cipher)
	}
	if t.Protocol != "" {
		add(hdrSSLProtocol, t.Protocol)
	}
	if t.KeyBits > 0 {
		add(hdrSSLKeySize, strconv.Itoa(t.KeyBits))
	}
	if t.SessionID != "" {
		add(hdrSSLSession, t.SessionID)
	}
	if t.ClientCert != "" {
		// URL-encoded PEM with %20 for blanks, the form nginx's
		// $ssl_client_escaped_cert uses and Tomcat's SSLValve decodes
		// (sslClientEscapedCertHeader).
		add(hdrSSLClientCert, strings.ReplaceAll(url.QueryEscape(t.ClientCert), "+", "%20"))
	}
}

// skipForwardHeader reports the client headers that never reach a member.
// name is canonical (net/http canonicalises what clients send).
func skipForwardHeader(name string) bool {
	switch name {
	case "Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection", "Te",
		"Trailer", "Transfer-Encoding", "Upgrade", "Expect", "Http2-Settings":
		return true
	}
	return forgeable(name)
}

// forgeable reports names a client must not be able to send: the
// X-Forwarded-* and X-SSL-* jkbalancer asserts itself, also spelt with
// '_' for '-' (some stacks, CGI among them, treat both alike).
func forgeable(name string) bool {
	if len(name) < 6 || (name[0] != 'X' && name[0] != 'x') {
		return false
	}
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	return strings.HasPrefix(n, "x-ssl-") || (strings.HasPrefix(n, "x-forwarded-") && n != "x-forwarded-for")
}

// ListedIn reports whether name is one of the comma-separated tokens of
// a header's values: the Connection header names hop-by-hop headers, and
// says keep-alive or close. server uses it for the request's
// Connection tokens too. It allocates nothing: it runs for every field.
func ListedIn(connection []string, name string) bool {
	for _, v := range connection {
		for tok := range strings.SplitSeq(v, ",") { // not Split: a slice per call, per field
			if strings.EqualFold(strings.TrimSpace(tok), name) {
				return true
			}
		}
	}
	return false
}

// isUpgrade reports a request to switch protocols (WebSocket, RFC 9110
// 7.8). h2c is not one: the front end answers over HTTP/1.1, which the
// RFC allows, and the request is served like any other.
func isUpgrade(r *http.Request) bool {
	up := r.Header["Upgrade"]
	if len(up) == 0 || !ListedIn(r.Header["Connection"], "Upgrade") {
		return false
	}
	for _, v := range up {
		for tok := range strings.SplitSeq(v, ",") {
			if p := strings.TrimSpace(tok); p != "" && !strings.EqualFold(p, "h2c") {
				return true
			}
		}
	}
	return false
}

// errBodyShort reports a client body that ended before its Content-Length.
var errBodyShort = errors.New("client body ended before Content-Length")

// httpBody is one attempt's view of the request body: the kept part (its
// own offset, so every attempt sends it again), then the rest, which only
// one attempt can read. Reading the rest marks the request as not
// replayable.
type httpBody struct {
	b         *ajp.Body
	sent      int64 // Kept is sent first, so while sent < len(Kept) it is the offset into it
	streamed  bool
	clientErr error
}

// newHTTPBody returns the body of one attempt and its length (-1:
// chunked), or nil when the request has none.
func newHTTPBody(req *Request) (*httpBody, int64) {
	b := req.Body
	if b == nil || b.ContentLength == 0 {
		return nil, 0
	}
	return &httpBody{b: b}, b.ContentLength
}

func (h *httpBody) Read(p []byte) (int, error) {
	b := h.b
	cl := b.ContentLength
	if cl >= 0 {
		if h.sent >= cl {
			return 0, io.EOF
		}
		p = p[:min(int64(len(p)), cl-h.sent)]
	}
	if h.sent < int64(len(b.Kept)) {
		n := copy(p, b.Kept[h.sent:])
		h.sent += int64(n)
		return n, nil
	}
	if b.Rest == nil {
		if cl >= 0 {
			return 0, h.fail(errBodyShort)
		}
		return 0, io.EOF
	}
	h.streamed = true
	n, err := b.Rest.Read(p)
	h.sent += int64(n)
	switch {
	case err == io.EOF && cl >= 0 && h.sent < cl:
		err = h.fail(errBodyShort)
	case err != nil && err != io.EOF:
		err = h.fail(err)
	}
	return n, err
}

// fail records a client failure: the attempt ends as a client error.
func (h *httpBody) fail(err error) error {
	h.clientErr = err
	return err
}

// result reports whether the attempt read from the rest of the body, and
// how the client failed, if it did.
func (h *httpBody) result() (streamed bool, clientErr error) {
	if h == nil {
		return false, nil
	}
	return h.streamed, h.clientErr
}

// bodySplicer is a client body that can move itself to a member's
// socket in the kernel (server/h1's, through limits' deadline).
type bodySplicer interface {
	SpliceTo(dst io.Writer, max int64, arm func(read int64), armDst func()) (n int64, readErr, writeErr error)
}

// splice sends the kept part through bw and, when at least spliceMin of
// the rest is left and the client's body can move itself, has the kernel
// move the rest to the member (docs/performance.md#large-bodies), each
// wait for the member bounded by socket_timeout as a write is. What it
// leaves (nothing it could move, or a rest it could not) the caller
// copies. A client failure is recorded as Read records it.
func (h *httpBody) splice(bw *bufio.Writer, cc *countedConn) error {
	b := h.b
	sp, ok := b.Rest.(bodySplicer)
	if !ok || cc.rawConn() == nil || b.ContentLength-max(h.sent, int64(len(b.Kept))) < spliceMin {
		return nil
	}
	if h.sent < int64(len(b.Kept)) {
		bw.Write(b.Kept[h.sent:])
		h.sent = int64(len(b.Kept))
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	h.streamed = true
	dst := memberSink{cc: cc}
	n, rerr, werr := sp.SpliceTo(&dst, b.ContentLength-h.sent, nil, cc.armWrite)
	cc.written.Add(n - dst.wrote) // what went past Write
	h.sent += n
	if rerr != nil {
		return h.fail(rerr)
	}
	return werr
}

// memberSink is the member's socket for bodySplicer: Write counts and
// bounds as the connection's, SyscallConn is the plain TCP socket's.
type memberSink struct {
	cc    *countedConn
	wrote int64
}

func (s *memberSink) Write(p []byte) (int, error) {
	n, err := s.cc.Write(p)
	s.wrote += int64(n)
	return n, err
}

func (s *memberSink) SyscallConn() (syscall.RawConn, error) { return s.cc.rawConn(), nil }
