// Package token holds the few byte-level pieces of an HTTP/1 field line
// that both ends of the proxy parse: the front end's request heads
// (server/h1) and the HTTP members' response heads (worker). Standard
// library only, allocation free.
package token

import "strings"

// Is reports an RFC 9110 token (a method or a field name): visible ASCII
// without separators, at least one byte.
func Is[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		if c := b[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return len(b) > 0
}

// TrimOWS drops the blanks and tabs around a field value (bytes.Trim
// with a cutset builds a set on every call).
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// AppendCanonical appends the canonical form of the field name b (a
// token) to dst, as textproto.CanonicalMIMEHeaderKey spells it: upper
// case at the start and after each hyphen, lower case elsewhere.
func AppendCanonical(dst, b []byte) []byte {
	upper := true
	for _, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}
