package ajp

import (
	"errors"
	"fmt"
)

// DecodeForward decodes a FORWARD_REQUEST payload (the bytes after the
// 4-byte packet header, starting with the 0x02 type byte) the way Tomcat
// reads it (docs/ajp13.md#the-forward-request). It is the container side of AppendForward, used by
// ajptest and the fuzz round trips.
//
// Null strings decode as "" (so a null remote_host comes back as ""),
// coded header names in lower case as Tomcat exposes them, and the four
// well-known 0x0A pairs into their Request fields; other 0x0A pairs go to
// Attributes in order. SSLKeySize is -1 when absent. Attributes 0x01 and
// 0x02 are read and dropped, like Tomcat. Errors are *Error with
// KindProtocol (truncated, missing terminator) or KindInvalid (bad type,
// method, header or attribute code: Tomcat's 500 cases in docs/ajp13.md#edge-cases).
func DecodeForward(payload []byte) (*Request, error) {
	c := cursor{b: payload}
	if t := msgType(c.u8()); c.err == nil && t != typeForwardRequest {
		return nil, decodeErr(KindInvalid, fmt.Errorf("message type %#x is not FORWARD_REQUEST", byte(t)))
	}
	req := &Request{SSLKeySize: -1}
	m := int(c.u8())
	req.Protocol = c.str()
	req.URI = c.str()
	req.RemoteAddr = c.str()
	req.RemoteHost = c.str()
	req.ServerName = c.str()
	req.ServerPort = c.u16()
	req.IsSSL = c.u8() != 0
	if c.err != nil {
		return nil, decodeErr(KindProtocol, c.err)
	}
	switch {
	case m >= 1 && m < len(methods):
		req.Method = methods[m]
	case m != methodStored:
		return nil, decodeErr(KindInvalid, fmt.Errorf("%w %d", errBadMethod, m))
	}
	if err := decodeReqHeaders(&c, req); err != nil {
		return nil, err
	}
	if err := decodeAttributes(&c, req); err != nil {
		return nil, err
	}
	if m == methodStored && req.Method == "" {
		return nil, decodeErr(KindInvalid, errors.New("method 0xFF without stored_method"))
	}
	return req, nil
}

func decodeErr(k Kind, err error) *Error {
	return &Error{Stage: StageSend, Kind: k, Err: err}
}

func decodeReqHeaders(c *cursor, req *Request) error {
	n := c.u16()
	if c.err != nil {
		return decodeErr(KindProtocol, c.err)
	}
	// Each header takes at least 5 bytes; don't let a forged count size
	// the allocation.
	if n > c.left()/5 {
		return decodeErr(KindProtocol, fmt.Errorf("%d headers cannot fit in %d bytes", n, c.left()))
	}
	req.Headers = make([]Header, 0, n)
	for range n {
		var name string
		if v := c.peek16(); v&0xFF00 == reqHeaderBase {
			c.u16()
			code := v - reqHeaderBase
			if code < 1 || code >= len(reqHeaderNames) {
				return decodeErr(KindInvalid, fmt.Errorf("%w %#x", errBadCode, v))
			}
			name = reqHeaderNames[code]
		} else {
			name = c.str()
		}
		value := c.str()
		if c.err != nil {
			return decodeErr(KindProtocol, c.err)
		}
		req.Headers = append(req.Headers, Header{Name: name, Value: value})
	}
	return nil
}

func decodeAttributes(c *cursor, req *Request) error {
	for {
		code := c.u8()
		if c.err != nil {
			return decodeErr(KindProtocol, c.err)
		}
		switch code {
		case attrDone:
			return nil
		case attrContext, attrServletPath:
			c.str()
		case attrRemoteUser:
			req.RemoteUser = c.str()
		case attrAuthType:
			req.AuthType = c.str()
		case attrQueryString:
			req.QueryString, req.HasQuery = c.str(), true
		case attrRoute:
			req.Route = c.str()
		case attrSSLCert:
			req.SSLCert = c.str()
		case attrSSLCipher:
			req.SSLCipher = c.str()
		case attrSSLSession:
			req.SSLSession = c.str()
		case attrSSLKeySize:
			req.SSLKeySize = c.u16()
		case attrSecret:
			req.Secret = c.str()
		case attrStoredMeth:
			req.Method = c.str()
		case attrReqAttr:
			decodeReqAttr(c, req)
		default:
			// Tomcat has no case for it and desynchronizes (docs/ajp13.md#request-attributes).
			return decodeErr(KindInvalid, fmt.Errorf("%w %#x", errBadAttr, code))
		}
		if c.err != nil {
			return decodeErr(KindProtocol, c.err)
		}
	}
}

func decodeReqAttr(c *cursor, req *Request) {
	name, value := c.str(), c.str()
	if c.err != nil {
		return
	}
	switch name {
	case AttrRemotePort:
		req.RemotePort = value
	case AttrLocalAddr:
		req.LocalAddr = value
	case AttrSSLProtocol:
		req.SSLProtocol = value
	case AttrActivation:
		req.Activation = value
	default:
		req.Attributes = append(req.Attributes, Header{Name: name, Value: value})
	}
}
