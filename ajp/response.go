package ajp

import (
	"bytes"
	"errors"
	"fmt"
)

// Decoders for the container -> proxy messages (docs/ajp13.md#response-packets). Each takes the
// packet payload, type byte included, and never reads past it.

// decodeSendHeaders decodes SEND_HEADERS strictly (docs/ajp13.md#response-packets, docs/ajp13.md#edge-cases): the
// status must be a final HTTP code (200-999), every header code must be
// one of 0xA001..0xA00B, and num_headers must account for every byte of the
// payload; anything else means Tomcat produced a malformed packet (the
// overflow case in docs/ajp13.md#edge-cases) and is KindProtocol or KindInvalid. A status
// outside 200-999 is returned with its KindInvalid error: the member did
// answer. status_msg is skipped here and read by statusMessage, for the
// reason phrase (Tomcat 9+ sends the number as text).
//
// The headers are appended to dst[:0]. Coded and common names are
// constants; every other name and value is a substring of one string copy
// of the payload, so a packet costs one allocation however many headers
// it has.
func decodeSendHeaders(payload []byte, dst []Header) (status int, hdrs []Header, err error) {
	c := cursor{b: payload, i: 1}
	status = c.u16()
	c.raw() // status_msg
	n := c.u16()
	if c.err != nil {
		return 0, dst[:0], protoErr(c.err)
	}
	if status < 200 || status > 999 {
		// SEND_HEADERS is the final response: AJP has no interim
		// responses and cannot switch protocols, so a 1xx (a 101 above
		// all) would leave the client waiting for a response that never
		// comes, or talking a protocol nobody speaks.
		return status, dst[:0], invalidErr(fmt.Errorf("status %d", status)) // the status the member chose
	}
	if n > c.left()/5 { // a header takes at least 5 bytes
		return 0, dst[:0], protoErr(fmt.Errorf("%d headers cannot fit in %d bytes", n, c.left()))
	}
	hdrs = dst[:0]
	var s string // the payload as one string, made on first need
	sub := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		if s == "" {
			s = string(payload)
		}
		end := c.i - 1 // b ends right before the terminator just consumed
		return s[end-len(b) : end]
	}
	for range n {
		var name string
		if v := c.peek16(); v&0xFF00 == reqHeaderBase {
			c.u16()
			code := v - reqHeaderBase
			if code < 1 || code >= len(respHeaderNames) {
				return 0, hdrs, invalidErr(fmt.Errorf("%w %#x", errBadCode, v))
			}
			name = respHeaderNames[code]
		} else {
			b, null := c.raw()
			if c.err == nil && (null || len(b) == 0) {
				return 0, hdrs, invalidErr(errors.New("empty response header name"))
			}
			if name = internName(b); name == "" {
				name = sub(b)
			}
		}
		b, _ := c.raw()
		if c.err != nil {
			return 0, hdrs, protoErr(c.err)
		}
		hdrs = append(hdrs, Header{Name: name, Value: sub(b)})
	}
	if c.left() != 0 {
		return 0, hdrs, protoErr(fmt.Errorf("%d bytes after %d headers", c.left(), n))
	}
	return status, hdrs, nil
}

// statusMessage returns SEND_HEADERS' status_msg, which mod_jk hands to
// httpd as the reason phrase of the status line (r->status_line). The
// status as digits, what Tomcat 9+ sends, comes from a constant table;
// payload was checked by decodeSendHeaders.
func statusMessage(payload []byte, status int) string {
	c := cursor{b: payload, i: 3}
	b, _ := c.raw()
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i] // mod_jk reads a C string: a NUL ends it
	}
	if c.err != nil || len(b) == 0 {
		return ""
	}
	if len(b) == 3 && status >= 100 && status <= 999 {
		if d := statusDigits[(status-100)*3 : (status-100)*3+3]; string(b) == d {
			return d
		}
	}
	return string(b)
}

// statusDigits is "100101102...999": the decimal text of every status.
var statusDigits = func() string {
	b := make([]byte, 0, 900*3)
	for n := 100; n <= 999; n++ {
		b = append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
	}
	return string(b)
}()

// decodeBodyChunk returns the data of a SEND_BODY_CHUNK, aliasing payload.
// Like mod_jk it requires len <= payload-3 and ignores the trailing byte
// (docs/ajp13.md#response-packets); a longer len is KindInvalid ("chunk longer than packet").
func decodeBodyChunk(payload []byte) ([]byte, error) {
	if len(payload) < 3 {
		return nil, protoErr(errShort)
	}
	n := int(payload[1])<<8 | int(payload[2])
	if n > len(payload)-3 {
		return nil, invalidErr(fmt.Errorf("body chunk of %d bytes in a %d-byte payload", n, len(payload)))
	}
	return payload[3 : 3+n], nil
}

// decodeEndResponse returns END_RESPONSE's reuse flag (docs/ajp13.md#response-packets).
func decodeEndResponse(payload []byte) (reuse bool, err error) {
	if len(payload) < 2 {
		return false, protoErr(errShort)
	}
	return payload[1] != 0, nil
}

// decodeGetBodyChunk returns the length GET_BODY_CHUNK asks for (docs/ajp13.md#response-packets).
func decodeGetBodyChunk(payload []byte) (int, error) {
	if len(payload) < 3 {
		return 0, protoErr(errShort)
	}
	return int(payload[1])<<8 | int(payload[2]), nil
}

// protoErr and invalidErr make a stage-less *Error; the exchange fills in
// the stage and closes the connection.
func protoErr(err error) *Error   { return &Error{Kind: KindProtocol, Err: err} }
func invalidErr(err error) *Error { return &Error{Kind: KindInvalid, Err: err} }
