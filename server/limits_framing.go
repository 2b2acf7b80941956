package server

import (
	"bytes"
	"strings"
)

// check validates a complete request head (it ends with its empty line)
// and sets the body framing that follows it. It returns why the head is
// refused, or "".
func (g *headGuard) check(head []byte) string {
	var (
		line     []byte
		first    = true
		http10   bool
		upgrade  bool
		cls, tes int
		cl, te   []byte
	)
	for rest := head; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		line, rest = rest[:i+1], rest[i+1:]
		if len(line) < 2 || line[len(line)-2] != '\r' {
			return "a line ends in a bare LF (RFC 9112 2.2)"
		}
		line = line[:len(line)-2]
		if len(line) == 0 {
			break // the empty line that ends the head
		}
		if bytes.IndexByte(line, '\r') >= 0 {
			return "a bare CR inside a line (RFC 9112 2.2)"
		}
		if first {
			first = false
			sp := bytes.LastIndexByte(line, ' ')
			if sp < 0 || !bytes.HasPrefix(line[sp+1:], []byte("HTTP/1.")) {
				// Not HTTP/1.x: net/http refuses it (400, 505) and closes,
				// or it is the HTTP/2 preface.
				g.state = gPass
				return ""
			}
			http10 = string(line[sp+1:]) == "HTTP/1.0"
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			return "an obs-fold continuation line (RFC 9112 5.2)"
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isToken(line[:colon]) {
			return "a malformed header field name"
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		for _, c := range value {
			if c < ' ' && c != '\t' || c == 0x7f {
				return "a control character in a header field value"
			}
		}
		switch {
		case asciiEqualFold(name, "content-length"):
			cls, cl = cls+1, value
		case asciiEqualFold(name, "transfer-encoding"):
			tes, te = tes+1, value
		case asciiEqualFold(name, "upgrade"):
			upgrade = true
		}
	}
	// A protocol switch (WebSocket) takes the connection out of HTTP
	// once the 101 is written (guardConn.Write); until then the next
	// bytes are the next request.
	g.upgrading.Store(upgrade)
	return g.frame(http10, cls, tes, cl, te)
}

// frame decides the body framing from the head's length fields (RFC
// 9112 6.1-6.3).
func (g *headGuard) frame(http10 bool, cls, tes int, cl, te []byte) string {
	switch {
	case tes > 0 && http10:
		return "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1)"
	case tes > 0 && cls > 0:
		return "both Content-Length and Transfer-Encoding (RFC 9112 6.3)"
	case cls > 1:
		return "more than one Content-Length (RFC 9110 8.6)"
	case tes > 1 || tes == 1 && !asciiEqualFold(te, "chunked"):
		// net/http answers 501 Not Implemented and closes, as httpd does.
		g.state = gPass
		return ""
	case tes == 1:
		g.state, g.ck, g.cline, g.left = gChunked, ckSize, 0, 0
		return ""
	case cls == 1:
		n, ok := parseLength(cl)
		if !ok {
			return "a malformed Content-Length"
		}
		g.left = n
	default:
		g.left = 0
	}
	g.state = gLength
	if g.left == 0 {
		g.state = gHead
	}
	return ""
}

func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// chunkState is where the guard is inside a chunked body.
type chunkState uint8

const (
	ckSize        chunkState = iota // the chunk size's hex digits
	ckSizeSpace                     // white space after the size
	ckExt                           // a chunk extension, up to CR
	ckSizeLF                        // the LF after the size line's CR
	ckData                          // chunk data (g.left bytes)
	ckDataCR                        // the CR after the data
	ckDataLF                        // the LF after the data
	ckTrailer                       // the start of a trailer line, or the final CRLF
	ckTrailerLine                   // inside a trailer field
	ckTrailerLF                     // the LF after a trailer field's CR
	ckEndLF                         // the LF that ends the body
)

// maxChunkLine bounds a chunk-size line and a trailer field (net/http's
// own bound on a chunk line is 4096 bytes).
const maxChunkLine = 4096

// chunked follows a chunked body over b. It returns how many bytes of b
// belong to the body; at the body's end the state moves on.
func (g *headGuard) chunked(b []byte) (int, error) {
	i := 0
	for i < len(b) {
		if g.ck == ckData {
			k := min(int64(len(b)-i), g.left)
			i += int(k)
			if g.left -= k; g.left == 0 {
				g.ck = ckDataCR
			}
			continue
		}
		c := b[i]
		i++
		if g.cline++; g.cline > maxChunkLine {
			return i, errChunked
		}
		if !g.chunkByte(c) {
			return i, errChunked
		}
		if g.state != gChunked {
			return i, nil // the body ended
		}
	}
	return i, nil
}

// chunkByte advances over one byte outside chunk data.
func (g *headGuard) chunkByte(c byte) bool {
	switch g.ck {
	case ckSize:
		if v, ok := hexValue(c); ok && g.cline <= 15 { // net/http's bound is 16
			g.left = g.left<<4 | int64(v)
			return true
		}
		if g.cline == 1 {
			return false // no digit
		}
		return g.afterSize(c)
	case ckSizeSpace:
		return g.afterSize(c)
	case ckExt:
		if c == '\r' {
			g.ck = ckSizeLF
			return true
		}
		return c >= ' ' && c != 0x7f || c == '\t'
	case ckSizeLF:
		if c != '\n' || g.left < 0 {
			return false
		}
		g.cline, g.ck = 0, ckData
		if g.left == 0 {
			g.ck = ckTrailer
		}
		return true
	case ckDataCR:
		g.ck = ckDataLF
		return c == '\r'
	case ckDataLF:
		g.cline, g.ck = 0, ckSize
		return c == '\n'
	case ckTrailer:
		switch c {
		case '\r':
			g.ck = ckEndLF
			return true
		case ' ', '\t', '\n':
			return false // obs-fold or a bare LF
		}
		g.ck = ckTrailerLine
		return c > ' ' && c != 0x7f
	case ckTrailerLine:
		if c == '\r' {
			g.ck = ckTrailerLF
			return true
		}
		return c >= ' ' && c != 0x7f || c == '\t'
	case ckTrailerLF:
		g.cline, g.ck = 0, ckTrailer
		return c == '\n'
	case ckEndLF:
		if c != '\n' {
			return false
		}
		g.state = gHead
		return true
	}
	return false
}

// afterSize handles the byte after a chunk size's digits.
func (g *headGuard) afterSize(c byte) bool {
	switch c {
	case ' ', '\t':
		g.ck = ckSizeSpace
	case ';':
		g.ck = ckExt
	case '\r':
		g.ck = ckSizeLF
	default:
		return false
	}
	return true
}

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isToken reports an RFC 9110 token (a header field name).
func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return len(b) > 0
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// asciiEqualFold compares b with the lower-case ASCII s.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
