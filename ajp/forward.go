package ajp

import (
	"errors"
	"fmt"
	"strings"
)

// AppendForward appends the whole FORWARD_REQUEST packet for req (header
// 12 34 LL LL included) to dst and returns the extended slice (docs/ajp13.md#the-forward-request).
//
// The payload must fit in maxPacketSize-4 bytes (<= 0 means
// DefaultPacketSize): nothing can spill into a second packet, and Tomcat
// answers an oversized one with 400 and a poisoned socket (docs/ajp13.md#packet-size, docs/ajp13.md#edge-cases).
// A request that does not fit gives *Error{Stage: StageSend, Kind:
// KindTooLarge}; a string with NUL, CR or LF, a URI that is not
// origin-form, or a number out of range gives KindInvalid (docs/ajp13.md#framing, docs/ajp13.md#edge-cases).
// On error dst is returned unchanged in length.
//
// Attributes go in mod_jk's order (docs/compat.md#forwarding-a-request). The 0x0A pairs
// AJP_SSL_PROTOCOL, AJP_REMOTE_PORT, AJP_LOCAL_ADDR and JK_LB_ACTIVATION are
// sent when their field is non-empty; the worker always fills the last
// three, as mod_jk does.
//
// With cap(dst)-len(dst) >= maxPacketSize it does not allocate.
func AppendForward(dst []byte, req *Request, maxPacketSize int) ([]byte, error) {
	limit := maxPacketSize
	if limit <= 0 {
		limit = DefaultPacketSize
	}
	limit = min(limit, MaxPacketSize)
	e := encoder{b: dst, start: len(dst), limit: limit}
	e.b = append(e.b, magicToBackend0, magicToBackend1, 0, 0, byte(typeForwardRequest))
	code, coded := MethodCode(req.Method)
	if !coded {
		code = methodStored
		if req.Method == "" {
			e.invalid("empty method")
		}
	}
	e.b = append(e.b, code)
	e.str("protocol", req.Protocol)
	if req.URI != "*" && (req.URI == "" || req.URI[0] != '/') {
		// An absolute URI would make Tomcat take the Host from it (docs/ajp13.md#edge-cases).
		e.invalid("req_uri is not origin-form")
	}
	e.str("req_uri", req.URI)
	e.str("remote_addr", req.RemoteAddr)
	if req.RemoteHost == "" {
		e.b = appendUint16(e.b, nullString) // Tomcat falls back to remote_addr
	} else {
		e.str("remote_host", req.RemoteHost)
	}
	e.str("server_name", req.ServerName)
	e.uint16("server_port", req.ServerPort)
	ssl := byte(0)
	if req.IsSSL {
		ssl = 1
	}
	e.b = append(e.b, ssl)
	e.headers(req.Headers)
	e.attributes(req, coded)
	return e.finish()
}

// encoder builds one FORWARD_REQUEST. It checks every field before
// appending it, so the packet never grows past limit and the first problem
// is the one reported.
type encoder struct {
	b     []byte
	start int // offset of the packet in b
	limit int // max packet bytes, header included
	err   *Error
}

func (e *encoder) fail(k Kind, err error) {
	if e.err == nil {
		e.err = &Error{Stage: StageSend, Kind: k, Err: err}
	}
}

func (e *encoder) invalid(msg string) { e.fail(KindInvalid, errors.New(msg)) }

// room reports whether n more bytes fit, failing with KindTooLarge if not.
// It keeps one byte for the 0xFF terminator, and stays small enough to
// inline on the hot path. After a failure more bytes may still be
// appended, within the limit; finish drops them.
func (e *encoder) room(n int) bool {
	if len(e.b)-e.start+n < e.limit {
		return true
	}
	e.tooLarge()
	return false
}

func (e *encoder) tooLarge() {
	e.fail(KindTooLarge, fmt.Errorf("request headers do not fit in max_packet_size %d", e.limit))
}

// str appends an AJP string after refusing NUL, CR and LF: C peers stop at
// the NUL, and CR/LF would let client input forge lines downstream (docs/ajp13.md#framing).
func (e *encoder) str(field, s string) {
	if e.err != nil {
		return
	}
	if !cleanString(s) {
		e.fail(KindInvalid, fmt.Errorf("%s contains NUL, CR or LF", field))
		return
	}
	if e.room(len(s) + 3) {
		e.b = appendString(e.b, s)
	}
}

func (e *encoder) uint16(field string, v int) {
	if v < 0 || v > 0xFFFF {
		e.fail(KindInvalid, fmt.Errorf("%s %d out of range", field, v))
		return
	}
	if e.room(2) {
		e.b = appendUint16(e.b, v)
	}
}

func (e *encoder) headers(hs []Header) {
	if len(hs) > 0xFFFF {
		e.fail(KindTooLarge, errors.New("too many request headers"))
		return
	}
	e.uint16("num_headers", len(hs))
	for i := range hs {
		h := &hs[i]
		if c := requestHeaderCode(h.Name); c != 0 {
			e.uint16("header code", c)
		} else {
			// Tomcat reads a leading 0xA0xx as a code, and "" is no name.
			if h.Name == "" || len(h.Name) >= reqHeaderBase {
				e.invalid("bad request header name length")
				return
			}
			e.str("header name", h.Name)
		}
		e.str("header value", h.Value)
	}
}

// attr appends one string attribute when v is set.
func (e *encoder) attr(code byte, field, v string) {
	if v == "" || !e.room(1) {
		return
	}
	e.b = append(e.b, code)
	e.str(field, v)
}

// pemAttr appends ssl_cert. It is PEM, with line feeds, like mod_ssl's
// SSL_CLIENT_CERT that mod_jk forwards, and Tomcat's certificate parser
// needs them; the text is built from the TLS connection, never copied
// from client input, so only NUL and CR are refused.
func (e *encoder) pemAttr(code byte, field, v string) {
	if v == "" || e.err != nil || !e.room(1) {
		return
	}
	if strings.IndexByte(v, 0) >= 0 || strings.IndexByte(v, '\r') >= 0 {
		e.fail(KindInvalid, fmt.Errorf("%s contains NUL or CR", field))
		return
	}
	e.b = append(e.b, code)
	if e.room(len(v) + 3) {
		e.b = appendString(e.b, v)
	}
}

// reqAttr appends one 0x0A name/value pair when value is set.
func (e *encoder) reqAttr(name, value string) {
	if value == "" || !e.room(1) {
		return
	}
	e.b = append(e.b, attrReqAttr)
	e.str("attribute name", name)
	e.str("attribute value", value)
}

func (e *encoder) attributes(req *Request, coded bool) {
	e.attr(attrSecret, "secret", req.Secret)
	e.attr(attrRemoteUser, "remote_user", req.RemoteUser)
	e.attr(attrAuthType, "auth_type", req.AuthType)
	if (req.HasQuery || req.QueryString != "") && e.room(1) {
		e.b = append(e.b, attrQueryString) // "?" alone is an empty query
		e.str("query_string", req.QueryString)
	}
	e.attr(attrRoute, "route", req.Route)
	e.pemAttr(attrSSLCert, "ssl_cert", req.SSLCert)
	e.attr(attrSSLCipher, "ssl_cipher", req.SSLCipher)
	e.attr(attrSSLSession, "ssl_session", req.SSLSession)
	if req.SSLKeySize >= 0 && e.room(1) {
		e.b = append(e.b, attrSSLKeySize) // a uint16, not a string (docs/ajp13.md#request-attributes)
		e.uint16("ssl_key_size", req.SSLKeySize)
	}
	if !coded && e.room(1) {
		e.b = append(e.b, attrStoredMeth)
		e.str("method", req.Method)
	}
	e.reqAttr(AttrSSLProtocol, req.SSLProtocol)
	e.reqAttr(AttrRemotePort, req.RemotePort)
	e.reqAttr(AttrLocalAddr, req.LocalAddr)
	e.reqAttr(AttrActivation, req.Activation)
	for i := range req.Attributes {
		a := &req.Attributes[i]
		if a.Name == "" {
			e.invalid("empty request attribute name")
			return
		}
		if e.room(1) {
			e.b = append(e.b, attrReqAttr)
			e.str("attribute name", a.Name)
			e.str("attribute value", a.Value)
		}
	}
}

// finish appends the terminator and fills in the payload length.
func (e *encoder) finish() ([]byte, error) {
	if e.err != nil {
		return e.b[:e.start], e.err
	}
	e.b = append(e.b, attrDone)
	n := len(e.b) - e.start - headerLen
	putHeader(e.b[e.start:], magicToBackend0, magicToBackend1, n)
	return e.b, nil
}

// cleanString reports whether s has no NUL, CR or LF. It tests 8 bytes
// at a time for any byte below 0x0E (SWAR: x-0x0E.. borrows into a byte's
// top bit only where that byte is smaller) and looks closer only then:
// header text rarely has such bytes (tab is the usual one).
func cleanString(s string) bool {
	const lows, highs = 0x0E0E0E0E0E0E0E0E, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		v := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if (v-lows)&^v&highs != 0 && !cleanBytes(s[i:i+8]) {
			return false
		}
	}
	return cleanBytes(s[i:])
}

func cleanBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= '\r' && (c == 0 || c == '\r' || c == '\n') {
			return false
		}
	}
	return true
}
