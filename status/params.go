package status

import (
	"strings"

	"github.com/jkbalancer/jkbalancer/editable"
)

// params are the request parameters the way jk_status.c keeps them
// (status_parse_uri): the query string is split at '&', a part without
// '=' or with an empty key is dropped, values are percent-decoded with
// '+' as a space, a repeated key keeps its last value (jk_map_put), and
// the characters < > ? " become '@' in the raw query and in every
// decoded value, mod_jk's cross-site-scripting guard. A value that does
// not decode (a bad %-escape or %00) stops the parsing: bad is set and
// mod_jk answers "Error during parsing of URI"; what came before stays.
type params struct {
	keys []string          // first-seen order, for the HTML forms' hidden fields
	vals map[string]string // last value wins
	raw  string            // the masked query string (HTML auto-refresh link)
	bad  bool
}

// escChars are the characters jk_status.c replaces with '@'.
const escChars = `<>?"`

func maskXSS(s string) string {
	if !strings.ContainsAny(s, escChars) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if strings.IndexByte(escChars, c) >= 0 {
			b[i] = '@'
		}
	}
	return string(b)
}

func newParams() *params { return &params{vals: make(map[string]string)} }

// parseParams parses a query string.
func parseParams(query string) *params {
	p := newParams()
	p.raw = maskXSS(query)
	p.add(query)
	return p
}

// add parses a form body (same syntax) or query into p; later values win.
// It does not change raw, which is the query string alone.
func (p *params) add(query string) {
	if query == "" || p.bad {
		return
	}
	masked := maskXSS(query)
	for _, part := range strings.Split(masked, "&") {
		key, value, ok := strings.Cut(part, "=")
		if !ok || key == "" {
			continue
		}
		v, good := unescape(value)
		if !good {
			p.bad = true
			return
		}
		p.set(key, maskXSS(v))
	}
}

func (p *params) set(key, value string) {
	if _, seen := p.vals[key]; !seen {
		p.keys = append(p.keys, key)
	}
	p.vals[key] = value
}

func (p *params) del(key string) {
	if _, ok := p.vals[key]; !ok {
		return
	}
	delete(p.vals, key)
	for i, k := range p.keys {
		if k == key {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
			break
		}
	}
}

// get returns a parameter and whether it was given.
func (p *params) get(key string) (string, bool) {
	v, ok := p.vals[key]
	return v, ok
}

// str returns a parameter or "".
func (p *params) str(key string) string { return p.vals[key] }

// int is status_get_int: C atoi of the value, def when absent.
func (p *params) int(key string, def int) int {
	v, ok := p.vals[key]
	if !ok {
		return def
	}
	return editable.Atoi(v)
}

// bool is status_get_bool: jk_get_bool_code of the value, def when absent
// or not understood.
func (p *params) bool(key string, def bool) bool {
	v, ok := p.vals[key]
	if !ok {
		return def
	}
	return editable.BoolCode(v, def)
}

// unescape is jk_unescape_url with '+' as a space and no forbidden or
// reserved characters: it fails on a '%' not followed by two hex digits
// and on %00.
func unescape(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c != '%':
			b = append(b, c)
		case i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			if d == 0 {
				return "", false
			}
			b = append(b, d)
			i += 2
		default:
			return "", false
		}
	}
	return string(b), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
