package ajp

import "errors"

// Packet framing (docs/ajp13.md#framing). Every packet is a 4-byte header (two
// magic bytes, then the payload length as uint16 big-endian) followed by the
// payload. The magic tells the direction.
const (
	headerLen = 4

	// magicToBackend opens every proxy -> Tomcat packet: 0x12 0x34.
	magicToBackend0, magicToBackend1 = 0x12, 0x34
	// magicFromBackend opens every Tomcat -> proxy packet: 'A' 'B'.
	magicFromBackend0, magicFromBackend1 = 'A', 'B'

	// nullString is the length that marks a null string: no bytes and no
	// terminator follow it (docs/ajp13.md#framing).
	nullString = 0xFFFF
)

// msgType is the first payload byte of every packet except request-body
// data packets, which carry no type (docs/ajp13.md#framing).
type msgType byte

const (
	// typeForwardRequest (proxy -> Tomcat): method byte, protocol, req_uri,
	// remote_addr, remote_host, server_name strings, server_port uint16,
	// is_ssl byte, num_headers uint16, headers, attributes, 0xFF (docs/ajp13.md#the-forward-request).
	typeForwardRequest msgType = 0x02
	// typeSendBodyChunk (Tomcat -> proxy): uint16 len, len bytes, one 0x00.
	// len 0 is a flush request (docs/ajp13.md#response-packets).
	typeSendBodyChunk msgType = 0x03
	// typeSendHeaders (Tomcat -> proxy): uint16 status, status_msg string,
	// uint16 num_headers, then num_headers x (name, value) (docs/ajp13.md#response-packets).
	typeSendHeaders msgType = 0x04
	// typeEndResponse (Tomcat -> proxy): one reuse byte; 0 means close.
	typeEndResponse msgType = 0x05
	// typeGetBodyChunk (Tomcat -> proxy): uint16 requested length. Answer
	// with exactly one data packet (docs/ajp13.md#response-packets).
	typeGetBodyChunk msgType = 0x06
	// typeCPing (proxy -> Tomcat): no payload after the type byte.
	typeCPing msgType = 0x0A
	// typeCPong (Tomcat -> proxy): no payload after the type byte.
	typeCPong msgType = 0x09
)

// Attribute codes of FORWARD_REQUEST (docs/ajp13.md#request-attributes). Each is followed by its
// value: a string, except reqAttribute (two strings) and sslKeySize (uint16).
const (
	attrContext     = 0x01 // read and ignored by Tomcat
	attrServletPath = 0x02 // read and ignored by Tomcat
	attrRemoteUser  = 0x03
	attrAuthType    = 0x04
	attrQueryString = 0x05
	attrRoute       = 0x06
	attrSSLCert     = 0x07
	attrSSLCipher   = 0x08
	attrSSLSession  = 0x09
	attrReqAttr     = 0x0A // name string, value string
	attrSSLKeySize  = 0x0B // uint16, not a string (docs/ajp13.md#request-attributes)
	attrSecret      = 0x0C
	attrStoredMeth  = 0x0D // the method name when the method byte is 0xFF
	attrDone        = 0xFF // terminator
)

// Names of the req_attribute (0x0A) pairs the proxy itself sends (docs/ajp13.md#request-attributes).
const (
	AttrSSLProtocol = "AJP_SSL_PROTOCOL"
	AttrRemotePort  = "AJP_REMOTE_PORT"
	AttrLocalAddr   = "AJP_LOCAL_ADDR"
	AttrActivation  = "JK_LB_ACTIVATION"
)

// methodStored is the method byte that says "the name follows as
// attribute 0x0D" (docs/ajp13.md#the-forward-request).
const methodStored = 0xFF

// cpingLen is the size of a CPing and of a CPong packet.
const cpingLen = 5

// appendCPing appends V1's CPing packet: 12 34 00 01 0a.
func appendCPing(b []byte) []byte {
	return append(b, magicToBackend0, magicToBackend1, 0, 1, byte(typeCPing))
}

// appendEmptyData appends the empty data packet that ends a request body:
// 12 34 00 00 (docs/ajp13.md#request-body-flow).
func appendEmptyData(b []byte) []byte {
	return append(b, magicToBackend0, magicToBackend1, 0, 0)
}

// normPacketSize applies mod_jk's max_packet_size rules: 0 means the
// default, other values are rounded up to a multiple of 1024 and clamped to
// [MinPacketSize, MaxPacketSize] (docs/config.md#backend-worker-keys).
func normPacketSize(p int) int {
	if p <= 0 {
		return DefaultPacketSize
	}
	p = (p + 1023) &^ 1023
	return min(max(p, MinPacketSize), MaxPacketSize)
}

func appendUint16(b []byte, v int) []byte {
	return append(b, byte(v>>8), byte(v))
}

// appendString appends an AJP string: length, bytes, 0x00 terminator.
// The caller has checked the length and contents.
func appendString(b []byte, s string) []byte {
	b = append(b, byte(len(s)>>8), byte(len(s)))
	b = append(b, s...)
	return append(b, 0)
}

// putHeader writes a packet header for a payload of n bytes at b[0:4].
func putHeader(b []byte, m0, m1 byte, n int) {
	b[0], b[1], b[2], b[3] = m0, m1, byte(n>>8), byte(n)
}

// errShort and friends describe decoding failures; they are wrapped in
// *Error with the right Stage and Kind where they surface.
var (
	errShort      = errors.New("packet truncated")
	errNoTerm     = errors.New("string without 0x00 terminator")
	errBadMagic   = errors.New("bad packet magic")
	errEmpty      = errors.New("empty packet")
	errTooLong    = errors.New("wrong message size")
	errBadCode    = errors.New("unknown header code")
	errBadAttr    = errors.New("unknown attribute code")
	errBadMethod  = errors.New("unknown method code")
	errNullString = errors.New("null string where a value is required")
)

// cursor reads AJP types from one payload. Every accessor checks the
// bounds; after the first failure err is set and all further reads return
// zero values, so a decoder can check err once at the end of a block.
type cursor struct {
	b   []byte
	i   int
	err error
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *cursor) left() int { return len(c.b) - c.i }

func (c *cursor) u8() byte {
	if c.err != nil || c.i >= len(c.b) {
		c.fail(errShort)
		return 0
	}
	v := c.b[c.i]
	c.i++
	return v
}

func (c *cursor) u16() int {
	if c.err != nil || len(c.b)-c.i < 2 {
		c.fail(errShort)
		return 0
	}
	v := int(c.b[c.i])<<8 | int(c.b[c.i+1])
	c.i += 2
	return v
}

// peek16 returns the next uint16 without consuming it.
func (c *cursor) peek16() int {
	if c.err != nil || len(c.b)-c.i < 2 {
		c.fail(errShort)
		return 0
	}
	return int(c.b[c.i])<<8 | int(c.b[c.i+1])
}

// raw reads a string and returns its bytes without the terminator (an
// alias into the payload) and whether it was null.
func (c *cursor) raw() (b []byte, null bool) {
	n := c.u16()
	if c.err != nil {
		return nil, false
	}
	if n == nullString {
		return nil, true
	}
	if len(c.b)-c.i < n+1 {
		c.fail(errShort)
		return nil, false
	}
	if c.b[c.i+n] != 0 {
		c.fail(errNoTerm)
		return nil, false
	}
	b = c.b[c.i : c.i+n : c.i+n]
	c.i += n + 1
	return b, false
}

// str reads a string; null decodes as "".
func (c *cursor) str() string {
	b, _ := c.raw()
	return string(b)
}
