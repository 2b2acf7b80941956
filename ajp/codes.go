package ajp

import "strings"

// methods lists the coded methods; the index is the code (docs/ajp13.md#the-forward-request).
// BASELINE-CONTROL is spelled with a hyphen, as Tomcat and mod_jk do.
var methods = [...]string{
	1: "OPTIONS", 2: "GET", 3: "HEAD", 4: "POST", 5: "PUT", 6: "DELETE",
	7: "TRACE", 8: "PROPFIND", 9: "PROPPATCH", 10: "MKCOL", 11: "COPY",
	12: "MOVE", 13: "LOCK", 14: "UNLOCK", 15: "ACL", 16: "REPORT",
	17: "VERSION-CONTROL", 18: "CHECKIN", 19: "CHECKOUT", 20: "UNCHECKOUT",
	21: "SEARCH", 22: "MKWORKSPACE", 23: "UPDATE", 24: "LABEL", 25: "MERGE",
	26: "BASELINE-CONTROL", 27: "MKACTIVITY",
}

// MethodCode returns the AJP method byte for method (docs/ajp13.md#the-forward-request). Methods
// are case-sensitive tokens (RFC 9110 9.1): "get" is not GET. ok is false
// for any other method; it must then be sent as 0xFF plus attribute 0x0D.
func MethodCode(method string) (code byte, ok bool) {
	// The hot methods first, without a table walk.
	switch method {
	case "GET":
		return 2, true
	case "POST":
		return 4, true
	case "HEAD":
		return 3, true
	}
	for i := 1; i < len(methods); i++ {
		if methods[i] == method {
			return byte(i), true
		}
	}
	return 0, false
}

// Request header codes 0xA001..0xA00E (docs/ajp13.md#the-forward-request). Tomcat exposes coded
// names in lower case, so that is how DecodeForward names them.
const reqHeaderBase = 0xA000

var reqHeaderNames = [...]string{
	1: "accept", 2: "accept-charset", 3: "accept-encoding",
	4: "accept-language", 5: "authorization", 6: "connection",
	7: "content-type", 8: "content-length", 9: "cookie", 10: "cookie2",
	11: "host", 12: "pragma", 13: "referer", 14: "user-agent",
}

// requestHeaderCode returns the 0xA0xx code mod_jk sends for name, matched
// case-insensitively, or 0 (0xA002-0xA004 are never sent, see below). It
// does not allocate: candidates are narrowed by length first, then
// compared with strings.EqualFold.
func requestHeaderCode(name string) int {
	var c1, c2 int
	switch len(name) {
	case 4:
		c1 = 11 // host
	case 6:
		switch name[0] | 0x20 {
		case 'a':
			c1 = 1
		case 'c':
			c1 = 9
		case 'p':
			c1 = 12
		}
	case 7:
		c1, c2 = 10, 13 // cookie2, referer
	case 10:
		c1, c2 = 6, 14 // connection, user-agent
	case 12:
		c1 = 7 // content-type
	case 13:
		c1 = 5 // authorization
	case 14:
		// content-length. Never accept-charset, accept-encoding or
		// accept-language: mod_jk 1.2.48's sc_for_req_header compares
		// "CCEPT" including its NUL terminator, so only a bare Accept
		// matches and the three Accept-* headers go as strings in the
		// client's spelling, which is what Tomcat then reports.
		c1 = 8
	default:
		return 0
	}
	if c1 != 0 && strings.EqualFold(name, reqHeaderNames[c1]) {
		return reqHeaderBase + c1
	}
	if c2 != 0 && strings.EqualFold(name, reqHeaderNames[c2]) {
		return reqHeaderBase + c2
	}
	return 0
}

// Response header codes 0xA001..0xA00B (docs/ajp13.md#response-packets). Tomcat only uses a code
// when the name is exactly one of these spellings.
var respHeaderNames = [...]string{
	1: "Content-Type", 2: "Content-Language", 3: "Content-Length",
	4: "Date", 5: "Last-Modified", 6: "Location", 7: "Set-Cookie",
	8: "Set-Cookie2", 9: "Servlet-Engine", 10: "Status",
	11: "WWW-Authenticate",
}

// ResponseHeaderCode returns the SEND_HEADERS code Tomcat uses for name
// (exact, case-sensitive match, like Tomcat's map), or 0. The server side
// (ajptest) uses it to encode like Tomcat does.
func ResponseHeaderCode(name string) int {
	for i := 1; i < len(respHeaderNames); i++ {
		if respHeaderNames[i] == name {
			return reqHeaderBase + i
		}
	}
	return 0
}

// internName returns a constant string for common response header names
// that Tomcat sends as strings, so decoding them allocates nothing; the
// compiler turns switch string(b) into comparisons without a conversion.
// Other names come back as "" and the caller slices them out of the
// packet's one string copy.
func internName(b []byte) string {
	switch string(b) {
	case "ETag":
		return "ETag"
	case "Accept-Ranges":
		return "Accept-Ranges"
	case "Cache-Control":
		return "Cache-Control"
	case "Content-Encoding":
		return "Content-Encoding"
	case "Content-Disposition":
		return "Content-Disposition"
	case "Vary":
		return "Vary"
	case "Expires":
		return "Expires"
	case "Pragma":
		return "Pragma"
	case "Server":
		return "Server"
	case "Connection":
		return "Connection"
	case "Keep-Alive":
		return "Keep-Alive"
	case "Transfer-Encoding":
		return "Transfer-Encoding"
	case "X-Powered-By":
		return "X-Powered-By"
	case "X-Frame-Options":
		return "X-Frame-Options"
	case "X-Content-Type-Options":
		return "X-Content-Type-Options"
	case "Strict-Transport-Security":
		return "Strict-Transport-Security"
	case "Access-Control-Allow-Origin":
		return "Access-Control-Allow-Origin"
	case "X-Route":
		return "X-Route"
	}
	return ""
}
