package server

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/jkbalancer/jkbalancer/accesslog"
	"github.com/jkbalancer/jkbalancer/ajp"
	"github.com/jkbalancer/jkbalancer/config"
	"github.com/jkbalancer/jkbalancer/limits"
	"github.com/jkbalancer/jkbalancer/server/h1"
	"github.com/jkbalancer/jkbalancer/worker"
)

// request is the pooled per-request scratch: the worker.Request and the
// buffers it points into.
type request struct {
	worker.Request
	lw      accesslog.Writer // the client's writer, wrapped for the request log
	match   string           // the normalised path (%U)
	body    ajp.Body
	rev     reverseWriter // proxy_pass reverse rewriting (server/proxypass.go)
	headers []ajp.Header
	kept    []byte

	bodyTimeout limits.BodyTimeout // limits.read_body_timeout
	// host and hostPort are r.Host as hostName read it, once route did
	// (hostParsed): fill does not read it again.
	host, hostPort string
	hostParsed     bool
}

var requestPool = sync.Pool{New: func() any {
	return &request{headers: make([]ajp.Header, 0, 24), kept: make([]byte, 0, ajp.DefaultPacketSize)}
}}

func getRequest() *request { return requestPool.Get().(*request) }

func putRequest(r *request) {
	headers, kept := r.headers[:0], r.kept[:0]
	if cap(kept) > ajp.MaxPacketSize {
		kept = nil
	}
	clear(r.headers)
	*r = request{headers: headers, kept: kept}
	requestPool.Put(r)
}

// fill prepares the AJP forward-request template the way mod_jk builds it
// from httpd's request (docs/compat.md#forwarding-a-request). Nothing here is taken from
// client-controlled input that the backend would trust as an attribute:
// only fixed attribute names and the operator's JkEnvVar names are sent.
func (rq *request) fill(r *http.Request, p paths, rule *config.Mount, srv *config.Server) {
	rq.HTTP = r
	rq.Rule = rule
	rq.Secure = r.TLS != nil
	a := &rq.Forward
	a.Method = r.Method
	a.Protocol = r.Proto
	a.URI = p.forward
	a.QueryString = r.URL.RawQuery
	a.HasQuery = r.URL.ForceQuery || r.URL.RawQuery != ""
	a.IsSSL = r.TLS != nil
	a.SSLKeySize = -1

	ca := connAddrOf(r)
	remoteIP, remotePort := ca.remote(r.RemoteAddr)
	localIP, localPort := ca.local(r)
	a.RemoteAddr, a.RemotePort = remoteIP, remotePort
	rq.ClientIP = remoteIP
	if srv.Options.ForwardLocalAddress {
		// JkOptions +ForwardLocalAddress: the proxy's own address, port "0".
		a.RemoteAddr, a.RemotePort = localIP, "0"
	}
	a.LocalAddr, rq.LocalPort = localIP, localPort
	if !rq.hostParsed {
		rq.host, rq.hostPort, _ = hostName(r.Host) // route refused a Host httpd refuses
	}
	a.ServerName, a.ServerPort = serverNameOf(rq.host, rq.hostPort, r.TLS != nil, srv, localIP, localPort)

	if f := h1.RequestFields(r); f != nil {
		rq.Fields = f // nil stays a nil interface
	}
	rq.headers = appendHeaders(rq.headers[:0], rq)
	a.Headers = rq.headers
	if rq.TLS = requestTLS(r, &srv.Options); rq.TLS != nil {
		fillTLS(a, rq.TLS, &srv.Options)
	}
	for _, ev := range srv.EnvVars {
		if ev.HasValue {
			a.Attributes = append(a.Attributes, ajp.Header{Name: ev.Name, Value: ev.Value})
		}
	}
}

// readBody keeps the start of the request body so that a failover can send
// it again (mod_jk keeps the first body packet, sized by the largest
// max_packet_size of the lb's members). A chunked body is not pre-read:
// like mod_jk, nothing is sent before the backend asks for it.
func (rq *request) readBody(r *http.Request, keepMax int) error {
	rq.body = ajp.Body{ContentLength: r.ContentLength}
	rq.Body = &rq.body
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		rq.body.ContentLength = max(r.ContentLength, 0)
		return nil
	}
	rq.body.Rest = r.Body
	if r.ContentLength < 0 {
		return nil
	}
	n := int(min(r.ContentLength, int64(keepMax)))
	if cap(rq.kept) < n {
		rq.kept = make([]byte, n)
	}
	rq.kept = rq.kept[:n]
	if _, err := io.ReadFull(r.Body, rq.kept); err != nil {
		return err
	}
	rq.body.Kept = rq.kept
	return nil
}

// appendHeaders copies the client's headers minus hop-by-hop headers and
// Expect (100-continue is answered by the front end, never by the member), the
// way mod_jk sends httpd's headers_in: one entry per name, repeated
// values joined with ", ", in the client's order and spelling
// (worker.Request.EachField). Content-Length is re-added from the parsed
// length: mod_jk sends "content-length: 0" for a request without a body,
// because AJP reads a missing length as "unknown". A body of unknown length
// goes with Transfer-Encoding: chunked instead.
func appendHeaders(dst []ajp.Header, rq *request) []ajp.Header {
	r := rq.HTTP
	connTokens := r.Header["Connection"]
	if r.Host != "" && hostSent(rq) {
		dst = append(dst, ajp.Header{Name: "Host", Value: r.Host})
	}
	rq.EachField(func(key, name string, values []string) {
		if !skipRequestHeader(key) && !worker.ListedIn(connTokens, key) {
			dst = append(dst, ajp.Header{Name: name, Value: worker.JoinValues(values)})
		}
	})
	if r.ContentLength >= 0 {
		dst = append(dst, ajp.Header{Name: "Content-Length", Value: strconv.FormatInt(r.ContentLength, 10)})
	} else if r.Body != nil && r.Body != http.NoBody {
		// A body of unknown length (chunked, or HTTP/2 without a length):
		// mod_jk forwards the client's Transfer-Encoding: chunked, which
		// httpd keeps in headers_in, and no Content-Length. Without it
		// Tomcat's Request.parseParameters ignores a chunked form body.
		dst = append(dst, ajp.Header{Name: "Transfer-Encoding", Value: "chunked"})
	}
	return dst
}

// hostSent reports whether the client sent a Host field. r.Host also
// holds an absolute-form target's authority, and httpd replaces a Host
// field with it but adds none (ap_update_vhost_from_headers): mod_jk
// sends no Host for "GET http://h/x HTTP/1.0" without one, though
// server_name is h. Only server/h1 says which fields came; without its
// list (net/http, HTTP/2) Host is taken as sent.
func hostSent(rq *request) bool {
	return rq.Fields == nil || worker.HasField(rq.Fields, "Host")
}

func skipRequestHeader(name string) bool {
	switch name {
	case "Host", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection", "Te",
		"Trailer", "Transfer-Encoding", "Upgrade", "Expect", "Http2-Settings":
		return true
	}
	return false
}

// serverNamePort follows httpd's ap_get_server_name/ap_get_server_port with
// UseCanonicalName Off: the Host header's name (normalised as httpd's
// fix_hostname does, hostName) and port; without a port,
// the configured ServerName's port, else the scheme's default port.
func serverNamePort(r *http.Request, srv *config.Server, localIP, localPort string) (string, int) {
	host, port, _ := hostName(r.Host) // route refused a Host httpd refuses
	return serverNameOf(host, port, r.TLS != nil, srv, localIP, localPort)
}

// serverNameOf is serverNamePort for a Host hostName already read.
func serverNameOf(host, port string, secure bool, srv *config.Server, localIP, localPort string) (string, int) {
	if host == "" {
		host, port = srv.ServerName, ""
		if h, p, ok := splitHostPort(srv.ServerName); ok {
			host, port = h, p
		}
	}
	if host == "" {
		host, port = localIP, localPort
	}
	if port != "" { // Atoi's error for "" allocates
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65536 {
			return host, n
		}
	}
	if _, p, ok := splitHostPort(srv.ServerName); ok {
		if n, err := strconv.Atoi(p); err == nil {
			return host, n
		}
	}
	if secure {
		return host, 443
	}
	return host, 80
}

// splitHostPort is net.SplitHostPort for a yes or no: its error value
// allocates, and a Host without a port (what browsers send for 80 and
// 443) is the common case, not an exception.
func splitHostPort(s string) (host, port string, ok bool) {
	if !strings.Contains(s, ":") {
		return "", "", false // net.SplitHostPort: missing port
	}
	h, p, err := net.SplitHostPort(s)
	return h, p, err == nil
}

func splitAddr(addr string) (string, string) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, "0"
	}
	return h, p
}

// connAddrKey keys a connection's connAddr in its context.
type connAddrKey struct{}

// connAddr is a connection's addresses as text, split once: every
// request forwards them (AJP remote_addr and local_addr, X-Forwarded-For,
// the server port), and net.Addr.String allocates.
type connAddr struct {
	ip, port string // local
	// The remote address, split at the connection's first request (the
	// front end knows it as text; an HTTP/2 connection's streams may
	// come concurrently).
	once              sync.Once
	raddr, rip, rport string
}

func newConnAddr(a net.Addr) *connAddr {
	ip, port := splitAddr(a.String())
	return &connAddr{ip: ip, port: port}
}

// connAddrOf returns r's connection's connAddr, nil when it has none.
func connAddrOf(r *http.Request) *connAddr {
	a, _ := r.Context().Value(connAddrKey{}).(*connAddr)
	return a
}

// remote returns the IP and port of the client's address raddr (the
// request's RemoteAddr), split once per connection.
func (a *connAddr) remote(raddr string) (string, string) {
	if a == nil {
		return splitAddr(raddr)
	}
	a.once.Do(func() { a.raddr = raddr; a.rip, a.rport = splitAddr(raddr) })
	if raddr != a.raddr {
		return splitAddr(raddr) // changed by a handler in front: not the connection's
	}
	return a.rip, a.rport
}

// local returns the IP and port the client connected to, "" when the
// request came from no connection.
func (a *connAddr) local(r *http.Request) (string, string) {
	if a != nil {
		return a.ip, a.port
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return splitAddr(la.String())
	}
	return "", ""
}

// fillTLS passes the facts of the client's TLS connection the way mod_jk
// passes mod_ssl's (docs/config.md#jkoptions, docs/ajp13.md#request-attributes): ssl_cipher,
// ssl_session, ssl_cert (the chain appended on ForwardSSLCertChain),
// AJP_SSL_PROTOCOL, and ssl_key_size on ForwardKeySize (the default).
// Nothing is allocated: the strings were built once for the connection.
func fillTLS(a *ajp.Request, t *worker.TLSInfo, o *config.Options) {
	a.SSLCipher = t.Cipher
	a.SSLSession = t.SessionID
	a.SSLCert = t.ClientCert
	a.SSLProtocol = t.Protocol
	if o.ForwardKeySize && t.KeyBits >= 0 {
		a.SSLKeySize = t.KeyBits
	}
}
