package h1

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/jkbalancer/jkbalancer/internal/token"
)

// canonicalKey is textproto.CanonicalMIMEHeaderKey for a token, without
// allocating for the fields most requests carry, nor for one that is
// prev (the key the connection's last request had at the same place).
func canonicalKey(name []byte, prev string) string {
	var buf [48]byte
	if len(name) > len(buf) {
		return textproto.CanonicalMIMEHeaderKey(string(name))
	}
	k := token.AppendCanonical(buf[:0], name)
	if s, ok := commonKeys[string(k)]; ok {
		return s
	}
	if string(k) == prev {
		return prev
	}
	return string(k)
}

// commonKeys interns the canonical names of common request fields; it is
// never written after initialisation.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
		"Authorization", "Cache-Control", "Connection", "Content-Length", "Content-Type", "Cookie",
		"Dnt", "Expect", "Forwarded", "Host", "If-Match", "If-Modified-Since", "If-None-Match",
		"If-Range", "If-Unmodified-Since", "Keep-Alive", "Origin", "Pragma", "Range", "Referer",
		"Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Websocket-Key",
		"Sec-Websocket-Version", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Upgrade-Insecure-Requests", "User-Agent", "Via", "X-Forwarded-For", "X-Forwarded-Host",
		"X-Forwarded-Proto", "X-Real-Ip", "X-Requested-With"} {
		m[k] = k
	}
	return m
}()

// methodString returns the method without allocating for the common ones.
func methodString(b []byte) string {
	for _, m := range commonMethods {
		if string(b) == m {
			return m
		}
	}
	return string(b)
}

var commonMethods = [...]string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut,
	http.MethodDelete, http.MethodOptions, http.MethodPatch}

// validHost reports a Host value made of the bytes a host, a port and an
// IP literal may hold (RFC 3986 3.2.2), as net/http checks it.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:[]%@", c) >= 0:
		default:
			return false
		}
	}
	return true
}
