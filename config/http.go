package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Defaults of the http member attributes (jkbalancer extensions; mod_jk
// has no HTTP workers).
const (
	SchemeHTTP       = "http"
	SchemeHTTPS      = "https"
	defaultHTTPPort  = 80
	defaultHTTPSPort = 443
	defaultProbeMeth = "GET"
)

// HTTPMember holds what only an http member has. It hangs off Member.HTTP,
// so every package keeps reading the member attributes (lbfactor, route,
// retries, timeouts ...) from config.Member whatever the member speaks.
type HTTPMember struct {
	Scheme string `json:"scheme"` // http or https

	// TLS towards the member (scheme https only).
	TLSVerify     bool   `json:"tls_verify"`
	TLSCAFile     string `json:"tls_ca_file"` // "" = the system roots
	TLSServerName string `json:"tls_server_name"`
	TLSCertFile   string `json:"tls_cert_file"` // client certificate shown to the member
	TLSKeyFile    string `json:"tls_key_file"`

	// The probe of a member in error. ProbeURI "" means a TCP connect
	// (and the TLS handshake for https) is enough.
	ProbeMethod  string       `json:"probe_method"`
	ProbeURI     string       `json:"probe_uri"`
	ProbeStatus  StatusRanges `json:"probe_status"`
	ProbeTimeout int          `json:"probe_timeout"` // ms
}

// IsHTTP reports whether the member speaks HTTP (type=http) rather than
// AJP13.
func (a *Member) IsHTTP() bool { return a.HTTP != nil }

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Lo, Hi int }

// StatusRanges is a list of status codes and ranges ("200-399,401").
type StatusRanges []StatusRange

// Contains reports whether code is in one of the ranges.
func (s StatusRanges) Contains(code int) bool {
	for _, r := range s {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

// MarshalJSON prints the ranges the way they are written.
func (s StatusRanges) MarshalJSON() ([]byte, error) {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = strconv.Itoa(r.Lo)
		if r.Hi != r.Lo {
			parts[i] += "-" + strconv.Itoa(r.Hi)
		}
	}
	return []byte(strconv.Quote(strings.Join(parts, ","))), nil
}

// parseStatusRange reads "200" or "200-399".
func parseStatusRange(s string) (StatusRange, bool) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err1 := strconv.Atoi(lo)
	b := a
	var err2 error
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
		return StatusRange{}, false
	}
	return StatusRange{Lo: a, Hi: b}, true
}

var httpStrs = []strField[HTTPMember]{
	{"tls_server_name", "", func(h *HTTPMember) *string { return &h.TLSServerName }},
	{"probe_method", defaultProbeMeth, func(h *HTTPMember) *string { return &h.ProbeMethod }},
	{"probe_uri", "", func(h *HTTPMember) *string { return &h.ProbeURI }},
}

// httpOnly are the attributes only an http worker reads.
var httpOnly = []string{"scheme", "tls_verify", "tls_ca_file", "tls_server_name", "tls_cert_file",
	"tls_key_file", "probe_method", "probe_uri", "probe_status", "probe_timeout"}

// ajpOnly are the ajp13 attributes that mean nothing to an http member,
// with what the operator should know; a warning names each one set.
var ajpOnly = []struct{ attr, why string }{
	{"secret", "HTTP has no AJP secret: nothing is sent; restrict the member to the balancer's address or require tls_cert_file"},
	{"secretkey", "ajp14 login only"},
	{"connection_pool_minsize", "idle HTTP connections are all closed after connection_pool_timeout"},
	{"connect_timeout", "there is no CPing over HTTP; socket_connect_timeout bounds the connect"},
	{"prepost_timeout", "there is no CPing over HTTP; the HTTP client drops keep-alive connections the member closed before reusing them"},
	{"connection_ping_interval", "idle HTTP connections are not probed; connection_pool_timeout closes them"},
}

// compileHTTP builds an http worker: the member attributes of an ajp13
// worker plus Member.HTTP.
func compileHTTP(r attrReader, pos Pos) *Member {
	a := compileAJP(r, TypeAJP13, pos)
	httpIdleDefault(r, a)
	h := &HTTPMember{ProbeTimeout: a.PingTimeout}
	a.HTTP = h
	readStrs(r, h, httpStrs)
	h.Scheme, _ = r.str("scheme", SchemeHTTP)
	h.Scheme = strings.ToLower(h.Scheme)
	switch h.Scheme {
	case SchemeHTTP:
		if !r.has("port") {
			a.Port = defaultHTTPPort
		}
	case SchemeHTTPS:
		if !r.has("port") {
			a.Port = defaultHTTPSPort
		}
	default:
		r.c.Errorf(r.pos("scheme", pos), r.name, "scheme", "%q is not a scheme of an http member: use http or https", h.Scheme)
	}
	h.TLSVerify, _ = r.bool("tls_verify", true)
	if v, ok := r.int("probe_timeout", h.ProbeTimeout); ok {
		h.ProbeTimeout = v
	}
	if h.ProbeTimeout <= 0 {
		r.c.Warnf(r.pos("probe_timeout", pos), r.name, "probe_timeout", "%d: a probe must end; the default %d ms is used", h.ProbeTimeout, defaultPingTimeout)
		h.ProbeTimeout = defaultPingTimeout
	}
	readProbe(r, h, pos)
	readTLSFiles(r, h)
	warnAJPOnly(r, a)
	return a
}

// readProbe checks probe_method, probe_uri and probe_status.
func readProbe(r attrReader, h *HTTPMember, pos Pos) {
	if !isToken(h.ProbeMethod) {
		r.c.Errorf(r.pos("probe_method", pos), r.name, "probe_method", "%q is not an HTTP method", h.ProbeMethod)
	}
	if h.ProbeURI != "" && (h.ProbeURI[0] != '/' || strings.ContainsAny(h.ProbeURI, " \t\r\n#")) {
		r.c.Errorf(r.pos("probe_uri", pos), r.name, "probe_uri", "%q is not a request path: it must start with / and contain no blanks or #, e.g. /health", h.ProbeURI)
	}
	toks := r.list("probe_status")
	if len(toks) == 0 {
		h.ProbeStatus = StatusRanges{{Lo: 200, Hi: 399}}
		return
	}
	for _, t := range toks {
		sr, ok := parseStatusRange(t.Text)
		if !ok {
			r.c.Errorf(t.Pos, r.name, "probe_status", "%q is not a status code or range such as 200 or 200-399", t.Text)
			continue
		}
		h.ProbeStatus = append(h.ProbeStatus, sr)
	}
}

// readTLSFiles resolves the TLS file attributes against the directory of
// the file that set them and checks that they load, so a typo stops
// startup rather than every request.
func readTLSFiles(r attrReader, h *HTTPMember) {
	path := func(attr string) string {
		p := r.get(attr)
		if p == nil {
			return ""
		}
		if filepath.IsAbs(p.Value) || p.Pos.File == "" {
			return p.Value
		}
		return filepath.Join(filepath.Dir(p.Pos.File), p.Value)
	}
	h.TLSCAFile, h.TLSCertFile, h.TLSKeyFile = path("tls_ca_file"), path("tls_cert_file"), path("tls_key_file")
	if h.Scheme != SchemeHTTPS {
		for _, attr := range []string{"tls_verify", "tls_ca_file", "tls_server_name", "tls_cert_file", "tls_key_file"} {
			if r.has(attr) {
				r.c.Warnf(r.pos(attr, Pos{}), r.name, attr, "only used with scheme=https; ignored")
			}
		}
		return
	}
	if h.TLSCAFile != "" {
		if _, err := LoadCAPool(h.TLSCAFile); err != nil {
			r.c.Errorf(r.pos("tls_ca_file", Pos{}), r.name, "tls_ca_file", "%v", err)
		}
	}
	switch {
	case (h.TLSCertFile == "") != (h.TLSKeyFile == ""):
		attr := "tls_cert_file"
		if h.TLSCertFile == "" {
			attr = "tls_key_file"
		}
		r.c.Errorf(r.pos(attr, Pos{}), r.name, attr, "tls_cert_file and tls_key_file go together: set both or neither")
	case h.TLSCertFile != "":
		if _, err := tls.LoadX509KeyPair(h.TLSCertFile, h.TLSKeyFile); err != nil {
			r.c.Errorf(r.pos("tls_cert_file", Pos{}), r.name, "tls_cert_file", "client certificate: %v", err)
		}
	}
}

// LoadCAPool reads a PEM file of CA certificates.
func LoadCAPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", file)
	}
	return pool, nil
}

// warnAJPOnly names the AJP attributes an http worker ignores.
func warnAJPOnly(r attrReader, a *Member) {
	for _, x := range ajpOnly {
		if r.has(x.attr) {
			r.c.Warnf(r.pos(x.attr, Pos{}), r.name, x.attr, "ignored for an http member: %s", x.why)
		}
	}
	if strings.ContainsAny(a.PingMode, "PI") {
		r.c.Warnf(r.pos("ping_mode", Pos{}), r.name, "ping_mode", "letters P and I are ignored for an http member: there is no CPing over HTTP; a member in error is probed with probe_uri (or a TCP connect) before it gets traffic again")
	}
}

// warnHTTPOnly names the http attributes set on a worker of another type.
func warnHTTPOnly(r attrReader, typ string) {
	for _, attr := range httpOnly {
		if r.has(attr) {
			r.c.Warnf(r.pos(attr, Pos{}), r.name, attr, "only used by type=http workers; ignored for this %s worker", typ)
		}
	}
}

// isToken reports whether s is an HTTP token (RFC 9110 5.6.2), as a
// method must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// httpRisks warns about http member settings that work but hurt: idle
// connections the member or a firewall dropped are found by the HTTP
// client itself, so only TLS without verification is worth a word.
func (c *Config) httpRisks(w *Worker, col *riskCollector) {
	h := w.Member.HTTP
	if h.Scheme == SchemeHTTPS && !h.TLSVerify {
		pos, _ := c.propPos(w, "tls_verify")
		col.Warnf(pos, w.Name, "tls_verify", "tls_verify is off: any server that answers on %s is trusted with the requests, cookies and credentials sent to this member; set tls_ca_file to the CA that signed the member's certificate instead", w.Member.Address())
	}
}
