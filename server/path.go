package server

import (
	"net/http"
	"strings"

	"github.com/jkbalancer/jkbalancer/config"
)

// pathError carries the status a request path earns when it cannot be
// mapped: 400 for a path that climbs above the root or is malformed, 404
// where httpd itself would refuse it (an encoded slash, AllowEncodedSlashes
// Off).
type pathError struct {
	status int
	msg    string
}

func (e *pathError) Error() string { return e.msg }

var (
	errNotAbsolute  = &pathError{http.StatusBadRequest, "path does not start with /"}
	errAboveRoot    = &pathError{http.StatusBadRequest, "path climbs above /"}
	errBadEscape    = &pathError{http.StatusBadRequest, "malformed %-escape in path"}
	errNulByte      = &pathError{http.StatusNotFound, "encoded NUL in path"}
	errEncodedSlash = &pathError{http.StatusNotFound, "encoded / in path"}
)

// paths is what the server derives from one request path.
type paths struct {
	// match is the path mount rules and access checks see: normalised the
	// way Tomcat (and mod_jk's jk_servlet_normalize) does it.
	match string
	// forward is the URI sent to the backend, per the ForwardURI option.
	forward string
}

// splitPaths turns the raw request path (as the client sent it, still
// %-encoded, without the query) into the matching and forwarding forms.
func splitPaths(raw string, mode config.ForwardURI) (paths, error) {
	if raw == "" || raw[0] != '/' {
		return paths{}, errNotAbsolute
	}
	match, err := matchPath(raw, mode)
	if err != nil {
		return paths{}, err
	}
	fwd, err := forwardURI(raw, mode)
	if err != nil {
		return paths{}, err
	}
	return paths{match: match, forward: fwd}, nil
}

// matchPath is the path mounts and exclusions are matched on: the path
// the backend will serve. mod_jk matches jk_servlet_normalize(r->uri):
// httpd's URI (its dot segments resolved with ;parameters still in
// place, then decoded, httpdURI), with every ;parameter stripped and the
// dot segments resolved again; r->uri, re-encoded, is also what the
// backend gets. So "/lb/;jsessionid=X/.." is "/lb/" for both, and
// "/admin/;x/../secret" or "/admin%3bx/secret", which Tomcat serves as
// /admin/secret, cannot pass an exclusion of /admin/*. The hardening
// refusals stay those of Tomcat's reading of the raw path
// (normalizeForMatch: above the root, an encoded / or NUL), and under
// ForwardURICompatUnparsed, where the backend gets the raw path and
// normalises it itself, that reading is the match.
func matchPath(raw string, mode config.ForwardURI) (string, error) {
	tomcat, err := normalizeForMatch(raw)
	if err != nil || mode == config.ForwardURICompatUnparsed || isPlainPath(raw) {
		return tomcat, err
	}
	u, err := httpdURI(raw)
	if err != nil || isPlainPath(u) {
		return u, err
	}
	return resolveDots(stripPathParams(u))
}

// normalizeForMatch follows Tomcat's order: strip every ";param" on the
// raw path (so an encoded ';' is data, not a separator), %-decode, collapse
// "//", resolve "." and "..", and refuse a path that climbs above "/".
// Because mounts and exclusions are matched on this one form, "/app/..;/x"
// and "/a/%2e%2e/x" cannot slip past a rule (CVE-2018-11759, CVE-2014-8111).
func normalizeForMatch(raw string) (string, error) {
	if isPlainPath(raw) {
		return raw, nil
	}
	decoded, err := percentDecode(stripPathParams(raw))
	if err != nil {
		return "", err
	}
	return resolveDots(decoded)
}

// isPlainPath is the fast path: nothing to strip, decode or resolve.
func isPlainPath(p string) bool {
	prev := byte(0)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == ';' || c == '%':
			return false
		case c == '/' && prev == '/':
			return false
		case c == '.' && prev == '/':
			return false
		}
		prev = c
	}
	return true
}

// stripPathParams removes every ";..." up to the next '/' in each segment.
func stripPathParams(p string) string {
	if strings.IndexByte(p, ';') < 0 {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); {
		c := p[i]
		if c != ';' {
			b.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			break
		}
		i += j
	}
	return b.String()
}

// percentDecode decodes %XX escapes. An encoded NUL or '/' is refused the
// way httpd refuses it (404); a malformed escape is a 400.
func percentDecode(p string) (string, error) {
	if strings.IndexByte(p, '%') < 0 {
		return p, nil
	}
	b := make([]byte, 0, len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return "", errBadEscape
		}
		v := unhex(p[i+1])<<4 | unhex(p[i+2])
		switch v {
		case 0:
			return "", errNulByte
		case '/':
			return "", errEncodedSlash
		}
		b = append(b, v)
		i += 2
	}
	return string(b), nil
}

// resolveDots collapses repeated slashes and resolves "." and ".."
// segments. A ".." that would leave the root is an error (400).
func resolveDots(p string) (string, error) {
	segs := make([]string, 0, 8)
	trailing := false
	for _, s := range strings.Split(p[1:], "/") {
		trailing = false
		switch s {
		case "":
			trailing = true
		case ".":
			trailing = true
		case "..":
			if len(segs) == 0 {
				return "", errAboveRoot
			}
			segs = segs[:len(segs)-1]
			trailing = true
		default:
			segs = append(segs, s)
		}
	}
	out := "/" + strings.Join(segs, "/")
	if trailing && len(segs) > 0 {
		out += "/"
	}
	return out, nil
}

// httpdURI reproduces httpd's r->uri, which mod_jk forwards under every
// ForwardURI option but CompatUnparsed. httpd (2.4.49+, ap_normalize_path)
// first decodes escapes of unreserved characters ("%2e" is "."), then
// merges slashes and resolves dot segments, and only then decodes the
// rest; so "/a/%2e%2e/x" becomes "/x" while "%252e" stays "%2e". Path
// parameters stay (";jsessionid=" reaches Tomcat, docs/compat.md#request-path-preparation).
func httpdURI(raw string) (string, error) {
	cleaned := decodeUnreserved(raw)
	if !isPlainPath(cleaned) {
		var err error
		if cleaned, err = resolveDots(cleaned); err != nil {
			return "", err
		}
	}
	return percentDecode(cleaned)
}

// decodeUnreserved decodes the %XX escapes of RFC 3986 unreserved
// characters (letters, digits, "-", ".", "_", "~") and leaves every other
// escape as it is.
func decodeUnreserved(p string) string {
	i := strings.IndexByte(p, '%')
	if i < 0 {
		return p
	}
	b := make([]byte, 0, len(p))
	b = append(b, p[:i]...)
	for ; i < len(p); i++ {
		c := p[i]
		if c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			if v := unhex(p[i+1])<<4 | unhex(p[i+2]); isUnreserved(v) {
				b = append(b, v)
				i += 2
				continue
			}
		}
		b = append(b, c)
	}
	return string(b)
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
